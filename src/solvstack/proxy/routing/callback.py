"""The LiteLLM callback that routes between replicas: ``async_filter_deployments`` returns one.

Per request of a routed model group (LiteLLM calls the filter on every callback, after its own
health and cooldown filtering):

1. make sure the background scraper watches every replica's ``/metrics`` (never scraped inline);
2. build each replica's :class:`~solvstack.core.routing.choice.ReplicaLoad` from fresh metrics (stale or
   missing: in-flight counts alone), this proxy's in-flight counts, and recent failures;
3. :func:`~solvstack.core.routing.choice.decide` with the conversation's affinity key (the client's
   session id when it sends one, else the conversation prefix: :mod:`.affinity`), and return a
   one-element list, which pins LiteLLM's choice. With placement on (``solv.routing.placement``;
   ``auto``: when Redis shares the memory between every proxy process), a conversation's first
   request is instead placed by load (:func:`~solvstack.core.routing.choice.place`), and where
   each conversation went is remembered (Redis, else this process's
   :class:`~solvstack.core.routing.placement.Placements`) so its later requests follow it;
4. count the request in flight until its answer is sent (end of stream, success hook) or its
   success/failure event, whichever comes first; a failure (5xx, timeout, refused
   connection) marks the replica failing for ``failure_cooldown_s``; a retry of the same request
   (LiteLLM ``num_retries``) never goes back to a replica that already failed it;
5. tell the client which replica answered (``x-solv-replica``, ``x-solv-route``) and log one line.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncGenerator, Callable
from typing import Any

from litellm.integrations.custom_logger import CustomLogger

from solvstack.core.config import SharedCacheConfig
from solvstack.core.routing.affinity import affinity_key, is_new_conversation, session_of
from solvstack.core.routing.choice import ReplicaLoad, decide, deployment_id, place
from solvstack.core.routing.config import RoutingConfig
from solvstack.core.routing.inflight import InFlight
from solvstack.core.routing.metrics import MetricsScraper, metrics_url
from solvstack.core.routing.placement import Placements
from solvstack.proxy.requestdata import (
    client_headers,
    group_size,
    litellm_session_id,
    replica_of,
    tried_replicas,
)
from solvstack.proxy.sharedcache import SharedCache, redis_link

log = logging.getLogger("solv.routing")

_DECISIONS_MAX = 10_000  # header bookkeeping for requests whose response never came back


class RoutingFilter(CustomLogger):
    """Picks one replica per request. Build it with :func:`solvstack.proxy.routing.plugin.build_routing`.

    Used as::

        f = RoutingFilter(RoutingConfig(), MetricsScraper())
        [chosen] = await f.async_filter_deployments("qwen3", deployments, messages, request_kwargs)
    """

    def __init__(self, cfg: RoutingConfig, scraper: MetricsScraper,
                 clock: Callable[[], float] = time.monotonic, shared: SharedCacheConfig | None = None) -> None:
        super().__init__()
        self.cfg, self.scraper, self.clock = cfg, scraper, clock
        link = redis_link(shared or SharedCacheConfig()) if cfg.affinity and cfg.placement != "off" else None
        self.placing = cfg.affinity and (cfg.placement == "on" or (cfg.placement == "auto" and link is not None))
        self.policy = cfg.policy(placement=self.placing)
        # this process's placements: its per-replica counts (what placement balances), and the memory itself
        # unless Redis holds it for every proxy process
        self.placed = Placements(cfg.placement_size, cfg.placement_ttl_s, clock)
        self.memory = SharedCache("placement", cfg.placement_ttl_s, cfg.placement_size, link) \
            if self.placing and link is not None else None
        self.inflight = InFlight(cfg.inflight_ttl_s, clock)
        self._failed_at: dict[str, float] = {}
        self._names: dict[str, str] = {}
        self._decisions: dict[str, str] = {}  # call id -> reason, read by the header hook

    # -- routing --------------------------------------------------------------------------------
    async def async_filter_deployments(self, model: str, healthy_deployments: list, messages: list | None,
                                       request_kwargs: dict | None = None, parent_otel_span: Any = None) -> list:
        if not self._routes(model, healthy_deployments):
            return healthy_deployments
        kwargs = request_kwargs or {}
        if len(healthy_deployments) == 1 and group_size(kwargs) <= 1:
            return self._only(healthy_deployments, kwargs)  # nothing to choose between: no key, no metrics
        self._watch(healthy_deployments)
        tried = tried_replicas(kwargs)
        loads = {deployment_id(d): self._load(deployment_id(d), tried) for d in healthy_deployments}
        session = session_of(client_headers(kwargs), litellm_session_id(kwargs)) if self.cfg.affinity else None
        key = affinity_key(model, messages, session) if self.cfg.affinity else None
        # a named conversation is kept together from its first request; an anonymous first request
        # (nothing cached yet, maybe a one-off) may spill sooner
        first = is_new_conversation(messages)
        new = session is None and first
        remembered = await self._recall(key) if self.placing and key else None
        if self.placing and key and remembered is None and first and not tried:
            choice = place(healthy_deployments, loads, key, self.placed.counts(), self.policy)
        else:
            choice = decide(healthy_deployments, loads, key, self.policy, new=new, remembered=remembered)
        chosen = deployment_id(choice.deployment)
        if self.placing and key:
            await self._keep(key, chosen, remembered)
        reason = "retry" if tried else choice.reason
        call_id = str(kwargs.get("litellm_call_id") or "")
        if call_id:
            self.inflight.begin(call_id, chosen)
        if call_id:
            self._remember(call_id, reason)
        if log.isEnabledFor(logging.INFO):  # solv.routing.log_decisions
            log.info("solv route group=%s replica=%s reason=%s key=%s:%s load=%s", model, self._names[chosen],
                     reason, session[0] if session else "prefix", key or "-",
                     " ".join(f"{self._names[i]}:{_fmt(v)}" for i, v in loads.items()))
        return [choice.deployment]

    async def _recall(self, key: str) -> str | None:
        """The replica this conversation's last request went to, if any proxy process remembers it."""
        if self.memory is None:
            return self.placed.get(key)
        found = await self.memory.get(key)
        return found if isinstance(found, str) else None

    async def _keep(self, key: str, replica: str, remembered: str | None) -> None:
        self.placed.put(key, replica)
        if self.memory is not None and replica != remembered:  # written when it moves, not per request
            await self.memory.set(key, replica)

    def _only(self, deployments: list, kwargs: dict) -> list:
        """A one-replica group: counted in flight, but no affinity key, no scrape, no header, no log line."""
        call_id = kwargs.get("litellm_call_id")
        if call_id:
            self.inflight.begin(str(call_id), deployment_id(deployments[0]))
        return deployments

    def _routes(self, model: str, deployments: list) -> bool:
        if not self.cfg.enabled or not deployments or not isinstance(deployments, list):
            return False
        return not self.cfg.model_groups or model in self.cfg.model_groups

    def _watch(self, deployments: list) -> None:
        for d in deployments:
            replica = deployment_id(d)
            if replica in self._names:
                continue
            info, params = d.get("model_info") or {}, d.get("litellm_params") or {}
            api_base = params.get("api_base")
            self._names[replica] = str(info.get("solv_deployment") or _short(api_base) or replica)
            url = info.get("solv_metrics_url") or metrics_url(api_base)
            if url:
                self.scraper.watch(replica, str(url))
        self.scraper.ensure_running()

    def _load(self, replica: str, tried: frozenset[str]) -> ReplicaLoad:
        failed = self._failed_at.get(replica)
        failing = replica in tried or (failed is not None and self.clock() - failed < self.cfg.failure_cooldown_s)
        m = self.scraper.fresh(replica, self.cfg.stale_after_s)
        if m is None:
            return ReplicaLoad(in_flight=self.inflight.count(replica), failing=failing)
        seen_at = m.at - self.cfg.metrics_lag_s  # what the sample's gauges describe
        return ReplicaLoad(in_flight=self.inflight.count(replica), unseen=self.inflight.count_since(replica, seen_at),
                           finished=self.inflight.finished_since(replica, seen_at), running=m.running,
                           waiting=m.waiting, kv_usage=m.kv_usage, failing=failing)

    def _remember(self, call_id: str, reason: str) -> None:
        if len(self._decisions) >= _DECISIONS_MAX:
            self._decisions.pop(next(iter(self._decisions)))
        self._decisions[call_id] = reason

    # -- bookkeeping ----------------------------------------------------------------------------
    # A request stops counting when its answer has been sent: the end of the stream, or the
    # non-streaming success hook, both in the request's own path. LiteLLM's success/failure events
    # run later on its logging worker; they end what the hooks did not see (failures, other routes).
    async def async_post_call_success_hook(self, data: dict, user_api_key_dict: Any, response: Any) -> None:
        self._answered(data)

    async def async_post_call_streaming_iterator_hook(self, user_api_key_dict: Any, response: Any,
                                                      request_data: dict) -> AsyncGenerator[Any, None]:
        try:
            async for item in response:
                yield item
        finally:
            self._answered(request_data)

    def _answered(self, data: object) -> None:
        call_id = data.get("litellm_call_id") if isinstance(data, dict) else None
        if call_id:
            self.inflight.end(str(call_id))

    async def async_log_success_event(self, kwargs: dict, response_obj: Any, start_time: Any, end_time: Any) -> None:
        call_id = kwargs.get("litellm_call_id")
        if call_id:
            self.inflight.end(str(call_id), replica_of(kwargs))

    async def async_log_failure_event(self, kwargs: dict, response_obj: Any, start_time: Any, end_time: Any) -> None:
        replica = replica_of(kwargs)
        call_id = kwargs.get("litellm_call_id")
        if call_id:
            self.inflight.end(str(call_id), replica)
        if replica is not None and _replica_fault(kwargs.get("exception")):
            self._failed_at[replica] = self.clock()
            log.warning("solv routing: %s failed a request (%s); avoiding it for %.0f s",
                        self._names.get(replica, replica), type(kwargs.get("exception")).__name__,
                        self.cfg.failure_cooldown_s)

    # -- response -------------------------------------------------------------------------------
    async def async_post_call_response_headers_hook(
        self, data: dict, user_api_key_dict: Any, response: Any,
        request_headers: dict[str, str] | None = None, litellm_call_info: dict[str, object] | None = None,
    ) -> dict[str, str] | None:
        call_id = str(data.get("litellm_call_id") or "") if isinstance(data, dict) else ""
        reason = self._decisions.pop(call_id, None)
        if reason is None:
            return None
        served = str((litellm_call_info or {}).get("model_id") or self.inflight.replica_of(call_id) or "")
        return {"x-solv-replica": self._names.get(served, served), "x-solv-route": reason}


def _replica_fault(exc: object) -> bool:
    """A fault of the replica (refused, timed out, 5xx, overloaded), not of the request (4xx)."""
    status = getattr(exc, "status_code", None)
    return not isinstance(status, int) or status >= 500 or status in (408, 429)


def _short(api_base: object) -> str | None:
    if not isinstance(api_base, str):
        return None
    host = api_base.split("://", 1)[-1].rstrip("/")
    return host[:-3] if host.endswith("/v1") else host


def _fmt(load: ReplicaLoad) -> str:
    metrics = f"r{load.running:g}w{load.waiting:g}" if load.has_metrics else "stale"
    return f"{load.in_flight}/{metrics}{'!' if load.failing else ''}"
