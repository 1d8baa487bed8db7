"""Placement across proxy processes: two routing callbacks on one real Redis agree where a conversation
went (a process test: it starts ``redis-server``; see docs/gpus.md, "Several proxies")."""

from __future__ import annotations

from collections import Counter

import pytest

from solvstack.core.routing.config import RoutingConfig
from solvstack.core.routing.metrics import MetricsScraper
from solvstack.proxy.routing.callback import RoutingFilter
from solvstack.proxy.sharedcache import redis_link
from tests.scale.services import RedisServer, missing_binaries
from tests.support.backend import RecordingBackend
from tests.support.proxy import proxy_client, start_proxy, write_variant
from tests.test_routing_callback import Clock, chat, route
from tests.test_routing_proxy import chat as post
from tests.test_routing_proxy import conversation, replica, vllm_metrics


@pytest.mark.skipif(bool(missing_binaries()), reason="needs redis-server (apt-get install -y redis-server)")
async def test_two_proxies_share_placements_through_redis(monkeypatch):
    with RedisServer() as redis:
        for name, value in redis.env.items():
            monkeypatch.setenv(name, value)
        redis_link.cache_clear()
        a, b = (RoutingFilter(RoutingConfig(placement_candidates=0), MetricsScraper(), clock=Clock())
                for _ in range(2))
        try:
            assert a.placing and b.placing
            first = {n: await route(a, chat(n), f"a{n}") for n in range(20)}
            assert len(set(first.values())) == 4
            # the next turn arrives at the other proxy, which never saw the chat: it finds it in Redis
            assert {n: await route(b, chat(n, turns=2), f"b{n}") for n in range(20)} == first
            assert len(redis.keys("solv:placement:*")) == 20
        finally:
            await a.scraper.stop()
            await b.scraper.stop()
            redis_link.cache_clear()


@pytest.mark.skipif(bool(missing_binaries()), reason="needs redis-server (apt-get install -y redis-server)")
def test_two_real_proxies_place_new_chats_by_load_and_agree_on_later_turns(tmp_path):
    """Two LiteLLM proxies on one Redis in front of four replicas: new chats sent to proxy A are spread
    by conversations held (not by hash), and each chat's next turn, sent to proxy B, lands where A put it."""
    with RedisServer() as redis:
        backends = [RecordingBackend(f"pl-{i}").start() for i in range(4)]
        proxies = []
        try:
            for b in backends:
                b.behaviour.metrics = vllm_metrics()
            models = [replica("pl", i, b.url) for i, b in enumerate(backends)]
            cfg = write_variant(tmp_path, models, solv={"routing": {"scrape_interval_s": 0.2, "stale_after_s": 1.0,
                                                                    "placement_candidates": 0}})
            proxies = [start_proxy(cfg, env=redis.env) for _ in range(2)]
            with proxy_client(proxies[0]) as a, proxy_client(proxies[1]) as b:
                first = {s: post(a, "pl", conversation(s, 1)) for s in (f"chat{i}" for i in range(8))}
                assert {r.headers["x-solv-route"] for r in first.values()} == {"placed"}
                placed = {s: r.headers["x-solv-replica"] for s, r in first.items()}
                assert sorted(Counter(placed.values()).values()) == [2, 2, 2, 2]
                later = {s: post(b, "pl", conversation(s, 2)) for s in placed}
                assert {s: r.headers["x-solv-replica"] for s, r in later.items()} == placed
                assert {r.headers["x-solv-route"] for r in later.values()} == {"affinity"}
            assert len(redis.keys("solv:placement:*")) == 8
        finally:
            for p in proxies:
                p.stop()
            for backend in backends:
                backend.stop()
