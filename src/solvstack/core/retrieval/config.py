"""The ``solv.retrieval`` section, validated strictly, and its link to the top-level ``search_tools``.

A field of :class:`solvstack.core.config.SolvConfig` (``parse_solv(raw).retrieval``): each name in
``providers`` is checked against ``search_tools`` while the whole file is validated.

>>> RetrievalConfig.model_validate({"providers": ["searxng"]}).timeout_s
3.0
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AfterValidator, Field, ValidationInfo, field_validator, model_validator

from solvstack.core.errors import ConfigError, Problem
from solvstack.core.retrieval.providers import ToolSpec
from solvstack.core.schema import Strict, refs

# LiteLLM 1.106.2's ``SearchProviders`` values, kept here so that `solv check` need not import litellm
# (seconds); tests/test_retrieval_units.py fails when the pinned LiteLLM's list differs.
SEARCH_PROVIDERS = frozenset({
    "agentcore", "apiserpent", "bing_grounding", "brave", "dataforseo", "duckduckgo", "exa_ai", "fastcrw",
    "firecrawl", "google_pse", "linkup", "nimble", "parallel_ai", "perplexity", "searchapi", "searxng",
    "serper", "tavily", "tinyfish", "you_com"})


def _search_tool(name: str, info: ValidationInfo) -> str:
    known = refs(info)
    if known is None:
        return name
    if name not in known.search_tools:
        defined = ", ".join(sorted(known.search_tools)) or "none defined"
        raise ValueError(f"{name!r} is not a search_tool_name in search_tools ({defined}); "
                         "add it there or fix the name")
    provider = known.search_tools[name]
    if provider not in SEARCH_PROVIDERS:
        raise ValueError(f"search tool {name!r} has search_provider {provider!r} in search_tools; "
                         f"LiteLLM knows: {', '.join(sorted(SEARCH_PROVIDERS))}")
    return name


# A search_tool_name of the top-level search_tools, whose search_provider LiteLLM knows.
SearchTool = Annotated[str, AfterValidator(_search_tool)]


class RetrievalConfig(Strict):
    """``solv.retrieval``: which ``search_tools`` to use, in order, and how much time and text they get."""

    providers: list[SearchTool] = Field(min_length=1)  # search_tool_name entries, tried in this order
    max_results: int = Field(5, ge=1, le=20)
    max_chars_per_result: int = Field(600, ge=50, le=20_000)
    max_total_chars: int = Field(3000, ge=100, le=200_000)
    timeout_s: float = Field(3.0, gt=0, le=60)  # the whole search step, fallbacks included
    provider_timeout_s: float | None = Field(None, gt=0, le=60)  # one provider; default: timeout_s
    cache_ttl_s: float = Field(120, ge=0)  # identical queries within this time search once
    cache_size: int = Field(1024, ge=0)
    max_query_chars: int = Field(200, ge=20, le=2000)  # the query: the human's own words, capped
    # RAG verdicts search on their own (plain chat only; never agent turns, code, files or tool output).
    # false: only an explicit /search searches.
    auto_search: bool = True
    min_confidence: float = Field(0.0, ge=0, le=1)  # ...only when the classifier is at least this sure of RAG

    @field_validator("providers")
    @classmethod
    def _unique(cls, v: list[str]) -> list[str]:
        dupes = sorted({p for p in v if v.count(p) > 1})
        if dupes:
            raise ValueError(f"lists {', '.join(dupes)} more than once; name each search tool once")
        return v

    @model_validator(mode="after")
    def _provider_within_budget(self) -> RetrievalConfig:
        if self.provider_timeout_s is not None and self.provider_timeout_s > self.timeout_s:
            raise ValueError(f"provider_timeout_s ({self.provider_timeout_s}) must not exceed timeout_s "
                             f"({self.timeout_s}): lower it or raise timeout_s")
        return self

    @property
    def per_provider_s(self) -> float:
        return self.provider_timeout_s or self.timeout_s


def tool_specs(raw: dict[str, Any], cfg: RetrievalConfig, where: str = "litellm_config.yaml") -> list[ToolSpec]:
    """The ``search_tools`` entries named in ``solv.retrieval.providers``, in that order, with their
    ``os.environ/`` references resolved (``parse_solv`` has checked the names)."""
    by_name = {str(e.get("search_tool_name")): e for e in raw.get("search_tools") or [] if isinstance(e, dict)}
    missing = [Problem(where, f"solv.retrieval.providers[{i}]", f"{name!r} is not a search_tool_name in search_tools")
               for i, name in enumerate(cfg.providers) if name not in by_name]
    if missing:
        raise ConfigError(missing)
    return [ToolSpec.from_entry(by_name[name]) for name in cfg.providers]
