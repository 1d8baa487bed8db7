"""The ``solv.routing`` section of ``litellm_config.yaml``, typed and strict (a field of
:class:`solvstack.core.config.SolvConfig`: ``parse_solv(raw).routing``).

>>> RoutingConfig.model_validate({"balance_abs_threshold": 8}).policy().balance_abs_threshold
8.0
"""

from __future__ import annotations

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

    def policy(self) -> Policy:
        return Policy(affinity=self.affinity, balance_abs_threshold=self.balance_abs_threshold,
                      balance_rel_threshold=self.balance_rel_threshold,
                      new_conversation_abs_threshold=self.new_conversation_abs_threshold,
                      kv_cache_high=self.kv_cache_high)
