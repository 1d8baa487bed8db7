"""Closed-loop load for fault tests and the soak: N clients, each sending one request after another.

Every request is recorded as an :class:`Outcome` (status, who served it, retries, stream end), so a
test can count what was lost and when. Streams are read to the end: a stream is ``complete`` when it
ends with a finish reason and ``[DONE]``, ``errored`` when it ends with an error event.

>>> async def go(url):  # doctest: +SKIP
...     load = Load(url, key, model="m", clients=32)
...     task = asyncio.create_task(load.run())
...     await load.wait_for(100); load.phase = "a-down"; ...; load.stop(); await task
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx


@dataclass
class Outcome:
    """One request: what happened, during which phase."""

    phase: str
    stream: bool
    status: int
    seconds: float
    content: str = ""
    retries: int = 0
    end: str = ""  # non-stream: "" ; stream: "complete", "errored" or "truncated"
    error: str = ""

    @property
    def ok(self) -> bool:
        return self.status == 200 and self.end in ("", "complete")


@dataclass
class Load:
    """``clients`` concurrent clients; every ``stream_every``-th request of a client streams."""

    url: str
    key: str
    model: str
    clients: int = 32
    stream_every: int = 4
    timeout: float = 30.0
    prompt: Callable[[int, int], str] | None = None  # (client, request number) -> the user's text
    phase: str = "start"
    outcomes: list[Outcome] = field(default_factory=list)
    _stop: asyncio.Event = field(default_factory=asyncio.Event)

    def stop(self) -> None:
        self._stop.set()

    async def wait_for(self, n: int, *, phase: str | None = None, timeout: float = 300) -> None:
        """Until ``n`` more requests (of ``phase``, if given) finished."""
        start = self.count(phase)
        deadline = time.monotonic() + timeout
        while self.count(phase) - start < n:
            if time.monotonic() > deadline:
                raise TimeoutError(f"only {self.count(phase) - start} of {n} requests finished in {timeout}s")
            await asyncio.sleep(0.05)

    async def wait_until(self, done: Callable[[list[Outcome]], bool], what: str, timeout: float = 120) -> None:
        """Until ``done(outcomes)`` holds; a TimeoutError naming ``what`` after ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        while not done(self.outcomes):
            if time.monotonic() > deadline:
                raise TimeoutError(f"{what}: not within {timeout}s ({len(self.outcomes)} requests so far)")
            await asyncio.sleep(0.05)

    def count(self, phase: str | None = None) -> int:
        return sum(1 for o in self.outcomes if phase is None or o.phase == phase)

    async def run(self) -> None:
        limits = httpx.Limits(max_connections=self.clients * 2)
        async with httpx.AsyncClient(base_url=self.url, timeout=self.timeout, limits=limits,
                                     headers={"Authorization": f"Bearer {self.key}"}) as client:
            await asyncio.gather(*(self._client(client, i) for i in range(self.clients)))

    async def _client(self, client: httpx.AsyncClient, n: int) -> None:
        i = 0
        while not self._stop.is_set():
            stream = self.stream_every > 0 and (n + i) % self.stream_every == 0
            text = self.prompt(n, i) if self.prompt else f"client {n} request {i}: what is {n} + {i}?"
            body = {"model": self.model, "stream": stream, "messages": [{"role": "user", "content": text}]}
            self.outcomes.append(await self._one(client, body))
            i += 1

    async def _one(self, client: httpx.AsyncClient, body: dict) -> Outcome:
        phase, start = self.phase, time.perf_counter()
        try:
            if body["stream"]:
                return await self._stream(client, body, phase, start)
            r = await client.post("/v1/chat/completions", json=body)
            content = r.json()["choices"][0]["message"]["content"] if r.status_code == 200 else ""
            return Outcome(phase, False, r.status_code, time.perf_counter() - start, content,
                           int(r.headers.get("x-litellm-attempted-retries") or 0), error=_error(r))
        except (httpx.HTTPError, ValueError, KeyError) as exc:
            return Outcome(phase, bool(body["stream"]), 0, time.perf_counter() - start, error=repr(exc))

    async def _stream(self, client: httpx.AsyncClient, body: dict, phase: str, start: float) -> Outcome:
        async with client.stream("POST", "/v1/chat/completions", json=body) as r:
            if r.status_code != 200:
                await r.aread()
                return Outcome(phase, True, r.status_code, time.perf_counter() - start, error=_error(r))
            events = [line[6:] async for line in r.aiter_lines() if line.startswith("data: ")]
        content, finished, errored = "", False, False
        for e in events:
            if e == "[DONE]":
                continue
            data = json.loads(e)
            errored = errored or "error" in data
            for choice in data.get("choices") or []:
                content += choice.get("delta", {}).get("content") or ""
                finished = finished or bool(choice.get("finish_reason"))
        end = "errored" if errored else "complete" if finished and events[-1:] == ["[DONE]"] else "truncated"
        return Outcome(phase, True, 200, time.perf_counter() - start, content,
                       int(r.headers.get("x-litellm-attempted-retries") or 0), end)


def _error(r: httpx.Response) -> str:
    return "" if r.status_code == 200 else r.text[:300]


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0-100) by nearest rank; 0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered)) - 1))]
