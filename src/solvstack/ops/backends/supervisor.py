"""Keep a set of child processes alive together: if one dies, the rest are stopped.

with Supervisor() as sup:
    sup.start(vllm, timeout=600, on_progress=print)    # waits until healthy
    sup.start(proxy, timeout=120)
    sup.watch()        # blocks; raises ProcessExited naming the child that died
# leaving the block stops every child, last started first
"""

from __future__ import annotations

import signal
import time
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType, TracebackType

from solvstack.ops.backends.process import ManagedProcess, Progress, ProgressCallback


class Shutdown(Exception):
    """Raised in the main thread when SIGTERM (or SIGHUP) arrives, so cleanup runs."""


class Supervisor:
    """Children started in order, watched together, stopped in reverse order."""

    def __init__(self) -> None:
        self.children: list[ManagedProcess] = []

    def start(
        self,
        child: ManagedProcess,
        *,
        timeout: float,
        on_progress: ProgressCallback | None = None,
    ) -> float:
        """Start ``child`` and wait until healthy; return its start-up seconds."""
        self.launch(child)
        return self.wait_healthy(child, timeout=timeout, on_progress=on_progress)

    def launch(self, child: ManagedProcess) -> None:
        """Start ``child`` without waiting (to start several at once, then ``wait_healthy``)."""
        self.children.append(child)
        child.start()

    def wait_healthy(
        self, child: ManagedProcess, *, timeout: float, on_progress: ProgressCallback | None = None
    ) -> float:
        """Wait for ``child``; also fails fast if any *other* child dies meanwhile."""

        def progress(p: Progress) -> None:
            self.check()
            if on_progress is not None:
                on_progress(p)

        return child.wait_healthy(timeout, on_progress=progress)

    def check(self) -> None:
        """Raise ``ProcessExited`` if any child has exited."""
        for child in self.children:
            child.check_running()

    def watch(self, poll_interval: float = 1.0) -> None:
        """Block until a child exits (raises ``ProcessExited``) or a signal interrupts."""
        while True:
            self.check()
            time.sleep(poll_interval)

    def stop_all(self) -> None:
        """Stop every child, last started first (the proxy before the backends it uses)."""
        for child in reversed(self.children):
            child.stop()

    def __enter__(self) -> Supervisor:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop_all()


@contextmanager
def shutdown_on_signals(*signals: signal.Signals) -> Iterator[None]:
    """Turn ``signals`` (default SIGTERM, SIGHUP) into a ``Shutdown`` exception; restore after."""
    wanted = signals or (signal.SIGTERM, signal.SIGHUP)

    def handler(signum: int, frame: FrameType | None) -> None:
        raise Shutdown(signal.Signals(signum).name)

    previous = {sig: signal.signal(sig, handler) for sig in wanted}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)
