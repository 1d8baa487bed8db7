"""A stream the model server cuts mid-way ends with an error event: never a hang, never a false "stop".

LiteLLM 1.106.2 closes a cut upstream stream with a synthetic ``finish_reason: "stop"`` and
``[DONE]`` (``CustomStreamWrapper.finish_reason_handler``); solv's stream guard
(:mod:`solvstack.proxy.streams`) turns that into the proxy's ``data: {"error": ...}`` event.
"""

from __future__ import annotations

import json

import httpx
import pytest

from tests.reliability.conftest import Hardened
from tests.support.backend import Behaviour

CONTENT = "one two three four five six seven eight"


def stream(client: httpx.Client, model: str = "qwen", prompt: str = "/no_think count") -> list[dict]:
    """The SSE events of one streamed chat completion, ``[DONE]`` as ``{"done": True}``.

    A stream that fails before its first chunk gets a plain HTTP error instead (the proxy has not sent
    its headers yet); it is returned as a one-event list holding that error body.
    """
    events = []
    body = {"model": model, "stream": True, "messages": [{"role": "user", "content": prompt}]}
    with client.stream("POST", "/v1/chat/completions", json=body) as r:
        if r.status_code != 200:
            assert r.status_code == 502, r.read()
            return [json.loads(r.read())]
        for line in r.iter_lines():
            if line.startswith("data: "):
                events.append({"done": True} if line == "data: [DONE]" else json.loads(line[6:]))
    return events


def text_of(events: list[dict]) -> str:
    return "".join((e["choices"][0]["delta"].get("content") or "") for e in events if e.get("choices"))


def finish_reasons(events: list[dict]) -> list[str]:
    choices = [e["choices"][0] for e in events if e.get("choices")]
    return [c["finish_reason"] for c in choices if c.get("finish_reason")]


@pytest.mark.parametrize("model", ["qwen", "cloud"])
@pytest.mark.parametrize("cut_after", [0, 1, 3])
def test_cut_stream_ends_with_error_event(hard: Hardened, model: str, cut_after: int) -> None:
    hard.backend.behaviour = Behaviour(content=CONTENT, cut_stream_after=cut_after)
    with hard.client(timeout=30) as client:  # a hang fails here as a read timeout
        events = stream(client, model)
    assert "error" in events[-1], events
    assert "stop" not in finish_reasons(events) and {"done": True} not in events
    error = events[-1]["error"]
    assert "closed the stream before it finished" in error["message"] and error["code"] == "502"
    assert text_of(events) == " ".join(CONTENT.split(" ")[:cut_after])  # what came, came unchanged


@pytest.mark.parametrize("model", ["qwen", "cloud"])
def test_complete_stream_is_untouched(hard: Hardened, model: str) -> None:
    hard.backend.behaviour = Behaviour(content=CONTENT)
    with hard.client(timeout=30) as client:
        events = stream(client, model)
    assert text_of(events) == CONTENT
    assert finish_reasons(events) == ["stop"] and events[-1] == {"done": True}


def test_proxy_serves_after_cut_streams(hard: Hardened) -> None:
    hard.backend.behaviour = Behaviour(content=CONTENT, cut_stream_after=2)
    with hard.client(timeout=30) as client:
        for _ in range(3):
            stream(client)
        hard.backend.behaviour = Behaviour(content=CONTENT)
        r = client.post("/v1/chat/completions", json={"model": "qwen", "messages": [{"role": "user", "content": "hi"}]})
    assert r.status_code == 200 and r.json()["choices"][0]["message"]["content"] == CONTENT
