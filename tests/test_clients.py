"""The real ``openai`` Python SDK against the real proxy, configured as docs/clients.md tells users to.

Covers what Continue, Cline and scripts do: plain and streamed chat, tools, ``extra_body`` for
vLLM-specific parameters, the legacy ``/v1/completions`` endpoint Continue's autocomplete uses, model
listing, and reading the ``x-solv-*`` decision headers through ``with_raw_response``.
"""

from __future__ import annotations

from collections.abc import Iterator

import openai
import pytest

from tests.support.backend import RecordingBackend
from tests.support.proxy import MASTER_KEY


@pytest.fixture
def sdk(proxy) -> Iterator[openai.OpenAI]:
    with openai.OpenAI(base_url=f"{proxy.url}/v1", api_key=MASTER_KEY, max_retries=0, timeout=60) as c:
        yield c


def only(rec: RecordingBackend, path: str = "/chat/completions") -> dict:
    reqs = [r.body for r in rec.requests if r.path == f"/v1{path}"]
    assert len(reqs) == 1, reqs
    return reqs[0]


def test_chat_answer_and_decision_headers(sdk, rec):
    raw = sdk.chat.completions.with_raw_response.create(
        model="qwen", messages=[{"role": "user", "content": "/think prove that 2 + 2 = 4"}])
    assert raw.headers["x-solv-level"] == "HIGH"
    assert raw.headers["x-solv-source"] == "override"
    completion = raw.parse()
    assert completion.choices[0].message.content == rec.behaviour.content
    assert only(rec)["chat_template_kwargs"] == {"enable_thinking": True}


def test_streaming_yields_the_backend_text(sdk, rec):
    rec.behaviour.content = "one two three four"
    stream = sdk.chat.completions.create(model="qwen", stream=True,
                                         messages=[{"role": "user", "content": "/no_think count to four"}])
    text = "".join(chunk.choices[0].delta.content or "" for chunk in stream if chunk.choices)
    assert text == "one two three four"
    body = only(rec)
    assert body["stream"] is True and body["chat_template_kwargs"] == {"enable_thinking": False}


def test_streaming_headers_are_readable_before_the_body(sdk, rec):
    with sdk.chat.completions.with_streaming_response.create(
            model="qwen", stream=True, messages=[{"role": "user", "content": "/think low hi"}]) as response:
        assert response.headers["x-solv-level"] == "LOW"
        chunks = list(response.parse())
    assert any(c.choices and c.choices[0].delta.content for c in chunks)


def test_tool_call_comes_back_typed(sdk, rec):
    tools = [{"type": "function", "function": {"name": "get_weather", "description": "weather for a city",
                                               "parameters": {"type": "object",
                                                              "properties": {"city": {"type": "string"}}}}}]
    completion = sdk.chat.completions.create(model="qwen", tools=tools,
                                             messages=[{"role": "user", "content": "weather in Oslo?"}])
    call = completion.choices[0].message.tool_calls[0]
    assert call.function.name == "get_weather"
    assert completion.choices[0].finish_reason == "tool_calls"
    assert only(rec)["tools"][0]["function"]["name"] == "get_weather"


def test_extra_body_reaches_vllm_and_client_switch_wins(sdk, rec):
    raw = sdk.chat.completions.with_raw_response.create(
        model="qwen", messages=[{"role": "user", "content": "prove Fermat's little theorem"}],
        extra_body={"chat_template_kwargs": {"enable_thinking": False}, "top_k": 20})
    assert raw.headers["x-solv-source"] == "client"
    body = only(rec)
    assert body["chat_template_kwargs"] == {"enable_thinking": False}
    assert body["top_k"] == 20


def test_reasoning_effort_parameter_is_the_clients_choice(sdk, rec):
    raw = sdk.chat.completions.with_raw_response.create(
        model="oss", reasoning_effort="low", messages=[{"role": "user", "content": "plan a database migration"}])
    assert raw.headers["x-solv-source"] == "client" and raw.headers["x-solv-level"] == "LOW"
    assert only(rec)["reasoning_effort"] == "low"


def test_legacy_completions_for_autocomplete_are_left_alone(sdk, rec):
    rec.behaviour.content = "return a + b"
    raw = sdk.completions.with_raw_response.create(model="qwen", prompt="def add(a, b):\n    ", max_tokens=16)
    assert raw.parse().choices[0].text == "return a + b"
    assert not any(h.startswith("x-solv-") for h in raw.headers)  # the hook only classifies chat
    body = only(rec, "/completions")
    assert body["prompt"] == "def add(a, b):\n    " and "chat_template_kwargs" not in body


def test_models_list_shows_the_configured_groups(sdk):
    ids = {m.id for m in sdk.models.list()}
    assert {"qwen", "granite", "oss", "cloud", "r1", "plain"} <= ids


def test_wrong_key_is_an_authentication_error(proxy):
    with openai.OpenAI(base_url=f"{proxy.url}/v1", api_key="sk-wrong", max_retries=0, timeout=30) as bad, \
            pytest.raises(openai.AuthenticationError):
        bad.chat.completions.create(model="qwen", messages=[{"role": "user", "content": "hi"}])
