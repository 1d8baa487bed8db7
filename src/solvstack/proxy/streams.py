"""Tell a cut stream from a finished one, so a client never takes half an answer for a whole one.

LiteLLM 1.106.2 ends a chat stream whose upstream closed the connection without a ``finish_reason``
(a crashed or killed model server, a proxy in between dropping the connection) with a *synthetic*
``finish_reason: "stop"`` chunk and ``data: [DONE]`` (``CustomStreamWrapper.finish_reason_handler``):
the client cannot tell the truncated answer from a complete one. The wrapper keeps every chunk it
got from upstream in ``response.chunks`` and adds its closing chunk there only when upstream sent a
finish reason, so a closing chunk with no finish reason in ``chunks`` means the stream was cut.
:func:`guard_stream` then raises :class:`StreamCut`, which the proxy sends as its usual
``data: {"error": ...}`` event instead of the false "stop".

>>> StreamCut("qwen3-8b").status_code
502
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any


class StreamCut(RuntimeError):
    """The model server closed the stream before it finished; the answer is incomplete."""

    status_code = 502
    type = "upstream_stream_cut"

    def __init__(self, model: str) -> None:
        self.message = (f"the model server for {model!r} closed the stream before it finished "
                        "(no finish_reason); the answer above is incomplete: retry the request")
        super().__init__(self.message)


def finish_reason(chunk: Any) -> str | None:
    choices = getattr(chunk, "choices", None)
    if not choices:
        return None
    return getattr(choices[0], "finish_reason", None)


def upstream_finished(response: Any) -> bool | None:
    """Whether upstream sent a finish reason; None when ``response`` is not a stream LiteLLM tracks."""
    chunks = getattr(response, "chunks", None)
    if not isinstance(chunks, list) or getattr(response, "fallback_headers_adopted", False):
        return None  # another wrapper, or a fallback stream whose chunks live elsewhere: cannot tell
    return any(finish_reason(c) for c in chunks)


async def guard_stream(response: Any, model: str) -> AsyncIterator[Any]:
    """Yield ``response`` unchanged; raise :class:`StreamCut` in place of a synthetic closing chunk."""
    async for chunk in response:
        if finish_reason(chunk) and upstream_finished(response) is False:
            raise StreamCut(model)
        yield chunk
