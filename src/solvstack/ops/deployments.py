"""vLLM deployments declared in ``vllm/*.yaml``: one file per server (one per GPU, usually).

A file is the one place a deployment is declared: ``solv up`` starts it (or, for a remote ``host``,
only routes to it), and the two other places are derived from it and checked against it by
``solv check`` (docs/deployments.md):

- its ``model_list`` entry, :func:`model_list_entry` (``solv gpus --model-list`` prints them;
  :func:`check_model_list` names every drift), and
- its Docker Compose service, :func:`compose_overlay` (``solv gpus --compose`` writes
  ``compose.gpus.yaml``; :func:`check_compose` names every drift).

::

    # vllm/qwen3-gpu0.yaml
    model: Qwen/Qwen3-8B          # Hugging Face id, local folder, or embedded:<name> (prepared by solv)
    served_name: qwen3-8b         # vLLM --served-model-name; model_list: hosted_vllm/qwen3-8b
    model_group: qwen3-8b         # model_name clients ask for (default: served_name)
    gpus: [0]                     # indices or UUIDs (GPU-...); [] = vLLM CPU
    port: 8010
    thinking: qwen3               # the thinking family (solvstack.core.families): also picks vLLM's
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

from solvstack.core.errors import ConfigError, Problem, validation_problems
from solvstack.core.families import (
    BUILTIN_FAMILIES,
    VLLM_REASONING_PARSERS,
    VLLM_SERVER_FLAGS,
    VLLM_TOOL_PARSERS,
    ServerFlags,
)

DEFAULT_DIR = Path("vllm")
COMPOSE_FILE = "compose.gpus.yaml"  # the generated overlay, beside litellm_config.yaml
VLLM_IMAGE = "vllm/vllm-openai:${VLLM_IMAGE_TAG:-v0.33.0}"
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
    def vllm_args(self) -> list[str]:
        """vLLM flags after ``--model/--served-model-name/--host/--port``, the same for ``solv up`` and
        the compose service: parallelism, memory, context, the family's parsers, then ``args``."""
        out = ["--tensor-parallel-size", str(self.tp), "--gpu-memory-utilization", str(self.gpu_memory_utilization)]
        if self.max_model_len:
            out += ["--max-model-len", str(self.max_model_len)]
        return [*out, *self.server_flags, *self.args]

    @property
    def compose_service(self) -> str:
        """Its service name in the generated compose overlay, also its host name there."""
        return f"vllm-{self.name}"

    @property
    def compose_api_base(self) -> str:
        """Where the proxy reaches it inside the compose network."""
        return f"http://{self.compose_service}:{self.port}/v1"

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
        raise DeploymentError([Problem(str(path), "", f"cannot read it as YAML: {exc}")]) from None
    if data is None:
        return None
    if not isinstance(data, dict):
        raise DeploymentError([Problem(str(path), "", "must be a mapping of fields (model, served_name, port, ...)")])
    try:
        return Deployment.model_validate({"name": path.stem, **data})
    except ValidationError as exc:
        raise DeploymentError(validation_problems(exc, str(path), model=Deployment)) from None


def load_deployments(directory: Path = DEFAULT_DIR) -> list[Deployment]:
    """Every ``*.yaml`` / ``*.yml`` directly in ``directory`` (sorted by name), checked together; one
    DeploymentError lists the problems of every file."""
    found, problems = scan_deployments(directory)
    if problems:
        raise DeploymentError(problems)
    return found


def scan_deployments(directory: Path = DEFAULT_DIR) -> tuple[list[Deployment], list[Problem]]:
    """The valid declarations, and the problems of the others and across files."""
    if not directory.is_dir():
        return [], []
    found: list[Deployment] = []
    problems: list[Problem] = []
    for path in sorted([*directory.glob("*.yaml"), *directory.glob("*.yml")]):
        try:
            d = load_deployment(path)
        except DeploymentError as exc:
            problems += exc.problems
        else:
            found += [d] if d is not None else []
    return found, problems + together_problems(found, directory)


def together_problems(deployments: list[Deployment], where: Path = DEFAULT_DIR) -> list[Problem]:
    """Names, ports and literally repeated GPUs across files (indices vs UUIDs: the launcher)."""
    seen_port: dict[str, str] = {}
    seen_gpu: dict[str, str] = {}
    out = []
    for d in deployments:
        file = str(where / f"{d.name}.yaml")
        addr = d.api_base
        if addr in seen_port:
            out.append(Problem(file, "port", f"{d.port} on {d.host} is also used by {where}/{seen_port[addr]}.yaml; "
                                             "give each server its own port"))
        seen_port.setdefault(addr, d.name)
        for gpu in d.gpus if not d.remote else []:
            if str(gpu) in seen_gpu:
                out.append(Problem(file, "gpus", f"GPU {gpu} is also assigned to {where}/{seen_gpu[str(gpu)]}.yaml; "
                                                 "one vLLM server per GPU"))
            seen_gpu.setdefault(str(gpu), d.name)
    return out


# -- model_list: generate, or check against the proxy config ------------------------------------
def model_list_entry(d: Deployment, compose: bool = False) -> dict[str, Any]:
    """The ``model_list`` entry that routes to ``d`` (what ``solv gpus --model-list`` prints);
    ``compose``: at its compose service's address (``solv gpus --model-list compose``)."""
    return {"model_name": d.group,
            "litellm_params": {"model": f"hosted_vllm/{d.served_name}",
                               "api_base": d.compose_api_base if compose else d.api_base, "api_key": "none"},
            "model_info": {"solv_thinking": d.thinking, "solv_deployment": d.name}}


def check_model_list(deployments: list[Deployment], raw: dict[str, Any], where: str = "litellm_config.yaml",
                     env: dict[str, str] | None = None, *, compose: bool = True) -> list[Problem]:
    """Every disagreement between the declarations and ``model_list``, each naming the fix.

    An entry may point at the server's own address or (``compose``) at its compose service's."""
    return [p for d in deployments for p in deployment_drift(d, raw, where, env, compose=compose)] + \
        unknown_links(deployments, raw, where)


def deployment_drift(d: Deployment, raw: dict[str, Any], where: str = "litellm_config.yaml",
                     env: dict[str, str] | None = None, *, compose: bool = True,
                     only_compose: bool = False) -> list[Problem]:
    """What is missing or different in ``model_list`` for ``d``; [] when its entries match. The entry
    may point at the server's own address, or (``compose``) at its compose service's, or (``only_compose``)
    must point at the compose service's."""
    env = dict(os.environ) if env is None else env
    addresses = (d.compose_api_base,) if only_compose else (d.api_base, d.compose_api_base) if compose \
        else (d.api_base,)
    entries = [e for e in raw.get("model_list") or [] if isinstance(e, dict)]
    matches = [(i, e) for i, e in enumerate(entries) if _links(e, d, env, addresses)]
    if not matches:
        return [Problem(where, "model_list", f"no entry routes to vllm/{d.name}.yaml ({d.served_name!r} at "
                                             f"{' or '.join(addresses)}); add the entry `solv check` prints")]
    out = []
    for i, e in matches:
        base = _resolve((e.get("litellm_params") or {}).get("api_base"), env)
        out += [Problem(where, f"model_list[{i}] ({e.get('model_name')})", p)
                for p in _entry_problems(e, d, base, addresses)]
    return out


def unknown_links(deployments: list[Deployment], raw: dict[str, Any], where: str) -> list[Problem]:
    names = {d.name for d in deployments}
    out = []
    for i, e in enumerate(e for e in raw.get("model_list") or [] if isinstance(e, dict)):
        linked = (e.get("model_info") or {}).get("solv_deployment")
        if linked and linked not in names:
            out.append(Problem(where, f"model_list[{i}] ({e.get('model_name')}).model_info.solv_deployment",
                               f"{linked!r} has no vllm/{linked}.yaml; declared: {', '.join(sorted(names)) or 'none'}"))
    return out


def _links(entry: dict[str, Any], d: Deployment, env: dict[str, str], addresses: tuple[str, ...]) -> bool:
    info, params = entry.get("model_info") or {}, entry.get("litellm_params") or {}
    if "solv_deployment" in info:
        return bool(info["solv_deployment"] == d.name)
    base = _resolve(params.get("api_base"), env)
    if base is not None:
        return base.rstrip("/") in (d.api_base, d.compose_api_base)
    return bool(params.get("model") == f"hosted_vllm/{d.served_name}")  # api_base from an unset env var


def _entry_problems(entry: dict[str, Any], d: Deployment, api_base: str | None,
                    addresses: tuple[str, ...]) -> list[str]:
    params, info = entry.get("litellm_params") or {}, entry.get("model_info") or {}
    out = []
    if api_base is not None and api_base.rstrip("/") not in addresses:
        why = {d.compose_api_base: " (its compose service; solv up starts it on this host)",
               d.api_base: " (this host; a proxy in compose reaches it by service name)"}.get(api_base.rstrip("/"), "")
        out.append(f"api_base is {api_base!r}{why}; vllm/{d.name}.yaml is reached at {' or '.join(addresses)}: "
                   f"set api_base: {addresses[0]}")
    if params.get("model") != f"hosted_vllm/{d.served_name}":
        out.append(f"model is {params.get('model')!r} but vllm/{d.name}.yaml serves {d.served_name!r}: "
                   f"set model: hosted_vllm/{d.served_name}")
    if entry.get("model_name") != d.group:
        out.append(f"model_name is {entry.get('model_name')!r} but vllm/{d.name}.yaml declares model_group "
                   f"{d.group!r}: set model_name: {d.group}")
    family = info.get("solv_thinking", "none")
    if family != d.thinking:
        out.append(f"solv_thinking is {family!r} but vllm/{d.name}.yaml says thinking: {d.thinking}: "
                   f"set solv_thinking: {d.thinking}")
    return out


def _resolve(value: object, env: dict[str, str]) -> str | None:
    if not isinstance(value, str):
        return None
    if value.startswith("os.environ/"):
        return env.get(value.removeprefix("os.environ/"))
    return value


# -- the compose overlay: generate, or check the one on disk ---------------------------------------
def compose_overlay(deployments: list[Deployment]) -> dict[str, Any]:
    """``compose.gpus.yaml``: one service per local GPU deployment, pinned to its GPUs, with the vLLM
    flags ``solv up`` would give it, and the proxy waiting for each. Use it instead of
    compose.nvidia.yaml: ``COMPOSE_FILE=compose.yaml:compose.gpus.yaml``."""
    gpu = [d for d in deployments if d.on_gpu and not d.remote]
    services: dict[str, Any] = {d.compose_service: compose_service(d) for d in gpu}
    if gpu:
        services["litellm"] = {"depends_on": {d.compose_service: {"condition": "service_healthy"} for d in gpu}}
    return {"services": services}


def compose_service(d: Deployment) -> dict[str, Any]:
    volumes = ["${HF_CACHE_DIR:-./.cache/huggingface}:/root/.cache/huggingface"]
    if Path(d.model).is_absolute():  # a local model folder: the same path inside the container
        volumes.append(f"{d.model}:{d.model}:ro")
    probe = f"import urllib.request; urllib.request.urlopen('http://127.0.0.1:{d.port}/health')"
    return {
        "image": VLLM_IMAGE,
        "ipc": "host",
        "environment": {"HF_TOKEN": "${HF_TOKEN:-}", "VLLM_NO_USAGE_STATS": "1", **d.env},
        "volumes": volumes,
        "command": ["--model", d.model, "--served-model-name", d.served_name, "--host", "0.0.0.0",
                    "--port", str(d.port), *d.vllm_args],
        "healthcheck": {"test": ["CMD", "python3", "-c", probe], "interval": "15s", "timeout": "5s",
                        "retries": 5, "start_period": "900s"},  # the first start downloads the weights
        "restart": "unless-stopped",
        "deploy": {"resources": {"reservations": {"devices": [
            {"driver": "nvidia", "device_ids": [str(g) for g in d.gpus], "capabilities": ["gpu"]}]}}},
    }


COMPOSE_HEADER = ("# Generated by `solv gpus --compose` from vllm/*.yaml: edit those files, then run it again\n"
                  "# (`solv check` names any drift). Use it instead of compose.nvidia.yaml:\n"
                  "#   COMPOSE_FILE=compose.yaml:compose.gpus.yaml   (in .env), then `docker compose up -d`\n"
                  "# and model_list entries at the services' addresses: `solv gpus --model-list compose`.\n")


def render_compose(deployments: list[Deployment]) -> str:
    return COMPOSE_HEADER + yaml.safe_dump(compose_overlay(deployments), sort_keys=False, width=120)


def check_compose(deployments: list[Deployment], path: Path) -> list[Problem]:
    """Where ``path`` (a generated overlay) differs from what vllm/*.yaml generate now."""
    try:
        found = (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("services") or {}
    except (OSError, yaml.YAMLError, AttributeError) as exc:
        return [Problem(str(path), "", f"cannot read it: {exc}; regenerate it with `solv gpus --compose`")]
    want = compose_overlay(deployments)["services"]
    fix = f"regenerate: solv gpus --compose > {path.name}"
    out = []
    for name, service in want.items():
        if name not in found:
            out.append(Problem(str(path), f"services.{name}", f"missing; {fix}"))
            continue
        for key in sorted(set(service) | set(found[name])):
            if found[name].get(key) != service.get(key):
                out.append(Problem(str(path), f"services.{name}.{key}",
                                   f"is {found[name].get(key)!r}, vllm/ declares {service.get(key)!r}; {fix}"))
    for name in found:
        if name.startswith("vllm-") and name not in want:
            out.append(Problem(str(path), f"services.{name}", f"no vllm/{name.removeprefix('vllm-')}.yaml declares "
                                                              f"it; {fix}"))
    return out
