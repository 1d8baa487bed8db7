"""Search through ``litellm.asearch``: the LiteLLM half of :mod:`solvstack.core.retrieval.providers`."""

from __future__ import annotations

from solvstack.core.retrieval.errors import SearchFailed, reason_of
from solvstack.core.retrieval.providers import Retriever, SearchResult, ToolSpec


class LiteLLMSearch(Retriever):
    """Call one ``search_tools`` entry through ``litellm.asearch`` (SearXNG, Tavily, any provider it knows).

    The proxy's own ``/v1/search/{name}`` endpoint serves the same entries to clients; we call the SDK
    directly so that LiteLLM's router retries (``num_retries``) cannot stretch our time budget.
    """

    def __init__(self, spec: ToolSpec) -> None:
        self.spec = spec
        self.name = spec.name

    @property
    def unavailable(self) -> str | None:
        return "no-key" if self.spec.missing else None

    async def search(self, query: str, *, limit: int) -> list[SearchResult]:
        if self.spec.missing:
            raise SearchFailed("no-key", f"{self.spec.missing} is not set")
        import litellm  # already loaded inside the proxy; lazy for `solv check` and unit tests

        try:
            resp = await litellm.asearch(query=query, search_provider=self.spec.provider, max_results=limit,
                                         api_key=self.spec.api_key, api_base=self.spec.api_base, **self.spec.extra)
        except Exception as exc:  # mapped once, here
            raise SearchFailed(reason_of(exc), str(exc)[:200]) from exc
        return [SearchResult(str(r.title or ""), str(r.url or ""), str(r.snippet or ""),
                             str(r.date) if r.date else None) for r in resp.results[:limit]]
