"""solv's one callback (solvstack.proxy.gateway.Solv) does, for each hook, what its four parts did as four
callbacks: the shipped config's proxy tests cover each behaviour end to end; these pin the joins
where two parts meet in one hook (streams, response headers, the failure hook)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from types import SimpleNamespace

import pytest
from fastapi import HTTPException
from prometheus_client import CollectorRegistry

from solvstack.core.routing.config import RoutingConfig
from solvstack.core.routing.metrics import MetricsScraper
from solvstack.proxy.auth import NO_DB_TYPE
from solvstack.proxy.gateway import Solv
from solvstack.proxy.metrics import ReplicaLogger, SolvMetrics
from solvstack.proxy.plugin import build_hook
from solvstack.proxy.routing.callback import RoutingFilter
from solvstack.proxy.streams import StreamCut

REPO = Path(__file__).resolve().parents[1]
DEPLOYMENTS = [{"model_name": "g", "model_info": {"id": f"r{i}"},
                "litellm_params": {"api_base": f"http://127.0.0.1:9/v{i}"}} for i in range(2)]


@pytest.fixture
def registry() -> CollectorRegistry:
    return CollectorRegistry()


@pytest.fixture
async def solv(registry: CollectorRegistry) -> AsyncIterator[Solv]:
    gateway = Solv(build_hook(REPO / "litellm_config.yaml"), RoutingFilter(RoutingConfig(), MetricsScraper()),
                   ReplicaLogger(SolvMetrics(registry)))
    yield gateway
    await gateway.routing.scraper.stop()


def chunk(finish: str | None) -> SimpleNamespace:
    return SimpleNamespace(choices=[SimpleNamespace(finish_reason=finish)])


class CutStream:
    """LiteLLM's stream wrapper after upstream closed mid-answer: it appends a synthetic "stop" chunk
    that is not among the chunks upstream sent (``.chunks``)."""

    def __init__(self) -> None:
        self.chunks = [chunk(None)]

    async def __aiter__(self) -> AsyncIterator[SimpleNamespace]:
        yield self.chunks[0]
        yield chunk("stop")


async def test_a_cut_stream_ends_with_an_error_and_stops_counting_in_flight(solv: Solv) -> None:
    kwargs = {"litellm_call_id": "c1"}
    [chosen] = await solv.async_filter_deployments("g", DEPLOYMENTS, [{"role": "user", "content": "q"}], kwargs)
    replica = chosen["model_info"]["id"]
    assert solv.routing.inflight.count(replica) == 1
    got = []
    with pytest.raises(StreamCut):
        async for item in solv.async_post_call_streaming_iterator_hook(None, CutStream(), {"litellm_call_id": "c1",
                                                                                           "model": "g"}):
            got.append(item)
    assert len(got) == 1  # the real chunk passed, the false "stop" did not
    assert solv.routing.inflight.count(replica) == 0


async def test_response_headers_carry_the_thinking_decision_and_the_replica(solv: Solv) -> None:
    kwargs = {"litellm_call_id": "c2"}
    [chosen] = await solv.async_filter_deployments("g", DEPLOYMENTS, [{"role": "user", "content": "q"}], kwargs)
    data = {"litellm_call_id": "c2", "metadata": {"solv": {"level": "LOW", "source": "local"}}}
    headers = await solv.async_post_call_response_headers_hook(data, None, None, None,
                                                              {"model_id": chosen["model_info"]["id"]})
    assert headers is not None
    assert headers["x-solv-level"] == "LOW" and headers["x-solv-source"] == "local"
    assert headers["x-solv-replica"] == "127.0.0.1:9" and headers["x-solv-route"]


async def test_no_headers_when_neither_part_decided(solv: Solv) -> None:
    assert await solv.async_post_call_response_headers_hook({"litellm_call_id": "other"}, None, None) is None


async def test_an_unknown_key_is_counted_as_failed_and_answered_401_with_the_fix(
        solv: Solv, registry: CollectorRegistry) -> None:
    error = SimpleNamespace(type=NO_DB_TYPE, status_code=400)
    out = await solv.async_post_call_failure_hook({}, error, None)  # type: ignore[arg-type]
    assert isinstance(out, HTTPException) and out.status_code == 401 and "LITELLM_MASTER_KEY" in str(out.detail)
    assert registry.get_sample_value("solv_failed_requests_total", {"status": "400"}) == 1


async def test_other_failures_are_counted_and_left_alone(solv: Solv, registry: CollectorRegistry) -> None:
    out = await solv.async_post_call_failure_hook({}, RuntimeError("upstream down"), None)
    assert out is None
    assert registry.get_sample_value("solv_failed_requests_total", {"status": "500"}) == 1
