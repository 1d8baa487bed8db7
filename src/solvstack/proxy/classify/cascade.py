"""Cheap and certain first: cache → local classifier → (only when unsure) the LLM judge.

>>> c = Cascade(local=Fixed(Level.LOW, 0.9), judge=None)
>>> import asyncio; asyncio.run(c.classify(Conversation("2+2?"))).level
<Level.LOW: 'LOW'>
"""

from __future__ import annotations

import hashlib
import logging
import time
from typing import TYPE_CHECKING

from solvstack.core.classify.base import Classifier, Conversation
from solvstack.core.levels import Decision, Level
from solvstack.proxy.classify.llm import JudgeFailed
from solvstack.proxy.sharedcache import SharedCache, redis_link

if TYPE_CHECKING:
    from solvstack.core.config import SharedCacheConfig

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
    the local classifier runs (``kind: local``), uncached. With a judge, decisions are cached by
    conversation text; with ``shared`` settings naming a Redis, in Redis, so every proxy replica reuses
    the judge's decision (:mod:`solvstack.proxy.sharedcache`).
    """

    name = "cascade"

    def __init__(self, local: Classifier, judge: Classifier | None, threshold: float = 0.55,
                 cache_ttl_s: float = 300, cache_size: int = 4096, shared: SharedCacheConfig | None = None) -> None:
        self.local, self.judge, self.threshold = local, judge, threshold
        # The cache spares the judge; the local classifier alone is cheaper than a cache lookup.
        redis = redis_link(shared) if judge is not None and shared is not None else None
        self._cache = SharedCache("judge", cache_ttl_s, cache_size, redis) \
            if judge is not None and cache_size and cache_ttl_s else None

    async def classify(self, conv: Conversation) -> Decision:
        if self.judge is None:
            return await self.local.classify(conv)  # no judge, no cache: the local decision as it is
        key = cache_key(conv) if self._cache else ""
        if self._cache and (hit := await self._cache.get(key)) is not None:
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
            await self._cache.set(key, (decision.level.value, decision.confidence))
        return decision
