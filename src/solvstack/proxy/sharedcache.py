"""Caches that every proxy replica shares through Redis, and that keep serving when Redis does not.

Two of solv's per-request results must be the same whichever replica (or worker) serves a request:
the search results the retriever injects (``solv:search:*``) and the LLM judge's decision
(``solv:judge:*``). With Redis configured both live there, so identical requests forward identical
bytes from any proxy; without it each process keeps its own in-memory TTL cache.

Redis is the one LiteLLM's router uses for rpm/tpm limits and cooldowns: the ``REDIS_HOST`` /
``REDIS_PORT`` / ``REDIS_PASSWORD`` (or ``REDIS_URL``) environment, read by LiteLLM's own
``RedisCache``. Redis down or slower than ``solv.shared_cache.timeout_s`` means *fail open*: the
request goes on with this process's memory, one warning says so, Redis is tried again after
``retry_after_s``, and one line says when it is back.

>>> link = redis_link(SharedCacheConfig())            # None unless REDIS_HOST / REDIS_URL is set
>>> judge = SharedCache("judge", ttl_s=300, size=4096, redis=link)
>>> await judge.set("k", ["HIGH", 0.9]); await judge.get("k")  # doctest: +SKIP
['HIGH', 0.9]
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import os
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeVar

from litellm.caching.in_memory_cache import InMemoryCache
from redis.exceptions import ConnectionError as RedisConnectionError

from solvstack.core.config import SharedCacheConfig

if TYPE_CHECKING:
    from litellm.caching.redis_cache import RedisCache

log = logging.getLogger("solv")
T = TypeVar("T")
KEY_PREFIX = "solv:"


def redis_configured() -> bool:
    """Whether the environment names a Redis (the variables LiteLLM's ``RedisCache`` reads)."""
    return bool(os.environ.get("REDIS_URL") or os.environ.get("REDIS_HOST"))


class RedisLink:
    """LiteLLM's ``RedisCache`` client under a time budget, with fail-open bookkeeping.

    Every call either answers within ``timeout_s`` or counts as Redis being down: then calls are
    skipped (callers use their memory) until ``retry_after_s`` has passed, and the next call tries
    again. Down and back are each logged once.
    """

    def __init__(self, redis: RedisCache, where: str, timeout_s: float, retry_after_s: float,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.redis, self.where = redis, where
        self.timeout_s, self.retry_after_s, self.clock = timeout_s, retry_after_s, clock
        self.down = False
        self._retry_at = 0.0

    @property
    def usable(self) -> bool:
        return not self.down or self.clock() >= self._retry_at

    async def get(self, key: str) -> tuple[bool, Any]:
        """(answered, value): value is None on a miss; answered is False when Redis was not usable."""
        raw = await self._call(lambda client: client.get(KEY_PREFIX + key))
        if raw is _FAILED:
            return False, None
        if not isinstance(raw, (str, bytes)):
            return True, None
        try:
            return True, json.loads(raw)
        except ValueError:  # not ours (or corrupt): a miss, overwritten by the next set
            return True, None

    async def set(self, key: str, value: Any, ttl_s: float) -> bool:
        data = json.dumps(value, separators=(",", ":"))
        return await self._call(lambda client: client.set(KEY_PREFIX + key, data, ex=max(int(ttl_s), 1))) \
            is not _FAILED

    async def _call(self, op: Callable[[Any], Awaitable[T]]) -> T | object:
        if not self.usable:
            return _FAILED
        deadline = self.clock() + self.timeout_s
        try:
            try:
                result = await asyncio.wait_for(op(self.redis.init_async_client()), self.timeout_s)
            except RedisConnectionError:
                # A connection pooled before Redis restarted fails once ("Connection closed by server");
                # the pool replaces it, so try once more within what is left of the time budget.
                left = deadline - self.clock()
                if left <= 0:
                    raise
                result = await asyncio.wait_for(op(self.redis.init_async_client()), left)
        except Exception as exc:  # any failure, a timeout included: serve from memory
            self._went_down(exc)
            return _FAILED
        if self.down:
            self.down = False
            log.warning("solv shared cache: Redis %s is back; search results and judge decisions are shared "
                        "again", self.where)
        return result

    def _went_down(self, exc: Exception) -> None:
        self._retry_at = self.clock() + self.retry_after_s
        if self.down:
            return
        self.down = True
        reason = f"no answer within {self.timeout_s:.2f}s" if isinstance(exc, TimeoutError) \
            else f"{type(exc).__name__}: {exc}"
        log.warning("solv shared cache: Redis %s unavailable (%s); this proxy serves from its own memory and "
                    "tries again every %.0fs", self.where, reason, self.retry_after_s)


_FAILED = object()


class SharedCache:
    """A TTL cache of JSON values: Redis when it answers (shared by all replicas), else this process's memory."""

    def __init__(self, name: str, ttl_s: float, size: int, redis: RedisLink | None = None) -> None:
        self.name, self.ttl_s, self.redis = name, ttl_s, redis
        self.local = InMemoryCache(max_size_in_memory=size, default_ttl=max(int(ttl_s), 1))

    async def get(self, key: str) -> Any | None:
        if self.redis is not None:
            answered, value = await self.redis.get(f"{self.name}:{key}")
            if answered:
                return value
        return self.local.get_cache(key)

    async def set(self, key: str, value: Any) -> None:
        if self.redis is not None and await self.redis.set(f"{self.name}:{key}", value, self.ttl_s):
            return
        self.local.set_cache(key, value, ttl=self.ttl_s)


def shared_cache(name: str, ttl_s: float, size: int, cfg: SharedCacheConfig | None = None) -> SharedCache | None:
    """The cache for ``name``, or None when caching is off (``ttl_s`` or ``size`` 0)."""
    if not ttl_s or not size:
        return None
    return SharedCache(name, ttl_s, size, redis_link(cfg or SharedCacheConfig()))


@functools.cache
def redis_link(cfg: SharedCacheConfig) -> RedisLink | None:
    """This process's link to the shared Redis, or None (``redis: off``, or no Redis in the environment)."""
    if cfg.redis == "off" or not redis_configured():
        return None
    from litellm.caching.redis_cache import RedisCache

    where = os.environ.get("REDIS_HOST", "(REDIS_URL)") + (f":{os.environ['REDIS_PORT']}"
                                                           if os.environ.get("REDIS_PORT") else "")
    redis = RedisCache(socket_timeout=cfg.timeout_s, socket_connect_timeout=cfg.timeout_s)
    log.info("solv shared cache: search results and judge decisions in Redis %s", where)
    return RedisLink(redis, where, cfg.timeout_s, cfg.retry_after_s)
