"""The three guards on plain data: body shape (validate), body bytes (bodyguard), cut streams (streams)."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any

import pytest

from solvstack.proxy.bodyguard import problem
from solvstack.proxy.streams import Drain, GatewayStopping, StreamCut, guard_stream, upstream_finished
from solvstack.proxy.validate import chat_body_error, completion_body_error

USER = {"role": "user", "content": "hi"}


@pytest.mark.parametrize(("body", "needle"), [
    ({"messages": "hi"}, "messages is str 'hi'"),
    ({"messages": []}, "messages is empty"),
    ({"messages": [7]}, "messages[0] is int 7"),
    ({"messages": [{"content": "x"}]}, "messages[0].role is missing"),
    ({"messages": [USER, {"role": "robot", "content": "x"}]}, "messages[1].role is str 'robot'"),
    ({"messages": [{"role": "user", "content": None}]}, "messages[0].content is null"),
    ({"messages": [{"role": "user", "content": [{"type": "text", "text": ["a"]}]}]}, "content[0].text is list"),
    ({"messages": [{"role": "user", "content": [{"type": "x"}]}]}, "content[0].type 'x'"),
    ({"messages": [USER], "stream": 1}, "stream is int 1"),
    ({"messages": [USER], "tools": [1]}, "tools is list [1]"),
    ({"messages": [USER], "chat_template_kwargs": []}, "chat_template_kwargs is list"),
    ({"messages": [USER], "top_p": float("inf")}, "top_p is inf"),
])
def test_chat_body_errors_name_the_field(body: dict[str, Any], needle: str) -> None:
    assert needle in (chat_body_error(body) or "")


@pytest.mark.parametrize("body", [
    {"messages": [USER]},
    {"model": "m"},  # no messages: LiteLLM's own message names it
    {"messages": [{"role": "assistant", "content": None, "tool_calls": []}, USER], "stream": False},
    {"messages": [{"role": "developer", "content": [{"type": "text", "text": "x"}]}, USER], "stream": None},
    {"messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "data:,"}}]}]},
    {"messages": [USER], "max_tokens": -1, "temperature": "hot"},  # values: the model server's to judge
])
def test_valid_chat_bodies_pass(body: dict[str, Any]) -> None:
    assert chat_body_error(body) is None


@pytest.mark.parametrize(("prompt", "ok"), [("x", True), (["a", "b"], True), ([], False), ([1, 2], False),
                                            (None, False), (5, False)])
def test_completion_prompt(prompt: object, ok: bool) -> None:
    assert (completion_body_error({"prompt": prompt}) is None) is ok


@pytest.mark.parametrize(("body", "reason"), [
    (b'{"model": "m"}', None), (b"", None), (b"  \n{}", None), (b"\xef\xbb\xbf{}", None),  # BOM: LiteLLM's message
    (b"[1]", "not an object"), (b' "s"', "not an object"), (b"-1", "not an object"), (b"null", "not an object"),
    (b'{"a": "\xff"}', "not valid UTF-8 (byte 0xff at offset 7)"),
])
def test_bodyguard_problem(body: bytes, reason: str | None) -> None:
    found = problem(body)
    assert found is None if reason is None else reason in (found or "")


def chunk(finish: str | None) -> SimpleNamespace:
    return SimpleNamespace(choices=[SimpleNamespace(finish_reason=finish)])


class Wrapper:
    """What the guard sees of LiteLLM's stream wrapper: an async iterator with ``chunks``."""

    def __init__(self, out: list[SimpleNamespace], kept: list[SimpleNamespace]) -> None:
        self.out, self.chunks = list(out), kept

    def __aiter__(self) -> Wrapper:
        return self

    async def __anext__(self) -> SimpleNamespace:
        if not self.out:
            raise StopAsyncIteration
        return self.out.pop(0)


async def drain(response: Any) -> list[Any]:
    return [c async for c in guard_stream(response, "m")]


def test_finished_stream_passes() -> None:
    final = chunk("stop")
    assert asyncio.run(drain(Wrapper([chunk(None), final], [chunk(None), final]))) == [chunk(None), final]


def test_synthetic_stop_is_a_cut() -> None:
    with pytest.raises(StreamCut, match="closed the stream before it finished"):
        asyncio.run(drain(Wrapper([chunk(None), chunk("stop")], [chunk(None)])))


def test_unknown_streams_are_not_judged() -> None:
    assert upstream_finished(iter([])) is None
    fallback = Wrapper([], [])
    fallback.fallback_headers_adopted = True  # type: ignore[attr-defined]
    assert upstream_finished(fallback) is None


def test_a_stopping_proxy_ends_streams_once_the_drain_time_is_over() -> None:
    now = [100.0]
    drain = Drain(2.0, clock=lambda: now[0])
    chunks = [chunk(None), chunk(None), chunk(None), chunk("stop")]

    async def read() -> list[Any]:
        got = []
        async for c in guard_stream(Wrapper(list(chunks), list(chunks)), "m", drain):
            got.append(c)
            if len(got) == 1:
                drain.start()  # SIGTERM after the first chunk
            now[0] += 1.5  # each chunk takes 1.5 s
        return got

    with pytest.raises(GatewayStopping, match="stopping and its streams had 2 s to finish") as info:
        asyncio.run(read())
    assert info.value.status_code == 503


def test_drain_not_started_never_ends_a_stream() -> None:
    drain = Drain(0.0)
    final = chunk("stop")
    out = asyncio.run(_drained(Wrapper([chunk(None), final], [chunk(None), final]), drain))
    assert out == [chunk(None), final] and not drain.over()
    drain.start()
    assert drain.over()


async def _drained(response: Any, drain: Drain) -> list[Any]:
    return [c async for c in guard_stream(response, "m", drain)]
