"""Tell a cut stream from a finished one, so a client never takes half an answer for a whole one.

LiteLLM 1.106.2 ends a chat stream whose upstream closed the connection without a ``finish_reason``
(a crashed or killed model server, a proxy in between dropping the connection) with a *synthetic*
``finish_reason: "stop"`` chunk and ``data: [DONE]`` (``CustomStreamWrapper.finish_reason_handler``):
the client cannot tell the truncated answer from a complete one. The wrapper keeps every chunk it
got from upstream in ``response.chunks`` and adds its closing chunk there only when upstream sent a
finish reason, so a closing chunk with no finish reason in ``chunks`` means the stream was cut.
:func:`guard_stream` then raises :class:`StreamCut`, which the proxy sends as its usual
``data: {"error": ...}`` event instead of the false "stop".

A proxy that is being stopped (``SIGTERM``: ``docker compose stop``, Kubernetes, a rolling restart)
stops taking connections and lets its streams finish; a stream still running ``solv.drain_s`` after the
signal ends with a :class:`GatewayStopping` error event instead, before the orchestrator's ``SIGKILL``
would cut it mid-chunk (:class:`Drain`).

>>> StreamCut("qwen3-8b").status_code
502
"""

from __future__ import annotations

import logging
import signal
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

log = logging.getLogger("solv")


class StreamEnded(RuntimeError):
    """A stream solv ends with an error event; LiteLLM sends ``status_code``, ``type`` and ``message``."""

    status_code = 500
    type = "stream_ended"

    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)


class StreamCut(StreamEnded):
    """The model server closed the stream before it finished; the answer is incomplete."""

    status_code = 502
    type = "upstream_stream_cut"

    def __init__(self, model: str) -> None:
        super().__init__(f"the model server for {model!r} closed the stream before it finished "
                         "(no finish_reason); the answer above is incomplete: retry the request")


class GatewayStopping(StreamEnded):
    """This proxy replica is stopping and its drain time is over; the client should retry elsewhere."""

    status_code = 503
    type = "gateway_stopping"

    def __init__(self, drain_s: float) -> None:
        super().__init__(f"this gateway replica is stopping and its streams had {drain_s:g} s to finish; the "
                         "answer above is incomplete: retry the request (the load balancer sends it to another "
                         "replica)")


class Drain:
    """When this process was told to stop, and whether a stream's time to finish is over.

    :meth:`install` chains onto the ``SIGTERM`` handler the server has (uvicorn's graceful exit), so the
    server still stops taking connections and waits for open ones; streams then have ``drain_s``.
    """

    def __init__(self, drain_s: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.drain_s, self.clock = drain_s, clock
        self.deadline: float | None = None

    def start(self) -> None:
        if self.deadline is None:
            self.deadline = self.clock() + self.drain_s
            log.warning("solv: stopping; open streams have %g s to finish (solv.drain_s)", self.drain_s)

    def over(self) -> bool:
        return self.deadline is not None and self.clock() >= self.deadline

    def install(self) -> bool:
        """Chain onto the current ``SIGTERM`` handler; False where signals cannot be set (not the main thread)."""
        previous = signal.getsignal(signal.SIGTERM)

        def on_term(signum: int, frame: Any) -> None:
            self.start()
            if callable(previous):
                previous(signum, frame)
            elif previous == signal.SIG_DFL:
                raise SystemExit(128 + signum)

        try:
            signal.signal(signal.SIGTERM, on_term)
        except ValueError:  # not the main thread of the main interpreter
            return False
        return True


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


async def guard_stream(response: Any, model: str, drain: Drain | None = None) -> AsyncIterator[Any]:
    """Yield ``response`` unchanged; raise :class:`StreamCut` in place of a synthetic closing chunk, and
    :class:`GatewayStopping` once a stopping proxy's drain time is over."""
    async for chunk in response:
        if finish_reason(chunk) and upstream_finished(response) is False:
            raise StreamCut(model)
        if drain is not None and drain.over():
            raise GatewayStopping(drain.drain_s)
        yield chunk
