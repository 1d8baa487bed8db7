"""Retrieval parts on plain data: query, fencing, caps, config, and the augmenter over fake retrievers."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from solvstack.core.classify.base import Conversation
from solvstack.core.config import ConfigError, SolvConfig, parse_solv
from solvstack.core.retrieval.config import RetrievalConfig, tool_specs
from solvstack.core.retrieval.context import INSTRUCTIONS, Caps, inject, render, select
from solvstack.core.retrieval.errors import SearchFailed
from solvstack.core.retrieval.providers import Retriever, SearchResult, ToolSpec
from solvstack.core.retrieval.query import build_query
from solvstack.proxy.retrieval import build_augmenter
from solvstack.proxy.retrieval.augment import SearchAugmenter
from tests.support.search_servers import assert_inert, parse_block

CORPUS = [json.loads(line) for line in
          (Path(__file__).parent / "data" / "injection_corpus.jsonl").read_text(encoding="utf-8").splitlines()]
TOOLS = [{"search_tool_name": "searxng", "litellm_params": {"search_provider": "searxng",
                                                            "api_base": "os.environ/SEARXNG_API_BASE"}},
         {"search_tool_name": "tavily", "litellm_params": {"search_provider": "tavily",
                                                           "api_key": "os.environ/TAVILY_API_KEY"}}]


def r(i: int, **kw: str) -> SearchResult:
    return SearchResult(kw.get("title", f"Title {i}"), kw.get("url", f"https://site{i}.example/page"),
                        kw.get("snippet", f"snippet number {i}"), kw.get("date"))


# -- query ----------------------------------------------------------------------------------------
@pytest.mark.parametrize(("prompt", "earlier", "query"), [
    ("what about its latest version?", ("Tell me about Python",), "Python latest version"),
    ("how do I install it on ubuntu?", ("what is docker",), "how do I install docker on ubuntu"),
    ("and its population?", ("What is the capital of France?",), "France population"),
    ("and in 2023?", ("What was the population of Germany in 2020?",), "population Germany 2020 in 2023"),
    ("who won the 2022 World Cup?", (), "who won the 2022 World Cup"),
    ("who won the 2022 World Cup?", ("hello there",), "who won the 2022 World Cup"),  # stands alone
    ("Can you search the web for the latest Rust release notes?", (), "the latest Rust release notes"),
    ("please look up vLLM 0.11 changelog", (), "vLLM 0.11 changelog"),
    ("why does this fail? ```raise SystemExit(1)``` see https://x.example/a", (), "why does this fail? see"),
    ("what are they?", ("thanks!",), "what are they"),  # nothing to resolve against
    ("   ", (), ""),
])
def test_query_is_resolved_against_the_previous_turn(prompt, earlier, query):
    assert build_query(Conversation(prompt, earlier)) == query


def test_long_prompt_searches_its_last_question():
    text = "Some context. " * 60 + "What is the newest Linux kernel?"
    assert build_query(Conversation(text), max_chars=120) == "What is the newest Linux kernel"
    assert len(build_query(Conversation("word " * 200), max_chars=50)) <= 50


# -- context: select, render, inject -------------------------------------------------------------
def test_select_dedupes_by_url_and_drops_non_http():
    results = [r(1), r(2, url="https://SITE1.example/page/#frag"), r(3, url="javascript:alert(1)"),
               r(4, url="https://www.site1.example/page?utm_source=x"), r(5), r(6), r(7), r(8)]
    picked = select(results, Caps(max_results=3))
    assert [p.title for p in picked] == ["Title 1", "Title 5", "Title 6"]


def test_render_numbers_and_caps():
    results = [r(1, snippet="word " * 400, date="2025-10-07T12:00:00"), r(2), r(3, snippet="x" * 50)]
    block, count = render(results, Caps(max_results=5, max_chars_per_result=200, max_total_chars=360), "ab" * 8)
    token, entries, after = parse_block(block)
    assert token == "ab" * 8 and after == "" and count == len(entries) == 2  # the third did not fit
    assert entries[0].title == "Title 1" and entries[0].date == "2025-10-07"
    assert entries[0].text.endswith("…") and len(entries[0].text) <= 200
    assert entries[1].url == "https://site2.example/page" and entries[1].date is None
    assert len(block) < 360 + 100  # the cap counts entries; the fence lines come on top


def test_first_result_is_kept_even_when_total_is_tiny():
    block, count = render([r(1, snippet="long " * 100)], Caps(max_total_chars=100), "0" * 16)
    assert count == 1 and parse_block(block)[1][0].text.endswith("…")


@pytest.mark.parametrize("case", CORPUS, ids=[c["id"] for c in CORPUS])
def test_injection_corpus_is_inert(case):
    fields = {"title": "Benign title", "url": "https://ok.example/a", "content": "benign text", "date": None}
    fields[case["field"]] = case["text"]
    res = SearchResult(fields["title"], fields["url"], fields["content"], fields["date"])
    picked = select([res, r(2)], Caps())
    block, count = render(picked, Caps(), "f" * 16)
    token, entries, _ = parse_block(block)
    assert len(entries) == count == len(picked)  # no injected fake entry
    assert_inert(entries)


def test_every_invisible_character_is_removed():
    import sys
    import unicodedata

    from solvstack.core.retrieval.sanitize import inert

    fmt = "".join(chr(c) for c in range(sys.maxunicode + 1) if unicodedata.category(chr(c)) in ("Cf", "Cc"))
    assert inert(f"a{fmt}b") == "a b"


def test_inject_string_and_parts_keep_the_user_text_after_the_block():
    msgs = [{"role": "user", "content": "q1"}, {"role": "assistant", "content": "a1"},
            {"role": "user", "content": [{"type": "text", "text": "q2"},
                                          {"type": "image_url", "image_url": {"url": "data:x"}}]}]
    out = inject({"model": "m", "messages": msgs}, "BLOCK")
    assert out["messages"][0] == {"role": "system", "content": INSTRUCTIONS}
    assert out["messages"][1:3] == msgs[:2]
    assert out["messages"][3]["content"] == [{"type": "text", "text": "BLOCK"}, *msgs[2]["content"]]
    assert msgs[2]["content"][0] == {"type": "text", "text": "q2"}  # input not mutated
    out = inject({"messages": [{"role": "system", "content": "be brief"}, {"role": "user", "content": "q"}]}, "B")
    assert out["messages"] == [{"role": "system", "content": f"be brief\n\n{INSTRUCTIONS}"},
                               {"role": "user", "content": "B\n\nq"}]


# -- config -----------------------------------------------------------------------------------------
@pytest.mark.parametrize(("section", "needle"), [
    ({"providers": ["searxng"], "max_result": 3}, "solv.retrieval.max_result"),
    ({"providers": []}, "solv.retrieval.providers"),
    ({"max_results": 3}, "solv.retrieval.providers: Field required"),
    ({"providers": ["searxng", "searxng"]}, "more than once"),
    ({"providers": ["searxng"], "timeout_s": 1, "provider_timeout_s": 2}, "provider_timeout_s"),
    ({"providers": ["searxng"], "max_results": 0}, "solv.retrieval.max_results"),
])
def test_bad_retrieval_config_names_the_key(section, needle):
    with pytest.raises(ConfigError, match=needle):
        parse_solv({"search_tools": TOOLS, "solv": {"retrieval": section}})


def test_an_empty_section_is_no_retrieval():
    assert parse_solv({"solv": {"retrieval": {}}}).retrieval is None
    assert parse_solv({"solv": {"retrieval": None}}).retrieval is None


def test_unknown_provider_name_lists_the_search_tools():
    with pytest.raises(ConfigError, match=r"solv.retrieval.providers\[1\]: 'bing'.*\(searxng, tavily\)"):
        parse_solv({"search_tools": TOOLS, "solv": {"retrieval": {"providers": ["searxng", "bing"]}}})


def test_unknown_search_provider_lists_litellm_providers():
    tools = [{"search_tool_name": "x", "litellm_params": {"search_provider": "altavista"}}]
    with pytest.raises(ConfigError, match="altavista.*LiteLLM knows:.*searxng.*tavily"):
        parse_solv({"search_tools": tools, "solv": {"retrieval": {"providers": ["x"]}}})


def test_tool_specs_resolve_the_named_tools_in_order():
    specs = tool_specs({"search_tools": TOOLS}, RetrievalConfig(providers=["tavily", "searxng"]))
    assert [s.name for s in specs] == ["tavily", "searxng"]
    with pytest.raises(ConfigError, match="'bing' is not a search_tool_name"):
        tool_specs({"search_tools": TOOLS}, RetrievalConfig(providers=["bing"]))


def test_known_search_providers_match_the_pinned_litellm():
    from litellm.types.utils import SearchProviders

    from solvstack.core.retrieval.config import SEARCH_PROVIDERS

    assert {p.value for p in SearchProviders} == SEARCH_PROVIDERS


def test_missing_key_is_reported_once_with_the_fix(monkeypatch, caplog):
    monkeypatch.delenv("TAVILY_API_KEY", raising=False)
    monkeypatch.setenv("SEARXNG_API_BASE", "http://127.0.0.1:9")
    cfg = SolvConfig.model_validate({"retrieval": {"providers": ["searxng", "tavily"]}})
    aug = build_augmenter({"search_tools": TOOLS}, cfg)
    assert [r.spec.missing for r in aug.retrievers] == [None, "TAVILY_API_KEY"]  # type: ignore[attr-defined]
    warnings = [rec.getMessage() for rec in caplog.records if "TAVILY_API_KEY" in rec.getMessage()]
    assert warnings == ["solv retrieval: search tool 'tavily' has no TAVILY_API_KEY, so it is skipped: "
                        "set TAVILY_API_KEY or remove tavily from solv.retrieval.providers"]


def test_tool_spec_passes_provider_params_through(monkeypatch):
    monkeypatch.setenv("TAVILY_API_KEY", "tvly-1")
    spec = ToolSpec.from_entry({"search_tool_name": "news", "litellm_params": {
        "search_provider": "tavily", "api_key": "os.environ/TAVILY_API_KEY", "topic": "news", "time_range": "week"}})
    assert (spec.api_key, spec.extra, spec.missing) == ("tvly-1", {"topic": "news", "time_range": "week"}, None)


# -- augmenter over fake retrievers ---------------------------------------------------------------
class Fake(Retriever):
    """Answers from a script: results, an exception, or a hang until released."""

    def __init__(self, name: str, results: list[SearchResult] | None = None, fail: str | None = None,
                 hang: bool = False) -> None:
        self.name, self.results, self.fail, self.hang = name, results or [], fail, hang
        self.queries: list[str] = []

    async def search(self, query: str, *, limit: int) -> list[SearchResult]:
        self.queries.append(query)
        if self.hang:
            await asyncio.Event().wait()
        if self.fail:
            raise SearchFailed(self.fail)
        return self.results[:limit]


def augmenter(*retrievers: Retriever, **cfg: object) -> SearchAugmenter:
    return SearchAugmenter(list(retrievers), RetrievalConfig(providers=[x.name for x in retrievers], **cfg))


async def run(aug: SearchAugmenter, prompt: str = "who won the match yesterday?",
              earlier: tuple[str, ...] = ()) -> tuple[dict, dict[str, str]]:
    status: dict[str, str] = {}
    data = {"model": "m", "messages": [{"role": "user", "content": prompt}]}
    out = await asyncio.wait_for(aug.augment(data, Conversation(prompt, earlier), status), 30)  # hang guard
    return out, status


async def test_first_provider_with_results_wins_and_order_is_kept():
    a, b = Fake("searxng", fail="http-500"), Fake("tavily", [r(1), r(2)])
    out, status = await run(augmenter(a, b))
    assert status["search"] == "tavily" and status["search_results"] == "2"
    assert status["search_fallback"] == "searxng:http-500>tavily"
    assert a.queries == b.queries == ["who won the match yesterday"]
    _, entries, after = parse_block(out["messages"][1]["content"])
    assert [e.title for e in entries] == ["Title 1", "Title 2"] and after == "\n\nwho won the match yesterday?"


async def test_empty_results_fall_through_and_all_down_leaves_request_alone():
    out, status = await run(augmenter(Fake("searxng"), Fake("tavily", fail="http-503")))
    assert status["search"] == "none:http-503" and status["search_results"] == "0"
    assert status["search_fallback"] == "searxng:empty>tavily:http-503"
    assert out["messages"] == [{"role": "user", "content": "who won the match yesterday?"}]


async def test_hanging_provider_is_cut_at_its_share_and_the_next_runs():
    hang, ok = Fake("searxng", hang=True), Fake("tavily", [r(1)])
    _, status = await run(augmenter(hang, ok, timeout_s=1.0, provider_timeout_s=0.2))
    assert status["search"] == "tavily" and status["search_fallback"] == "searxng:timeout>tavily"


async def test_budget_spent_skips_the_rest():
    hang, never = Fake("searxng", hang=True), Fake("tavily", [r(1)])
    _, status = await run(augmenter(hang, never, timeout_s=0.2))
    assert status["search"] == "none:budget" and status["search_fallback"] == "searxng:timeout>tavily:budget"
    assert never.queries == []


async def test_identical_query_is_served_from_cache_but_failures_are_not_cached():
    flaky, good = Fake("searxng", fail="timeout"), Fake("tavily", [r(1)])
    aug = augmenter(flaky, good)
    _, first = await run(aug)
    _, second = await run(aug, "Who won the  match yesterday")
    assert good.queries == ["who won the match yesterday"] and len(flaky.queries) == 1
    assert second["search"] == "tavily" and second["search_cache"] == "hit" and "search_cache" not in first
    _, status = await run(augmenter(Fake("s", fail="http-500"), Fake("t")), "q one two three")
    assert status["search"] == "none:empty"


async def test_no_cache_when_ttl_is_zero():
    good = Fake("searxng", [r(1)])
    aug = augmenter(good, cache_ttl_s=0)
    await run(aug)
    await run(aug)
    assert len(good.queries) == 2


async def test_empty_query_searches_nothing():
    never = Fake("searxng", [r(1)])
    out, status = await run(augmenter(never), "  ")
    assert status["search"] == "none:empty-query" and never.queries == [] and "search_fallback" not in status


async def test_unexpected_exception_in_a_retriever_never_fails_the_request():
    class Broken(Retriever):
        name = "broken"

        async def search(self, query: str, *, limit: int) -> list[SearchResult]:
            raise KeyError("bug")

    _, status = await run(augmenter(Broken(), Fake("tavily", [r(1)])))
    assert status["search_fallback"] == "broken:error>tavily"


# -- the SearXNG container's settings ---------------------------------------------------------------
def test_searxng_settings_ready_for_the_compose_stack():
    import tomllib

    import yaml

    root = Path(__file__).resolve().parents[1] / "searxng"
    s = yaml.safe_load((root / "settings.yml").read_text())
    assert s["use_default_settings"] is True
    assert "json" in s["search"]["formats"]  # LiteLLM asks for format=json
    assert s["server"]["limiter"] is False and s["server"]["bind_address"] == "0.0.0.0"
    assert s["server"]["secret_key"] == "ultrasecretkey"  # SearXNG refuses to start until $SEARXNG_SECRET is set
    retrieval = yaml.safe_load((root.parent / "litellm_config.yaml").read_text())["solv"]["retrieval"]
    assert s["outgoing"]["max_request_timeout"] < retrieval["provider_timeout_s"]  # answers within its share
    limiter = tomllib.loads((root / "limiter.toml").read_text())
    assert "172.16.0.0/12" in limiter["botdetection"]["ip_lists"]["pass_ip"]  # the compose network


def test_solv_check_validates_the_retrieval_section(tmp_path, capsys):
    import argparse

    import yaml

    from solvstack.ops.check import run

    path = tmp_path / "litellm_config.yaml"
    path.write_text(yaml.safe_dump({"model_list": [], "search_tools": TOOLS,
                                    "solv": {"retrieval": {"providers": ["searxng", "bing"]}}}))
    assert run(argparse.Namespace(config=path)) == 2
    err = capsys.readouterr().err
    assert "solv.retrieval.providers[1]: 'bing' is not a search_tool_name" in err and "(searxng, tavily)" in err
