"""Start a real vLLM OpenAI-compatible server as a child process.

    spec = BackendSpec.cpu(model_dir, served_name="smollm2-135m", port=8001)
    with VllmServer(spec) as server:
        server.wait_healthy(timeout=600, on_progress=print)
        print(server.base_url)        # http://127.0.0.1:8001/v1

One ``BackendSpec`` per server. ``solv up`` starts the embedded CPU default with ``BackendSpec.cpu`` and
GPU deployments with the specs :func:`solvstack.ops.launcher.gpu_backends` builds from ``vllm/*.yaml`` (their
own ports, ``CUDA_VISIBLE_DEVICES`` set to the GPUs' UUIDs, no CPU-only env or args).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from solvstack.ops.backends.errors import VllmNotInstalled
from solvstack.ops.backends.paths import default_cache_dir, repo_root
from solvstack.ops.backends.process import ManagedProcess

VLLM_PYTHON_ENV = "SOLV_VLLM_PYTHON"
VLLM_VENV_DIRNAME = ".venv-vllm"

# What every vLLM child gets: no hub access, no telemetry.
BASE_ENV: Mapping[str, str] = {"HF_HUB_OFFLINE": "1", "VLLM_NO_USAGE_STATS": "1"}
# CPU only: 1 GiB of KV cache (the default 4 GiB is much more than a 135M model needs) and no core
# reserved for the frontend (with 2 cores, reserving one halves decode speed).
CPU_ENV: Mapping[str, str] = {"VLLM_CPU_KVCACHE_SPACE": "1", "VLLM_CPU_NUM_OF_RESERVED_CPU": "0"}
# torch.compile at start-up costs ~2 minutes on 2 cores and buys little at this size.
CPU_ARGS: tuple[str, ...] = ("--enforce-eager",)


@dataclass(frozen=True)
class BackendSpec:
    """What one vLLM server serves and where: model, name, port, extra env and args."""

    model_dir: Path  # a prepared model folder (embedded models), or a hub id / path from vllm/*.yaml (GPUs)
    served_name: str
    port: int
    host: str = "127.0.0.1"
    args: tuple[str, ...] = ()
    env: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def cpu(cls, model_dir: Path, *, served_name: str, port: int, args: tuple[str, ...] = ()) -> BackendSpec:
        """A spec with the CPU settings (small KV cache, eager mode) plus ``args``."""
        return cls(model_dir, served_name, port, args=CPU_ARGS + args, env=dict(CPU_ENV))

    @property
    def base_url(self) -> str:
        """The OpenAI base URL, as LiteLLM's ``api_base`` wants it."""
        return f"http://{self.host}:{self.port}/v1"


def find_vllm_python(env: Mapping[str, str] | None = None) -> Path:
    """The Python with vLLM: ``$SOLV_VLLM_PYTHON``, else ``<repo>/.venv-vllm/bin/python``."""
    env = os.environ if env is None else env
    override = env.get(VLLM_PYTHON_ENV)
    if override:
        path = Path(override)
        if not _is_executable(path):
            raise VllmNotInstalled(
                f"{VLLM_PYTHON_ENV}={override} is not an executable Python; point it at the "
                f"python of a venv with vllm-cpu, or unset it to use {VLLM_VENV_DIRNAME}/"
            )
        return path
    candidates = _venv_candidates()
    for path in candidates:
        if _is_executable(path):
            return path
    looked = ", ".join(str(p) for p in candidates)
    raise VllmNotInstalled(
        f"no vLLM Python found (looked at {looked}). Run scripts/setup-vllm-cpu.sh "
        f"(creates {VLLM_VENV_DIRNAME}/, a few minutes) or set {VLLM_PYTHON_ENV}."
    )


def _venv_candidates() -> list[Path]:
    roots = [repo_root(), Path.cwd()]
    unique = dict.fromkeys(r.resolve() for r in roots if r is not None)
    return [root / VLLM_VENV_DIRNAME / "bin" / "python" for root in unique]


def _is_executable(path: Path) -> bool:
    return path.is_file() and os.access(path, os.X_OK)


class VllmServer(ManagedProcess):
    """A vLLM OpenAI server (``vllm.entrypoints.openai.api_server``) for one ``BackendSpec``.

    The log goes to ``<cache>/logs/vllm-<name>-<port>.log`` unless ``log_path`` is given;
    ``VLLM_CACHE_ROOT`` is ``<cache>/vllm`` so nothing lands in ``~/.cache/vllm``.
    """

    def __init__(
        self,
        spec: BackendSpec,
        *,
        python: Path | None = None,
        cache_dir: Path | None = None,
        log_path: Path | None = None,
        base_env: Mapping[str, str] | None = None,
    ) -> None:
        self.spec = spec
        cache = cache_dir or default_cache_dir()
        python = python or find_vllm_python(base_env)
        log = log_path or cache / "logs" / f"vllm-{spec.served_name}-{spec.port}.log"
        super().__init__(
            f"vLLM {spec.served_name} :{spec.port}",
            server_argv(python, spec),
            health_url=f"http://{spec.host}:{spec.port}/health",
            env=server_env(spec, cache, base_env),
            log_path=log,
        )

    @property
    def base_url(self) -> str:
        """The OpenAI base URL, e.g. ``http://127.0.0.1:8001/v1``."""
        return self.spec.base_url


def server_argv(python: Path, spec: BackendSpec) -> list[str]:
    """The command line; ``vllm serve`` is not used because it fails for the ``vllm-cpu`` dist."""
    return [
        str(python),
        "-m",
        "vllm.entrypoints.openai.api_server",
        "--model",
        str(spec.model_dir),
        "--served-model-name",
        spec.served_name,
        "--host",
        spec.host,
        "--port",
        str(spec.port),
        *spec.args,
    ]


def server_env(spec: BackendSpec, cache_dir: Path, base_env: Mapping[str, str] | None = None) -> dict[str, str]:
    """This process's environment plus the vLLM settings; the spec's own env wins."""
    env = dict(os.environ if base_env is None else base_env)
    env.update(BASE_ENV)
    env["VLLM_CACHE_ROOT"] = str(cache_dir / "vllm")
    env.update(spec.env)
    return env


if __name__ == "__main__":  # pragma: no cover - manual smoke: python -m solvstack.ops.backends.server DIR
    with VllmServer(BackendSpec.cpu(Path(sys.argv[1]), served_name="test", port=8001)) as srv:
        print(f"healthy after {srv.wait_healthy(600, on_progress=print):.0f} s: {srv.base_url}")
        input("press Enter to stop ")
