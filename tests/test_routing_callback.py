"""The routing callback's own bookkeeping: a request stops counting when its answer has been sent,
not when LiteLLM's logging worker gets round to the success event."""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator

import pytest

from solvstack.core.routing.affinity import affinity_key
from solvstack.core.routing.choice import rendezvous_rank
from solvstack.core.routing.config import RoutingConfig
from solvstack.core.routing.metrics import MetricsScraper
from solvstack.proxy.routing.callback import RoutingFilter
from solvstack.proxy.sharedcache import redis_link

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


# -- placement: first requests by load, remembered for the later ones ------------------------------------
FOUR = [{"model_name": "g", "model_info": {"id": f"p{i}"},
         "litellm_params": {"api_base": f"http://127.0.0.1:9/p{i}"}} for i in range(4)]


def chat(n: int, turns: int = 1) -> list[dict]:
    messages: list[dict] = [{"role": "system", "content": f"chat {n}"}, {"role": "user", "content": "q"}]
    for _ in range(turns - 1):
        messages += [{"role": "assistant", "content": "a"}, {"role": "user", "content": "more"}]
    return messages


async def route(f: RoutingFilter, messages: list[dict], call: str) -> str:
    [chosen] = await f.async_filter_deployments("g", FOUR, messages, {"litellm_call_id": call})
    return str(chosen["model_info"]["id"])


async def test_placement_spreads_new_chats_and_later_turns_follow_them():
    f = RoutingFilter(RoutingConfig(placement="on", placement_candidates=0), MetricsScraper(), clock=Clock())
    try:
        first = {n: await route(f, chat(n), f"c{n}") for n in range(40)}
        assert sorted(Counter(first.values()).values()) == [10, 10, 10, 10]  # by conversations held, not by hash
        later = {n: await route(f, chat(n, turns=3), f"c{n}-3") for n in range(40)}
        assert later == first  # each later turn finds its own replica (not its rendezvous one)
    finally:
        await f.scraper.stop()


async def test_placement_auto_without_redis_keeps_the_stateless_hash(monkeypatch):
    for name in ("REDIS_HOST", "REDIS_URL"):
        monkeypatch.delenv(name, raising=False)
    redis_link.cache_clear()
    f = RoutingFilter(RoutingConfig(), MetricsScraper(), clock=Clock())
    try:
        assert not f.placing  # per-process memories would disagree between proxy workers: hash as before
        later = {n: await route(f, chat(n, turns=2), f"c{n}-2") for n in range(40)}
        ranked = {n: rendezvous_rank([d["model_info"]["id"] for d in FOUR], affinity_key("g", chat(n)))[0]
                  for n in range(40)}
        assert later == ranked  # each on its key's rendezvous replica, as every proxy would pick
    finally:
        await f.scraper.stop()
        redis_link.cache_clear()


def test_one_placement_candidate_is_a_clear_error():
    with pytest.raises(ValueError, match="placement_candidates: 1 leaves nothing to choose"):
        RoutingConfig(placement_candidates=1)
