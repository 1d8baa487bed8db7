"""Thinking budgets, reasoning pass-through and tool calls on a real vLLM CPU server, through the real proxy.

No thinking model ships on PyPI, but vLLM's budget mechanism does not care: the embedded SmolLM2 is
served (tests/vllm_fixtures.py, the same flags as `make up`) with vllm/templates/smollm2.jinja, which opens
a ``<think>`` block when ``enable_thinking`` is true, and vLLM's qwen3 reasoning parser. The proxy here
declares that server as a ``qwen3``-family model group with a LOW budget of 16 tokens. SmolLM2 does not
reason and rarely closes the block itself; ``ignore_eos`` keeps it writing, so HIGH (no budget) runs to
``max_tokens`` and LOW shows vLLM forcing ``</think>`` after ~16 tokens, then the answer.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import openai
import pytest

from solvstack.ops.proxyproc import ProxyProcess
from tests.support.proxy import MASTER_KEY, proxy_client, start_proxy, write_variant
from tests.vllm_fixtures import VllmEndpoint

pytestmark = pytest.mark.vllm

LOW_BUDGET = 16
MAX_TOKENS = 48
PROMPT = "Why is the sky blue?"


@pytest.fixture(scope="module")
def tproxy(vllm_cpu_server: VllmEndpoint, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ProxyProcess]:
    params = {"model": f"hosted_vllm/{vllm_cpu_server.served_name}", "api_base": vllm_cpu_server.base_url,
              "api_key": "none", "timeout": 300}
    models = [{"model_name": "think", "litellm_params": params,
               "model_info": {"solv_thinking": "qwen3", "solv_thinking_budget": {"LOW": LOW_BUDGET}}},
              {"model_name": "local", "litellm_params": params, "model_info": {"solv_thinking": "none"}}]
    p = start_proxy(write_variant(tmp_path_factory.mktemp("tproxy"), models))
    yield p
    p.stop()


@pytest.fixture
def tclient(tproxy: ProxyProcess) -> Iterator[httpx.Client]:
    with proxy_client(tproxy, timeout=300) as c:
        yield c


def ask(client: httpx.Client, prompt: str, **extra: Any) -> tuple[httpx.Response, dict[str, Any]]:
    r = client.post("/v1/chat/completions", json={
        "model": "think", "max_tokens": MAX_TOKENS, "temperature": 0, "ignore_eos": True,
        "messages": [{"role": "user", "content": prompt}], **extra})
    assert r.status_code == 200, r.text
    return r, r.json()


def reasoning_tokens(body: dict[str, Any]) -> int:
    return int((body["usage"].get("completion_tokens_details") or {}).get("reasoning_tokens") or 0)


def test_low_stops_thinking_at_the_budget_then_answers(tclient):
    r, body = ask(tclient, f"/think low {PROMPT}")
    assert (r.headers["x-solv-level"], r.headers["x-solv-thinking"]) == ("LOW", "LOW")
    message = body["choices"][0]["message"]
    assert message["reasoning_content"]  # the think block, shown to clients
    assert message["content"]  # vLLM forced </think> and the answer followed
    assert LOW_BUDGET <= reasoning_tokens(body) <= LOW_BUDGET + 4  # ~N: plus the forced end marker
    assert body["usage"]["completion_tokens"] == MAX_TOKENS


def test_high_without_budget_thinks_until_max_tokens(tclient):
    r, body = ask(tclient, f"/think high {PROMPT}")
    assert r.headers["x-solv-level"] == "HIGH"
    message = body["choices"][0]["message"]
    assert message["reasoning_content"] and not message["content"]  # never left the think block
    assert body["choices"][0]["finish_reason"] == "length" and body["usage"]["completion_tokens"] == MAX_TOKENS
    assert reasoning_tokens(body) > LOW_BUDGET + 4  # (vLLM does not count the special tokens ignore_eos let by)


def test_no_has_no_reasoning(tclient):
    r, body = ask(tclient, f"/no_think {PROMPT}")
    assert r.headers["x-solv-level"] == "NO"
    message = body["choices"][0]["message"]
    assert not message.get("reasoning_content") and message["content"]
    assert reasoning_tokens(body) == 0


def test_reasoning_streams_through_the_proxy_before_the_answer(tclient):
    with tclient.stream("POST", "/v1/chat/completions", json={
            "model": "think", "max_tokens": MAX_TOKENS, "temperature": 0, "ignore_eos": True, "stream": True,
            "messages": [{"role": "user", "content": f"/think low {PROMPT}"}]}) as r:
        assert r.status_code == 200
        events = [line[6:] for line in r.iter_lines() if line.startswith("data: ")]
    assert events[-1] == "[DONE]"
    deltas = [c["choices"][0]["delta"] for c in map(json.loads, events[:-1]) if c.get("choices")]
    kinds = [k for d in deltas for k in ("reasoning_content", "content") if d.get(k)]
    assert "reasoning_content" in kinds and "content" in kinds
    assert kinds.index("content") > kinds.index("reasoning_content")  # Open WebUI's thinking block first
    assert "reasoning_content" not in kinds[kinds.index("content"):]


def scraped(client: httpx.Client, series: str, level: str) -> float:
    for line in client.get("/metrics/").text.splitlines():
        if line.startswith(series + "{") and 'model_group="think"' in line and f'level="{level}"' in line:
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def wait_for(check: Any, seconds: float = 20.0) -> bool:
    """LiteLLM runs success callbacks after the response is sent: poll until they have run."""
    import time

    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.2)
    return True


def test_thinking_tokens_are_counted_per_level_streaming_included(tclient):
    before = scraped(tclient, "solv_answers_total", "LOW"), scraped(tclient, "solv_reasoning_tokens_total", "LOW")
    ask(tclient, f"/think low {PROMPT}")
    with tclient.stream("POST", "/v1/chat/completions", json={
            "model": "think", "max_tokens": MAX_TOKENS, "temperature": 0, "ignore_eos": True, "stream": True,
            "messages": [{"role": "user", "content": f"/think low {PROMPT}"}]}) as r:
        assert r.status_code == 200 and list(r.iter_lines())
    assert wait_for(lambda: scraped(tclient, "solv_answers_total", "LOW") >= before[0] + 2)
    assert scraped(tclient, "solv_reasoning_tokens_total", "LOW") >= before[1] + 2 * LOW_BUDGET
    assert scraped(tclient, "solv_completion_tokens_total", "LOW") >= 2 * MAX_TOKENS


def test_openai_sdk_tools_request_gets_an_answer_not_a_400(tproxy):
    """Issue 10 item 6: the embedded default (family none) with a real openai SDK `tools` request."""
    tools = [{"type": "function", "function": {
        "name": "get_weather", "description": "Get the current weather for a city",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}}]
    with openai.OpenAI(base_url=f"{tproxy.url}/v1", api_key=MASTER_KEY, max_retries=0, timeout=300) as sdk:
        completion = sdk.chat.completions.create(
            model="local", max_tokens=48, temperature=0, tools=tools,  # type: ignore[arg-type]
            messages=[{"role": "user", "content": "What is the weather in Paris right now?"}])
    choice = completion.choices[0]
    assert choice.finish_reason in ("stop", "tool_calls", "length")
    assert choice.message.content or choice.message.tool_calls
    for call in choice.message.tool_calls or []:  # the tiny model may or may not call it
        assert call.function.name == "get_weather"
        json.loads(call.function.arguments)
