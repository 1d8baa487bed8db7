"""The routing callback's own bookkeeping: a request stops counting when its answer has been sent,
not when LiteLLM's logging worker gets round to the success event."""

from __future__ import annotations

from collections.abc import AsyncIterator

from solvstack.core.routing.config import RoutingConfig
from solvstack.core.routing.metrics import MetricsScraper
from solvstack.proxy.routing.callback import RoutingFilter

DEPLOYMENTS = [{"model_name": "g", "model_info": {"id": f"r{i}"},
                "litellm_params": {"api_base": f"http://127.0.0.1:9/v{i}"}} for i in range(2)]


async def chunks(n: int) -> AsyncIterator[str]:
    for i in range(n):
        yield f"chunk {i}"


class Clock:
    now = 0.0

    def __call__(self) -> float:
        return self.now


async def test_streamed_request_stops_counting_at_the_end_of_its_stream():
    clock = Clock()
    f = RoutingFilter(RoutingConfig(), MetricsScraper(), clock=clock)
    try:
        kwargs = {"litellm_call_id": "call-1"}
        [chosen] = await f.async_filter_deployments("g", DEPLOYMENTS, [{"role": "user", "content": "q"}], kwargs)
        replica = chosen["model_info"]["id"]
        seen = []
        clock.now = 1.0
        async for item in f.async_post_call_streaming_iterator_hook(None, chunks(3), {"litellm_call_id": "call-1"}):
            seen.append((item, f.inflight.count(replica)))
        assert seen == [("chunk 0", 1), ("chunk 1", 1), ("chunk 2", 1)]  # counted while it streams
        assert f.inflight.count(replica) == 0
        assert f.inflight.finished_since(replica, 0.0) == 1
    finally:
        await f.scraper.stop()


async def test_non_streamed_request_stops_counting_at_the_success_hook_once():
    clock = Clock()
    f = RoutingFilter(RoutingConfig(), MetricsScraper(), clock=clock)
    try:
        kwargs = {"litellm_call_id": "call-2"}
        [chosen] = await f.async_filter_deployments("g", DEPLOYMENTS, [{"role": "user", "content": "q"}], kwargs)
        replica = chosen["model_info"]["id"]
        clock.now = 1.0
        await f.async_post_call_success_hook({"litellm_call_id": "call-2"}, None, object())
        assert f.inflight.count(replica) == 0
        log_kwargs = {"litellm_call_id": "call-2", "litellm_params": {"model_info": {"id": replica}}}
        await f.async_log_success_event(log_kwargs, None, None, None)  # the late event: no double count
        assert f.inflight.count(replica) == 0 and f.inflight.finished_since(replica, 0.0) == 1
    finally:
        await f.scraper.stop()
