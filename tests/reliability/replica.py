"""A backend replica in a process of its own, so a test can really kill it (SIGKILL) and bring it back.

It is the shared recording backend (:mod:`tests.support.backend`) with a per-request delay, run as
``python -m tests.reliability.replica PORT NAME [DELAY_S [CONTENT]]``. Killing the process drops its listening
socket and every open connection at once, as a crashed vLLM server would.

>>> with Replica("a") as r:  # doctest: +SKIP
...     r.kill(); r.start()   # same port again
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.support.backend import RecordingBackend
from tests.support.proxy import free_port

REPO = Path(__file__).resolve().parents[2]


class Replica:
    """One recording backend process on a fixed port; ``kill`` and ``start`` may repeat."""

    def __init__(self, name: str, delay_s: float = 0.0, port: int | None = None, content: str | None = None) -> None:
        self.name, self.delay_s, self.content = name, delay_s, content
        self.port = port or free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def start(self, timeout: float = 20.0) -> Replica:
        cmd = [sys.executable, "-m", "tests.reliability.replica", str(self.port), self.name, str(self.delay_s),
               *([self.content] if self.content is not None else [])]
        self.proc = subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                     start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"http://127.0.0.1:{self.port}/health", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                time.sleep(0.05)
        self.kill()
        raise RuntimeError(f"replica {self.name} did not answer on port {self.port} within {timeout}s")

    def kill(self) -> None:
        """SIGKILL: no graceful shutdown, open connections die with the process."""
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()

    def __enter__(self) -> Replica:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.kill()


def main() -> None:
    port, name = int(sys.argv[1]), sys.argv[2]
    backend = RecordingBackend(name, port=port, keep=False)
    backend.behaviour.delay_s = float(sys.argv[3]) if len(sys.argv) > 3 else 0.0
    backend.behaviour.content = sys.argv[4] if len(sys.argv) > 4 else f"served by {name}"
    backend._server.serve_forever()


if __name__ == "__main__":
    main()
