"""`solv up`: prepare and start the model backends, then the LiteLLM proxy; stop all on exit.

    solv up [--config litellm_config.yaml] [--port 4000] [--workers N] [--model smollm2-135m] [--vllm-port 8001]

``plan_backends`` returns the list of ``BackendSpec`` to start: one vLLM per GPU deployment declared in
``vllm/*.yaml`` beside the config and found on this machine (:func:`solvstack.ops.launcher.gpu_backends`:
``CUDA_VISIBLE_DEVICES`` set to the GPU's UUID, its own port), or, when none can start here (none declared,
or no NVIDIA driver), the embedded default: one vLLM CPU server.
Ctrl-C or SIGTERM stops everything started here; if any child dies, the rest are stopped and the
command exits non-zero, naming the child and its log.
"""

from __future__ import annotations

import argparse
import os
import re
import secrets
import socket
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from solvstack.ops.backends.catalog import DEFAULT_MODEL, EMBEDDED_MODELS, get_model
from solvstack.ops.backends.errors import EmbeddedError
from solvstack.ops.backends.model import prepare_in_venv
from solvstack.ops.backends.paths import default_cache_dir
from solvstack.ops.backends.process import ManagedProcess, Progress
from solvstack.ops.backends.server import BackendSpec, VllmServer, find_vllm_python
from solvstack.ops.backends.supervisor import Shutdown, Supervisor, shutdown_on_signals

EMBEDDED_API_BASE_ENV = "SOLV_EMBEDDED_API_BASE"  # litellm_config.yaml reads the default's api_base
PROGRESS_EVERY_S = 5.0
# "(APIServer pid=42) INFO 11-23 05:27:49 [compilation.py:317] msg" -> "INFO msg"
_VLLM_LOG_PREFIX = re.compile(r"^\(\w+ pid=\d+\) (\w+) \d\d-\d\d [\d:]+ \[[^\]]*\] ")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``solv up``."""
    parser.add_argument(
        "--config", type=Path, default=Path("litellm_config.yaml"), help="LiteLLM proxy config (default: %(default)s)"
    )
    parser.add_argument("--port", type=int, default=4000, help="proxy port (default: %(default)s)")
    parser.add_argument(
        "--workers", type=int, default=None,
        help="proxy worker processes (default: one per usable core, at most 8; env SOLV_PROXY_WORKERS)",
    )
    parser.add_argument(
        "--model",
        default=os.environ.get("SOLV_EMBEDDED_MODEL", DEFAULT_MODEL),
        choices=list(EMBEDDED_MODELS),
        help="embedded CPU model (default: %(default)s, env SOLV_EMBEDDED_MODEL)",
    )
    parser.add_argument(
        "--vllm-port", type=int, default=8001, help="port of the embedded vLLM server (default: %(default)s)"
    )
    parser.add_argument(
        "--cache-dir", type=Path, default=None, help=f"models, logs, vLLM cache (default: {default_cache_dir()})"
    )
    parser.add_argument(
        "--startup-timeout", type=float, default=600.0, help="seconds each vLLM server may take to answer /health"
    )
    parser.add_argument(
        "--proxy-timeout", type=float, default=180.0, help="seconds the proxy may take to answer /health/liveliness"
    )


@dataclass(frozen=True)
class UpPlan:
    """Everything ``solv up`` starts: backends first, then the proxy with ``proxy_env``."""

    backends: list[BackendSpec]
    proxy_env: dict[str, str]


def run(args: argparse.Namespace) -> int:
    """Run the stack until Ctrl-C / SIGTERM (exit 0) or until a child dies (exit 1)."""
    started = time.monotonic()
    try:
        with shutdown_on_signals(), Supervisor() as sup:
            _check_config(args.config)
            python = find_vllm_python()
            plan = plan_backends(args, python)
            _start_backends(sup, plan.backends, python, args)
            proxy = _start_proxy(sup, args, plan.proxy_env)
            say(
                f"ready in {time.monotonic() - started:.0f} s: proxy http://127.0.0.1:{args.port} "
                f"(pid {proxy.pid}); Ctrl-C stops everything"
            )
            sup.watch()
    except (KeyboardInterrupt, Shutdown) as why:
        say(f"stopped ({type(why).__name__} {why})".rstrip())
        return 0
    except EmbeddedError as exc:
        say(f"error: {exc}")
        return 1
    return 0  # pragma: no cover - watch() only returns by raising


def plan_backends(args: argparse.Namespace, python: Path) -> UpPlan:
    """The backends to start: the declared GPU deployments, else the embedded CPU default."""
    from solvstack.ops.launcher import gpu_backends  # vllm/*.yaml on GPUs; None: the CPU embedded default

    gpu = gpu_backends(args.config, say)
    if gpu is not None:
        return UpPlan(backends=gpu, proxy_env={})
    model = get_model(args.model)
    _warn_if_unrouted(args.config, model.served_name)
    _require_free_port(args.vllm_port, "--vllm-port")
    say(f"preparing model {model.name} (the first run converts it, 1-2 min)")
    model_dir = prepare_in_venv(model.name, python=python, cache_dir=args.cache_dir, echo=say)
    spec = BackendSpec.cpu(model_dir, served_name=model.served_name, port=args.vllm_port, args=model.vllm_args)
    return UpPlan(backends=[spec], proxy_env={EMBEDDED_API_BASE_ENV: spec.base_url})


def _start_backends(sup: Supervisor, specs: list[BackendSpec], python: Path, args: argparse.Namespace) -> None:
    servers = [VllmServer(spec, python=python, cache_dir=args.cache_dir) for spec in specs]
    for server in servers:  # start all first: on a multi-GPU box they load in parallel
        say(f"starting {server.name}, log {server.log_path}")
        sup.launch(server)
    for server in servers:
        seconds = sup.wait_healthy(server, timeout=args.startup_timeout, on_progress=Throttled())
        say(f"{server.name} healthy after {seconds:.0f} s: {server.base_url}")


def _start_proxy(sup: Supervisor, args: argparse.Namespace, extra_env: dict[str, str]) -> ManagedProcess:
    from solvstack.ops.proxyproc import ProxyFailed, default_workers, litellm_executable, proxy_env, worker_env

    _require_free_port(args.port, "--port")
    try:
        exe = litellm_executable()
        workers = args.workers or default_workers()
    except (ProxyFailed, ValueError) as exc:
        raise EmbeddedError(str(exc)) from exc
    if workers < 1:
        raise EmbeddedError(f"--workers {workers}: give 1 or more")
    config = args.config.resolve()
    argv = [exe, "--config", str(config), "--port", str(args.port), "--num_workers", str(workers)]
    # cwd: LiteLLM imports the config's callbacks (plugins/...) relative to the working directory
    proxy = ManagedProcess(
        "litellm proxy",
        argv,
        env=proxy_env(worker_env(workers, {**extra_env, **master_key_env(args.cache_dir)})),
        cwd=config.parent,
        health_url=f"http://127.0.0.1:{args.port}/health/liveliness",
    )
    say(f"starting {' '.join(argv)} ({', '.join(f'{k}={v}' for k, v in extra_env.items())})")
    seconds = sup.start(proxy, timeout=args.proxy_timeout, on_progress=Throttled())
    say(f"proxy ready after {seconds:.0f} s")
    return proxy


def master_key_env(cache_dir: Path | None) -> dict[str, str]:
    """Never run an open proxy: without LITELLM_MASTER_KEY, use a random key kept in the cache dir."""
    if os.environ.get("LITELLM_MASTER_KEY"):
        return {}
    path = (cache_dir or default_cache_dir()) / "master_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600)
        path.write_text(f"sk-solv-{secrets.token_urlsafe(24)}\n")
    say(f"LITELLM_MASTER_KEY is not set: the proxy uses the key in {path} "
        f"(export LITELLM_MASTER_KEY=$(cat {path}) for clients, or set your own)")
    return {"LITELLM_MASTER_KEY": path.read_text().strip()}


class Throttled:
    """A progress printer: one line per ``every_s`` seconds with elapsed time and last log line."""

    def __init__(self, every_s: float = PROGRESS_EVERY_S) -> None:
        self.every_s = every_s
        self._next = every_s

    def __call__(self, p: Progress) -> None:
        if p.elapsed_s < self._next:
            return
        self._next = p.elapsed_s + self.every_s
        line = _VLLM_LOG_PREFIX.sub(r"\1 ", p.last_line)
        last = f"  | {line[:110]}" if line else ""
        say(f"{p.name}: waiting {p.elapsed_s:4.0f} s{last}")


def _check_config(config: Path) -> None:
    if not config.is_file():
        raise EmbeddedError(f"config {config} not found: run from the repo root or pass --config")


def _warn_if_unrouted(config: Path, served: str) -> None:
    if f"hosted_vllm/{served}" not in config.read_text():
        say(
            f"warning: {config} has no deployment with model hosted_vllm/{served}; requests "
            f"for it will fail. Add one, or pick the model the config names with --model."
        )


def _require_free_port(port: int, flag: str) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        if sock.connect_ex(("127.0.0.1", port)) == 0:
            raise EmbeddedError(f"port {port} is already in use: stop what listens there or pass {flag}")


def say(message: str) -> None:
    """One line of ``solv up`` output."""
    print(f"[solv up] {message}", file=sys.stderr, flush=True)
