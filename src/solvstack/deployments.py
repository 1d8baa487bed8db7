"""vLLM deployments declared in ``vllm/*.yaml``: one file per server (one per GPU, usually).

A file declares what ``solv up`` starts (or, for a remote ``host``, only routes to) and what the
proxy's ``model_list`` must say about it; :func:`check_model_list` keeps the two from drifting::

    # vllm/qwen3-gpu0.yaml
    model: Qwen/Qwen3-8B          # Hugging Face id, local folder, or embedded:<name> (prepared by solv)
    served_name: qwen3-8b         # vLLM --served-model-name; model_list: hosted_vllm/qwen3-8b
    model_group: qwen3-8b         # model_name clients ask for (default: served_name)
    gpus: [0]                     # indices or UUIDs (GPU-...); [] = vLLM CPU
    port: 8010
    thinking: qwen3               # the thinking family (solvstack.families): also picks vLLM's
                                  # --reasoning-parser and --tool-call-parser (override below)
    # reasoning_parser: qwen3     # vLLM 0.32 names; "none" starts without one
    # tool_call_parser: hermes    # (--enable-auto-tool-choice comes with it)

A file with everything commented out declares nothing. Every error names the file, the field and
the fix; ``solv check`` runs the same checks.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from solvstack.config import ConfigError
from solvstack.families import (
    BUILTIN_FAMILIES,
    VLLM_REASONING_PARSERS,
    VLLM_SERVER_FLAGS,
    VLLM_TOOL_PARSERS,
    ServerFlags,
)

DEFAULT_DIR = Path("vllm")
LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1", "0.0.0.0"})
EMBEDDED_PREFIX = "embedded:"
_UUID = re.compile(r"^(GPU|MIG)-[0-9a-fA-F-]{8,}$")
# vLLM flags the declaration owns: an extra arg repeating one would silently fight it.
_OWNED_FLAGS = {"--model": "model", "--served-model-name": "served_name", "--port": "port", "--host": "host",
                "--tensor-parallel-size": "tensor_parallel_size", "-tp": "tensor_parallel_size",
                "--gpu-memory-utilization": "gpu_memory_utilization", "--max-model-len": "max_model_len",
                "--reasoning-parser": "reasoning_parser", "--reasoning-config": "reasoning_parser",
                "--tool-call-parser": "tool_call_parser", "--enable-auto-tool-choice": "tool_call_parser"}


class DeploymentError(ConfigError):
    """A ``vllm/*.yaml`` declaration is wrong, or disagrees with another one or with model_list."""


class Deployment(BaseModel):
    """One vLLM server. ``name`` is the file's stem; see the module docstring for an example."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = ""
    model: str = Field(min_length=1)
    served_name: str = Field(min_length=1)
    model_group: str = ""
    gpus: list[int | str] = []
    tensor_parallel_size: int = Field(0, ge=0)  # 0: one per listed GPU
    gpu_memory_utilization: float = Field(0.90, gt=0, le=1)
    max_model_len: int | None = Field(None, gt=0)
    host: str = "127.0.0.1"
    port: int = Field(ge=1, le=65535)
    args: list[str] = []
    env: dict[str, str] = {}
    thinking: str = "none"
    reasoning_parser: str | None = None  # None: the family's (families.VLLM_SERVER_FLAGS); "none": without
    tool_call_parser: str | None = None  # None: the family's; "none": without (tools requests then get 400)
    fallback: bool = False  # CPU only: start just when no GPU deployment can start (the embedded default)

    @field_validator("gpus")
    @classmethod
    def _gpu_ids(cls, v: list[int | str]) -> list[int | str]:
        for gpu in v:
            if isinstance(gpu, int) and gpu < 0 or isinstance(gpu, str) and not _UUID.match(gpu):
                raise ValueError(f"GPU {gpu!r} is neither an index (0, 1, ...) nor a UUID like GPU-5f2c...; "
                                 "`solv gpus` or `nvidia-smi -L` lists both")
        if len(set(map(str, v))) != len(v):
            raise ValueError(f"GPU listed twice in {v}")
        return v

    @field_validator("thinking")
    @classmethod
    def _family(cls, v: str) -> str:
        if v not in BUILTIN_FAMILIES:
            raise ValueError(f"unknown thinking family {v!r}; valid: {', '.join(sorted(BUILTIN_FAMILIES))}")
        return v

    @field_validator("reasoning_parser")
    @classmethod
    def _reasoning_parser(cls, v: str | None) -> str | None:
        return _parser_name(v, VLLM_REASONING_PARSERS, "reasoning parser")

    @field_validator("tool_call_parser")
    @classmethod
    def _tool_call_parser(cls, v: str | None) -> str | None:
        return _parser_name(v, VLLM_TOOL_PARSERS, "tool-call parser")

    @field_validator("args")
    @classmethod
    def _no_owned_flags(cls, v: list[str]) -> list[str]:
        for arg in v:
            owner = _OWNED_FLAGS.get(arg.split("=", 1)[0])
            if owner:
                raise ValueError(f"{arg!r} is set by the field {owner!r}; set it there instead of in args")
        return v

    @model_validator(mode="after")
    def _consistent(self) -> Deployment:
        if self.tensor_parallel_size and self.gpus and self.tensor_parallel_size != len(self.gpus):
            raise ValueError(f"tensor_parallel_size {self.tensor_parallel_size} but {len(self.gpus)} GPU(s) listed "
                             f"in gpus; list one GPU per shard, or drop tensor_parallel_size")
        if self.fallback and (self.gpus or self.remote):
            raise ValueError("fallback: true is for a local CPU deployment (gpus: []) only")
        return self

    @property
    def server_flags(self) -> list[str]:
        """vLLM flags for reasoning (budgets, ``reasoning_content``) and tool calls, from the family
        unless declared: ``--reasoning-parser ... --enable-auto-tool-choice --tool-call-parser ...``."""
        return VLLM_SERVER_FLAGS.get(self.thinking, ServerFlags()).args(self.tool_call_parser, self.reasoning_parser)

    @property
    def group(self) -> str:
        return self.model_group or self.served_name

    @property
    def remote(self) -> bool:
        return self.host not in LOCAL_HOSTS

    @property
    def on_gpu(self) -> bool:
        return bool(self.gpus)

    @property
    def tp(self) -> int:
        return self.tensor_parallel_size or max(1, len(self.gpus))

    @property
    def api_base(self) -> str:
        host = "127.0.0.1" if self.host == "0.0.0.0" else self.host
        return f"http://{host}:{self.port}/v1"

    @property
    def embedded_model(self) -> str | None:
        """``<name>`` for ``model: embedded:<name>`` (a model solv prepares), else None."""
        return self.model.removeprefix(EMBEDDED_PREFIX) if self.model.startswith(EMBEDDED_PREFIX) else None


def _parser_name(value: str | None, valid: frozenset[str], what: str) -> str | None:
    if value is None or value == "none" or value in valid:
        return value
    raise ValueError(f"unknown vLLM {what} {value!r}; vLLM 0.32 has: {', '.join(sorted(valid))} (or none)")


def load_deployment(path: Path) -> Deployment | None:
    """One file; None when it declares nothing (empty, or all commented out)."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise DeploymentError(f"{path}: cannot read it as YAML: {exc}") from None
    if data is None:
        return None
    if not isinstance(data, dict):
        raise DeploymentError(f"{path}: must be a mapping of fields (model, served_name, port, ...)")
    try:
        return Deployment.model_validate({"name": path.stem, **data})
    except ValidationError as exc:
        raise DeploymentError(_format(exc, path)) from None


def load_deployments(directory: Path = DEFAULT_DIR) -> list[Deployment]:
    """Every ``*.yaml`` / ``*.yml`` directly in ``directory`` (sorted by name), checked together."""
    if not directory.is_dir():
        return []
    files = sorted([*directory.glob("*.yaml"), *directory.glob("*.yml")])
    found = [d for d in (load_deployment(f) for f in files) if d is not None]
    check_together(found, directory)
    return found


def check_together(deployments: list[Deployment], where: Path = DEFAULT_DIR) -> None:
    """Names, ports and literally repeated GPUs across files (indices vs UUIDs: the launcher)."""
    seen_port: dict[str, str] = {}
    seen_gpu: dict[str, str] = {}
    for d in deployments:
        addr = d.api_base
        if addr in seen_port:
            raise DeploymentError(f"{where}/{d.name}.yaml: port {d.port} on {d.host} is also used by "
                                  f"{where}/{seen_port[addr]}.yaml; give each server its own port")
        seen_port[addr] = d.name
        for gpu in d.gpus if not d.remote else []:
            if str(gpu) in seen_gpu:
                raise DeploymentError(f"{where}/{d.name}.yaml: GPU {gpu} is also assigned to "
                                      f"{where}/{seen_gpu[str(gpu)]}.yaml; one vLLM server per GPU")
            seen_gpu[str(gpu)] = d.name


def _format(err: ValidationError, path: Path) -> str:
    lines = [f"{path}: invalid vLLM deployment"]
    for e in err.errors():
        loc = ".".join(str(p) for p in e["loc"]) or "(file)"
        got = f" (got {e['input']!r})" if e["type"] != "missing" else ""
        msg = str(e["msg"]).removeprefix("Value error, ")
        lines.append(f"  {loc}: {msg}{got}")
    return "\n".join(lines)


# -- model_list: generate, or check against the proxy config ------------------------------------
def model_list_entry(d: Deployment) -> dict[str, Any]:
    """The ``model_list`` entry that routes to ``d`` (what ``solv gpus --model-list`` prints)."""
    return {"model_name": d.group,
            "litellm_params": {"model": f"hosted_vllm/{d.served_name}", "api_base": d.api_base, "api_key": "none"},
            "model_info": {"solv_thinking": d.thinking, "solv_deployment": d.name}}


def check_model_list(deployments: list[Deployment], raw: dict[str, Any], where: str = "litellm_config.yaml",
                     env: dict[str, str] | None = None) -> list[str]:
    """Every disagreement between the declarations and ``model_list``, as fix-it sentences."""
    env = dict(os.environ) if env is None else env
    entries = [e for e in raw.get("model_list") or [] if isinstance(e, dict)]
    problems: list[str] = []
    for d in deployments:
        matches = [(i, e) for i, e in enumerate(entries) if _links(e, d, env)]
        if not matches:
            problems.append(f"vllm/{d.name}.yaml serves {d.served_name!r} at {d.api_base}, but no model_list entry "
                            f"in {where} points there; add the entry `solv gpus --model-list` prints")
        for i, e in matches:
            found = _entry_problems(e, d, _resolve((e.get("litellm_params") or {}).get("api_base"), env))
            problems.extend(f"{where} model_list[{i}] ({e.get('model_name')}): {p}" for p in found)
    names = {d.name for d in deployments}
    for i, e in enumerate(entries):
        linked = (e.get("model_info") or {}).get("solv_deployment")
        if linked and linked not in names:
            problems.append(f"{where} model_list[{i}] ({e.get('model_name')}): solv_deployment {linked!r} has no "
                            f"vllm/{linked}.yaml; declared: {', '.join(sorted(names)) or 'none'}")
    return problems


def _links(entry: dict[str, Any], d: Deployment, env: dict[str, str]) -> bool:
    info, params = entry.get("model_info") or {}, entry.get("litellm_params") or {}
    if "solv_deployment" in info:
        return bool(info["solv_deployment"] == d.name)
    base = _resolve(params.get("api_base"), env)
    if base is not None:
        return base.rstrip("/") == d.api_base
    return bool(params.get("model") == f"hosted_vllm/{d.served_name}")  # api_base from an unset env var


def _entry_problems(entry: dict[str, Any], d: Deployment, api_base: str | None) -> list[str]:
    params, info = entry.get("litellm_params") or {}, entry.get("model_info") or {}
    out = []
    if api_base is not None and api_base.rstrip("/") != d.api_base:
        out.append(f"api_base is {api_base!r} but vllm/{d.name}.yaml listens on {d.api_base}: make them equal")
    if params.get("model") != f"hosted_vllm/{d.served_name}":
        out.append(f"model is {params.get('model')!r} but vllm/{d.name}.yaml serves {d.served_name!r}: "
                   f"set model: hosted_vllm/{d.served_name}")
    if entry.get("model_name") != d.group:
        out.append(f"model_name is {entry.get('model_name')!r} but vllm/{d.name}.yaml declares model_group "
                   f"{d.group!r}: make them equal")
    family = info.get("solv_thinking", "none")
    if family != d.thinking:
        out.append(f"solv_thinking is {family!r} but vllm/{d.name}.yaml says thinking: {d.thinking}: make them equal")
    return out


def _resolve(value: object, env: dict[str, str]) -> str | None:
    if not isinstance(value, str):
        return None
    if value.startswith("os.environ/"):
        return env.get(value.removeprefix("os.environ/"))
    return value


def check_command(config: Path, raw: dict[str, Any], out: Any = None) -> int:
    """``solv check``'s part: ``solv.routing``, the declarations next to ``config``, and their
    model_list entries.

    Mismatches of GPU/remote deployments are errors (exit 2); of the fallback (embedded) one,
    warnings: ``solv up --model`` picks the embedded model at run time."""
    import sys

    from solvstack.routing.config import parse_routing

    out = out or sys.stderr
    try:
        parse_routing(raw, str(config))  # solv.routing, validated here too (the proxy does it at start)
        deployments = load_deployments(config.parent / DEFAULT_DIR)
    except ConfigError as exc:
        print(exc, file=out)
        return 2
    errors = check_model_list([d for d in deployments if not d.fallback], raw, str(config))
    for warning in check_model_list([d for d in deployments if d.fallback], raw, str(config)):
        print(f"warning: {warning}", file=out)
    for error in errors:
        print(f"error: {error}", file=out)
    return 2 if errors else 0
