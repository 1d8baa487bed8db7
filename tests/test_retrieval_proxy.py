"""RAG through the real LiteLLM proxy: local SearXNG / Tavily wire servers in front, a recording backend behind.

The variant config keeps the repo's ``search_tools`` and ``solv.retrieval`` as they are and points
them at the local servers through the same environment variables a deployment sets
(``SEARXNG_API_BASE``, ``TAVILY_API_KEY``; ``TAVILY_API_BASE`` is read by LiteLLM). The classifier is
the LLM judge on a second recording backend, so a test decides what the "classifier" says.
Every test uses its own words: the proxy's search cache must not serve one test from another.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from solvstack.core.retrieval.context import INSTRUCTIONS
from solvstack.ops.proxyproc import ProxyProcess
from tests.support.backend import Behaviour, RecordingBackend
from tests.support.proxy import deployment, proxy_client, repo_config, start_proxy, write_variant
from tests.support.search_servers import SearxngServer, TavilyServer, assert_inert, hit, parse_block

CORPUS = [json.loads(line) for line in
          (Path(__file__).parent / "data" / "injection_corpus.jsonl").read_text(encoding="utf-8").splitlines()]
RETRIEVAL = repo_config()["solv"]["retrieval"]
TAVILY_KEY = "tvly-proxy-test"


@pytest.fixture(scope="module")
def searxng() -> Iterator[SearxngServer]:
    with SearxngServer() as s:
        yield s


@pytest.fixture(scope="module")
def tavily() -> Iterator[TavilyServer]:
    with TavilyServer(api_key=TAVILY_KEY) as s:
        yield s


@pytest.fixture(scope="module")
def judge() -> Iterator[RecordingBackend]:
    with RecordingBackend("judge") as j:
        yield j


def judge_says(judge: RecordingBackend, word: str) -> None:
    judge.behaviour = Behaviour(content=word)


@pytest.fixture(scope="module")
def rag_proxy(backend: RecordingBackend, judge: RecordingBackend, searxng: SearxngServer, tavily: TavilyServer,
              tmp_path_factory: pytest.TempPathFactory) -> Iterator[ProxyProcess]:
    models = [deployment("qwen", backend.url, "qwen3"), deployment("judge", judge.url)]
    cfg = write_variant(tmp_path_factory.mktemp("rag"), models,
                        solv={"classifier": {"kind": "llm", "llm": {"model": "judge", "timeout_s": 10}}})
    p = start_proxy(cfg, env={"SEARXNG_API_BASE": searxng.url, "TAVILY_API_KEY": TAVILY_KEY,
                              "TAVILY_API_BASE": tavily.url})
    yield p
    p.stop()


@pytest.fixture
def client(rag_proxy: ProxyProcess, rec: RecordingBackend, judge: RecordingBackend, searxng: SearxngServer,
           tavily: TavilyServer) -> Iterator[httpx.Client]:
    searxng.clear()
    tavily.clear()
    judge_says(judge, "NO")
    with proxy_client(rag_proxy) as c:
        yield c


def chat(client: httpx.Client, messages: list[dict] | str, **extra: object) -> httpx.Response:
    if isinstance(messages, str):
        messages = [{"role": "user", "content": messages}]
    r = client.post("/v1/chat/completions", json={"model": "qwen", "messages": messages, **extra})
    assert r.status_code == 200, r.text
    return r


def sent(rec: RecordingBackend) -> list[dict]:
    reqs = rec.chat_requests()
    assert len(reqs) == 1, reqs
    return list(reqs[0]["messages"])


def expected_block(token: str, hits: list[dict]) -> str:
    entries = []
    for i, h in enumerate(hits, 1):
        date = f"\nDate: {h['date'][:10]}" if h.get("date") else ""
        entries.append(f"[{i}] {h['title']}\nURL: {h['url']}{date}\n{h['content']}")
    return f"<<<SEARCH_RESULTS {token}>>>\n" + "\n\n".join(entries) + f"\n<<<END_SEARCH_RESULTS {token}>>>"


TOUR = [hit("Tour de France 2031: final standings", "https://cycling.example/tdf-2031", "The yellow jersey went to A.",
            "2031-07-27T18:00:00"),
        hit("Stage 21 report", "https://news.example/stage-21", "Paris sprint won by B."),
        hit("Duplicate of the first", "https://cycling.example/tdf-2031#top", "same page again"),
        hit("History of the Tour", "https://wiki.example/tour", "Founded in 1903.")]


def test_classifier_rag_gets_exact_cited_fenced_context(client, rec, judge, searxng, tavily):
    judge_says(judge, "RAG")
    searxng.behaviour.results = TOUR
    prompt = "Who won the Tour de France 2031?"
    r = chat(client, prompt)
    assert r.headers["x-solv-level"] == "RAG" and r.headers["x-solv-source"] == "llm"
    assert (r.headers["x-solv-search"], r.headers["x-solv-search-results"]) == ("searxng", "3")
    assert "x-solv-search-fallback" not in r.headers
    assert searxng.queries() == ["Who won the Tour de France 2031"] and tavily.requests == []
    system, user = sent(rec)
    assert system == {"role": "system", "content": INSTRUCTIONS}
    token, entries, after = parse_block(user["content"])
    assert user == {"role": "user", "content": expected_block(token, [TOUR[0], TOUR[1], TOUR[3]]) + "\n\n" + prompt}
    assert rec.chat_requests()[0]["chat_template_kwargs"] == {"enable_thinking": False}  # rag_thinking: NO


def test_search_override_resolves_the_follow_up_and_keeps_history(client, rec, searxng):
    searxng.behaviour.results = [hit("Python 3.19 released", "https://python.example/3.19", "The newest version.")]
    history = [{"role": "system", "content": "Be brief."},
               {"role": "user", "content": "Tell me about Python"},
               {"role": "assistant", "content": "A programming language."},
               {"role": "user", "content": "/search what about its latest version?"}]
    r = chat(client, history)
    assert r.headers["x-solv-source"] == "llm" and r.headers["x-solv-level"] == "RAG"  # /search made it RAG
    assert searxng.queries() == ["Python latest version"]
    msgs = sent(rec)
    assert msgs[0] == {"role": "system", "content": f"Be brief.\n\n{INSTRUCTIONS}"}
    assert msgs[1:3] == history[1:3]
    token, entries, after = parse_block(msgs[3]["content"])
    assert [e.title for e in entries] == ["Python 3.19 released"]
    assert after == "\n\nwhat about its latest version?"


def test_no_search_forbids_what_the_classifier_wanted(client, rec, judge, searxng, tavily):
    judge_says(judge, "RAG")
    searxng.behaviour.results = TOUR
    r = chat(client, "/no_search what is the price of gold in the year 2131?")
    assert r.headers["x-solv-search"] == "off"
    assert searxng.requests == [] and tavily.requests == []
    assert sent(rec) == [{"role": "user", "content": "what is the price of gold in the year 2131?"}]


def test_searxng_500_falls_back_to_tavily(client, rec, searxng, tavily):
    searxng.behaviour.status = 500
    tavily.behaviour.results = [hit("Tavily says", "https://t.example/a", "from the fallback", "2030-01-02")]
    r = chat(client, "/search weather in Reykjavik on 2030-01-02")
    assert r.headers["x-solv-search"] == "tavily"
    assert r.headers["x-solv-search-fallback"] == "searxng:http-500>tavily"
    (req,) = tavily.requests
    assert req.headers["authorization"] == f"Bearer {TAVILY_KEY}"
    assert req.body == {"query": "weather in Reykjavik on 2030-01-02", "max_results": RETRIEVAL["max_results"]}
    token, entries, _ = parse_block(sent(rec)[1]["content"])
    assert [(e.title, e.date) for e in entries] == [("Tavily says", None)]  # LiteLLM drops Tavily's date


def test_both_down_still_answers_without_context(client, rec, searxng, tavily):
    searxng.behaviour.status = 502
    tavily.behaviour.status = 503
    r = chat(client, "/search population of Atlantis in 1999")
    assert r.json()["choices"][0]["message"]["content"] == rec.behaviour.content
    assert r.headers["x-solv-search"] == "none:http-503" and r.headers["x-solv-search-results"] == "0"
    assert r.headers["x-solv-search-fallback"] == "searxng:http-502>tavily:http-503"
    assert sent(rec) == [{"role": "user", "content": "population of Atlantis in 1999"}]


def test_hanging_searxng_is_cut_at_its_budget(client, rec, searxng, tavily):
    searxng.behaviour.hang = True
    tavily.behaviour.results = [hit("Fast answer", "https://fast.example/", "tavily was quick")]
    # The client's timeout is a hang guard (budget + slack), not a speed assertion.
    r = client.post("/v1/chat/completions", timeout=RETRIEVAL["timeout_s"] + 20, json={
        "model": "qwen", "messages": [{"role": "user", "content": "/search zeppelin timetable Friedrichshafen"}]})
    assert r.status_code == 200
    assert r.headers["x-solv-search-fallback"] == "searxng:timeout>tavily"
    assert len(parse_block(sent(rec)[1]["content"])[1]) == 1


def test_identical_request_searches_once_and_forwards_identical_bytes(client, rec, searxng):
    searxng.behaviour.results = [hit("Cached", "https://cache.example/", "only once")]
    body = "/search opening hours of the Louvre on Mondays in 2077"
    first, second = chat(client, body), chat(client, body)
    assert searxng.queries() == ["opening hours of the Louvre on Mondays in 2077"]
    assert "x-solv-search-cache" not in first.headers and second.headers["x-solv-search-cache"] == "hit"
    reqs = rec.chat_requests()
    assert reqs[0]["messages"] == reqs[1]["messages"]  # same bytes: the backend's prefix cache hits


def test_other_results_get_another_boundary(client, rec, searxng):
    searxng.behaviour.results = [hit("One", "https://one.example/", "first answer")]
    chat(client, "/search boundary check alpha 2077")
    searxng.behaviour.results = [hit("Two", "https://two.example/", "second answer")]
    chat(client, "/search boundary check beta 2077")
    tokens = [parse_block(r["messages"][1]["content"])[0] for r in rec.chat_requests()]
    assert tokens[0] != tokens[1] and all(len(t) == 16 for t in tokens)


@pytest.mark.parametrize("start", range(0, len(CORPUS), 5))
def test_injection_corpus_stays_inert_in_the_forwarded_request(client, rec, searxng, start):
    cases = CORPUS[start:start + 5]
    hits = []
    for i, case in enumerate(cases):
        h = hit("Benign title", f"https://ok{i}.example/{case['id']}", "benign text")
        h[{"content": "content", "title": "title", "url": "url", "date": "date"}[case["field"]]] = case["text"]
        hits.append(h)
    searxng.behaviour.results = hits
    question = f"/search injection batch {start} test"
    r = chat(client, question)
    msgs = sent(rec)
    assert msgs[0] == {"role": "system", "content": INSTRUCTIONS}  # nothing retrieved reaches the system role
    token, entries, after = parse_block(msgs[1]["content"])
    assert after == f"\n\ninjection batch {start} test"
    valid_urls = [h for h in hits if h["url"].startswith("https://")]
    assert len(entries) == len(valid_urls) == int(r.headers["x-solv-search-results"])
    assert_inert(entries)


def test_streaming_rag_gets_context_and_headers(client, rec, searxng):
    searxng.behaviour.results = [hit("Streamed", "https://s.example/", "streamed context")]
    body = {"model": "qwen", "stream": True,
            "messages": [{"role": "user", "content": "/search lunar eclipse dates for 2088"}]}
    with client.stream("POST", "/v1/chat/completions", json=body) as r:
        assert r.status_code == 200
        assert r.headers["x-solv-search"] == "searxng"
        lines = [line for line in r.iter_lines() if line.startswith("data: ")]
    assert lines[-1] == "data: [DONE]"
    assert parse_block(sent(rec)[1]["content"])[1][0].title == "Streamed"


def test_clients_can_use_the_search_tools_directly(client, searxng):
    searxng.behaviour.results = [hit("Direct", "https://d.example/", "via the proxy endpoint")]
    r = client.post("/v1/search/searxng", json={"query": "direct search endpoint check"})
    assert r.status_code == 200, r.text
    assert [x["title"] for x in r.json()["results"]] == ["Direct"]


# -- a proxy whose providers lack their keys --------------------------------------------------------
def test_missing_keys_are_reported_once_and_requests_still_go_through(backend, tmp_path):
    cfg = write_variant(tmp_path, [deployment("qwen", backend.url, "qwen3")])
    p = start_proxy(cfg, env={"SEARXNG_API_BASE": "", "TAVILY_API_KEY": ""})
    try:
        backend.clear()
        with proxy_client(p) as c:
            r = c.post("/v1/chat/completions", json={"model": "qwen", "messages": [
                {"role": "user", "content": "/search anything at all"}]})
        log = Path(p.log_path).read_text(errors="replace")
    finally:
        p.stop()
    assert r.status_code == 200, r.text
    assert r.headers["x-solv-search"] == "none:no-key"
    assert r.headers["x-solv-search-fallback"] == "searxng:no-key>tavily:no-key"
    assert backend.chat_requests()[0]["messages"] == [{"role": "user", "content": "anything at all"}]
    assert log.count("set TAVILY_API_KEY or remove tavily from solv.retrieval.providers") == 1
    assert log.count("set SEARXNG_API_BASE or remove searxng from solv.retrieval.providers") == 1
