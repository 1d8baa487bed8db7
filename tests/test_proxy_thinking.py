"""The thinking hook through the real LiteLLM proxy: what the backend receives, what the client sees."""

from __future__ import annotations

import json

import httpx
import pytest

from tests.conftest import FAMILIES, proxy_log
from tests.support.backend import RecordingBackend


def chat(client: httpx.Client, model: str, content: object, **extra: object) -> httpx.Response:
    return client.post("/v1/chat/completions",
                       json={"model": model, "messages": [{"role": "user", "content": content}], **extra})


def forwarded(rec: RecordingBackend) -> dict:
    reqs = rec.chat_requests()
    assert len(reqs) == 1, reqs
    return reqs[0]


@pytest.mark.parametrize(("prompt", "level", "enable", "text"), [
    ("/think Is 91 prime?", "HIGH", True, "Is 91 prime?"),
    ("Is 91 prime? /no_think", "NO", False, "Is 91 prime?"),
    ("/think low add 2 and 3", "LOW", True, "add 2 and 3"),
])
def test_override_sets_qwen_switch_and_is_stripped(client, rec, prompt, level, enable, text):
    r = chat(client, "qwen", prompt)
    assert r.status_code == 200, r.text
    assert r.headers["x-solv-level"] == level
    assert r.headers["x-solv-source"] == "override"
    body = forwarded(rec)
    assert body["messages"][-1]["content"] == text
    assert body["chat_template_kwargs"] == {"enable_thinking": enable}


@pytest.mark.parametrize(("model", "prompt", "expect"), [
    ("granite", "/think prove it", {"chat_template_kwargs": {"thinking": True}}),
    ("granite", "/no_think hi", {"chat_template_kwargs": {"thinking": False}}),
    ("oss", "/think high plan a migration", {"reasoning_effort": "high"}),
    ("oss", "/think low plan a migration", {"reasoning_effort": "low"}),
    ("oss", "/no_think hello", {"reasoning_effort": "low"}),  # gpt-oss cannot switch off
    ("cloud", "/think prove it", {"reasoning_effort": "high"}),
])
def test_family_table_reaches_backend(client, rec, model, prompt, expect):
    r = chat(client, model, prompt)
    assert r.status_code == 200
    body = forwarded(rec)
    for key, value in expect.items():
        assert body[key] == value
    assert r.headers["x-solv-family"] == FAMILIES[model]  # the chosen deployment's family, told to the client


@pytest.mark.parametrize("model", ["plain", "r1"])
def test_families_without_switch_send_nothing(client, rec, model):
    r = chat(client, model, "/think prove that sqrt(2) is irrational")
    assert r.status_code == 200
    body = forwarded(rec)
    assert "chat_template_kwargs" not in body and "reasoning_effort" not in body
    assert body["messages"][-1]["content"] == "prove that sqrt(2) is irrational"
    assert r.headers["x-solv-level"] == "HIGH"


def test_no_switch_for_cloud_when_no(client, rec):
    chat(client, "cloud", "/no_think hi")
    assert "reasoning_effort" not in forwarded(rec)


def test_client_reasoning_effort_wins_over_classifier(client, rec):
    r = chat(client, "qwen", "hello there!", reasoning_effort="high")
    assert r.headers["x-solv-source"] == "client"
    body = forwarded(rec)
    assert body["reasoning_effort"] == "high"
    assert "chat_template_kwargs" not in body  # we add nothing on top of the client's choice


def test_client_template_switch_wins(client, rec):
    r = chat(client, "qwen", "prove Fermat's little theorem", chat_template_kwargs={"enable_thinking": False})
    assert r.headers["x-solv-source"] == "client" and r.headers["x-solv-level"] == "NO"
    assert forwarded(rec)["chat_template_kwargs"] == {"enable_thinking": False}


def test_override_beats_client_parameter(client, rec):
    r = chat(client, "qwen", "/no_think hi", chat_template_kwargs={"enable_thinking": True})
    assert r.headers["x-solv-source"] == "override"
    assert forwarded(rec)["chat_template_kwargs"] == {"enable_thinking": False}


def test_classifier_decides_without_override(client, rec):
    r = chat(client, "qwen", "hi, thanks so much!")
    assert r.status_code == 200
    assert r.headers["x-solv-source"] in {"local", "cache"}
    assert r.headers["x-solv-level"] == "NO"
    body = forwarded(rec)
    assert body["messages"][-1]["content"] == "hi, thanks so much!"  # untouched
    assert body["chat_template_kwargs"] == {"enable_thinking": False}


def test_command_inside_code_is_not_an_override(client, rec):
    text = "what does this do?\n```\necho /no_think\n```"
    r = chat(client, "qwen", text)
    assert r.headers["x-solv-source"] != "override"
    assert forwarded(rec)["messages"][-1]["content"] == text


def test_content_parts_are_stripped_and_images_kept(client, rec):
    image = {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}}
    r = chat(client, "qwen", [{"type": "text", "text": "/no_think what is this?"}, image])
    assert r.status_code == 200, r.text
    content = forwarded(rec)["messages"][-1]["content"]
    assert content[0] == {"type": "text", "text": "what is this?"}
    assert content[1] == image


def test_earlier_turns_and_system_are_untouched(client, rec):
    messages = [{"role": "system", "content": "be brief /think"},
                {"role": "user", "content": "/think first"},
                {"role": "assistant", "content": "ok"},
                {"role": "user", "content": "/no_think second"}]
    r = client.post("/v1/chat/completions", json={"model": "qwen", "messages": messages})
    assert r.headers["x-solv-level"] == "NO"
    sent = forwarded(rec)["messages"]
    assert [m["content"] for m in sent] == ["be brief /think", "/think first", "ok", "second"]


def test_streaming_gets_switch_and_headers(client, rec):
    with client.stream("POST", "/v1/chat/completions", json={
            "model": "qwen", "stream": True, "messages": [{"role": "user", "content": "/think go"}]}) as r:
        assert r.status_code == 200
        assert r.headers["x-solv-level"] == "HIGH"
        chunks = [line for line in r.iter_lines() if line.startswith("data: ")]
    assert chunks[-1] == "data: [DONE]"
    text = "".join(json.loads(c[6:])["choices"][0]["delta"].get("content") or ""
                   for c in chunks[:-1] if json.loads(c[6:])["choices"])
    assert text == rec.behaviour.content
    body = forwarded(rec)
    assert body["stream"] is True and body["chat_template_kwargs"] == {"enable_thinking": True}


def test_tool_calls_pass_through(client, rec):
    tools = [{"type": "function", "function": {"name": "get_time", "description": "now",
                                               "parameters": {"type": "object", "properties": {}}}}]
    messages = [{"role": "user", "content": "what time is it?"},
                {"role": "assistant", "content": None, "tool_calls": [
                    {"id": "c0", "type": "function", "function": {"name": "get_time", "arguments": "{}"}}]},
                {"role": "tool", "tool_call_id": "c0", "content": "12:00"},
                {"role": "user", "content": "and in Tokyo?"}]
    r = client.post("/v1/chat/completions", json={"model": "qwen", "messages": messages, "tools": tools})
    assert r.status_code == 200, r.text
    assert r.json()["choices"][0]["message"]["tool_calls"][0]["function"]["name"] == "get_time"
    body = forwarded(rec)
    assert body["tools"] == tools
    assert body["messages"][1]["tool_calls"][0]["id"] == "c0"
    assert body["messages"][2] == {"role": "tool", "tool_call_id": "c0", "content": "12:00"}


def test_text_completion_is_untouched(client, rec):
    r = client.post("/v1/completions", json={"model": "qwen", "prompt": "def fib(n): /think", "max_tokens": 8})
    assert r.status_code == 200, r.text
    assert not any(h.startswith("x-solv-") for h in r.headers)
    body = next(x.body for x in rec.requests if x.path.endswith("/completions"))
    assert body["prompt"] == "def fib(n): /think"
    assert "chat_template_kwargs" not in body and "reasoning_effort" not in body


def test_embeddings_pass_through(client, rec):
    r = client.post("/v1/embeddings", json={"model": "qwen", "input": "/think hello"})
    assert r.status_code == 200, r.text
    assert r.json()["data"][0]["embedding"] == [0.1, 0.2, 0.3]
    assert rec.requests[0].body["input"] in ("/think hello", ["/think hello"])


def test_keyless_and_wrong_key_are_401(proxy, rec):
    body = {"model": "qwen", "messages": [{"role": "user", "content": "hi"}]}
    assert httpx.post(f"{proxy.url}/v1/chat/completions", json=body).status_code == 401
    r = httpx.post(f"{proxy.url}/v1/chat/completions", json=body, headers={"Authorization": "Bearer sk-wrong"})
    assert r.status_code in (401, 403)
    assert rec.requests == []


@pytest.mark.parametrize(("raw", "needle"), [
    (b"{not json", "json"),
    (json.dumps({"model": "qwen"}).encode(), "messages"),
    (json.dumps({"model": "qwen", "messages": "hi"}).encode(), "messages"),
])
def test_malformed_bodies_are_4xx_with_message(client, rec, raw, needle):
    r = client.post("/v1/chat/completions", content=raw, headers={"content-type": "application/json"})
    assert 400 <= r.status_code < 500, (r.status_code, r.text)
    assert needle in r.text.lower()
    assert rec.chat_requests() == []


def test_every_decision_is_one_line_in_the_proxy_log(client, rec, proxy):
    """docs/operations.md, "Logs": the proxy runs at LITELLM_LOG=INFO (as `solv up` does), and each
    classified request writes its decision, without the prompt, beside LiteLLM's lines."""
    marker = "zebra-crossing-4711"
    r = chat(client, "qwen", f"/think is {marker} a prime?")
    assert r.status_code == 200, r.text
    lines = [line for line in proxy_log(proxy).splitlines() if "solv decision" in line]
    assert lines and "solv decision level=HIGH source=override kind=chat thinking=HIGH " in lines[-1], lines[-3:]
    assert marker not in proxy_log(proxy)  # prompt text never reaches the log
