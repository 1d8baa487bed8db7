"""Why a search provider gave nothing: one small error tree, mapped once at the provider boundary.

::

    SearchFailed (reason: str, a short token for the x-solv-search-fallback header)
    ├── "timeout"      the provider did not answer within its share of the budget
    ├── "http-<code>"  the provider answered 4xx/5xx (e.g. http-500, http-401)
    ├── "unreachable"  connection refused, DNS failure
    ├── "no-key"       the provider lacks its API key / api_base (reported once at start-up)
    └── "error"        anything else (bad JSON, a LiteLLM bug)

An empty result list is not an error; the augmenter records it as ``empty`` and tries the next
provider.
"""

from __future__ import annotations

import asyncio


class SearchFailed(RuntimeError):
    """A provider call failed; ``reason`` is a short token such as ``timeout`` or ``http-503``."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason


def reason_of(exc: BaseException) -> str:
    """Map a third-party exception (LiteLLM, httpx, asyncio) to a :class:`SearchFailed` reason."""
    if isinstance(exc, SearchFailed):
        return exc.reason
    if isinstance(exc, asyncio.TimeoutError | TimeoutError):
        return "timeout"
    name = type(exc).__name__.lower()
    if "timeout" in name:
        return "timeout"
    status = getattr(exc, "status_code", None)
    if isinstance(status, int) and 400 <= status < 600 and "connection" not in name:
        return f"http-{status}"
    if "connect" in name or "connection" in str(exc).lower()[:200]:
        return "unreachable"
    return "error"
