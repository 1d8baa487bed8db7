"""vLLM /metrics parsing and the background scraper, over httpx.MockTransport (the real wire format)."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from solvstack.core.routing.metrics import MetricsScraper, metrics_url, parse_metrics

# As vLLM 0.32 (prometheus_client) writes it: HELP/TYPE lines, labels, counters with _total/_created.
VLLM_TEXT = """\
# HELP vllm:num_requests_running Number of requests in model execution batches.
# TYPE vllm:num_requests_running gauge
vllm:num_requests_running{engine="0",model_name="llama-dummy"} 2.0
# HELP vllm:num_requests_waiting Number of requests waiting to be processed.
# TYPE vllm:num_requests_waiting gauge
vllm:num_requests_waiting{engine="0",model_name="llama-dummy"} 1.0
# HELP vllm:num_requests_waiting_by_reason Number of waiting requests by reason.
# TYPE vllm:num_requests_waiting_by_reason gauge
vllm:num_requests_waiting_by_reason{engine="0",model_name="llama-dummy",reason="capacity"} 1.0
# HELP vllm:kv_cache_usage_perc KV-cache usage. 1 means 100 percent usage.
# TYPE vllm:kv_cache_usage_perc gauge
vllm:kv_cache_usage_perc{engine="0",model_name="llama-dummy"} 0.125
# HELP vllm:prefix_cache_queries_total Prefix cache queries, in terms of number of queried tokens.
# TYPE vllm:prefix_cache_queries_total counter
vllm:prefix_cache_queries_total{engine="0",model_name="llama-dummy"} 4096.0
vllm:prefix_cache_queries_created{engine="0",model_name="llama-dummy"} 1.7e+09
# HELP vllm:prefix_cache_hits_total Prefix cache hits, in terms of number of cached tokens.
# TYPE vllm:prefix_cache_hits_total counter
vllm:prefix_cache_hits_total{engine="0",model_name="llama-dummy"} 1024.0
"""


def test_parse_vllm_metrics():
    m = parse_metrics(VLLM_TEXT, at=5.0)
    assert m is not None
    assert (m.running, m.waiting, m.kv_usage) == (2.0, 1.0, 0.125)
    assert (m.prefix_queries, m.prefix_hits, m.at) == (4096.0, 1024.0, 5.0)


def test_engines_are_summed_and_kv_is_the_fullest():
    samples = [("num_requests_running", "0", 1), ("num_requests_running", "1", 3),
               ("num_requests_waiting", "0", 0), ("num_requests_waiting", "1", 2),
               ("kv_cache_usage_perc", "0", 0.2), ("kv_cache_usage_perc", "1", 0.7)]
    text = "\n".join(f'vllm:{name}{{engine="{e}",model_name="m"}} {v}' for name, e, v in samples)
    m = parse_metrics(text, 0)
    assert m is not None and (m.running, m.waiting, m.kv_usage) == (4, 2, 0.7)


@pytest.mark.parametrize("text", ["", "# just comments\n", "http_requests_total 3\n", "<html>not metrics</html>"])
def test_not_a_vllm_server(text):
    assert parse_metrics(text, 0) is None


@pytest.mark.parametrize(("api_base", "url"), [
    ("http://gpu0:8000/v1", "http://gpu0:8000/metrics"),
    ("http://gpu0:8000/v1/", "http://gpu0:8000/metrics"),
    ("https://box/vllm", "https://box/vllm/metrics"),
    (None, None),
    ("os.environ/X", None),
])
def test_metrics_url(api_base, url):
    assert metrics_url(api_base) == url


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


async def test_scraper_keeps_last_good_sample_and_marks_it_stale():
    state = {"up": True}
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        if not state["up"]:
            raise httpx.ConnectError("refused", request=request)
        return httpx.Response(200, text=VLLM_TEXT)

    clock = Clock()
    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as client:
        scraper = MetricsScraper(interval_s=1, client=client, clock=clock)
        scraper.watch("a", "http://gpu0:8000/metrics")
        await scraper.scrape_once()
        assert seen == ["http://gpu0:8000/metrics"]
        fresh = scraper.fresh("a", max_age_s=5)
        assert fresh is not None and fresh.running == 2.0
        state["up"] = False
        clock.now += 10
        await scraper.scrape_once()  # fails: no exception, old sample kept but stale
        assert scraper.fresh("a", max_age_s=5) is None
        assert scraper.latest("a") == fresh


async def test_scraper_ignores_non_vllm_answers():
    async with httpx.AsyncClient(transport=httpx.MockTransport(lambda r: httpx.Response(404, text="no"))) as client:
        scraper = MetricsScraper(client=client)
        scraper.watch("a", "http://x/metrics")
        await scraper.scrape_once()
        assert scraper.latest("a") is None


async def test_background_task_scrapes_on_its_own_and_stops():
    hits = asyncio.Event()
    count = {"n": 0}

    def handler(request: httpx.Request) -> httpx.Response:
        count["n"] += 1
        if count["n"] >= 3:
            hits.set()
        return httpx.Response(200, text=VLLM_TEXT)

    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as client:
        scraper = MetricsScraper(interval_s=0.01, client=client)
        scraper.watch("a", "http://gpu0:8000/metrics")
        scraper.ensure_running()
        scraper.ensure_running()  # idempotent: one task
        await asyncio.wait_for(hits.wait(), timeout=10)
        await scraper.stop()
        n = count["n"]
        await asyncio.sleep(0.05)
        assert count["n"] == n  # stopped
