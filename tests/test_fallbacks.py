"""Cloud fallback and escalation, declared in YAML, through the real proxy.

The "cloud" is a local recording server speaking the OpenAI wire format, reached through LiteLLM's
real ``openai/`` provider (``model: openai/gpt-x`` with ``api_base`` pointing at it), exactly as a
cloud group is declared in docs/configuration.md. The local replicas are ``hosted_vllm`` groups of
the ``qwen3`` family. What we check is what each server received.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest

from solvstack.ops.proxyproc import ProxyProcess
from tests.support.backend import RecordingBackend
from tests.support.proxy import deployment, free_port, proxy_client, start_proxy, write_variant
from tests.test_metrics import scrape, total

CLOUD_KEY = "sk-cloud-test-3b7e"
LONG = "word " * 400  # ~400 tokens: over the `qwen3-small` limit below, far under the cloud's


def cloud_group(api_base: str) -> dict:
    """The cloud model group as a user declares it (api_key from the environment in real configs)."""
    return {"model_name": "cloud",
            "litellm_params": {"model": "openai/gpt-x", "api_base": api_base, "api_key": CLOUD_KEY},
            "model_info": {"solv_thinking": "reasoning-effort"}}


@pytest.fixture(scope="module")
def servers() -> Iterator[tuple[RecordingBackend, RecordingBackend]]:
    with RecordingBackend("local") as local, RecordingBackend("cloud") as cloud:
        yield local, cloud


@pytest.fixture(scope="module")
def fb_proxy(servers, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ProxyProcess]:
    local, cloud = servers
    dead = f"http://127.0.0.1:{free_port()}/v1"  # nothing listens there: a replica that is down
    models = [
        deployment("qwen3-8b", local.url, "qwen3"),
        deployment("qwen3-down", dead, "qwen3"),
        deployment("qwen3-small", local.url, "qwen3"),
        deployment("qwen3-escalating", local.url, "qwen3"),
        cloud_group(cloud.url),
    ]
    models[2]["model_info"]["max_input_tokens"] = 64
    cfg = write_variant(
        tmp_path_factory.mktemp("fallbacks"), models,
        solv={"escalate": {"HIGH": "cloud"}},
        litellm_settings={"num_retries": 0},
        router_settings={"fallbacks": [{"qwen3-8b": ["cloud"]}, {"qwen3-down": ["cloud"]}],
                         "context_window_fallbacks": [{"qwen3-small": ["cloud"]}],
                         "enable_pre_call_checks": True, "allowed_fails": 100, "cooldown_time": 0},
    )
    p = start_proxy(cfg)
    yield p
    p.stop()


@pytest.fixture
def backends(servers) -> tuple[RecordingBackend, RecordingBackend]:
    for b in servers:
        b.clear()
    return servers


@pytest.fixture
def fb(fb_proxy: ProxyProcess) -> Iterator[httpx.Client]:
    with proxy_client(fb_proxy) as c:
        yield c


def chat(client: httpx.Client, model: str, text: str, **extra: object) -> httpx.Response:
    r = client.post("/v1/chat/completions",
                    json={"model": model, "messages": [{"role": "user", "content": text}], **extra})
    assert r.status_code == 200, r.text
    return r


def only(backend: RecordingBackend) -> dict:
    reqs = backend.chat_requests()
    assert len(reqs) == 1, reqs
    return reqs[0]


def test_local_500_falls_back_to_cloud_with_cloud_switch(fb, backends):
    local, cloud = backends
    local.behaviour.status = 500
    r = chat(fb, "qwen3-8b", "/think low sketch a proof that sqrt(2) is irrational")
    assert r.json()["system_fingerprint"] == "cloud"
    tried = only(local)
    assert tried["chat_template_kwargs"] == {"enable_thinking": True}  # qwen's switch on the local try
    body = only(cloud)
    assert body["model"] == "gpt-x"
    assert body["reasoning_effort"] == "low"  # the cloud family's switch ...
    assert "chat_template_kwargs" not in body  # ... and not Qwen's, after the fallback
    assert body["messages"][-1]["content"] == "sketch a proof that sqrt(2) is irrational"
    assert r.headers["x-solv-level"] == "LOW"


def test_replica_down_falls_back_to_cloud(fb, backends):
    local, cloud = backends
    r = chat(fb, "qwen3-down", "/no_think hello")
    assert r.json()["system_fingerprint"] == "cloud"
    body = only(cloud)
    assert "chat_template_kwargs" not in body
    assert "reasoning_effort" not in body  # NO sends nothing to reasoning-effort models
    assert local.chat_requests() == []


def test_streaming_falls_back_too(fb, backends):
    local, cloud = backends
    local.behaviour.status = 500
    with fb.stream("POST", "/v1/chat/completions", json={
            "model": "qwen3-8b", "stream": True, "messages": [{"role": "user", "content": "/think low go"}]}) as r:
        assert r.status_code == 200
        chunks = [json.loads(line[6:]) for line in r.iter_lines()
                  if line.startswith("data: ") and line != "data: [DONE]"]
    assert "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks if c["choices"]) == \
        cloud.behaviour.content
    body = only(cloud)
    assert body["stream"] is True and body["reasoning_effort"] == "low"
    assert "chat_template_kwargs" not in body


def test_healthy_local_replica_serves_without_fallback(fb, backends):
    local, cloud = backends
    r = chat(fb, "qwen3-8b", "/no_think hi")
    assert r.json()["system_fingerprint"] == "local"
    assert only(local)["chat_template_kwargs"] == {"enable_thinking": False}
    assert cloud.chat_requests() == []


def test_too_long_for_local_context_goes_to_cloud(fb, backends):
    local, cloud = backends
    r = chat(fb, "qwen3-small", "/no_think summarise: " + LONG)
    assert r.json()["system_fingerprint"] == "cloud"
    assert local.chat_requests() == []  # filtered before any call: max_input_tokens 64
    assert "chat_template_kwargs" not in only(cloud)


def test_short_prompt_stays_on_small_local_model(fb, backends):
    local, cloud = backends
    chat(fb, "qwen3-small", "/no_think hi")
    assert only(local)["chat_template_kwargs"] == {"enable_thinking": False}
    assert cloud.chat_requests() == []


def test_escalate_high_to_cloud_group(fb, backends):
    local, cloud = backends
    before = total(scrape(fb), "solv_escalations_total", from_group="qwen3-escalating")
    r = chat(fb, "qwen3-escalating", "/think prove that there are infinitely many primes")
    assert total(scrape(fb), "solv_escalations_total", from_group="qwen3-escalating") - before == 1
    assert r.headers["x-solv-escalated-from"] == "qwen3-escalating"
    assert r.headers["x-solv-level"] == "HIGH"
    body = only(cloud)
    assert body["reasoning_effort"] == "high" and "chat_template_kwargs" not in body
    assert local.chat_requests() == []


def test_low_is_not_escalated(fb, backends):
    local, cloud = backends
    r = chat(fb, "qwen3-escalating", "/think low add 2 and 2")
    assert "x-solv-escalated-from" not in r.headers
    assert only(local)["chat_template_kwargs"] == {"enable_thinking": True}
    assert cloud.chat_requests() == []


def test_fallback_shows_in_replica_metrics(fb, backends):
    local, _ = backends
    before = scrape(fb)
    local.behaviour.status = 500
    chat(fb, "qwen3-8b", "/think low why is the sky blue?")
    after = scrape(fb)

    def delta(**labels: str) -> float:
        return total(after, "solv_replica_requests_total", **labels) - \
            total(before, "solv_replica_requests_total", **labels)

    assert delta(model_group="qwen3-8b", outcome="failure", level="LOW") == 1
    assert delta(model_group="cloud", outcome="success", level="LOW") == 1
    fallbacks = {"from_group": "qwen3-8b", "outcome": "success"}
    assert total(after, "solv_fallbacks_total", **fallbacks) - total(before, "solv_fallbacks_total", **fallbacks) == 1
