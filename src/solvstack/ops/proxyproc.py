"""Run the stock ``litellm`` proxy as a child process: used by ``solv up``, the tests and the benchmarks.

>>> with ProxyProcess(Path("litellm_config.yaml"), port=4000, workers=2) as proxy:  # doctest: +SKIP
...     proxy.wait_ready()

Workers: the proxy is single-threaded Python (one event loop per process), so one process uses one
core. :func:`default_workers` is the rule ``solv up`` and the container use (docs/operations.md):
one worker per usable core, at most ``MAX_WORKERS``. With more than one worker, solv's metrics are
summed over all of them through ``PROMETHEUS_MULTIPROC_DIR`` (:func:`worker_env`); state that must
agree across workers (search results, judge decisions, LiteLLM's rpm limits and cooldowns) goes
through Redis when one is configured (:mod:`solvstack.proxy.sharedcache`).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

MAX_WORKERS = 8  # past this, one proxy replica per host/container is the better unit (docs/operations.md)


def usable_cores() -> int:
    """Cores this process may run on (CPU affinity and a cgroup CPU quota, as in a container)."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # macOS
        cores = os.cpu_count() or 1
    try:
        quota, period = Path("/sys/fs/cgroup/cpu.max").read_text().split()
        if quota != "max":
            cores = min(cores, max(1, int(int(quota) // int(period))))
    except (OSError, ValueError):
        pass
    return max(1, cores)


def default_workers() -> int:
    """One proxy worker per usable core, at most ``MAX_WORKERS`` (``SOLV_PROXY_WORKERS`` overrides)."""
    raw = os.environ.get("SOLV_PROXY_WORKERS", "").strip()
    if raw:
        if not raw.isdigit() or int(raw) < 1:
            raise ValueError(f"SOLV_PROXY_WORKERS={raw!r}: give a whole number of workers, 1 or more")
        return int(raw)
    return min(usable_cores(), MAX_WORKERS)


def worker_env(workers: int, env: dict[str, str] | None = None) -> dict[str, str]:
    """Environment for ``workers`` proxy processes: a fresh ``PROMETHEUS_MULTIPROC_DIR`` when more than one,
    so /metrics sums every worker's counters (LiteLLM's mount reads it; it wipes the folder at start)."""
    env = dict(env or {})
    if workers > 1 and not (env.get("PROMETHEUS_MULTIPROC_DIR") or os.environ.get("PROMETHEUS_MULTIPROC_DIR")):
        env["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="solv-metrics-")
    return env


class ProxyFailed(RuntimeError):
    """The proxy exited or never became ready; the message carries the tail of its log."""


def litellm_executable() -> str:
    """The `litellm` script of the environment this Python runs in."""
    exe = Path(sys.executable).parent / "litellm"
    if not exe.exists():
        raise ProxyFailed(f"{exe} not found: install the project (`pip install -e .`) in this environment")
    return str(exe)


def proxy_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")  # never fetch the price list at start
    env.setdefault("LITELLM_LOG", "INFO")
    env.update(extra or {})
    return env


class ProxyProcess:
    """One ``litellm --config CONFIG --port PORT`` process, logging to ``log_path``."""

    def __init__(self, config: Path, port: int, env: dict[str, str] | None = None,
                 log_path: Path | None = None, args: list[str] | None = None, workers: int = 1) -> None:
        self.config, self.port, self.workers = config, port, workers
        self.env = proxy_env(worker_env(workers, env))
        self.log_path = log_path or config.with_suffix(f".proxy-{port}.log")
        self.args = [*(args or []), *(["--num_workers", str(workers)] if workers > 1 else [])]
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> ProxyProcess:
        cmd = [litellm_executable(), "--config", str(self.config), "--port", str(self.port),
               "--host", "127.0.0.1", *self.args]
        with self.log_path.open("ab") as log:  # the child keeps its own copy of the descriptor
            self.proc = subprocess.Popen(cmd, cwd=self.config.parent, env=self.env, stdout=log,
                                         stderr=subprocess.STDOUT, start_new_session=True)
        return self

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def wait_ready(self, timeout: float = 120.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc is not None and self.proc.poll() is not None:
                raise ProxyFailed(f"litellm exited with {self.proc.returncode}:\n{self.log_tail()}")
            try:
                if httpx.get(f"{self.url}/health/liveliness", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        raise ProxyFailed(f"litellm not ready after {timeout:.0f}s:\n{self.log_tail()}")

    def stop(self, grace: float = 10.0) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(grace)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()

    def kill(self) -> None:
        """SIGKILL the proxy and all its workers at once (a crash, for tests)."""
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()

    def __enter__(self) -> ProxyProcess:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
