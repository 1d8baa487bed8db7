"""``LiteLLMSearch`` through the real ``litellm.asearch`` against local SearXNG / Tavily wire servers."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from solvstack.core.retrieval.errors import SearchFailed
from solvstack.core.retrieval.providers import SearchResult, ToolSpec
from solvstack.proxy.retrieval.search import LiteLLMSearch
from tests.support.search_servers import SearxngServer, TavilyServer, hit


@pytest.fixture(scope="module")
def searxng() -> Iterator[SearxngServer]:
    with SearxngServer() as s:
        yield s


@pytest.fixture(scope="module")
def tavily() -> Iterator[TavilyServer]:
    with TavilyServer(api_key="tvly-unit") as s:
        yield s


@pytest.fixture(autouse=True)
def _fresh(searxng: SearxngServer, tavily: TavilyServer) -> None:
    searxng.clear()
    tavily.clear()


HITS = [hit("One", "https://one.example/", "first", "2025-10-07T00:00:00"), hit("Two", "https://two.example/", "2nd")]


async def test_searxng_request_and_response_shape(searxng):
    searxng.behaviour.results = HITS
    spec = ToolSpec("searxng", "searxng", api_base=searxng.url, extra={"categories": "news"})
    got = await LiteLLMSearch(spec).search("python 3.14 release", limit=1)
    assert got == [SearchResult("One", "https://one.example/", "first", "2025-10-07T00:00:00")]
    (req,) = searxng.requests
    assert (req.method, req.path) == ("GET", "/search")
    assert req.params == {"q": "python 3.14 release", "format": "json", "categories": "news"}


async def test_tavily_request_and_response_shape(tavily):
    tavily.behaviour.results = HITS
    spec = ToolSpec("tavily", "tavily", api_key="tvly-unit", api_base=tavily.url, extra={"topic": "news"})
    got = await LiteLLMSearch(spec).search("rust 2024 edition", limit=5)
    assert [g.title for g in got] == ["One", "Two"] and got[0].date is None  # LiteLLM drops published_date
    (req,) = tavily.requests
    assert (req.method, req.path, req.headers["authorization"]) == ("POST", "/search", "Bearer tvly-unit")
    assert req.body == {"query": "rust 2024 edition", "max_results": 5, "topic": "news"}


@pytest.mark.parametrize(("status", "reason"), [(500, "http-500"), (503, "http-503"), (429, "http-429")])
async def test_http_errors_map_to_reasons(searxng, status, reason):
    searxng.behaviour.status = status
    with pytest.raises(SearchFailed) as info:
        await LiteLLMSearch(ToolSpec("searxng", "searxng", api_base=searxng.url)).search("q", limit=3)
    assert info.value.reason == reason


async def test_wrong_tavily_key_is_http_401(tavily):
    with pytest.raises(SearchFailed) as info:
        await LiteLLMSearch(ToolSpec("tavily", "tavily", api_key="wrong", api_base=tavily.url)).search("q", limit=3)
    assert info.value.reason == "http-401"


async def test_unreachable_server():
    with pytest.raises(SearchFailed) as info:
        await LiteLLMSearch(ToolSpec("searxng", "searxng", api_base="http://127.0.0.1:9")).search("q", limit=3)
    assert info.value.reason == "unreachable"


async def test_missing_key_sends_nothing(tavily):
    spec = ToolSpec("tavily", "tavily", api_base=tavily.url, missing="TAVILY_API_KEY")
    with pytest.raises(SearchFailed) as info:
        await LiteLLMSearch(spec).search("q", limit=3)
    assert info.value.reason == "no-key" and tavily.requests == []
