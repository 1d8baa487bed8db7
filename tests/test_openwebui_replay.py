"""Replay, through the real proxy, every request a real Open WebUI sent during one chat.

``tests/data/openwebui_recorded.jsonl`` was recorded by the opt-in browser check
(``make openwebui-test``, tests/openwebui/check_openwebui.py): Open WebUI 0.12.4 with its background
tasks as users have them (its defaults), a recording relay between it and the proxy keeping each
request's exact body and Open WebUI's headers. One line per request, in the order Open WebUI sent them.
``via: browser``: one chat of three messages typed in the browser (a current question, a ``/search``
follow-up, a ``/no_think`` one; ``kind: chat``, each carrying Open WebUI's built-in tool definitions):
the title task goes out together with the first answer, tags after it, follow-ups after every answer.
``via: open-webui task api``: the tasks a default chat does not fire (search queries, autocomplete,
image prompt, emoji, MoA), built and sent by Open WebUI for the same chat when its own task API was
called. The chat content was written for the test.

Here each body goes, as recorded, to the real proxy (a qwen3-family deployment on a recording backend,
a SearXNG-speaking stub configured for retrieval that records every query): the first message gets the
classifier's decision, ``/search`` one search of the human's words, ``/no_think`` thinking off; every
background task (the commands are in their chat history) gets level NO (``enable_thinking: false`` at
the backend, its messages forwarded untouched) and never a web search. No Open WebUI needed.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from solvstack.core.classify.local import LocalClassifier
from solvstack.core.decide import decide
from solvstack.ops.proxyproc import ProxyProcess
from tests.support.backend import RecordingBackend
from tests.support.proxy import deployment, proxy_client, repo_config, start_proxy, write_variant
from tests.support.search_servers import SearxngServer, hit

RECORDED: list[dict[str, Any]] = [
    json.loads(line) for line in
    (Path(__file__).parent / "data" / "openwebui_recorded.jsonl").read_text(encoding="utf-8").splitlines()
    if line.strip()]
TASKS = [r for r in RECORDED if r["kind"] != "chat"]
FREE, SEARCH, NO_THINK = (r for r in RECORDED if r["kind"] == "chat")  # the chat's three messages, in order
MODEL = FREE["body"]["model"]
HITS = [hit("Python 3.14 released", "https://python.example/3.14", "Free-threaded build, template strings."),
        hit("What's new in Python", "https://docs.python.example/whatsnew", "The headline features.")]


@pytest.fixture(scope="module")
def searxng() -> Iterator[SearxngServer]:
    with SearxngServer() as s:
        yield s


@pytest.fixture(scope="module")
def owui_backend() -> Iterator[RecordingBackend]:
    with RecordingBackend("owui-replay") as b:
        yield b


@pytest.fixture(scope="module")
def owui_proxy(owui_backend: RecordingBackend, searxng: SearxngServer,
               tmp_path_factory: pytest.TempPathFactory) -> Iterator[ProxyProcess]:
    retrieval = {**repo_config()["solv"]["retrieval"], "providers": ["searxng"]}
    cfg = write_variant(tmp_path_factory.mktemp("owui-replay"), [deployment(MODEL, owui_backend.url, "qwen3")],
                        solv={"retrieval": retrieval})
    p = start_proxy(cfg, env={"SEARXNG_API_BASE": searxng.url})
    yield p
    p.stop()


def replay(proxy: ProxyProcess, backend: RecordingBackend, searxng: SearxngServer,
           line: dict[str, Any]) -> httpx.Response:
    """Send one recorded request as Open WebUI sent it (its body bytes and headers, our key)."""
    backend.clear()
    searxng.clear()
    searxng.behaviour.results = HITS
    with proxy_client(proxy) as client:
        r = client.request(line["method"], line["path"], headers=line["headers"],
                           content=json.dumps(line["body"]).encode())
    assert r.status_code == 200, r.text
    return r


def words(text: str) -> set[str]:
    return set(re.findall(r"[\w']+", text.lower().replace("’", "'")))  # Open WebUI's editor types ’


def asked(line: dict[str, Any]) -> str:
    return str(line["body"]["messages"][-1]["content"])


def test_the_recording_holds_the_chat_and_every_task_kind():
    browser = sorted(r["kind"] for r in RECORDED if r["via"] == "browser")
    assert browser == sorted(["chat", "follow_ups"] * 3 + ["tags", "title"])
    api = sorted(r["kind"] for r in RECORDED if r["via"] != "browser")
    assert api == ["autocomplete", "emoji", "image_prompt", "moa", "queries"]
    assert asked(SEARCH).startswith("/search ") and asked(NO_THINK).startswith("/no_think ")
    # the commands the human typed are in the tasks' chat history
    assert any("/search " in asked(r) for r in TASKS) and any("/no_think " in asked(r) for r in TASKS)


@pytest.mark.parametrize("line", TASKS, ids=[r["kind"] for r in TASKS])
def test_background_task_gets_no_thinking_and_no_search(owui_proxy, owui_backend, searxng, line):
    r = replay(owui_proxy, owui_backend, searxng, line)
    assert (r.headers["x-solv-level"], r.headers["x-solv-search"]) == ("NO", "off")
    assert searxng.queries() == []
    (sent,) = owui_backend.chat_requests()
    assert sent["chat_template_kwargs"] == {"enable_thinking": False}
    assert sent["messages"] == line["body"]["messages"]  # the task's own text, nothing injected


def test_a_message_without_command_gets_the_classifiers_decision(owui_proxy, owui_backend, searxng):
    """A current-events question in Open WebUI (which sends its built-in tools with every chat) is
    plain chat: the decision `solv classify` prints for the same body, a search of the human's words."""
    verdict = asyncio.run(decide(FREE["body"], None, LocalClassifier()))[1]
    r = replay(owui_proxy, owui_backend, searxng, FREE)
    assert (r.headers["x-solv-level"], r.headers["x-solv-kind"]) == (verdict.level.value, "chat"), dict(r.headers)
    assert verdict.level.value == "RAG" and r.headers["x-solv-search"] == "searxng"
    (query,) = searxng.queries()
    assert words(query) <= words(asked(FREE)), query
    (sent,) = owui_backend.chat_requests()
    assert sent["chat_template_kwargs"] == {"enable_thinking": r.headers["x-solv-thinking"] in ("HIGH", "LOW")}


def test_search_command_searches_the_humans_words(owui_proxy, owui_backend, searxng):
    r = replay(owui_proxy, owui_backend, searxng, SEARCH)
    assert (r.headers["x-solv-level"], r.headers["x-solv-search"]) == ("RAG", "searxng")
    (query,) = searxng.queries()
    # the human's own words: this message's, and an earlier one's to resolve "these"
    human = " ".join(m["content"] for m in SEARCH["body"]["messages"] if m["role"] == "user")
    assert "/search" not in query and words(query) <= words(human), query
    (sent,) = owui_backend.chat_requests()
    assert sent["chat_template_kwargs"] == {"enable_thinking": False}  # rag_thinking: NO
    assert "/search" not in str(sent["messages"][-1]["content"])


def test_no_think_command_switches_thinking_off(owui_proxy, owui_backend, searxng):
    r = replay(owui_proxy, owui_backend, searxng, NO_THINK)
    assert (r.headers["x-solv-level"], r.headers["x-solv-source"], r.headers["x-solv-search"]) == \
        ("NO", "override", "off")
    assert searxng.queries() == []
    (sent,) = owui_backend.chat_requests()
    assert sent["chat_template_kwargs"] == {"enable_thinking": False}
    assert sent["messages"][-1]["content"] == asked(NO_THINK).removeprefix("/no_think ")
