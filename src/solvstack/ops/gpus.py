"""NVIDIA GPU discovery over NVML (``nvidia-ml-py``, ``import pynvml``), and ``solv gpus``.

    solv gpus                 # index, UUID, name, memory, utilization, which vllm/*.yaml uses it
    solv gpus --json
    solv gpus --model-list    # the model_list entries matching vllm/*.yaml, to paste into the config
    solv gpus --compose       # compose.gpus.yaml: one service per GPU deployment of vllm/*.yaml
    solv gpus --model-list compose   # the entries at those services' addresses

With no NVIDIA driver (no ``libnvidia-ml``), :func:`list_gpus` raises :class:`NoNvidiaDriver` with a
plain sentence, and ``solv up`` runs the CPU embedded default instead. The NVML module is a
parameter (``nvml=``), so tests pass a fake with pynvml's function names and return types.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict, dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import yaml

MIB = 1024 * 1024


class NoNvidiaDriver(RuntimeError):
    """NVML cannot be used here: no driver, no library, or no permission. The message says which."""


@dataclass(frozen=True)
class Gpu:
    """One GPU as NVML reports it."""

    index: int
    uuid: str
    name: str
    memory_total_mib: int
    memory_free_mib: int
    utilization_pct: int | None  # None where NVML does not support it (e.g. MIG)


def load_pynvml() -> ModuleType:
    """The real ``pynvml`` (imported here, so ``solv`` never pays for it unless asked)."""
    try:
        import pynvml
    except ImportError as exc:  # pragma: no cover - it is a dependency
        raise NoNvidiaDriver("nvidia-ml-py is not installed: pip install nvidia-ml-py") from exc
    return pynvml


def list_gpus(nvml: Any = None) -> list[Gpu]:
    """Every GPU NVML sees, in index order (the order ``nvidia-smi`` uses)."""
    nvml = nvml if nvml is not None else load_pynvml()
    try:
        nvml.nvmlInit()
    except nvml.NVMLError as exc:
        raise NoNvidiaDriver(f"no NVIDIA driver available (NVML: {exc}); GPU deployments cannot start here, "
                             "the CPU embedded default runs instead") from None
    try:
        return [_gpu(nvml, i) for i in range(nvml.nvmlDeviceGetCount())]
    except nvml.NVMLError as exc:
        raise NoNvidiaDriver(f"NVML failed while listing GPUs: {exc}") from None
    finally:
        nvml.nvmlShutdown()


def _gpu(nvml: Any, index: int) -> Gpu:
    handle = nvml.nvmlDeviceGetHandleByIndex(index)
    memory = nvml.nvmlDeviceGetMemoryInfo(handle)
    try:
        util: int | None = int(nvml.nvmlDeviceGetUtilizationRates(handle).gpu)
    except nvml.NVMLError:  # NotSupported on MIG slices and some boards
        util = None
    return Gpu(index=index, uuid=_text(nvml.nvmlDeviceGetUUID(handle)), name=_text(nvml.nvmlDeviceGetName(handle)),
               memory_total_mib=int(memory.total) // MIB, memory_free_mib=int(memory.free) // MIB,
               utilization_pct=util)


def _text(value: str | bytes) -> str:
    """pynvml returns str on Python 3 (its convertStrBytes); older builds returned bytes."""
    return value.decode() if isinstance(value, bytes) else str(value)


# -- `solv gpus` ----------------------------------------------------------------------------------
def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.add_argument("--model-list", nargs="?", const="local", choices=["local", "compose"],
                        help="print the model_list entries for the vllm/*.yaml deployments (YAML); "
                             "compose: at their compose services' addresses")
    parser.add_argument("--compose", action="store_true",
                        help="print the compose overlay for the vllm/*.yaml GPU deployments (compose.gpus.yaml)")
    parser.add_argument("--deployments", type=Path, default=Path("vllm"), help="deployment folder (default: vllm)")


def run(args: argparse.Namespace, nvml: Any = None) -> int:
    from solvstack.ops.deployments import DeploymentError, load_deployments, model_list_entry, render_compose

    try:
        deployments = load_deployments(args.deployments)
    except DeploymentError as exc:
        print(exc, file=sys.stderr)
        return 2
    if getattr(args, "compose", False):
        print(render_compose(deployments), end="")
        return 0
    if args.model_list:
        compose = args.model_list == "compose"
        entries = [model_list_entry(d, compose=compose) for d in deployments
                   if not d.fallback and (d.on_gpu or not compose)]
        print(yaml.safe_dump({"model_list": entries}, sort_keys=False), end="")
        return 0
    try:
        gpus = list_gpus(nvml)
    except NoNvidiaDriver as exc:
        print(json.dumps({"driver": False, "reason": str(exc), "gpus": []}) if args.json else str(exc))
        return 0
    users = {g: d.name for d in deployments if not d.remote for g in map(str, d.gpus)}
    if args.json:
        rows = [{**asdict(g), "deployment": users.get(g.uuid) or users.get(str(g.index))} for g in gpus]
        print(json.dumps({"driver": True, "gpus": rows}, indent=2))
        return 0
    print(format_table(gpus, users))
    return 0


def format_table(gpus: list[Gpu], users: dict[str, str]) -> str:
    if not gpus:
        return "NVIDIA driver found, but no GPU"
    lines = [f"{'#':>2}  {'UUID':<40}  {'name':<24}  {'free/total MiB':>15}  {'util':>4}  deployment"]
    for g in gpus:
        util = f"{g.utilization_pct}%" if g.utilization_pct is not None else "n/a"
        user = users.get(g.uuid) or users.get(str(g.index)) or "-"
        lines.append(f"{g.index:>2}  {g.uuid:<40}  {g.name[:24]:<24}  "
                     f"{f'{g.memory_free_mib}/{g.memory_total_mib}':>15}  {util:>4}  {user}")
    return "\n".join(lines)
