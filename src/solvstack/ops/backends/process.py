"""One long-running child process with a health URL: start, wait until healthy, stop.

Shared by the vLLM servers and the LiteLLM proxy that ``solv up`` starts. Each child runs in its own
process group, so ``stop()`` also ends the workers it spawned (vLLM starts an engine-core process).

    proc = ManagedProcess("echo", ["python", "-m", "http.server", "9000"],
                          health_url="http://127.0.0.1:9000/", log_path=Path("/tmp/echo.log"))
    with proc:
        proc.wait_healthy(timeout=30, on_progress=print)
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import IO, Self

from solvstack.ops.backends.errors import ProcessExited, StartupTimeout

_TAIL_LINES = 30


@dataclass(frozen=True)
class Progress:
    """A snapshot while waiting for a child: seconds since start and its last log line."""

    name: str
    elapsed_s: float
    last_line: str


ProgressCallback = Callable[[Progress], None]


def tail(path: Path | None, lines: int = _TAIL_LINES) -> str:
    """The last ``lines`` lines of a log file ('' when there is none)."""
    if path is None or not path.exists():
        return ""
    with path.open("rb") as fh:
        fh.seek(max(0, path.stat().st_size - 64 * 1024))
        text = fh.read().decode("utf-8", errors="replace")
    return "\n".join(text.splitlines()[-lines:])


def url_ok(url: str, timeout: float = 2.0) -> bool:
    """True when a GET on ``url`` answers 2xx."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:  # noqa: S310 (local URL)
            return 200 <= int(resp.status) < 300
    except (urllib.error.URLError, OSError, ValueError):
        return False


class ManagedProcess:
    """A child process in its own process group, with a log file and a health URL.

    ``log_path=None`` lets the child write to this process's stdout/stderr.
    """

    def __init__(
        self,
        name: str,
        argv: Sequence[str],
        *,
        health_url: str,
        env: Mapping[str, str] | None = None,
        log_path: Path | None = None,
        cwd: Path | None = None,
    ) -> None:
        self.name = name
        self.argv = list(argv)
        self.health_url = health_url
        self.env = dict(os.environ if env is None else env)
        self.log_path = log_path
        self.cwd = cwd
        self._popen: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None
        self._started_at = 0.0

    @property
    def pid(self) -> int | None:
        """The child's pid, or None before start."""
        return None if self._popen is None else self._popen.pid

    def start(self) -> None:
        """Start the child (once); its output goes to ``log_path`` when set."""
        if self._popen is not None:
            return
        if self.log_path is not None:
            self.log_path.parent.mkdir(parents=True, exist_ok=True)
            self._log = self.log_path.open("ab")
        self._started_at = time.monotonic()
        self._popen = subprocess.Popen(  # noqa: S603 (argv built by us)
            self.argv,
            env=self.env,
            cwd=self.cwd,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT if self._log else None,
            start_new_session=True,  # own process group: stop() reaches its workers too
        )

    def poll(self) -> int | None:
        """The exit code if the child has exited, else None."""
        return None if self._popen is None else self._popen.poll()

    def check_running(self) -> None:
        """Raise ``ProcessExited`` (with the log tail) if the child has exited."""
        code = self.poll()
        if code is not None:
            raise ProcessExited(self._exit_message(code))

    def wait_healthy(
        self,
        timeout: float,
        on_progress: ProgressCallback | None = None,
        poll_interval: float = 1.0,
    ) -> float:
        """Block until ``health_url`` answers 2xx; return seconds since start.

        Raises ``ProcessExited`` as soon as the child dies, ``StartupTimeout`` after ``timeout``.
        """
        self.start()
        deadline = time.monotonic() + timeout
        while True:
            self.check_running()
            if url_ok(self.health_url):
                return self.elapsed()
            if time.monotonic() >= deadline:
                raise StartupTimeout(self._timeout_message(timeout))
            if on_progress is not None:
                on_progress(Progress(self.name, self.elapsed(), self.last_log_line()))
            time.sleep(poll_interval)

    def elapsed(self) -> float:
        """Seconds since ``start()``."""
        return time.monotonic() - self._started_at

    def last_log_line(self) -> str:
        """The last non-empty line of the log ('' without a log file)."""
        lines = [line for line in tail(self.log_path, 5).splitlines() if line.strip()]
        return lines[-1].strip() if lines else ""

    def stop(self, grace_s: float = 15.0) -> None:
        """SIGTERM the whole process group, SIGKILL it after ``grace_s``; safe to call twice."""
        if self._popen is not None and self._popen.poll() is None:
            self._signal_group(signal.SIGTERM)
            try:
                self._popen.wait(timeout=grace_s)
            except subprocess.TimeoutExpired:
                self._signal_group(signal.SIGKILL)
                self._popen.wait(timeout=grace_s)
        if self._popen is not None:
            self._signal_group(signal.SIGKILL)  # leftovers in the group (workers) after the leader
        if self._log is not None:
            self._log.close()
            self._log = None

    def _signal_group(self, sig: signal.Signals) -> None:
        assert self._popen is not None
        with contextlib.suppress(ProcessLookupError, PermissionError):  # already gone
            os.killpg(self._popen.pid, sig)

    def _exit_message(self, code: int) -> str:
        where = f"see {self.log_path}" if self.log_path else "see its output above"
        return (
            f"{self.name} exited with code {code} after {self.elapsed():.0f} s ({where}).\n"
            f"command: {' '.join(self.argv)}\n{self._tail_block()}"
        )

    def _timeout_message(self, timeout: float) -> str:
        where = f"see {self.log_path}" if self.log_path else "see its output above"
        return (
            f"{self.name} did not answer {self.health_url} within {timeout:.0f} s ({where}); "
            f"raise the timeout if the machine is slow.\n{self._tail_block()}"
        )

    def _tail_block(self) -> str:
        text = tail(self.log_path)
        return f"--- last lines of {self.log_path} ---\n{text}" if text else ""

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
