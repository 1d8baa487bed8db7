"""Where this proxy placed each conversation: affinity key -> replica, bounded, forgotten when idle.

A conversation's first request is placed by load (:func:`solvstack.core.routing.choice.place`); its
later requests must find that replica again, which a stateless hash cannot do. This memory holds
the answer: a least-recently-used map of at most ``size`` keys, each forgotten ``ttl_s`` after its
last use. It also counts the conversations each replica holds (the live entries), which is the
load signal placement balances: at moderate load queues are 0-1 deep on every replica and tell the
replicas apart no better than a coin, while the conversations placed on each predict its work.

The memory is this process's: another proxy (or worker) does not see it. A key it does not know is
routed as before (rendezvous ranking and spill); see docs/gpus.md ("Several proxies").

>>> m = Placements(size=2, ttl_s=60, clock=lambda: 0.0)
>>> m.put("chat-1", "a"); m.put("chat-2", "b"); m.put("chat-3", "a")  # chat-1 is the oldest: dropped
>>> m.get("chat-1"), m.get("chat-3"), m.count("a")
(None, 'a', 1)
"""

from __future__ import annotations

import time
from collections import Counter, OrderedDict
from collections.abc import Callable


class Placements:
    """key -> replica, LRU-bounded to ``size`` keys, each expiring ``ttl_s`` after its last use."""

    def __init__(self, size: int = 100_000, ttl_s: float = 1800.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        if size < 1 or ttl_s <= 0:
            raise ValueError(f"Placements needs size >= 1 and ttl_s > 0 (got size={size}, ttl_s={ttl_s})")
        self.size, self.ttl_s, self.clock = size, ttl_s, clock
        self._entries: OrderedDict[str, tuple[str, float]] = OrderedDict()  # key -> (replica, last use); oldest first
        self._counts: Counter[str] = Counter()

    def get(self, key: str) -> str | None:
        """The replica ``key`` was last sent to, or None (never seen here, evicted, or expired)."""
        self._expire()
        entry = self._entries.get(key)
        return entry[0] if entry else None

    def put(self, key: str, replica: str) -> None:
        """``key`` went to ``replica`` now (a placement, a follow-up, or a spill: its newest turn is there)."""
        self._expire()
        old = self._entries.pop(key, None)
        if old is not None:
            self._counts[old[0]] -= 1
        self._entries[key] = (replica, self.clock())
        self._counts[replica] += 1
        while len(self._entries) > self.size:
            self._drop_oldest()

    def count(self, replica: str) -> int:
        """Live conversations whose last request went to ``replica``."""
        self._expire()
        return self._counts[replica]

    def counts(self) -> Counter[str]:
        self._expire()
        return +self._counts  # a copy without zeros

    def __len__(self) -> int:
        self._expire()
        return len(self._entries)

    def _drop_oldest(self) -> None:
        _, (replica, _) = self._entries.popitem(last=False)
        self._counts[replica] -= 1

    def _expire(self) -> None:
        horizon = self.clock() - self.ttl_s
        while self._entries and next(iter(self._entries.values()))[1] < horizon:
            self._drop_oldest()
