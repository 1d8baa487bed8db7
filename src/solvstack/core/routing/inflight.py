"""Requests this proxy has sent to each replica and not yet seen finish.

Keyed by LiteLLM's ``litellm_call_id``, so a request ends once however many success/failure events
arrive, and a retry that moves it to another replica moves its count too. Entries older than
``ttl_s`` are dropped (a lost event must not count against a replica forever).

>>> f = InFlight(ttl_s=60, clock=lambda: 0.0)
>>> f.begin("call-1", "a"); f.begin("call-2", "a"); f.end("call-1")
>>> f.count("a")
1
"""

from __future__ import annotations

import time
from collections import Counter, deque
from collections.abc import Callable

_FINISHED_KEPT = 4096  # recent completions remembered for :meth:`InFlight.finished_since`


class InFlight:
    """In-flight counts per replica id."""

    def __init__(self, ttl_s: float = 900.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl_s, self.clock = ttl_s, clock
        self._calls: dict[str, tuple[str, float]] = {}  # call id -> (replica, started)
        self._counts: Counter[str] = Counter()
        self._finished: deque[tuple[str, float, float]] = deque(maxlen=_FINISHED_KEPT)  # (replica, started, ended)

    def begin(self, call_id: str, replica: str) -> None:
        self._expire()
        self.end(call_id, finished=False)  # a retry of the same call replaces its earlier attempt
        self._calls[call_id] = (replica, self.clock())
        self._counts[replica] += 1

    def end(self, call_id: str, replica: str | None = None, finished: bool = True) -> None:
        """Finish ``call_id``; with ``replica``, only if it is still counted there (a late event of
        a failed first attempt must not end the retry running elsewhere)."""
        entry = self._calls.get(call_id)
        if entry is None or (replica is not None and entry[0] != replica):
            return
        del self._calls[call_id]
        self._counts[entry[0]] -= 1
        if finished:
            self._finished.append((entry[0], entry[1], self.clock()))

    def count(self, replica: str) -> int:
        return self._counts[replica]

    def count_since(self, replica: str, since: float) -> int:
        """Requests to ``replica`` begun after ``since`` (clock time) and still in flight."""
        n = 0
        for r, started in reversed(self._calls.values()):  # newest first
            if started <= since:
                break
            n += r == replica
        return n

    def finished_since(self, replica: str, since: float) -> int:
        """Requests to ``replica`` that were in flight at ``since`` and have finished after it."""
        n = 0
        for r, started, ended in reversed(self._finished):  # newest first
            if ended <= since:
                break
            n += r == replica and started <= since
        return n

    def replica_of(self, call_id: str) -> str | None:
        entry = self._calls.get(call_id)
        return entry[0] if entry else None

    def _expire(self) -> None:
        now = self.clock()
        oldest = next(iter(self._calls.values()), None)  # dicts keep insertion order: oldest first
        if oldest is None or now - oldest[1] <= self.ttl_s:
            return
        for call_id, (_, started) in list(self._calls.items()):
            if now - started <= self.ttl_s:
                break
            self.end(call_id, finished=False)  # lost: never seen finishing
