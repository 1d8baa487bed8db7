"""Cheap and certain first: cache → local classifier → (only when unsure) the LLM judge.

>>> c = Cascade(local=Fixed(Level.LOW, 0.9), judge=None)
>>> import asyncio; asyncio.run(c.classify(Conversation("2+2?"))).level
<Level.LOW: 'LOW'>
"""

from __future__ import annotations

import hashlib
import logging
import time

from litellm.caching.in_memory_cache import InMemoryCache

from solvstack.classify.base import Classifier, Conversation
from solvstack.classify.llm import JudgeFailed
from solvstack.levels import Decision, Level

log = logging.getLogger("solv.classify")


class Fixed(Classifier):
    """Always the same answer; for tests and for `classifier.kind: fixed`-style experiments."""

    name = "fixed"

    def __init__(self, level: Level, confidence: float = 1.0) -> None:
        self.level, self.confidence = level, confidence

    async def classify(self, conv: Conversation) -> Decision:
        return Decision(self.level, self.name, self.confidence)


def cache_key(conv: Conversation) -> str:
    h = hashlib.blake2b(digest_size=16)
    for part in (conv.prompt, *conv.earlier[-2:], conv.assistant[:2000]):
        h.update(part.encode("utf-8", "surrogatepass"))
        h.update(b"\x00")
    return h.hexdigest()


class Cascade(Classifier):
    """Local classifier first; the judge only if local confidence is below ``threshold``.

    With ``threshold=1.0`` the judge decides every request (``kind: llm``); with ``judge=None`` only
    the local classifier runs (``kind: local``). Decisions are cached by conversation text.
    """

    name = "cascade"

    def __init__(self, local: Classifier, judge: Classifier | None, threshold: float = 0.55,
                 cache_ttl_s: float = 300, cache_size: int = 4096) -> None:
        self.local, self.judge, self.threshold = local, judge, threshold
        self._ttl = cache_ttl_s
        self._cache = InMemoryCache(max_size_in_memory=cache_size, default_ttl=int(cache_ttl_s)) \
            if cache_size and cache_ttl_s else None

    async def classify(self, conv: Conversation) -> Decision:
        key = cache_key(conv) if self._cache else ""
        if self._cache and (hit := self._cache.get_cache(key)) is not None:
            return Decision(Level(hit[0]), "cache", hit[1])
        start = time.perf_counter()
        decision = await self.local.classify(conv)
        cacheable = True
        if self.judge is not None and decision.confidence < self.threshold:
            try:
                decision = await self.judge.classify(conv)
            except JudgeFailed as exc:
                cacheable = False  # a fallback must not outlive the judge's outage in the cache
                log.warning("solv judge fallback to %s: %s", decision.source, exc)
        decision = Decision(decision.level, decision.source, decision.confidence,
                            (time.perf_counter() - start) * 1000)
        if self._cache and cacheable:
            self._cache.set_cache(key, (decision.level.value, decision.confidence), ttl=self._ttl)
        return decision
