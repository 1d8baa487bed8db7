"""The spine end to end: real LiteLLM proxy + solv hook in front of a real vLLM CPU server.

The embedded model is tiny, so these tests assert structure (status, shapes, headers, usage), not text.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest

from solvstack.ops.proxyproc import ProxyProcess
from tests.support.proxy import proxy_client, start_proxy, write_variant
from tests.vllm_fixtures import VllmEndpoint

pytestmark = pytest.mark.vllm


@pytest.fixture(scope="module")
def vproxy(vllm_cpu_server: VllmEndpoint, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ProxyProcess]:
    entry = {"model_name": "local",
             "litellm_params": {"model": f"hosted_vllm/{vllm_cpu_server.served_name}",
                                "api_base": vllm_cpu_server.base_url, "api_key": "none", "timeout": 300},
             "model_info": {"solv_thinking": "none"}}
    p = start_proxy(write_variant(tmp_path_factory.mktemp("vproxy"), [entry]))
    yield p
    p.stop()


@pytest.fixture
def vclient(vproxy: ProxyProcess) -> Iterator[httpx.Client]:
    with proxy_client(vproxy, timeout=300) as c:
        yield c


def test_chat_through_proxy_to_vllm(vclient):
    r = vclient.post("/v1/chat/completions", json={
        "model": "local", "max_tokens": 8, "temperature": 0,
        "messages": [{"role": "user", "content": "/no_think Say hello."}]})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["object"] == "chat.completion"
    assert body["choices"][0]["message"]["role"] == "assistant"
    assert isinstance(body["choices"][0]["message"]["content"], str)
    assert 0 < body["usage"]["completion_tokens"] <= 8
    assert (r.headers["x-solv-level"], r.headers["x-solv-source"]) == ("NO", "override")


def test_classified_chat_streams_from_vllm(vclient):
    with vclient.stream("POST", "/v1/chat/completions", json={
            "model": "local", "max_tokens": 8, "stream": True, "temperature": 0,
            "messages": [{"role": "user", "content": "What is 12 times 7?"}]}) as r:
        assert r.status_code == 200
        assert r.headers["x-solv-source"] in {"local", "cache"}
        assert r.headers["x-solv-level"] in {"HIGH", "LOW", "NO", "RAG"}
        events = [line[6:] for line in r.iter_lines() if line.startswith("data: ")]
    assert events[-1] == "[DONE]"
    chunks = [json.loads(e) for e in events[:-1]]
    assert all(c["object"] == "chat.completion.chunk" for c in chunks)
    assert any(c["choices"] and c["choices"][0].get("finish_reason") for c in chunks)


def test_text_completion_reaches_vllm_untouched(vclient):
    r = vclient.post("/v1/completions", json={"model": "local", "prompt": "def add(a, b):", "max_tokens": 4})
    assert r.status_code == 200, r.text
    assert r.json()["choices"][0]["text"] is not None
    assert not any(h.startswith("x-solv-") for h in r.headers)


def test_unknown_model_is_a_clear_4xx(vclient):
    r = vclient.post("/v1/chat/completions", json={"model": "nope", "messages": [{"role": "user", "content": "hi"}]})
    assert 400 <= r.status_code < 500
    assert "nope" in r.text
