"""Auth and secrets: no key or a wrong key is a 401; no secret ever reaches a log line or a response.

The proxy runs at ``LITELLM_LOG=DEBUG`` (the most an operator would turn on) and holds a master key,
an OpenAI key and a Tavily key, both used for real (the ``cloud`` group sends one to its backend, a
RAG request whose SearXNG fails sends the other to the Tavily stand-in). After a
mix of good, failing and malformed requests, neither its log nor any response carries any of them,
whole or as a 16-character piece.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.reliability.conftest import Hardened
from tests.support.backend import Behaviour

CHAT = {"model": "qwen", "messages": [{"role": "user", "content": "hi"}]}


def pieces(secret: str, size: int = 16) -> Iterator[str]:
    """The secret and every ``size``-character window of it (a masked key shows only a few characters)."""
    yield secret
    for i in range(len(secret) - size + 1):
        yield secret[i:i + size]


def leaked(text: str, secrets: dict[str, str]) -> list[str]:
    return [name for name, value in secrets.items() if any(p in text for p in pieces(value))]


@pytest.mark.parametrize("headers", [
    {},
    {"Authorization": "Bearer sk-wrong-key"},
    {"Authorization": "Bearer"},
    {"Authorization": "Basic dXNlcjpwYXNz"},
    {"x-litellm-api-key": "sk-wrong-key"},
], ids=["keyless", "wrong-bearer", "empty-bearer", "basic", "wrong-litellm-header"])
@pytest.mark.parametrize("path", ["/v1/chat/completions", "/v1/models", "/v1/completions"])
def test_no_valid_key_is_401(verbose: Hardened, headers: dict[str, str], path: str) -> None:
    verbose.reset()
    r = httpx.request("GET" if path == "/v1/models" else "POST", f"{verbose.proxy.url}{path}",
                      json=None if path == "/v1/models" else {**CHAT, "prompt": "hi"}, headers=headers, timeout=30)
    assert r.status_code == 401, (r.status_code, r.text[:300])
    assert verbose.backend.requests == []
    assert not leaked(r.text + str(r.headers), verbose.secrets.all())


def traffic(h: Hardened) -> list[httpx.Response]:
    """Good, streaming, failing and malformed requests, with the master key and with wrong ones."""
    out = []
    with h.client() as c:
        out.append(c.post("/v1/chat/completions", json=CHAT))
        out.append(c.post("/v1/chat/completions", json={**CHAT, "model": "cloud"}))
        out.append(c.post("/v1/chat/completions", json={**CHAT, "model": "cloud", "stream": True}))
        h.backend.behaviour = Behaviour(status=401)  # the provider rejects the key: the error path logs most
        out.append(c.post("/v1/chat/completions", json={**CHAT, "model": "cloud"}))
        h.backend.behaviour = Behaviour(status=500)
        out.append(c.post("/v1/chat/completions", json={**CHAT, "model": "cloud"}))
        out.append(c.post("/v1/chat/completions", json={**CHAT, "model": "qwen", "stream": True}))
        h.backend.behaviour = Behaviour()
        h.searxng_front.mode = "html"  # SearXNG fails: the Tavily key is used
        out.append(c.post("/v1/chat/completions", json={**CHAT, "messages": [
            {"role": "user", "content": "/search what is the latest solv-stack release"}]}))
        h.searxng_front.mode = "pass"
        out.append(c.post("/v1/chat/completions", content=b"[1]", headers={"content-type": "application/json"}))
        out.append(c.post("/v1/chat/completions", json={**CHAT, "model": "no-such-model"}))
        out.append(c.post("/v1/chat/completions", json={"model": "qwen", "messages": "hi"}))
        out.append(c.get("/v1/models"))
        out.append(c.get("/health/liveliness"))
    out.append(httpx.post(f"{h.proxy.url}/v1/chat/completions", json=CHAT, timeout=30,
                          headers={"Authorization": f"Bearer {h.secrets.master_key}x"}))  # almost the master key
    return out


def test_secrets_never_in_log_or_responses(verbose: Hardened) -> None:
    verbose.reset()
    responses = traffic(verbose)
    assert [r.status_code for r in responses[:3]] == [200, 200, 200]
    sent_key = {r.headers.get("authorization") for r in verbose.backend.requests}
    assert f"Bearer {verbose.secrets.openai_key}" in sent_key  # the provider key was really used
    assert {r.headers.get("authorization") for r in verbose.tavily.requests} == {f"Bearer {verbose.secrets.tavily_key}"}
    log = verbose.log
    assert "DEBUG" in log and len(log) > 10_000  # the log was really verbose
    assert leaked(log, verbose.secrets.all()) == []
    for r in responses:
        assert leaked(r.text + str(r.headers), verbose.secrets.all()) == [], r.request.url
