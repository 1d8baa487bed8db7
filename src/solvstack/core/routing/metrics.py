"""vLLM's own load, read from its Prometheus ``/metrics`` by a background task (never per request).

Metric names are vLLM v1's (``vllm/v1/metrics/loggers.py`` in vllm 0.32): the gauges
``vllm:num_requests_running``, ``vllm:num_requests_waiting``, ``vllm:kv_cache_usage_perc`` and the
counters ``vllm:prefix_cache_queries`` / ``vllm:prefix_cache_hits`` (exposed with ``_total``).
A server with several engines (data parallel) reports one sample per engine: they are summed
(KV usage: the fullest engine).

>>> m = parse_metrics('vllm:num_requests_running{engine="0",model_name="m"} 3.0\\n'
...                   'vllm:num_requests_waiting{engine="0",model_name="m"} 1.0\\n', at=0.0)
>>> (m.running, m.waiting, m.kv_usage)
(3.0, 1.0, None)
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

import httpx

log = logging.getLogger("solv.routing")

_SUMMED = {
    "vllm:num_requests_running": "running",
    "vllm:num_requests_waiting": "waiting",
    "vllm:prefix_cache_queries_total": "prefix_queries",
    "vllm:prefix_cache_hits_total": "prefix_hits",
}
_MAXED = {"vllm:kv_cache_usage_perc": "kv_usage", "vllm:gpu_cache_usage_perc": "kv_usage"}  # v0 name too


@dataclass(frozen=True)
class VllmMetrics:
    """One scrape of one replica; ``at`` is the ``time.monotonic()`` of the scrape."""

    at: float
    running: float
    waiting: float
    kv_usage: float | None = None
    prefix_queries: float | None = None
    prefix_hits: float | None = None


def parse_metrics(text: str, at: float) -> VllmMetrics | None:
    """The load gauges from Prometheus text, or None when it has none (not a vLLM server)."""
    found: dict[str, float] = {}
    for line in text.splitlines():
        if not line.startswith("vllm:"):
            continue
        name, value = _sample(line)
        field = _SUMMED.get(name)
        if field is not None:
            found[field] = found.get(field, 0.0) + value
        elif (field := _MAXED.get(name)) is not None:
            found[field] = max(found.get(field, 0.0), value)
    if "running" not in found or "waiting" not in found:
        return None
    return VllmMetrics(at=at, **found)


def _sample(line: str) -> tuple[str, float]:
    """``name{labels} value [timestamp]`` -> (name, value); (name, 0.0) for an unreadable value."""
    brace = line.find("{")
    if brace >= 0:
        name, rest = line[:brace], line[line.rfind("}") + 1:]
    else:
        name, _, rest = line.partition(" ")
    try:
        return name, float(rest.split()[0])
    except (IndexError, ValueError):
        return name, 0.0


def metrics_url(api_base: str | None) -> str | None:
    """vLLM serves ``/metrics`` at the root, beside the OpenAI routes under ``/v1``."""
    if not api_base or not api_base.startswith(("http://", "https://")):
        return None
    base = api_base.rstrip("/")
    return (base[:-3] if base.endswith("/v1") else base) + "/metrics"


class MetricsScraper:
    """Scrapes every watched replica each ``interval_s`` in one background task.

    Used as::

        scraper = MetricsScraper(interval_s=1.0)
        scraper.watch("replica-id", "http://gpu0:8000/metrics")
        scraper.ensure_running()                          # inside the event loop
        scraper.fresh("replica-id", max_age_s=5.0)        # VllmMetrics or None

    Pass ``client`` to choose the transport (tests: ``httpx.MockTransport``; the real proxy: none).
    """

    def __init__(self, interval_s: float = 1.0, timeout_s: float = 0.5, client: httpx.AsyncClient | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.interval_s, self.timeout_s, self.clock = interval_s, timeout_s, clock
        self._client, self._owns_client = client, client is None
        self._targets: dict[str, str] = {}
        self._latest: dict[str, VllmMetrics] = {}
        self._down: set[str] = set()
        self._task: asyncio.Task[None] | None = None

    def watch(self, replica: str, url: str) -> None:
        self._targets[replica] = url

    def latest(self, replica: str) -> VllmMetrics | None:
        return self._latest.get(replica)

    def fresh(self, replica: str, max_age_s: float) -> VllmMetrics | None:
        """The last scrape if it is younger than ``max_age_s``, else None (stale counts as missing)."""
        m = self._latest.get(replica)
        return m if m is not None and self.clock() - m.at <= max_age_s else None

    def ensure_running(self) -> None:
        """Start the background task in the running loop (again, if it ended or the loop changed)."""
        loop = asyncio.get_running_loop()
        if self._task is None or self._task.done() or self._task.get_loop() is not loop:
            self._task = loop.create_task(self._run(), name="solv-metrics-scraper")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        if self._owns_client and self._client is not None:
            await self._client.aclose()
            self._client = None

    async def scrape_once(self) -> None:
        """Scrape all watched replicas concurrently; failures keep the old sample (it goes stale)."""
        client = self._client or httpx.AsyncClient()
        self._client = client
        await asyncio.gather(*(self._scrape(client, r, u) for r, u in list(self._targets.items())))

    async def _run(self) -> None:
        while True:
            await self.scrape_once()
            await asyncio.sleep(self.interval_s)

    async def _scrape(self, client: httpx.AsyncClient, replica: str, url: str) -> None:
        try:
            resp = await client.get(url, timeout=self.timeout_s)
            resp.raise_for_status()
            sample = parse_metrics(resp.text, self.clock())
        except (httpx.HTTPError, ValueError) as exc:
            self._mark_down(replica, url, f"{type(exc).__name__}: {exc}")
            return
        if sample is None:
            self._mark_down(replica, url, "no vllm:num_requests_* gauges in the answer")
            return
        if replica in self._down:
            self._down.discard(replica)
            log.info("solv routing: metrics of %s are back", url)
        self._latest[replica] = sample

    def _mark_down(self, replica: str, url: str, why: str) -> None:
        if replica not in self._down:  # log the change, not every failed scrape
            self._down.add(replica)
            log.warning("solv routing: cannot read %s (%s); routing to it by in-flight count", url, why)
