"""Search first, then hand the model numbered, cited, fenced context: the hook's ``Augmenter``.

>>> aug = SearchAugmenter([canned_retriever], RetrievalConfig(providers=["canned"]))  # doctest: +SKIP
>>> data = await aug.augment(data, conversation, status)  # doctest: +SKIP

``status`` becomes the ``x-solv-*`` headers and the decision log line:

- ``search``: the provider that answered (``searxng``), or ``none:<reason>`` when none did
  (``none:timeout``, ``none:http-503``, ``none:empty``, ``none:no-key``, ``none:empty-query``);
- ``search_results``: how many results went into the prompt;
- ``search_fallback``: the providers that failed before, e.g. ``searxng:http-500>tavily``;
- ``search_cache``: ``hit`` when the results came from the cache; ``search_ms``: time spent.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from solvstack.core.classify.base import Conversation
from solvstack.core.retrieval.config import RetrievalConfig
from solvstack.core.retrieval.context import Caps, fence_token, inject, render, select
from solvstack.core.retrieval.errors import reason_of
from solvstack.core.retrieval.providers import Retriever, SearchResult
from solvstack.core.retrieval.query import build_query
from solvstack.proxy.sharedcache import shared_cache

if TYPE_CHECKING:
    from solvstack.core.config import SharedCacheConfig

log = logging.getLogger("solv.retrieval")


@dataclass
class Outcome:
    """What one search step produced: results, who gave them, who failed before."""

    results: list[SearchResult] = field(default_factory=list)
    provider: str | None = None
    failures: list[str] = field(default_factory=list)  # "name:reason", in order
    cached: bool = False


class SearchAugmenter:
    """Query → cache → providers in order (each under the time budget) → fenced context in the request."""

    def __init__(self, retrievers: list[Retriever], cfg: RetrievalConfig,
                 shared: SharedCacheConfig | None = None) -> None:
        self.retrievers, self.cfg = retrievers, cfg
        self.caps = Caps(cfg.max_results, cfg.max_chars_per_result, cfg.max_total_chars)
        # In Redis when solv.shared_cache names one: every proxy replica then injects the same results.
        self._cache = shared_cache("search", cfg.cache_ttl_s, cfg.cache_size, shared)

    @property
    def auto_search(self) -> bool:
        return self.cfg.auto_search

    @property
    def min_confidence(self) -> float:
        return self.cfg.min_confidence

    async def augment(self, data: dict[str, Any], conv: Conversation, status: dict[str, str],
                      at: int | None = None) -> dict[str, Any]:
        """Search for ``conv`` (the human's own words, never code or tool output: see
        :mod:`solvstack.core.decide`) and put the results in message ``at`` (the human's turn; default the last
        user message)."""
        start = time.perf_counter()
        query = build_query(conv, self.cfg.max_query_chars)
        outcome = await self.search(query) if query else Outcome(failures=["query:empty-query"])
        count = 0
        if outcome.results:
            block, count = render(outcome.results, self.caps, fence_token(outcome.results))
            data = inject(data, block, at)
        status.update(_status(outcome, count, (time.perf_counter() - start) * 1000))
        log.debug("solv search query=%r", query)  # user text: not at INFO
        log.info("solv search %s", " ".join(f"{k}={v}" for k, v in status.items() if k.startswith("search")))
        return data

    async def search(self, query: str) -> Outcome:
        """Results for ``query`` from the cache or the first provider that has some, within the budget."""
        key = self._key(query)
        if self._cache is not None and (hit := await self._cache.get(key)) is not None:
            return Outcome([SearchResult(*r) for r in hit[1]], hit[0], cached=True)
        outcome = await self._providers(query)
        if self._cache is not None and outcome.results:
            rows = [(r.title, r.url, r.snippet, r.date) for r in outcome.results]
            await self._cache.set(key, (outcome.provider, rows))
        return outcome

    async def _providers(self, query: str) -> Outcome:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.cfg.timeout_s
        failures: list[str] = []
        for r in self.retrievers:
            remaining = deadline - loop.time()
            reason = r.unavailable or ("budget" if remaining <= 0 else None)
            if reason is None:
                try:
                    found = await asyncio.wait_for(r.search(query, limit=self.cfg.max_results),
                                                   min(self.cfg.per_provider_s, remaining))
                except Exception as exc:  # a search never fails the request
                    reason = reason_of(exc)
                else:
                    results = select(found, self.caps)
                    if results:
                        return Outcome(results, r.name, failures)
                    reason = "empty"
            failures.append(f"{r.name}:{reason}")
            # A missing key was reported at start-up; repeating it per request would only be noise.
            log.log(logging.DEBUG if reason == "no-key" else logging.WARNING, "solv search: %s gave nothing (%s); %s",
                    r.name, reason, "next provider" if r is not self.retrievers[-1] else "answering without search")
        return Outcome(failures=failures)

    def _key(self, query: str) -> str:
        norm = " ".join(query.lower().split())
        return "solv-search:" + hashlib.blake2b(f"{norm}\x00{self.cfg.max_results}".encode(),
                                                digest_size=16).hexdigest()


def _status(outcome: Outcome, count: int, ms: float) -> dict[str, str]:
    if outcome.provider:
        status = {"search": outcome.provider, "search_results": str(count)}
    else:
        last = outcome.failures[-1].rsplit(":", 1)[-1] if outcome.failures else "empty"
        status = {"search": f"none:{last}", "search_results": "0"}
    failed = [f for f in outcome.failures if not f.startswith("query:")]
    if failed:
        status["search_fallback"] = ">".join([*failed, *([outcome.provider] if outcome.provider else [])])
    if outcome.cached:
        status["search_cache"] = "hit"
    status["search_ms"] = f"{ms:.1f}"
    return status
