"""Search providers hang or answer garbage: RAG requests are still served, in budget, fallback recorded.

The hardened proxy's search tools point at SearXNG and Tavily stand-ins through fault fronts. With
SearXNG broken the answer comes with Tavily's context; with both broken it comes without context;
either way ``x-solv-search`` / ``x-solv-search-fallback`` say what happened. The client's read
timeout (the retrieval budget plus a margin) is the budget check: a hung request fails the test.
"""

from __future__ import annotations

import asyncio
import uuid

import httpx
import pytest

from tests.reliability.conftest import Hardened, repo_retrieval
from tests.reliability.faulty import GARBAGE
from tests.support.search_servers import hit, parse_block

BUDGET_S = float(repo_retrieval()["timeout_s"])
CLIENT_TIMEOUT_S = BUDGET_S + 10
BROKEN = ["hang", *GARBAGE]


def rag(c: httpx.Client, words: str) -> httpx.Response:
    r = c.post("/v1/chat/completions", json={"model": "qwen", "messages": [
        {"role": "user", "content": f"/search {words} {uuid.uuid4().hex[:8]}"}]})
    assert r.status_code == 200, r.text[:300]
    return r


@pytest.mark.parametrize("mode", BROKEN)
def test_broken_searxng_falls_back_to_tavily(hard: Hardened, mode: str) -> None:
    hard.searxng_front.mode = mode
    hard.tavily.behaviour.results = [hit("From Tavily", "https://t.example/a", "tavily context")]
    with hard.client(timeout=CLIENT_TIMEOUT_S) as c:
        r = rag(c, f"searxng {mode} fallback")
    hard.searxng_front.release()
    assert r.headers["x-solv-search"] == "tavily"
    assert r.headers["x-solv-search-fallback"].startswith("searxng:")
    assert r.headers["x-solv-search-fallback"].endswith(">tavily")
    _, entries, after = parse_block(hard.backend.chat_requests()[0]["messages"][-1]["content"])
    assert [e.title for e in entries] == ["From Tavily"] and after.startswith("\n\nsearxng")


@pytest.mark.parametrize(("searxng", "tavily"), [("hang", "hang"), ("html", "truncated"), ("wrong-shape", "empty")])
def test_both_broken_answers_without_context(hard: Hardened, searxng: str, tavily: str) -> None:
    hard.searxng_front.mode, hard.tavily_front.mode = searxng, tavily
    with hard.client(timeout=CLIENT_TIMEOUT_S) as c:
        r = rag(c, "nothing works today")
    hard.searxng_front.release()
    hard.tavily_front.release()
    assert r.headers["x-solv-search"].startswith("none:") and r.headers["x-solv-search-results"] == "0"
    last = hard.backend.chat_requests()[0]["messages"][-1]["content"]
    assert last.startswith("nothing works today ") and "SEARCH_RESULTS" not in last  # the question, untouched


def test_garbage_results_in_a_valid_answer(hard: Hardened) -> None:
    """Tavily answers 200 with results of the wrong types: served, the bad ones dropped or the search skipped."""
    hard.searxng_front.mode = "html"
    hard.tavily.behaviour.results = [{"title": None, "url": 5, "content": {"x": 1}, "date": "yesterday-ish"},
                                     hit("Good one", "https://good.example/", "fine text")]
    with hard.client(timeout=CLIENT_TIMEOUT_S) as c:
        r = rag(c, "garbage results")
    # LiteLLM 1.106.2 rejects the whole answer (one bad result spoils the good one): served without context
    assert r.headers["x-solv-search"] == "tavily" or r.headers["x-solv-search"].startswith("none:")
    assert "garbage results" in hard.backend.chat_requests()[0]["messages"][-1]["content"]


async def many(h: Hardened, n: int) -> list[httpx.Response]:
    async with httpx.AsyncClient(base_url=h.proxy.url, timeout=CLIENT_TIMEOUT_S,
                                 headers={"Authorization": f"Bearer {h.secrets.master_key}"}) as c:
        return list(await asyncio.gather(*(c.post("/v1/chat/completions", json={"model": "qwen", "messages": [
            {"role": "user", "content": f"/search concurrent hang {i} {uuid.uuid4().hex[:8]}"}]}) for i in range(n))))


def test_hanging_searxng_under_concurrency(hard: Hardened) -> None:
    hard.searxng_front.mode = "hang"
    hard.tavily.behaviour.results = [hit("T", "https://t.example/", "tavily context")]
    responses = asyncio.run(many(hard, 16))
    hard.searxng_front.release()
    assert [r.status_code for r in responses] == [200] * 16
    assert {r.headers["x-solv-search"] for r in responses} == {"tavily"}
    assert {r.headers["x-solv-search-fallback"] for r in responses} == {"searxng:timeout>tavily"}
