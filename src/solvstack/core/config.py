"""Typed solv settings, read from the ``solv:`` section of ``litellm_config.yaml``.

Everything is validated when the proxy starts (the plugin entry file loads it), so a typo fails at
start-up with a message naming the bad key, not on the first request. ``solv check`` runs the same
validation without starting anything.

>>> cfg = SolvConfig.model_validate({"default_level": "low"})
>>> cfg.default_level
<Level.LOW: 'LOW'>
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import Field, ValidationError, ValidationInfo, field_validator, model_validator

from solvstack.core.errors import ConfigError, Problem, validation_problems
from solvstack.core.families import check_family, family_names, parse_budgets
from solvstack.core.levels import Level
from solvstack.core.retrieval.config import RetrievalConfig
from solvstack.core.routing.config import RoutingConfig
from solvstack.core.schema import ModelGroup, Refs, Strict

__all__ = ["ConfigError", "SolvConfig", "find_config_path", "load_raw", "model_list_problems", "parse_solv"]


class LlmClassifierConfig(Strict):
    """The optional LLM judge: any model group of this proxy, asked for one word."""

    model: ModelGroup
    timeout_s: float = Field(1.5, gt=0, le=30)
    max_tokens: int = Field(4, ge=1, le=64)


class ClassifierConfig(Strict):
    # local: in-process only. llm: the judge for every request (local on failure).
    # cascade: local first, the judge only when local confidence < confidence_threshold.
    kind: Literal["local", "llm", "cascade"] = "local"
    confidence_threshold: float = Field(0.55, ge=0, le=1)
    llm: LlmClassifierConfig | None = None
    cache_ttl_s: float = Field(300, ge=0)
    cache_size: int = Field(4096, ge=0)

    @model_validator(mode="after")
    def _llm_needed(self) -> ClassifierConfig:
        if self.llm is None and self.kind in ("llm", "cascade"):
            raise ValueError(f"kind {self.kind!r} needs classifier.llm.model (a model_name of model_list)")
        return self


class SharedCacheConfig(Strict):
    """``solv.shared_cache``: search results and judge decisions in Redis, shared by every proxy replica.

    ``auto``: on when the environment names a Redis (``REDIS_HOST`` or ``REDIS_URL``, the same one LiteLLM's
    router uses for rpm/tpm limits and cooldowns). Redis down or slower than ``timeout_s``: each proxy
    serves from its own memory (fail open) and tries again after ``retry_after_s``.
    """

    redis: Literal["auto", "off"] = "auto"
    timeout_s: float = Field(0.25, gt=0, le=5)
    retry_after_s: float = Field(10, gt=0, le=600)


class GcConfig(Strict):
    """``solv.gc``: CPython's garbage collector in each proxy process (docs/operations.md).

    The proxy's start-up leaves a few hundred thousand long-lived objects (LiteLLM, FastAPI, pydantic
    models) that every full collection walks again: 150-250 ms pauses every 1-2k requests, and young
    collections every ~700 allocations. ``freeze``: once started, move those objects out of the
    collector's sight (``gc.freeze()``; they are still freed by reference counting). ``young_threshold``:
    collect the youngest generation after this many allocations (Python's default: 700; null keeps it).
    """

    freeze: bool = True
    young_threshold: int | None = Field(5000, ge=100, le=1_000_000)


class SolvConfig(Strict):
    """The ``solv:`` section. Every key is optional; see docs/configuration.md."""

    enabled: bool = True
    default_level: Level = Level.LOW  # when classification fails
    rag_thinking: Level = Level.NO  # thinking applied to the model when it answers from search results
    default_family: str = "none"  # for deployments with no model_info.solv_thinking
    classifier: ClassifierConfig = ClassifierConfig()
    shared_cache: SharedCacheConfig = SharedCacheConfig()
    # Extra families: name -> level -> params merged into the request, e.g. for a new model family.
    families: dict[str, dict[Level, dict[str, Any]]] = {}
    # thinking_token_budget per family and level (vLLM), over the built-in ones; docs/thinking.md.
    thinking_budgets: dict[str, dict[Level, int | None]] = {}
    # Optional escalation: level -> model group (e.g. HIGH -> a cloud group).
    escalate: dict[Level, ModelGroup] = {}
    retrieval: RetrievalConfig | None = None  # web search for RAG; absent (or empty): none
    routing: RoutingConfig = RoutingConfig()  # the replica filter (docs/gpus.md)
    # On SIGTERM, streams still open after this many seconds end with an error event (retry elsewhere)
    # instead of being cut by the orchestrator's SIGKILL: keep it below its grace period (compose.yaml:
    # 60 s; Kubernetes' default: 30 s).
    drain_s: float = Field(25.0, ge=0, le=3600)
    gc: GcConfig = GcConfig()  # the collector's settings in the proxy process (per worker)

    @field_validator("classifier", "shared_cache", "routing", "gc", mode="before")
    @classmethod
    def _null_is_default(cls, v: object) -> object:
        return {} if v is None else v

    @field_validator("retrieval", mode="before")
    @classmethod
    def _empty_is_off(cls, v: object) -> object:
        return None if v == {} else v

    @field_validator("default_level", "rag_thinking", mode="before")
    @classmethod
    def _level(cls, v: object) -> Level:
        return Level.parse(v)

    @field_validator("rag_thinking")
    @classmethod
    def _thinking_only(cls, v: Level) -> Level:
        if v is Level.RAG:
            raise ValueError("RAG is not a thinking level; valid: HIGH, LOW, NO")
        return v

    @field_validator("escalate", mode="before")
    @classmethod
    def _escalate_keys(cls, v: object) -> object:
        return {Level.parse(k): g for k, g in v.items()} if isinstance(v, dict) else v

    @field_validator("thinking_budgets", mode="before")
    @classmethod
    def _budgets(cls, v: object) -> object:
        if not isinstance(v, dict):
            return v
        return {name: parse_budgets(t, f"thinking_budgets.{name}") for name, t in v.items()}

    @field_validator("thinking_budgets")
    @classmethod
    def _budget_families(cls, v: dict[str, Any], info: ValidationInfo) -> dict[str, Any]:
        valid = family_names(info.data.get("families"))
        unknown = [name for name in v if name not in valid]
        if unknown:
            raise ValueError(f"unknown family {', '.join(map(repr, unknown))}; valid: {', '.join(valid)}")
        return v

    @field_validator("families", mode="before")
    @classmethod
    def _family_keys(cls, v: object) -> object:
        if not isinstance(v, dict):
            return v
        return {name: {Level.parse(k): p for k, p in t.items()} if isinstance(t, dict) else t
                for name, t in v.items()}


def load_raw(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"cannot read {path}: {exc}") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: top level must be a mapping")
    return data


def parse_solv(raw: Mapping[str, Any], where: str = "litellm_config.yaml") -> SolvConfig:
    """The whole ``solv:`` section, typed, and the ``model_list`` keys solv reads; raises one
    ConfigError listing every problem of the file (``.problems``), each with its YAML path."""
    section = raw.get("solv")
    if section is not None and not isinstance(section, dict):
        raise ConfigError([Problem(where, "solv", f"must be a mapping of settings, got {section!r}")])
    try:
        cfg: SolvConfig | None = SolvConfig.model_validate(section or {}, context=Refs.of(raw))
    except ValidationError as exc:
        cfg, problems = None, validation_problems(exc, where, "solv", SolvConfig)
    else:
        problems = []
    extra = cfg.families if cfg is not None else _declared_families(section or {})
    problems += model_list_problems(raw, cfg.default_family if cfg else "none", extra, where)
    if problems or cfg is None:
        raise ConfigError(problems)
    return cfg


def model_list_problems(raw: Mapping[str, Any], default_family: str, families: Mapping[str, object],
                        where: str = "litellm_config.yaml") -> list[Problem]:
    """``model_info.solv_thinking`` and ``solv_thinking_budget`` of each ``model_list`` entry."""
    out = []
    for i, entry in enumerate(raw.get("model_list") or []):
        info = (entry.get("model_info") if isinstance(entry, dict) else None) or {}
        at = f"model_list[{i}] ({entry.get('model_name') if isinstance(entry, dict) else entry})"
        try:
            check_family(str(info.get("solv_thinking", default_family)), families)
        except ValueError as exc:
            out.append(Problem(where, f"{at}.model_info.solv_thinking", str(exc)))
        if "solv_thinking_budget" in info:
            try:
                parse_budgets(info["solv_thinking_budget"], "solv_thinking_budget")
            except ValueError as exc:
                out.append(Problem(where, f"{at}.model_info.solv_thinking_budget", str(exc)))
    return out


def _declared_families(section: Mapping[str, Any]) -> Mapping[str, object]:
    """Family names of ``solv.families`` when the section as a whole did not validate."""
    families = section.get("families")
    return families if isinstance(families, dict) else {}


def find_config_path() -> Path:
    """The config the running proxy was started with (plugins are loaded while it is parsed)."""
    proxy = sys.modules.get("litellm.proxy.proxy_server")
    for candidate in (getattr(proxy, "user_config_file_path", None), os.environ.get("CONFIG_FILE_PATH"),
                      os.environ.get("SOLV_CONFIG"), "litellm_config.yaml"):
        if candidate and Path(candidate).is_file():
            return Path(candidate).resolve()
    raise ConfigError("cannot find litellm_config.yaml: start the proxy with --config, or set SOLV_CONFIG")
