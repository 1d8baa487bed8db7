"""Several proxy replicas on a real Redis behind a real nginx: what must agree, agrees; a dying replica loses nothing.

One cluster for the whole module (starting proxies is the slow part): Debian's ``redis-server`` and
``nginx`` on free ports, proxy A with two workers and proxy B with one, both on the repo's config
with ``REDIS_HOST``/``REDIS_PORT`` set, nginx with the shipped ``nginx/solv-lb.conf`` in front.
Behind them: two recording backends as two replicas of one model group, a judge backend, and a
local SearXNG. The last test kills proxy B.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from solvstack.ops.proxyproc import ProxyProcess
from tests.scale.services import Nginx, RedisServer, missing_binaries
from tests.support.backend import Behaviour, RecordingBackend
from tests.support.proxy import MASTER_KEY, REPO, deployment, free_port, write_variant
from tests.support.search_servers import SearxngServer, hit

pytestmark = pytest.mark.skipif(bool(missing_binaries()) and not os.environ.get("SOLV_REQUIRE_SCALE"),
                                reason=f"needs Debian's {' and '.join(missing_binaries())} "
                                       "(apt-get install -y redis-server nginx; .ci/run does)")
if missing_binaries() and os.environ.get("SOLV_REQUIRE_SCALE"):
    pytest.fail(f"SOLV_REQUIRE_SCALE is set but {missing_binaries()} are missing", pytrace=False)

AUTH = {"Authorization": f"Bearer {MASTER_KEY}"}
RETRY_AFTER_S = 1.0


@dataclass
class Cluster:
    redis: RedisServer
    a: ProxyProcess
    b: ProxyProcess
    lb: Nginx
    replicas: list[RecordingBackend]
    judge: RecordingBackend
    searxng: SearxngServer
    tmp: Path
    logs: dict[str, Path] = field(default_factory=dict)

    def chat(self, proxy: ProxyProcess | Nginx, text: str, model: str = "qwen", **extra: object) -> httpx.Response:
        body = {"model": model, "messages": [{"role": "user", "content": text}], **extra}
        return httpx.post(f"{proxy.url}/v1/chat/completions", json=body, headers=AUTH, timeout=60)

    def forwarded(self) -> list[dict]:
        return [b for r in self.replicas for b in r.chat_requests()]


def _proxy(cfg: Path, env: dict[str, str], workers: int, name: str) -> ProxyProcess:
    p = ProxyProcess(cfg, free_port(), env={"LITELLM_MASTER_KEY": MASTER_KEY,
                                            "PYTHONPATH": os.pathsep.join([str(REPO / "src"),
                                                                           os.environ.get("PYTHONPATH", "")]),
                                            **env},
                     log_path=cfg.parent / f"proxy-{name}.log", workers=workers)
    return p.start()


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    tmp = tmp_path_factory.mktemp("scale")
    with RedisServer() as redis, RecordingBackend("r1") as r1, RecordingBackend("r2") as r2, \
            RecordingBackend("judge") as judge, SearxngServer() as searxng:
        models = [deployment("qwen", r1.url, "qwen3"), deployment("qwen", r2.url, "qwen3"),
                  deployment("judge", judge.url), deployment("limited", r1.url, rpm=4)]
        cfg = write_variant(tmp, models,
                            solv={"classifier": {"kind": "llm", "llm": {"model": "judge", "timeout_s": 10}},
                                  "shared_cache": {"retry_after_s": RETRY_AFTER_S}},
                            router_settings={"optional_pre_call_checks": ["enforce_model_rate_limits"]})
        env = {**redis.env, "SEARXNG_API_BASE": searxng.url}
        a, b = _proxy(cfg, env, 2, "a"), _proxy(cfg, env, 1, "b")
        try:
            a.wait_ready(180)
            b.wait_ready(180)
            with Nginx([a.port, b.port]) as lb:
                yield Cluster(redis, a, b, lb, [r1, r2], judge, searxng, tmp)
        finally:
            a.stop()
            b.stop()


@pytest.fixture(autouse=True)
def _clean(cluster: Cluster) -> None:
    for r in cluster.replicas:
        r.clear()
    cluster.judge.clear()
    cluster.judge.behaviour = Behaviour(content="NO")
    cluster.searxng.clear()


def test_rpm_limit_is_shared_by_replicas(cluster: Cluster):
    """LiteLLM's own deployment rpm (4/min) counts requests through both proxies in Redis."""
    codes = [cluster.chat(p, f"/no_think rpm {i}", model="limited").status_code
             for i, p in enumerate([cluster.a, cluster.b, cluster.a, cluster.b, cluster.a])]
    assert codes == [200, 200, 200, 200, 429], codes


def test_routing_agrees_across_replicas(cluster: Cluster):
    """The same conversation goes to the same vLLM replica whichever proxy (or worker) routes it."""
    for i in range(6):
        text = f"/no_think conversation {i}: tell me about tides"
        served = {cluster.chat(p, text).headers.get("x-solv-replica") for p in (cluster.a, cluster.b, cluster.a)}
        assert len(served) == 1 and None not in served, (text, served)


def test_judge_and_search_are_shared_identical_bytes_forwarded(cluster: Cluster):
    cluster.judge.behaviour = Behaviour(content="RAG")
    cluster.searxng.behaviour.results = [hit("Tide tables", "https://tides.example/today", "High tide 14:02.")]
    text = "when is high tide in Brest today?"
    responses = [cluster.chat(p, text) for p in (cluster.a, cluster.b, cluster.a, cluster.b)]
    assert all(r.status_code == 200 for r in responses), [r.text for r in responses]
    assert [r.headers["x-solv-source"] for r in responses] == ["llm", "cache", "cache", "cache"]
    assert [r.headers.get("x-solv-search-cache") for r in responses] == [None, "hit", "hit", "hit"]
    assert len(cluster.judge.chat_requests()) == 1  # one judge call for four requests on three processes
    assert len(cluster.searxng.requests) == 1
    bodies = {json.dumps(b["messages"], sort_keys=True) for b in cluster.forwarded()}
    assert len(bodies) == 1 and "tides.example" in bodies.pop()
    assert any(k.startswith("solv:search:") for k in cluster.redis.keys("solv:*"))


def test_metrics_sum_over_workers(cluster: Cluster):
    """Proxy A runs two workers: its /metrics counts every request, whichever worker served it."""
    def decisions() -> float:
        r = httpx.get(f"{cluster.a.url}/metrics/", headers=AUTH, timeout=30)
        assert r.status_code == 200, r.text
        return sum(s.value for f in text_string_to_metric_families(r.text) for s in f.samples
                   if s.name == "solv_decisions_total")

    before = decisions()
    for i in range(8):
        assert cluster.chat(cluster.a, f"/think low count me {i}").status_code == 200
    assert decisions() - before == 8


def test_redis_down_fails_open_and_recovers(cluster: Cluster):
    cluster.judge.behaviour = Behaviour(content="RAG")
    cluster.searxng.behaviour.results = [hit("Fog", "https://weather.example/fog", "Fog until noon.")]
    cluster.redis.stop()
    try:
        for i in range(4):
            for p in (cluster.a, cluster.b):
                r = cluster.chat(p, f"is there fog in Brest right now? ({i})")
                assert r.status_code == 200, r.text
                assert r.headers["x-solv-level"] == "RAG"
    finally:
        cluster.redis.start()
    log_b = cluster.b.log_path.read_text(errors="replace")
    assert log_b.count(f"Redis 127.0.0.1:{cluster.redis.port} unavailable") == 1, "one warning while Redis is down"

    time.sleep(RETRY_AFTER_S + 0.5)
    cluster.judge.clear()
    cluster.judge.behaviour = Behaviour(content="NO")
    cluster.searxng.clear()
    text = "what is the water temperature in Brest?"
    first, second = cluster.chat(cluster.a, text), cluster.chat(cluster.b, text)
    assert (first.status_code, second.status_code) == (200, 200)
    assert second.headers["x-solv-source"] == "cache"  # shared again
    assert len(cluster.judge.chat_requests()) == 1
    assert "is back" in cluster.b.log_path.read_text(errors="replace")


def test_slow_redis_fails_open(cluster: Cluster):
    """Redis that does not answer within solv.shared_cache.timeout_s counts as down: the request goes on."""
    time.sleep(RETRY_AFTER_S + 0.5)  # whatever the previous test left, the link is usable again
    cluster.judge.behaviour = Behaviour(content="LOW")
    cluster.redis.pause(3000)
    r = cluster.chat(cluster.b, "how do I reverse a list in python, slowly?")
    assert r.status_code == 200, r.text
    assert f"Redis 127.0.0.1:{cluster.redis.port} unavailable (no answer within" in \
        cluster.b.log_path.read_text(errors="replace")


# --- the load balancer -----------------------------------------------------------------------------

CLIENTS = 32
RUN_S = float(os.environ.get("SOLV_KILL_TEST_S", "8"))


@dataclass
class Tally:
    ok: int = 0
    lost: list[str] = field(default_factory=list)
    streams_done: int = 0
    streams_cut: int = 0
    cut_after_chunks: list[int] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def _client(lb: Nginx, n: int, stop: threading.Event, tally: Tally) -> None:
    with httpx.Client(base_url=lb.url, headers=AUTH, timeout=60) as http:
        i = 0
        while not stop.is_set():
            i += 1
            body = {"model": "qwen", "messages": [{"role": "user", "content": f"/no_think client {n} turn {i}"}]}
            if (n + i) % 4:
                try:
                    r = http.post("/v1/chat/completions", json=body)
                    good = r.status_code == 200 and r.json()["choices"][0]["message"]["content"]
                    why = f"{r.status_code} {r.text[:200]}"
                except httpx.HTTPError as exc:
                    good, why = False, f"{type(exc).__name__}: {exc}"
                with tally.lock:
                    if good:
                        tally.ok += 1
                    else:
                        tally.lost.append(why)
                continue
            chunks, done = 0, False
            try:
                with http.stream("POST", "/v1/chat/completions", json={**body, "stream": True}) as r:
                    for line in r.iter_lines():
                        if line.startswith("data: [DONE]"):
                            done = True
                        elif line.startswith("data: ") and '"error"' not in line:
                            chunks += 1
            except httpx.HTTPError:
                done = False
            with tally.lock:
                if done:
                    tally.streams_done += 1
                else:
                    tally.streams_cut += 1
                    tally.cut_after_chunks.append(chunks)


def test_killing_a_replica_behind_nginx_loses_no_request(cluster: Cluster, capsys: pytest.CaptureFixture[str]):
    """32 clients through nginx; proxy B is SIGKILLed mid-run. Non-streaming: none lost (nginx resends
    what B never answered to A). Streams B was serving end broken (an error, never a clean [DONE]);
    streams after the kill complete on A."""
    for r in cluster.replicas:
        # streams last ~2 s, so several are in flight on B when it dies
        r.behaviour = Behaviour(content="one two three four five six", delay_s=0.05, chunk_delay_s=0.3)
    stop, tally = threading.Event(), Tally()
    threads = [threading.Thread(target=_client, args=(cluster.lb, n, stop, tally), daemon=True)
               for n in range(CLIENTS)]
    for t in threads:
        t.start()
    time.sleep(RUN_S / 2)
    before_kill = tally.ok
    cluster.b.kill()
    killed_at = tally.ok
    time.sleep(RUN_S / 2)
    stop.set()
    for t in threads:
        t.join(90)
    after_kill = tally.ok - killed_at
    with capsys.disabled():
        print(f"\nkill test: {CLIENTS} clients, {RUN_S:.0f}s, non-streaming ok={tally.ok} lost={len(tally.lost)} "
              f"(ok before kill {before_kill}, after {after_kill}); streams done={tally.streams_done} "
              f"cut={tally.streams_cut} (chunks before the cut: {tally.cut_after_chunks})")
    assert tally.lost == [], tally.lost[:5]
    assert after_kill > 0, "the surviving replica carried no load"
    assert tally.streams_done > 0
    assert tally.streams_cut > 0, "no stream was in flight on the killed replica"
    assert max(tally.cut_after_chunks) > 0, "cut streams had received no chunk: is nginx buffering?"
    assert all(t.is_alive() is False for t in threads)
    r = cluster.chat(cluster.lb, "/no_think after the kill")
    assert r.status_code == 200


def test_stopping_a_replica_drains_its_streams(cluster: Cluster, capsys: pytest.CaptureFixture[str]):
    """A planned stop (SIGTERM: what `docker compose stop` and Kubernetes send) is not a crash: proxy B
    stops taking connections, finishes every stream it is serving (all chunks, then [DONE]), and exits;
    the clients behind nginx lose nothing meanwhile. Runs after the kill test, so B is started again."""
    if cluster.b.proc is None or cluster.b.proc.poll() is not None:
        cluster.b.start()
        cluster.b.wait_ready(180)
    for r in cluster.replicas:
        r.behaviour = Behaviour(content="one two three four five six", delay_s=0.05, chunk_delay_s=0.3)
    streams: list[tuple[bool, int]] = []
    begun = threading.Semaphore(0)  # released once per stream on B at its first chunk

    def stream_on_b(n: int) -> None:
        body = {"model": "qwen", "stream": True, "messages": [{"role": "user", "content": f"/no_think drain {n}"}]}
        chunks, done = 0, False
        try:
            with httpx.stream("POST", f"{cluster.b.url}/v1/chat/completions", json=body, headers=AUTH,
                              timeout=60) as r:
                for line in r.iter_lines():
                    done = done or line.startswith("data: [DONE]")
                    chunks += line.startswith("data: {") and '"error"' not in line
                    if chunks == 1 and line.startswith("data: {"):
                        begun.release()
        except httpx.HTTPError:
            done = False
        streams.append((done, chunks))

    stop, tally = threading.Event(), Tally()
    clients = [threading.Thread(target=_client, args=(cluster.lb, n, stop, tally), daemon=True)
               for n in range(0, CLIENTS, 4)]  # (n + i) % 4 == 0 streams; these mostly send plain requests
    on_b = [threading.Thread(target=stream_on_b, args=(n,), daemon=True) for n in range(4)]
    for t in (*clients, *on_b):
        t.start()
    for _ in on_b:  # SIGTERM only once every stream on B is under way (a later one would be refused)
        assert begun.acquire(timeout=30), "a stream on B never began"
    cluster.b.stop(grace=30)
    time.sleep(2.0)
    stop.set()
    for t in (*clients, *on_b):
        t.join(90)
    with capsys.disabled():
        print(f"\ndrain test: streams on B {streams}; through nginx ok={tally.ok} lost={len(tally.lost)} "
              f"streams done={tally.streams_done} cut={tally.streams_cut}")
    assert len(streams) == 4 and all(done for done, _ in streams), streams
    full = max(chunks for _, chunks in streams)
    assert full > 1 and all(chunks == full for _, chunks in streams), streams  # no stream lost a chunk
    assert tally.lost == [], tally.lost[:5]
    assert tally.streams_cut == 0
    assert cluster.b.proc is not None and cluster.b.proc.poll() is not None, "B did not exit"
    assert cluster.chat(cluster.lb, "/no_think after the stop").status_code == 200
