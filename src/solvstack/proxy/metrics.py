"""Prometheus metrics for solv: what the thinking hook decided, and which replica served.

The metrics live on ``prometheus_client``'s default registry, the one LiteLLM's ``prometheus``
callback serves on the proxy's own ``/metrics`` (auth: a proxy key, unless
``litellm_settings.require_auth_for_metrics_endpoint: false``), so solv's series appear beside
LiteLLM's with no second port::

    solv_decisions_total{level, source, thinking, search}   one per classified chat request
    solv_escalations_total{from_group}                      requests moved by solv.escalate
    solv_classifier_latency_seconds{source}                 time the classifier cascade took
    solv_replica_requests_total{model_group, replica, api_base, level, outcome}
                                                            per deployment attempt (success/failure)
    solv_completion_tokens_total{level, model_group}        completion tokens the backend reported, by the
    solv_reasoning_tokens_total{level, model_group}         thinking level applied (``client``: the client's own);
    solv_answers_total{level, model_group}                  reasoning = usage.completion_tokens_details; answers
                                                            counts the answers whose usage was read
    solv_request_latency_seconds{model_group}               time from LiteLLM's call start to the answer
    solv_prompt_tokens_total{model_group}                   prompt tokens the backend reported
    solv_failed_requests_total{status}                      requests the proxy answered with an error
    solv_fallbacks_total{from_group, outcome}               LiteLLM fallbacks away from a model group

These replace what the dashboard used to read from LiteLLM's ``prometheus`` callback, which costs
several ms of CPU per request; :func:`mount_metrics` serves ``/metrics`` without it (LiteLLM's own
mount: its key check, its multi-worker collector when ``PROMETHEUS_MULTIPROC_DIR`` is set).

Two feeders: :func:`record_decision` (called by the hook where it logs its decision) and
:class:`ReplicaLogger` (a part of solv's one callback, :mod:`solvstack.proxy.gateway`), which sees the
deployment LiteLLM actually used, fallbacks included. In a test, give it a registry of its own::

    m = SolvMetrics(CollectorRegistry())
    m.record_decision(DecisionRecord(level="HIGH", source="local", kind="chat", thinking="HIGH",
                                     confidence=0.9, ms=0.8))
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from litellm.integrations.custom_logger import CustomLogger

from solvstack.proxy.requestdata import DecisionRecord, decision_of, deployment_of

if TYPE_CHECKING:
    from prometheus_client import CollectorRegistry

log = logging.getLogger("solv")

# Sources where a classifier ran (override and client decisions take no classifier time).
CLASSIFIER_SOURCES = frozenset({"local", "llm", "cache", "default"})
# From sub-millisecond (local model, cache) to the LLM judge's time budget (seconds).
REQUEST_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0)
LATENCY_BUCKETS = (0.0002, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
_LABEL_SAFE = re.compile(r"[^A-Za-z0-9_.:/@-]")
_CHILDREN_MAX = 4096  # label sets remembered per process; past that the lookup starts again


def _label(value: object, limit: int = 64) -> str:
    """A bounded, printable label value: hook fields are short words, but never trust them blindly."""
    return _LABEL_SAFE.sub("_", str(value if value is not None else ""))[:limit] or "none"


class SolvMetrics:
    """solv's Prometheus series on one registry. Tests pass their own ``CollectorRegistry``.

    The proxy uses :func:`shared_metrics` (the default registry); a second ``SolvMetrics`` on the
    same registry would fail with "Duplicated timeseries", which is why there is exactly one per
    registry.
    """

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        from prometheus_client import REGISTRY, Counter, Histogram

        reg = registry if registry is not None else REGISTRY
        self.decisions = Counter("solv_decisions", "Thinking decisions of the solv hook",
                                 ["level", "source", "thinking", "search"], registry=reg)
        self.escalations = Counter("solv_escalations", "Requests moved to another model group by solv.escalate",
                                   ["from_group"], registry=reg)
        self.classifier_latency = Histogram("solv_classifier_latency_seconds",
                                            "Time the solv classifier cascade took per request",
                                            ["source"], buckets=LATENCY_BUCKETS, registry=reg)
        self.replica_requests = Counter("solv_replica_requests",
                                        "Deployment attempts per replica, with the solv level of the request",
                                        ["model_group", "replica", "api_base", "level", "outcome"], registry=reg)
        self.completion_tokens = Counter("solv_completion_tokens", "Completion tokens (reasoning included) by the "
                                         "thinking level applied", ["level", "model_group"], registry=reg)
        self.reasoning_tokens = Counter("solv_reasoning_tokens", "Reasoning tokens by the thinking level applied",
                                        ["level", "model_group"], registry=reg)
        self.answers = Counter("solv_answers", "Answers whose token usage was counted, by the thinking level applied",
                               ["level", "model_group"], registry=reg)
        self.request_latency = Histogram("solv_request_latency_seconds", "Time from the call's start to its answer",
                                         ["model_group"], buckets=REQUEST_BUCKETS, registry=reg)
        self.prompt_tokens = Counter("solv_prompt_tokens", "Prompt tokens the backend reported",
                                     ["model_group"], registry=reg)
        self.failed_requests = Counter("solv_failed_requests", "Requests the proxy answered with an error",
                                       ["status"], registry=reg)
        self.fallbacks = Counter("solv_fallbacks", "LiteLLM fallbacks away from a model group",
                                 ["from_group", "outcome"], registry=reg)
        self._children: dict[tuple[int, tuple[object, ...]], Any] = {}

    def child(self, metric: Any, *values: object, limit: int = 64) -> Any:
        """``metric.labels(...)`` for these raw values, cleaned by :func:`_label` and looked up once.

        prometheus_client's ``labels()`` validates and locks on every call; the label sets here are few
        (levels, sources, model groups, replicas), so each request reuses the child it got the first time.
        """
        key = (id(metric), values)
        try:
            return self._children[key]
        except KeyError:
            pass
        except TypeError:  # an unhashable value: look it up without the cache
            return metric.labels(*(_label(v, limit) for v in values))
        if len(self._children) >= _CHILDREN_MAX:
            self._children.clear()
        found = self._children[key] = metric.labels(*(_label(v, limit) for v in values))
        return found

    def record_decision(self, d: DecisionRecord) -> None:
        """Count one decision of the hook."""
        self.child(self.decisions, d.level, d.source, d.thinking, d.search.get("search")).inc()
        if d.escalated_from:
            self.child(self.escalations, d.escalated_from).inc()
        if d.source in CLASSIFIER_SOURCES:
            self.child(self.classifier_latency, d.source).observe(max(d.ms, 0.0) / 1000)

    def record_replica(self, deployment: Mapping[str, Any], level: object, outcome: str) -> None:
        """Count one attempt on one deployment (``model_group``, ``model_id``, ``api_base``)."""
        self.child(self.replica_requests, deployment.get("model_group"), deployment.get("model_id"),
                   deployment.get("api_base"), level, outcome, limit=128).inc()

    def record_served(self, model_group: object, seconds: float, usage: Any) -> None:
        """One answered request: its latency and prompt tokens (what LiteLLM's callback counted)."""
        self.child(self.request_latency, model_group).observe(max(seconds, 0.0))
        prompt = usage.get("prompt_tokens") if isinstance(usage, Mapping) else getattr(usage, "prompt_tokens", None)
        if isinstance(prompt, int) and prompt > 0:
            self.child(self.prompt_tokens, model_group).inc(prompt)

    def record_tokens(self, level: object, model_group: object, usage: Any) -> None:
        """Count the completion and reasoning tokens of one answer (``usage`` as the backend reported it)."""
        completion, reasoning = usage_tokens(usage)
        self.child(self.completion_tokens, level, model_group).inc(completion)
        self.child(self.reasoning_tokens, level, model_group).inc(reasoning)
        self.child(self.answers, level, model_group).inc()


def usage_tokens(usage: Any) -> tuple[int, int]:
    """``(completion_tokens, reasoning_tokens)`` of a usage object or dict; 0 for what is missing."""
    def get(obj: Any, key: str) -> Any:
        return obj.get(key) if isinstance(obj, Mapping) else getattr(obj, key, None)

    def count(value: Any) -> int:
        return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 0

    details = get(usage, "completion_tokens_details") if usage is not None else None
    reasoning = get(details, "reasoning_tokens") if details is not None else None
    return count(get(usage, "completion_tokens") if usage is not None else None), count(reasoning)


def _elapsed(start: Any, end: Any) -> float:
    """Seconds between LiteLLM's start_time and end_time (datetimes or floats)."""
    try:
        delta = end - start
        return float(delta.total_seconds() if hasattr(delta, "total_seconds") else delta)
    except TypeError:
        return 0.0


@functools.cache
def shared_metrics() -> SolvMetrics:
    """The one ``SolvMetrics`` on the default registry of this process (what ``/metrics`` serves)."""
    return SolvMetrics()


def record_decision(decision: DecisionRecord) -> None:
    """Called by the hook with its decision; metrics never fail a request."""
    try:
        shared_metrics().record_decision(decision)
    except Exception:
        log.exception("solv metrics: could not record decision %s", decision)


class ReplicaLogger(CustomLogger):
    """LiteLLM callback counting, per replica, the attempts that succeeded and failed.

    A part of solv's one callback (:class:`solvstack.proxy.gateway.Solv`).
    Successes come from ``async_log_success_event`` (once per served request, after fallbacks);
    failures from ``async_post_call_failure_deployment_hook`` (once per failed attempt, so a
    fallback shows as a failure on the local replica and a success on the cloud one).
    """

    def __init__(self, metrics: SolvMetrics | None = None) -> None:
        super().__init__()
        self.metrics = metrics or shared_metrics()

    async def async_log_success_event(self, kwargs: Any, response_obj: Any, start_time: Any, end_time: Any) -> None:
        if not isinstance(kwargs, Mapping):
            return
        try:
            decision, deployment = decision_of(kwargs), deployment_of(kwargs)
            self.metrics.record_replica(deployment, decision.level if decision else None, "success")
            usage = response_obj.get("usage") if isinstance(response_obj, Mapping) else getattr(response_obj, "usage",
                                                                                                None)
            group = deployment.get("model_group")
            self.metrics.record_served(group, _elapsed(start_time, end_time), usage)
            if usage is not None and decision is not None:
                self.metrics.record_tokens(decision.thinking, group, usage)
        except Exception:
            log.exception("solv metrics: could not record a success")

    async def async_post_call_failure_hook(self, request_data: Any, original_exception: Exception,
                                           user_api_key_dict: Any, traceback_str: str | None = None) -> None:
        status = getattr(original_exception, "status_code", None) or getattr(original_exception, "code", None) or 500
        self.metrics.failed_requests.labels(status=_label(status, 8)).inc()

    async def log_success_fallback_event(self, original_model_group: str, kwargs: dict,
                                         original_exception: Exception) -> None:
        self.metrics.fallbacks.labels(from_group=_label(original_model_group), outcome="success").inc()

    async def log_failure_fallback_event(self, original_model_group: str, kwargs: dict,
                                         original_exception: Exception) -> None:
        self.metrics.fallbacks.labels(from_group=_label(original_model_group), outcome="failure").inc()

    async def async_post_call_failure_deployment_hook(self, request_data: Any, exception: Exception,
                                                      call_type: Any, fallback_depth: int | None = None) -> None:
        self._record(request_data, "failure")

    def _record(self, kwargs: Any, outcome: str) -> None:
        try:
            if isinstance(kwargs, Mapping):
                decision = decision_of(kwargs)
                self.metrics.record_replica(deployment_of(kwargs), decision.level if decision else None, outcome)
        except Exception:
            log.exception("solv metrics: could not record a %s", outcome)


def mount_metrics(config_path: Any = None) -> bool:
    """Serve ``/metrics`` on the proxy without LiteLLM's per-request ``prometheus`` callback.

    LiteLLM mounts ``/metrics`` only when that callback is on, and the callback is the costly part of a
    request (docs/operations.md). This mounts the same endpoint with LiteLLM's own function: its key
    check (``PrometheusAuthMiddleware``), and with ``PROMETHEUS_MULTIPROC_DIR`` set, one sum over all
    workers. With ``"prometheus"`` in the callbacks (opt-in), LiteLLM mounts it itself and this does
    nothing. Returns whether it mounted.
    """
    try:
        from litellm.proxy import proxy_server

        from solvstack.core.config import find_config_path, load_raw

        settings = load_raw(config_path or find_config_path()).get("litellm_settings") or {}
        if "prometheus" in (settings.get("callbacks") or []):
            return False
        if any(getattr(route, "path", None) == "/metrics" for route in proxy_server.app.routes):
            return False
        from litellm.integrations.prometheus import PrometheusLogger

        PrometheusLogger._mount_metrics_endpoint()
        return True
    except Exception:  # metrics never stop the proxy from starting
        log.exception("solv metrics: could not mount /metrics")
        return False
