"""Thinking budgets through the real LiteLLM proxy (issue 11): what each level forwards, who wins, and
what happens at a server that cannot honour a budget. The real-vLLM side is tests/test_vllm_thinking.py.

The refusing server is a stand-in for a vLLM started without a reasoning parser: it answers a body with
``thinking_token_budget`` the way vLLM 0.32 does (400, the message of ``v1/engine/input_processor.py``).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client import CollectorRegistry

from solvstack.ops.proxyproc import ProxyProcess
from solvstack.proxy.budgets import BudgetSupport
from solvstack.proxy.metrics import SolvMetrics, usage_tokens
from tests.support.backend import RecordingBackend
from tests.support.proxy import deployment, proxy_client, start_proxy, write_variant

VLLM_REFUSAL = ("thinking_token_budget is set but reasoning_config is not configured. Please set --reasoning-parser "
                "and/or --reasoning-config to use thinking_token_budget.")


class NoParserVllm:
    """Answers chat like vLLM, and refuses any body with thinking_token_budget (records every body)."""

    def __init__(self) -> None:
        self.bodies: list[tuple[str, dict[str, Any]]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def _send(self, status: int, payload: object) -> None:
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers.get("content-length") or 0)) or b"{}")
                outer.bodies.append((self.path, body))
                if "thinking_token_budget" in body:
                    self._send(400, {"error": {"message": VLLM_REFUSAL, "type": "BadRequestError", "code": 400}})
                    return
                self._send(200, {"id": "x", "object": "chat.completion", "created": 0, "model": body.get("model"),
                                 "choices": [{"index": 0, "finish_reason": "stop",
                                              "message": {"role": "assistant", "content": "ok"}}],
                                 "usage": {"prompt_tokens": 3, "completion_tokens": 1, "total_tokens": 4}})

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/v1"

    def chats(self) -> list[dict[str, Any]]:
        return [b for p, b in self.bodies if p.endswith("/chat/completions")]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def servers() -> Iterator[tuple[RecordingBackend, NoParserVllm]]:
    with RecordingBackend("budget") as rec:
        old = NoParserVllm()
        yield rec, old
        old.close()


@pytest.fixture(scope="module")
def bproxy(servers, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ProxyProcess]:
    rec, old = servers
    small = deployment("qwen-small", rec.url, "qwen3", model="qwen")
    small["model_info"]["solv_thinking_budget"] = {"LOW": 64, "HIGH": 4096}
    models = [deployment("qwen", rec.url, "qwen3"), small, deployment("qwen-old", old.url, "qwen3"),
              deployment("oss", rec.url, "gpt-oss")]
    cfg = write_variant(tmp_path_factory.mktemp("budgets"), models, solv={"thinking_budgets": {"qwen3": {"LOW": 256}}})
    p = start_proxy(cfg)
    yield p
    p.stop()


@pytest.fixture
def bclient(bproxy: ProxyProcess, servers) -> Iterator[httpx.Client]:
    servers[0].clear()
    servers[1].bodies.clear()
    with proxy_client(bproxy) as c:
        yield c


def ask(client: httpx.Client, model: str, prompt: str, **extra: Any) -> httpx.Response:
    r = client.post("/v1/chat/completions", json={"model": model, "messages": [{"role": "user", "content": prompt}],
                                                  **extra})
    assert r.status_code == 200, r.text
    return r


def last_chat(rec: RecordingBackend) -> dict[str, Any]:
    return rec.chat_requests()[-1]


@pytest.mark.parametrize(("prompt", "enable", "budget"), [
    ("/think low add 17 and 25", True, 256),  # solv.thinking_budgets.qwen3.LOW (over the built-in 1024)
    ("/think prove there are infinitely many primes", True, None),  # HIGH: no budget, max_tokens bounds it
    ("/no_think hello!", False, None),
])
def test_each_level_forwards_its_switch_and_budget(bclient, servers, prompt, enable, budget):
    ask(bclient, "qwen", prompt)
    body = last_chat(servers[0])
    assert body["chat_template_kwargs"] == {"enable_thinking": enable}
    assert body.get("thinking_token_budget") == budget


def test_model_info_budget_beats_the_family_default(bclient, servers):
    ask(bclient, "qwen-small", "/think low add 17 and 25")
    assert last_chat(servers[0])["thinking_token_budget"] == 64
    ask(bclient, "qwen-small", "/think high prove there are infinitely many primes")
    assert last_chat(servers[0])["thinking_token_budget"] == 4096


def test_clients_own_budget_wins_over_the_classifier(bclient, servers):
    r = ask(bclient, "qwen", "prove there are infinitely many primes", thinking_token_budget=77)
    assert (r.headers["x-solv-source"], r.headers["x-solv-level"]) == ("client", "LOW")
    body = last_chat(servers[0])
    assert body["thinking_token_budget"] == 77 and "chat_template_kwargs" not in body  # nothing added


def test_override_replaces_the_clients_budget(bclient, servers):
    ask(bclient, "qwen", "/think high prove it", thinking_token_budget=77)
    body = last_chat(servers[0])
    assert "thinking_token_budget" not in body and body["chat_template_kwargs"] == {"enable_thinking": True}


def test_families_without_a_budget_mechanism_keep_their_switch(bclient, servers):
    ask(bclient, "oss", "/think low plan a migration")
    body = last_chat(servers[0])
    assert body["reasoning_effort"] == "low" and "thinking_token_budget" not in body


def test_server_is_asked_once_not_per_request(bclient, servers):
    for _ in range(3):
        ask(bclient, "qwen", "/think low add 17 and 25")
    probes = [r for r in servers[0].requests if r.path == "/v1/completions"]
    assert len(probes) <= 1  # at most once per server per recheck period (it may have been asked earlier)
    assert all(b["thinking_token_budget"] == 256 for b in servers[0].chat_requests())


def test_server_without_reasoning_parser_gets_no_budget_and_no_400(bclient, bproxy, servers):
    old = servers[1]
    for prompt in ("/think low add 17 and 25", "/think low add 1 and 2"):
        r = ask(bclient, "qwen-old", prompt)
        assert r.json()["choices"][0]["message"]["content"] == "ok"
    chats = old.chats()
    assert len(chats) == 2 and all("thinking_token_budget" not in b for b in chats)
    assert all(b["chat_template_kwargs"] == {"enable_thinking": True} for b in chats)  # thinking is still on
    assert Path(bproxy.log_path).read_text(errors="replace").count("refuses thinking_token_budget") == 1


def test_clients_budget_to_such_a_server_is_dropped_not_a_400(bclient, servers):
    ask(bclient, "qwen-old", "hello", thinking_token_budget=50)
    assert "thinking_token_budget" not in servers[1].chats()[-1]


# -- units: the probe and the token counters -------------------------------------------------------
async def test_probe_answers_per_server_and_is_remembered(servers):
    rec, old = servers
    support = BudgetSupport()
    vllm_ok = {"model": "hosted_vllm/qwen", "api_base": rec.url, "api_key": "none"}
    vllm_old = {"model": "hosted_vllm/qwen", "api_base": old.url + "/"}
    assert await support.honours(vllm_ok) and await support.honours(vllm_ok)
    assert not await support.honours(vllm_old) and not await support.honours(vllm_old)
    assert len([b for p, b in old.bodies if p == "/v1/completions"]) == 1
    assert not await support.honours({"model": "openai/gpt-5", "api_base": rec.url})  # only vLLM gets budgets
    assert not await support.honours({"model": "hosted_vllm/x", "api_base": "http://127.0.0.1:9/v1"})  # down


def test_usage_tokens_read_dicts_and_objects():
    class Details:
        reasoning_tokens = 17

    class Usage:
        completion_tokens = 80
        completion_tokens_details = Details()

    assert usage_tokens(Usage()) == (80, 17)
    assert usage_tokens({"completion_tokens": 5, "completion_tokens_details": None}) == (5, 0)
    assert usage_tokens(None) == (0, 0)
    m = SolvMetrics(CollectorRegistry())
    m.record_tokens("LOW", "qwen", Usage())
    assert m.reasoning_tokens.labels(level="LOW", model_group="qwen")._value.get() == 17
    assert m.answers.labels(level="LOW", model_group="qwen")._value.get() == 1
