"""The LLM judge through the real proxy: asked only when the local classifier is unsure (kind llm: always),
with temperature 0 and a few tokens; a failing or slow judge never fails the request."""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import pytest

from solvstack.ops.proxyproc import ProxyProcess
from tests.support.backend import RecordingBackend
from tests.support.proxy import MASTER_KEY, deployment, start_proxy, write_variant


@pytest.fixture(scope="module")
def judge() -> Iterator[RecordingBackend]:
    with RecordingBackend("judge") as b:
        yield b


@pytest.fixture(scope="module")
def model() -> Iterator[RecordingBackend]:
    with RecordingBackend("model") as b:
        yield b


@pytest.fixture(scope="module")
def proxy(judge, model, tmp_path_factory) -> Iterator[ProxyProcess]:
    cfg = write_variant(tmp_path_factory.mktemp("judge"),
                        [deployment("qwen", model.url, "qwen3"), deployment("judge", judge.url, "none")],
                        solv={"classifier": {"kind": "llm", "cache_ttl_s": 0,
                                             "llm": {"model": "judge", "timeout_s": 2.0, "max_tokens": 3}}})
    p = start_proxy(cfg)
    ask(p, "warm up: the first router call pays for lazy imports")
    yield p
    p.stop()


def ask(proxy: ProxyProcess, text: str) -> httpx.Response:
    return httpx.post(f"{proxy.url}/v1/chat/completions", timeout=30,
                      headers={"Authorization": f"Bearer {MASTER_KEY}"},
                      json={"model": "qwen", "messages": [{"role": "user", "content": text}]})


@pytest.fixture(autouse=True)
def _clean(judge, model):
    judge.clear()
    model.clear()


def test_judge_decides_and_is_called_deterministically(proxy, judge, model):
    judge.behaviour.content = "HIGH"
    r = ask(proxy, "hello there")
    assert r.status_code == 200
    assert (r.headers["x-solv-level"], r.headers["x-solv-source"]) == ("HIGH", "llm")
    call = judge.chat_requests()[0]
    assert call["temperature"] == 0 and call["max_tokens"] == 3
    assert call["messages"][-1]["content"].endswith("hello there")
    assert "x-solv-level" not in judge.requests[0].headers  # the judge call is not itself classified
    assert model.chat_requests()[0]["chat_template_kwargs"] == {"enable_thinking": True}


@pytest.mark.parametrize(("behaviour", "value"), [("content", "I think it is maybe hard"), ("status", 500)])
def test_bad_judge_falls_back_to_local(proxy, judge, model, behaviour, value):
    setattr(judge.behaviour, behaviour, value)
    r = ask(proxy, "thanks a lot, bye!")
    assert r.status_code == 200
    assert r.headers["x-solv-source"] == "local"
    assert len(model.chat_requests()) == 1


def test_slow_judge_is_cut_at_its_budget(proxy, judge, model):
    judge.behaviour.delay_s = 10.0
    start = time.monotonic()
    r = ask(proxy, "thanks a lot, bye!")
    elapsed = time.monotonic() - start
    assert r.status_code == 200 and r.headers["x-solv-source"] == "local"
    assert elapsed < 7.0, elapsed  # budget 2 s, judge takes 10 s; margin for a loaded 2-core machine
