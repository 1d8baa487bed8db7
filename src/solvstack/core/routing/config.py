"""The ``solv.routing`` section of ``litellm_config.yaml``, typed and strict (a field of
:class:`solvstack.core.config.SolvConfig`: ``parse_solv(raw).routing``).

>>> RoutingConfig.model_validate({"balance_abs_threshold": 8}).policy().balance_abs_threshold
8.0
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from solvstack.core.routing.choice import Policy
from solvstack.core.schema import ModelGroup, Strict


class RoutingConfig(Strict):
    """Every key is optional; see docs/gpus.md ("Routing")."""

    enabled: bool = True
    model_groups: list[ModelGroup] = []  # groups to route; empty = every group with more than one deployment
    affinity: bool = True  # keep a conversation on the replica that holds its prefix
    # affinity yields only when its replica's load exceeds the least loaded one's by both of these
    balance_abs_threshold: float = Field(8.0, ge=0)  # ...more than this many requests
    balance_rel_threshold: float = Field(1.5, ge=1.0)  # ...and more than this many times
    new_conversation_abs_threshold: float = Field(1.0, ge=0)  # a first turn (nothing cached yet) spills sooner
    kv_cache_high: float = Field(0.95, gt=0, le=1)  # ...or when its KV cache is this full
    # a conversation's first request goes to the candidate holding the fewest conversations, and its
    # later requests follow it (a memory key -> replica). auto: only when every proxy process shares
    # the memory (Redis configured); on: also with this process's own memory (one proxy process only)
    placement: Literal["auto", "on", "off"] = "auto"
    placement_candidates: int = Field(0, ge=0)  # only the key's top-ranked replicas (2: power of two choices); 0: all
    placement_ttl_s: float = Field(1800.0, gt=0)  # a conversation idle this long is forgotten
    placement_size: int = Field(100_000, ge=1)  # conversations this process remembers (LRU)
    scrape_interval_s: float = Field(1.0, gt=0, le=60)
    scrape_timeout_s: float = Field(1.0, gt=0, le=30)
    stale_after_s: float = Field(5.0, gt=0)  # older metrics are ignored: in-flight counts only
    metrics_lag_s: float = Field(0.0, ge=0, le=30)  # vLLM's gauges trail by this: count our newer requests on top
    failure_cooldown_s: float = Field(10.0, ge=0)  # avoid a replica this long after it failed a request
    inflight_ttl_s: float = Field(900.0, gt=0)  # forget a request never seen finishing after this
    log_decisions: bool = True  # one INFO line per routed request in the proxy log

    @model_validator(mode="after")
    def _stale_after_scrape(self) -> RoutingConfig:
        if self.stale_after_s <= self.scrape_interval_s:
            raise ValueError(f"stale_after_s ({self.stale_after_s}) must be larger than scrape_interval_s "
                             f"({self.scrape_interval_s}), or every sample counts as stale")
        return self

    @model_validator(mode="after")
    def _candidates_choose(self) -> RoutingConfig:
        if self.placement_candidates == 1:
            raise ValueError("placement_candidates: 1 leaves nothing to choose (the hash's own replica); give 2 "
                             "(power of two choices), more, or 0 for every replica, or set placement: off")
        return self

    def policy(self, placement: bool = False) -> Policy:
        """The decision's knobs; ``placement``: whether this process places first requests (see
        :attr:`placement`, resolved by the callback, which knows whether Redis shares the memory)."""
        return Policy(affinity=self.affinity, balance_abs_threshold=self.balance_abs_threshold,
                      balance_rel_threshold=self.balance_rel_threshold,
                      new_conversation_abs_threshold=self.new_conversation_abs_threshold,
                      kv_cache_high=self.kv_cache_high, placement=placement and self.affinity,
                      placement_candidates=self.placement_candidates)
