"""Typed solv settings, read from the ``solv:`` section of ``litellm_config.yaml``.

Everything is validated when the proxy starts (the plugin entry file loads it), so a typo fails at
start-up with a message naming the bad key, not on the first request. ``solv check`` runs the same
validation without starting anything.

>>> cfg = SolvConfig.model_validate({"default_level": "low"})
>>> cfg.default_level
<Level.LOW: 'LOW'>
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from solvstack.families import check_family, family_names, parse_budgets
from solvstack.levels import Level


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class LlmClassifierConfig(Strict):
    """The optional LLM judge: any model group of this proxy, asked for one word."""

    model: str
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
    escalate: dict[Level, str] = {}
    # Sections owned by other seams (retrieval, routing) are validated by their own models.
    retrieval: dict[str, Any] = {}
    routing: dict[str, Any] = {}

    @field_validator("default_level", "rag_thinking", mode="before")
    @classmethod
    def _level(cls, v: object) -> Level:
        return Level.parse(v)

    @field_validator("rag_thinking")
    @classmethod
    def _thinking_only(cls, v: Level) -> Level:
        if v is Level.RAG:
            raise ValueError("rag_thinking must be HIGH, LOW or NO")
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

    @model_validator(mode="after")
    def _budget_families(self) -> SolvConfig:
        for name in self.thinking_budgets:
            valid = family_names(self.families)
            if name not in valid:
                raise ValueError(f"thinking_budgets: unknown family {name!r}; valid: {', '.join(valid)}")
        return self

    @field_validator("families", mode="before")
    @classmethod
    def _family_keys(cls, v: object) -> object:
        if not isinstance(v, dict):
            return v
        return {name: {Level.parse(k): p for k, p in t.items()} if isinstance(t, dict) else t
                for name, t in v.items()}


class ConfigError(ValueError):
    """litellm_config.yaml has a bad value; the message names it and the fix."""


def _format(err: ValidationError, where: str) -> str:
    lines = [f"{where}: invalid solv settings"]
    for e in err.errors():
        loc = ".".join(str(p) for p in e["loc"])
        lines.append(f"  solv.{loc}: {e['msg']} (got {e.get('input')!r})")
    return "\n".join(lines)


def load_raw(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"cannot read {path}: {exc}") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: top level must be a mapping")
    return data


def parse_solv(raw: dict[str, Any], where: str = "litellm_config.yaml") -> SolvConfig:
    try:
        cfg = SolvConfig.model_validate(raw.get("solv") or {})
    except ValidationError as exc:
        raise ConfigError(_format(exc, where)) from None
    model_families(raw, cfg, where)  # validates every solv_thinking
    groups = {m.get("model_name") for m in raw.get("model_list") or []}
    for level, group in cfg.escalate.items():
        if group not in groups:
            raise ConfigError(f"{where}: solv.escalate.{level.value} names model group {group!r}, "
                              f"which is not a model_name in model_list ({', '.join(sorted(map(str, groups)))})")
    if cfg.classifier.llm and cfg.classifier.llm.model not in groups:
        raise ConfigError(f"{where}: solv.classifier.llm.model {cfg.classifier.llm.model!r} is not a "
                          f"model_name in model_list ({', '.join(sorted(map(str, groups)))})")
    return cfg


def model_families(raw: dict[str, Any], cfg: SolvConfig, where: str = "litellm_config.yaml") -> dict[str, str]:
    """model_info.id or model_name -> family, checking each name against the table."""
    out: dict[str, str] = {}
    for i, entry in enumerate(raw.get("model_list") or []):
        info = entry.get("model_info") or {}
        name = info.get("solv_thinking", cfg.default_family)
        try:
            check_family(str(name), cfg.families)
            if "solv_thinking_budget" in info:
                parse_budgets(info["solv_thinking_budget"], "model_info.solv_thinking_budget")
        except ValueError as exc:
            raise ConfigError(f"{where}: model_list[{i}] ({entry.get('model_name')}): {exc}") from None
        out[str(entry.get("model_name"))] = str(name)
    return out


def find_config_path() -> Path:
    """The config the running proxy was started with (plugins are loaded while it is parsed)."""
    proxy = sys.modules.get("litellm.proxy.proxy_server")
    for candidate in (getattr(proxy, "user_config_file_path", None), os.environ.get("CONFIG_FILE_PATH"),
                      os.environ.get("SOLV_CONFIG"), "litellm_config.yaml"):
        if candidate and Path(candidate).is_file():
            return Path(candidate).resolve()
    raise ConfigError("cannot find litellm_config.yaml: start the proxy with --config, or set SOLV_CONFIG")


# `solv check`
def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", type=Path, default=Path("litellm_config.yaml"))


def run(args: argparse.Namespace) -> int:
    try:
        raw = load_raw(args.config)
        cfg = parse_solv(raw, str(args.config))
        if cfg.retrieval:  # its own strict model and the search_tools it names, as at proxy start
            from solvstack.retrieval.config import parse_retrieval, tool_specs

            tool_specs(raw, parse_retrieval(cfg.retrieval, str(args.config)), str(args.config))
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return 2
    from solvstack.deployments import check_command  # vllm/*.yaml and their model_list entries

    if check_command(args.config, raw):
        return 2
    print(f"{args.config}: ok ({len(raw.get('model_list') or [])} deployments, classifier {cfg.classifier.kind})")
    return 0
