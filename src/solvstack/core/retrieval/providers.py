"""The retriever seam and the ``search_tools`` entries it is built from (the implementation that calls
LiteLLM's search is :mod:`solvstack.proxy.retrieval.search`).

>>> class Canned(Retriever):
...     name = "canned"
...     async def search(self, query, *, limit):
...         return [SearchResult("Title", "https://example.org", "text")]
"""

from __future__ import annotations

import abc
import os
from dataclasses import dataclass, field
from typing import Any

# litellm_params keys that configure the call itself; every other key is passed through to the
# provider's request (e.g. Tavily `topic: news`, `time_range: week`; SearXNG `categories`, `engines`).
_CALL_KEYS = frozenset({"search_provider", "api_key", "api_base", "timeout", "max_retries"})
# What each built-in provider cannot work without, and the variable LiteLLM falls back to.
_NEEDS = {"tavily": ("api_key", "TAVILY_API_KEY"), "searxng": ("api_base", "SEARXNG_API_BASE")}


@dataclass(frozen=True)
class SearchResult:
    """One search hit as the provider gave it (not yet cleaned or capped)."""

    title: str
    url: str
    snippet: str
    date: str | None = None


class Retriever(abc.ABC):
    """One search backend: ``search(query, limit=n)`` returns results or raises :class:`SearchFailed`."""

    name: str = "base"

    @property
    def unavailable(self) -> str | None:
        """Why this backend cannot search at all (a :class:`SearchFailed` reason such as ``no-key``), or None.

        Known without a call, so the augmenter skips it without starting one."""
        return None

    @abc.abstractmethod
    async def search(self, query: str, *, limit: int) -> list[SearchResult]:
        """The provider's results, best first; may be empty."""


@dataclass(frozen=True)
class ToolSpec:
    """A ``search_tools`` entry of litellm_config.yaml with ``os.environ/`` references resolved."""

    name: str
    provider: str
    api_key: str | None = None
    api_base: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    missing: str | None = None  # the environment variable it lacks, if any

    @classmethod
    def from_entry(cls, entry: dict[str, Any]) -> ToolSpec:
        params = dict(entry.get("litellm_params") or {})
        provider = str(params.get("search_provider", ""))
        missing: list[str] = []
        key, base = _resolve(params.get("api_key"), missing), _resolve(params.get("api_base"), missing)
        need = _NEEDS.get(provider)
        if need and not (key if need[0] == "api_key" else base) and not os.environ.get(need[1]):
            missing.append(need[1])
        extra = {k: v for k, v in params.items() if k not in _CALL_KEYS}
        return cls(str(entry.get("search_tool_name")), provider, key, base, extra,
                   missing[0] if missing else None)


def _resolve(value: object, missing: list[str]) -> str | None:
    """``os.environ/NAME`` -> the variable's value (recording NAME when unset); other strings as is."""
    if not isinstance(value, str) or not value:
        return None
    if value.startswith("os.environ/"):
        var = value.removeprefix("os.environ/")
        if not os.environ.get(var):
            missing.append(var)
        return os.environ.get(var) or None
    return value
