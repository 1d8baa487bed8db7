"""``solv.routing.placement: on`` inside one real LiteLLM proxy process (what bench/routing.py runs
solv with): new conversations are placed by how many each replica holds, and their later turns find
the same replica again from this process's memory, whatever the hash would say."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from solvstack.ops.proxyproc import ProxyProcess
from tests.support.backend import RecordingBackend
from tests.support.proxy import deployment, proxy_client, start_proxy, write_variant
from tests.test_routing_proxy import conversation, served_by, session_preferring, vllm_metrics

GROUP = "sess"  # session_preferring() ranks ids for the "sess" group's two replicas


@pytest.fixture(scope="module")
def backends() -> Iterator[dict[str, RecordingBackend]]:
    made = {f"{GROUP}-{i}": RecordingBackend(f"{GROUP}-{i}").start() for i in (0, 1)}
    for b in made.values():
        b.behaviour.metrics = vllm_metrics()
    yield made
    for b in made.values():
        b.stop()


@pytest.fixture(scope="module")
def proxy(backends: dict[str, RecordingBackend], tmp_path_factory: pytest.TempPathFactory) -> Iterator[ProxyProcess]:
    models = []
    for name, b in backends.items():
        d = deployment(GROUP, b.url, model="m")
        d["model_info"].update(id=name, solv_deployment=name.replace("-", "-gpu"))
        models.append(d)
    cfg = write_variant(tmp_path_factory.mktemp("placement"), models,
                        solv={"routing": {"placement": "on", "scrape_interval_s": 0.2, "stale_after_s": 1.0}})
    p = start_proxy(cfg)
    yield p
    p.stop()


def send(client: httpx.Client, session: str, turns: int) -> httpx.Response:
    r = client.post("/v1/chat/completions", headers={"x-session-id": session},
                    json={"model": GROUP, "messages": conversation(session, turns)})
    assert r.status_code == 200, r.text
    return r


def test_one_process_places_new_conversations_evenly_and_later_turns_follow(proxy, backends):
    # every session id below ranks replica 0 first: the hash alone would put all six there
    sessions = [session_preferring(0, f"placed-{i}") for i in range(6)]
    first = {}
    with proxy_client(proxy) as client:
        for s in sessions:
            r = send(client, s, 1)
            first[s] = r.headers["x-solv-replica"]
            assert r.headers["x-solv-route"] == "placed"
        assert Counter(first.values()) == {"sess-gpu0": 3, "sess-gpu1": 3}
        for s in sessions:  # each conversation's later turns: where it was placed, from this process's memory
            for turns in (2, 3):
                r = send(client, s, turns)
                assert (r.headers["x-solv-replica"], r.headers["x-solv-route"]) == (first[s], "affinity"), s
            assert served_by(backends, GROUP, f"{s} question") == [first[s].replace("-gpu", "-")] * 3
    log = Path(proxy.log_path).read_text(errors="replace")
    assert "solv route group=sess replica=sess-gpu1 reason=placed key=x-session-id:" in log
