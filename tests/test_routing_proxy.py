"""The routing filter inside the real LiteLLM proxy, in front of recording backends that serve
vLLM-format ``/metrics``: affinity, load spreading, stale metrics, a dead replica, headers, log.

Each test owns a model group (two replicas with fixed ``model_info.id``), so the filter's state
(in-flight counts, failures) of one test cannot leak into another while the proxy is shared.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from solvstack.core.routing.affinity import affinity_key
from solvstack.core.routing.choice import rendezvous_rank
from solvstack.ops.proxyproc import ProxyProcess
from tests.support.backend import RecordingBackend
from tests.support.proxy import deployment, free_port, proxy_client, start_proxy, write_variant

GROUPS = ("aff", "load", "stale", "sess", "flaky")


def vllm_metrics(running: int = 0, waiting: int = 0, kv: float = 0.1) -> str:
    labels = '{engine="0",model_name="m"}'
    return (f"vllm:num_requests_running{labels} {running}\nvllm:num_requests_waiting{labels} {waiting}\n"
            f"vllm:kv_cache_usage_perc{labels} {kv}\n")


def replica(group: str, idx: int, api_base: str) -> dict:
    d = deployment(group, api_base, model="m")
    d["model_info"].update(id=f"{group}-{idx}", solv_deployment=f"{group}-gpu{idx}")
    return d


@pytest.fixture(scope="module")
def backends() -> Iterator[dict[str, RecordingBackend]]:
    made = {f"{g}-{i}": RecordingBackend(f"{g}-{i}").start() for g in GROUPS[:4] for i in (0, 1)}
    made["flaky-1"] = RecordingBackend("flaky-1").start()
    for name, b in made.items():
        b.behaviour.metrics = "" if name.startswith("stale") else vllm_metrics()
    yield made
    for b in made.values():
        b.stop()


@pytest.fixture(scope="module")
def proxy(backends: dict[str, RecordingBackend], tmp_path_factory: pytest.TempPathFactory) -> Iterator[ProxyProcess]:
    models = [replica(name.split("-")[0], int(name[-1]), b.url) for name, b in backends.items()]
    models.insert(-1, replica("flaky", 0, f"http://127.0.0.1:{free_port()}/v1"))  # nothing listens there
    cfg = write_variant(tmp_path_factory.mktemp("routing"), models,
                        solv={"routing": {"scrape_interval_s": 0.2, "stale_after_s": 1.0,
                                          "balance_abs_threshold": 1}})  # spill early: few requests here
    p = start_proxy(cfg)
    yield p
    p.stop()


@pytest.fixture
def client(proxy: ProxyProcess) -> Iterator[httpx.Client]:
    with proxy_client(proxy) as c:
        yield c


def conversation(session: str, turns: int) -> list[dict]:
    msgs: list[dict] = [{"role": "system", "content": f"You help with project {session}."}]
    for t in range(turns):
        msgs += [{"role": "user", "content": f"{session} question {t}"}]
        if t < turns - 1:
            msgs += [{"role": "assistant", "content": f"answer {t}"}]
    return msgs


def sessions_preferring(group: str, idx: int, n: int) -> list[str]:
    """Session names whose affinity key ranks replica ``idx`` of ``group`` first."""
    want = f"{group}-{idx}"
    names = (f"{group}-s{i}" for i in range(10_000))
    return [s for s in names
            if rendezvous_rank([f"{group}-0", f"{group}-1"], affinity_key(group, conversation(s, 1)) or "")[0] == want
            ][:n]


def chat(client: httpx.Client, group: str, messages: list[dict], **extra: object) -> httpx.Response:
    r = client.post("/v1/chat/completions", json={"model": group, "messages": messages, **extra})
    assert r.status_code == 200, r.text
    return r


def served_by(backends: dict[str, RecordingBackend], group: str, text: str) -> list[str]:
    """Which backends of ``group`` received a request whose last message contains ``text``."""
    return [name for name, b in backends.items() if name.startswith(group)
            for body in b.chat_requests() if text in str(body["messages"][-1]["content"])]


def wait_for(predicate: Callable[[], bool], timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.1)


def test_conversation_turns_stay_on_one_replica(client, backends):
    for s in [f"conv{i}" for i in range(8)]:
        replicas = {chat(client, "aff", conversation(s, t)).headers["x-solv-replica"] for t in (1, 2, 3)}
        assert len(replicas) == 1, (s, replicas)
        assert served_by(backends, "aff", f"{s} question") == [next(iter(replicas)).replace("-gpu", "-")] * 3
    assert all(served_by(backends, "aff", "question") .count(f"aff-{i}") > 0 for i in (0, 1))  # both used


def test_decision_is_in_headers_and_log(client, proxy):
    s = sessions_preferring("aff", 1, 1)[0]
    r = chat(client, "aff", conversation(s, 1))
    assert r.headers["x-solv-replica"] == "aff-gpu1"
    assert r.headers["x-solv-route"] == "affinity"
    log = Path(proxy.log_path).read_text(errors="replace")
    assert "solv route group=aff replica=aff-gpu1 reason=affinity" in log


def test_streaming_response_carries_the_header(client):
    s = sessions_preferring("aff", 0, 1)[0]
    with client.stream("POST", "/v1/chat/completions",
                       json={"model": "aff", "messages": conversation(s, 1), "stream": True}) as r:
        assert r.status_code == 200
        body = r.read().decode()
    assert r.headers["x-solv-replica"] == "aff-gpu0"
    assert "[DONE]" in body


def test_busy_replica_gets_no_new_conversations(client, backends):
    busy = backends["load-0"]
    busy.behaviour.metrics = vllm_metrics(running=4, waiting=3)
    first, *rest = sessions_preferring("load", 0, 7)
    # the scraper runs in the background: wait until a decision reflects the new load
    wait_for(lambda: chat(client, "load", conversation(first, 1)).headers["x-solv-route"] == "spill")
    routes = [chat(client, "load", conversation(s, 1)).headers for s in rest]
    assert {h["x-solv-replica"] for h in routes} == {"load-gpu1"}
    assert {h["x-solv-route"] for h in routes} == {"spill"}
    busy.behaviour.metrics = vllm_metrics()  # load gone: affinity again
    wait_for(lambda: chat(client, "load", conversation(first, 1)).headers["x-solv-replica"] == "load-gpu0")


def test_full_kv_cache_moves_new_conversations(client, backends):
    backends["load-0"].behaviour.metrics = vllm_metrics(kv=0.99)
    probe = sessions_preferring("load", 0, 1)[0]
    try:
        wait_for(lambda: chat(client, "load", conversation(probe, 1)).headers["x-solv-replica"] == "load-gpu1")
    finally:
        backends["load-0"].behaviour.metrics = vllm_metrics()


def test_stale_metrics_degrade_to_in_flight_counts(client, backends):
    # the "stale" replicas never serve metrics; all sessions below prefer replica 0, and each
    # request takes a while: the in-flight count must spill some to replica 1
    for name in ("stale-0", "stale-1"):
        backends[name].behaviour.delay_s = 1.5
    sessions = sessions_preferring("stale", 0, 6)
    try:
        with ThreadPoolExecutor(6) as pool:
            heads = list(pool.map(lambda s: chat(client, "stale", conversation(s, 1)).headers, sessions))
    finally:
        for name in ("stale-0", "stale-1"):
            backends[name].behaviour.delay_s = 0.0
    replicas = [h["x-solv-replica"] for h in heads]
    assert replicas.count("stale-gpu1") >= 2, replicas
    assert replicas.count("stale-gpu0") >= 2, replicas
    assert {h["x-solv-route"] for h in heads if h["x-solv-replica"] == "stale-gpu1"} == {"spill"}


def test_dead_replica_costs_no_failed_request(client, backends):
    sessions = sessions_preferring("flaky", 0, 6)  # all prefer the dead replica
    heads = [chat(client, "flaky", conversation(s, 1)).headers for s in sessions]
    assert {h["x-solv-replica"] for h in heads} == {"flaky-gpu1"}
    assert heads[0]["x-solv-route"] == "retry"  # the first one found out, and LiteLLM retried elsewhere
    # later ones avoid it up front (our failure memory: spill; or LiteLLM's cooldown left one: only)
    assert {h["x-solv-route"] for h in heads[1:]} <= {"spill", "only"}
    assert len(served_by(backends, "flaky", "question")) == len(sessions)


def session_preferring(idx: int, tag: str) -> str:
    """A session id whose key ranks replica ``idx`` of the "sess" group first."""
    return next(sid for sid in (f"{tag}-{i:04d}-chat" for i in range(10_000))
                if rendezvous_rank(["sess-0", "sess-1"], affinity_key("sess", None, ("any", sid)) or "")[0]
                == f"sess-{idx}")


def prefix_preferring(idx: int, tag: str) -> str:
    return next(s for s in (f"{tag}{i}" for i in range(10_000))
                if rendezvous_rank(["sess-0", "sess-1"], affinity_key("sess", conversation(s, 1)) or "")[0]
                == f"sess-{idx}")


@pytest.mark.parametrize("send", [
    pytest.param(lambda sid: {"headers": {"X-OpenWebUI-Chat-Id": sid}}, id="open-webui-chat-id"),
    pytest.param(lambda sid: {"headers": {"x-session-id": sid}}, id="x-session-id"),
    pytest.param(lambda sid: {"json": {"litellm_session_id": sid}}, id="litellm_session_id"),
    pytest.param(lambda sid: {"json": {"metadata": {"session_id": sid}}}, id="metadata.session_id"),
    pytest.param(lambda sid: {"headers": {"x-litellm-session-id": sid}}, id="x-litellm-session-id"),
])
def test_client_session_id_keeps_a_conversation_together(client, backends, send, request):
    """Conversations whose prefixes prefer replica 1 all go to replica 0 when their session id says so."""
    tag = request.node.callspec.id.replace(".", "-")
    sid = session_preferring(0, tag)
    prefixes = [prefix_preferring(1, f"{tag}-p{i}-") for i in range(3)]
    for p in prefixes:
        extra = send(sid)
        body = {"model": "sess", "messages": conversation(p, 1), **extra.get("json", {})}
        r = client.post("/v1/chat/completions", json=body, headers=extra.get("headers"))
        assert r.status_code == 200, r.text
        assert (r.headers["x-solv-replica"], r.headers["x-solv-route"]) == ("sess-gpu0", "affinity"), p
    assert served_by(backends, "sess", f"{prefixes[0]} question") == ["sess-0"]


def test_without_a_session_id_the_prefix_decides(client):
    p = prefix_preferring(1, "nosession")
    r = chat(client, "sess", conversation(p, 1))
    assert r.headers["x-solv-replica"] == "sess-gpu1"


def test_which_session_id_wins(client, proxy):
    webui, plain, litellm_sid = session_preferring(0, "win-a"), session_preferring(1, "win-b"), \
        session_preferring(1, "win-c")
    both = {"X-OpenWebUI-Chat-Id": webui, "x-session-id": plain}
    r = client.post("/v1/chat/completions", headers=both,
                    json={"model": "sess", "messages": conversation("w1", 1), "litellm_session_id": litellm_sid})
    assert r.headers["x-solv-replica"] == "sess-gpu0"  # Open WebUI's chat id first
    webui2 = session_preferring(1, "win-d")
    r = client.post("/v1/chat/completions", headers={"x-session-id": session_preferring(0, "win-e")},
                    json={"model": "sess", "messages": conversation("w2", 1), "litellm_session_id": webui2})
    assert r.headers["x-solv-replica"] == "sess-gpu0"  # then x-session-id, over LiteLLM's own field
    log = Path(proxy.log_path).read_text(errors="replace")
    assert "group=sess replica=sess-gpu0 reason=affinity key=x-openwebui-chat-id:" in log
    assert "key=x-session-id:" in log and "key=litellm_session_id:" in log and "key=prefix:" in log
