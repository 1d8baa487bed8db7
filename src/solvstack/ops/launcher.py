"""Plan one vLLM server per GPU deployment of ``vllm/*.yaml``; ``solv up`` starts what it returns.

Everything is checked before anything starts: each GPU exists (index or UUID, resolved through
NVML), no GPU is given to two servers, no two servers share a port, no port is already taken, and
``model_list`` in the proxy config matches the declarations. Each server is pinned to its GPUs by
UUID (``CUDA_VISIBLE_DEVICES=GPU-...``), so a reordered PCI bus cannot swap them.

Starting, health waits with progress, "a dead child stops everything" and Ctrl-C are the
``solv up`` supervisor's (:mod:`solvstack.ops.backends.supervisor`); nothing is restarted silently.

    plan = plan_launch(load_deployments(Path("vllm")), list_gpus())
    for server in plan.servers: print(server.deployment.name, server.spec.env)
"""

from __future__ import annotations

import os
import socket
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from solvstack.core.config import load_raw
from solvstack.core.errors import ConfigError
from solvstack.ops.backends.errors import EmbeddedError
from solvstack.ops.backends.server import BackendSpec
from solvstack.ops.deployments import Deployment, check_model_list, load_deployments
from solvstack.ops.gpus import Gpu, NoNvidiaDriver, list_gpus


class LaunchError(EmbeddedError):
    """The GPU deployments cannot start as declared; the message names the file and the fix."""


@dataclass(frozen=True)
class Planned:
    """One server to start: its declaration and the spec for VllmServer (its GPUs pinned by UUID in
    ``spec.env["CUDA_VISIBLE_DEVICES"]``)."""

    deployment: Deployment
    spec: BackendSpec


@dataclass(frozen=True)
class LaunchPlan:
    """The servers to start, and plain sentences about what is not started and why."""

    servers: list[Planned]
    notes: list[str]


def port_in_use(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1" if host == "0.0.0.0" else host, port)) == 0


def plan_launch(deployments: list[Deployment], gpus: list[Gpu] | None, *, no_gpu_reason: str = "no NVIDIA driver",
                in_use: Callable[[str, int], bool] = port_in_use) -> LaunchPlan:
    """The local GPU deployments, resolved and checked. ``gpus=None``: NVML is unavailable."""
    notes = [f"vllm/{d.name}.yaml: remote host {d.host}, not started here (the proxy routes to {d.api_base})"
             for d in deployments if d.remote]
    wanted = [d for d in deployments if d.on_gpu and not d.remote]
    if not wanted:
        return LaunchPlan([], notes)
    if gpus is None:
        names = ", ".join(f"vllm/{d.name}.yaml" for d in wanted)
        return LaunchPlan([], [*notes, f"{no_gpu_reason}: not starting {names}"])
    resolved = {d.name: resolve_gpus(d, gpus) for d in wanted}
    _check_overlap(resolved)
    _check_ports(wanted, in_use)
    notes += [f"vllm/{d.name}.yaml: no tool-call parser for family {d.thinking!r}, so `tools` requests get 400 "
              f"from it; set tool_call_parser: (hermes, llama3_json, mistral, ...; docs/thinking.md)"
              for d in wanted if "--tool-call-parser" not in d.server_flags and d.tool_call_parser != "none"]
    return LaunchPlan([Planned(d, gpu_spec(d, resolved[d.name])) for d in wanted], notes)


def resolve_gpus(d: Deployment, gpus: list[Gpu]) -> tuple[str, ...]:
    """The UUIDs of ``d.gpus`` (indices looked up, UUIDs checked) on this machine."""
    by_uuid = {g.uuid: g for g in gpus}
    have = ", ".join(f"{g.index}={g.uuid}" for g in gpus) or "none"
    out = []
    for gpu in d.gpus:
        if isinstance(gpu, int):
            if gpu >= len(gpus):
                raise LaunchError(f"vllm/{d.name}.yaml: GPU {gpu} does not exist; this machine has {have} "
                                  f"(`solv gpus` lists them)")
            out.append(gpus[gpu].uuid)
        elif gpu in by_uuid or gpu.startswith("MIG-"):  # MIG UUIDs are not listed as devices
            out.append(gpu)
        else:
            raise LaunchError(f"vllm/{d.name}.yaml: no GPU with UUID {gpu} here; this machine has {have}")
    return tuple(out)


def _check_overlap(resolved: dict[str, tuple[str, ...]]) -> None:
    owner: dict[str, str] = {}
    for name, uuids in resolved.items():
        for uuid in uuids:
            if uuid in owner:
                raise LaunchError(f"vllm/{name}.yaml and vllm/{owner[uuid]}.yaml both get GPU {uuid} (an index in "
                                  f"one and the UUID in the other?); one vLLM server per GPU")
            owner[uuid] = name


def _check_ports(deployments: list[Deployment], in_use: Callable[[str, int], bool]) -> None:
    for d in deployments:
        if in_use(d.host, d.port):
            raise LaunchError(f"vllm/{d.name}.yaml: port {d.port} is already in use; stop what listens there "
                              f"or change port:")


def gpu_spec(d: Deployment, uuids: tuple[str, ...]) -> BackendSpec:
    """The VllmServer spec: pinned by UUID, the declared knobs as vLLM flags (the family's reasoning and
    tool-call parsers included), the model from the hub
    unless HF_HUB_OFFLINE is set (GPU models are real downloads, unlike the embedded ones)."""
    env = {"CUDA_VISIBLE_DEVICES": ",".join(uuids), "HF_HUB_OFFLINE": os.environ.get("HF_HUB_OFFLINE", "0"),
           **d.env}
    return BackendSpec(Path(d.model), d.served_name, d.port, host=d.host, args=tuple(d.vllm_args),
                       env=env)


def gpu_backends(config: Path, echo: Callable[[str], None], nvml: Any = None) -> list[BackendSpec] | None:
    """The ``solv up`` seam: specs for the GPU deployments next to ``config``, or None when none can
    start here (none declared, or no driver: then the CPU embedded default runs, and ``echo`` says so).
    Raises LaunchError, before anything starts, for a bad declaration or a model_list mismatch."""
    try:
        deployments = load_deployments(config.parent / "vllm")
        if not any(d.on_gpu and not d.remote for d in deployments):
            return None
        try:
            gpus: list[Gpu] | None = list_gpus(nvml)
            reason = ""
        except NoNvidiaDriver as exc:
            gpus, reason = None, str(exc)
        plan = plan_launch(deployments, gpus, no_gpu_reason=reason)
        for note in plan.notes:
            echo(note)
        if not plan.servers:
            return None
        # solv up's proxy reaches them at their own address, not at a compose service's
        problems = check_model_list([p.deployment for p in plan.servers], load_raw(config), str(config),
                                    compose=False)
    except ConfigError as exc:  # a DeploymentError too
        raise LaunchError(str(exc)) from None
    if problems:
        raise LaunchError("the proxy config and vllm/ disagree, nothing started:\n  " + "\n  ".join(map(str, problems)))
    return [p.spec for p in plan.servers]


def cpu_replicas(model_dir: Path, served_name: str, ports: list[int], args: tuple[str, ...] = (),
                 cpus: int | None = None) -> list[BackendSpec]:
    """N vLLM CPU replicas of one model, each pinned to its own slice of cores (the CPU analogue of
    one server per GPU; used by the routing tests and ``bench/routing.py``)."""
    total = cpus or os.cpu_count() or 1
    share = max(1, total // len(ports))
    specs = []
    for i, port in enumerate(ports):
        first = (i * share) % total
        cores = str(first) if share == 1 else f"{first}-{first + share - 1}"
        spec = BackendSpec.cpu(model_dir, served_name=served_name, port=port, args=args)
        specs.append(replace(spec, env={**spec.env, "VLLM_CPU_OMP_THREADS_BIND": cores}))
    return specs
