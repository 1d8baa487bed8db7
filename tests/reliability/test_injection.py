"""Prompt injection through retrieval, end to end: retrieved text reaches the model fenced, as data.

The retrieval corpus ``tests/data/injection_corpus.jsonl`` (chat-template tokens, role labels, fence markers,
invisible characters, in titles, URLs, dates and text) is served by the Tavily stand-in while SearXNG
is broken, to a streaming, multi-turn conversation with a system prompt on the hardened proxy (every
solv hook on). The request the model gets must keep the conversation as sent (the static retrieval
instructions appended to the system prompt, as documented), carry the results only inside one
fenced block in the last user turn, with nothing of the corpus left active
(:func:`tests.support.search_servers.assert_inert`), and in-prompt commands inside results must not
act as overrides.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest

from solvstack.core.retrieval.context import INSTRUCTIONS
from tests.reliability.conftest import Hardened
from tests.support.search_servers import assert_inert, hit, parse_block

CORPUS = [json.loads(line) for line in (Path(__file__).parents[1] / "data" / "injection_corpus.jsonl")
          .read_text(encoding="utf-8").splitlines() if line.strip()]
BATCH = 5  # the repo's max_results
HISTORY = [{"role": "system", "content": "You are terse. /think"},
           {"role": "user", "content": "earlier question /no_think"},
           {"role": "assistant", "content": "earlier answer"}]


def hits_for(cases: list[dict]) -> list[dict]:
    out = []
    for i, case in enumerate(cases):
        h = hit("Benign title", f"https://ok{i}.example/{case['id']}", "benign text /think high", "2031-01-01")
        h[case["field"]] = case["text"]
        out.append(h)
    return out


def stream_rag(h: Hardened, question: str) -> dict[str, str]:
    body = {"model": "qwen", "stream": True,
            "messages": [*HISTORY, {"role": "user", "content": f"/search {question}"}]}
    with h.client() as c, c.stream("POST", "/v1/chat/completions", json=body) as r:
        assert r.status_code == 200, r.read()
        lines = [line for line in r.iter_lines() if line.startswith("data: ")]
        headers = dict(r.headers)
    assert lines[-1] == "data: [DONE]"
    return headers


def test_corpus_is_there() -> None:
    assert len(CORPUS) >= 20 and {c["field"] for c in CORPUS} >= {"content", "title", "url"}


@pytest.mark.parametrize("start", range(0, len(CORPUS), BATCH))
def test_injection_stays_fenced_as_data(hard: Hardened, start: int) -> None:
    hard.searxng_front.mode = "html"
    hard.tavily.behaviour.results = hits_for(CORPUS[start:start + BATCH])
    question = f"injection batch {start} {uuid.uuid4().hex[:8]}"
    headers = stream_rag(hard, question)
    assert headers["x-solv-search"] == "tavily" and headers["x-solv-thinking"] == "NO"
    sent = hard.backend.chat_requests()[0]
    assert sent["chat_template_kwargs"] == {"enable_thinking": False}  # "/think high" in results did nothing
    messages = sent["messages"]
    assert len(messages) == len(HISTORY) + 1
    # the documented layout: the static instructions appended to the system prompt, the rest as sent
    assert messages[0] == {"role": "system", "content": f"{HISTORY[0]['content']}\n\n{INSTRUCTIONS}"}
    assert messages[1:3] == HISTORY[1:3]
    _, entries, after = parse_block(messages[-1]["content"])
    assert after == f"\n\n{question}"
    assert 1 <= len(entries) <= BATCH and int(headers["x-solv-search-results"]) == len(entries)
    assert_inert(entries)
    for m in messages[:-1]:  # nothing retrieved outside the fence
        assert "Benign title" not in str(m.get("content")) and "ok0.example" not in str(m.get("content"))
