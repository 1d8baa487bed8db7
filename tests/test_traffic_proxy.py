"""Client traffic through the real LiteLLM proxy: a qwen3-family deployment on a recording backend, a
SearXNG-speaking stub that records every query, the repo's own solv settings (local classifier, automatic
search on). Bodies are in the shapes the clients send (tests/support/client_bodies.py)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from solvstack.ops.proxyproc import ProxyProcess
from tests.support import client_bodies as cb
from tests.support.backend import RecordingBackend
from tests.support.proxy import REPO, deployment, proxy_client, start_proxy, write_variant
from tests.support.search_servers import SearxngServer, hit, parse_block

PUBLIC_TRAFFIC = REPO.parent / "shared" / "eval" / "client_traffic_public.jsonl"


@pytest.fixture(scope="module")
def searxng() -> Iterator[SearxngServer]:
    with SearxngServer() as s:
        yield s


@pytest.fixture(scope="module")
def traffic_proxy(backend: RecordingBackend, searxng: SearxngServer,
                  tmp_path_factory: pytest.TempPathFactory) -> Iterator[ProxyProcess]:
    cfg = write_variant(tmp_path_factory.mktemp("traffic"), [deployment(cb.MODEL, backend.url, "qwen3")])
    p = start_proxy(cfg, env={"SEARXNG_API_BASE": searxng.url})
    yield p
    p.stop()


@pytest.fixture
def client(traffic_proxy: ProxyProcess, rec: RecordingBackend, searxng: SearxngServer) -> Iterator[httpx.Client]:
    searxng.clear()
    searxng.behaviour.results = [hit("Result", "https://example.org/a", "a search result")]
    with proxy_client(traffic_proxy) as c:
        yield c


def send(client: httpx.Client, body: dict, headers: dict[str, str] | None = None) -> httpx.Response:
    r = client.post("/v1/chat/completions", json={**body, "model": cb.MODEL}, headers=headers or {})
    assert r.status_code == 200, r.text
    return r


def forwarded(rec: RecordingBackend) -> dict:
    reqs = rec.chat_requests()
    assert len(reqs) == 1, reqs
    return reqs[0]


BACKGROUND = {
    "title": cb.owui_title("USER: What is the latest stable Kubernetes release?\nASSISTANT: 1.40, I believe."),
    "tags": cb.owui_tags(),
    "follow_ups": cb.owui_follow_ups(),
    "queries": cb.owui_queries("USER: What's the weather in Oslo tomorrow?"),
    "autocomplete": cb.owui_autocomplete("weather in Os"),
    "custom_title": cb.custom_title(),
    "librechat_title": cb.librechat_title("Who won the match yesterday?"),
    "aider_commit": cb.aider_commit("diff --git a/a.py b/a.py\n--- a/a.py\n+++ b/a.py\n@@ -1 +1 @@\n-x = 1\n+x = 2\n"),
    "aider_summary": cb.aider_summary(),
    "fim": cb.continue_fim("def add(a, b):\n    return ", "\n"),
}


@pytest.mark.parametrize("name", BACKGROUND)
def test_background_task_gets_thinking_off_and_no_search(client, rec, searxng, name):
    r = send(client, BACKGROUND[name])
    assert (r.headers["x-solv-level"], r.headers["x-solv-source"], r.headers["x-solv-search"]) == ("NO", "task", "off")
    assert forwarded(rec)["chat_template_kwargs"] == {"enable_thinking": False}
    assert searxng.queries() == []


def test_cline_file_read_never_reaches_the_search_engine(client, rec, searxng):
    body = cb.cline_tool_result("What is the latest numpy release? Pin requirements.txt to it.",
                                "read_file for 'src/acme/tokens.py'", cb.SECRET_CODE)
    r = send(client, body)
    assert r.headers["x-solv-kind"] == "agent" and r.headers["x-solv-search"] == "off"
    assert searxng.queries() == []
    assert forwarded(rec)["messages"] == body["messages"]  # nothing added, nothing lost


def test_cline_test_output_never_reaches_the_search_engine(client, rec, searxng):
    send(client, cb.cline_tool_result("Fix the failing test", "execute_command for 'pytest -q'", cb.PYTEST_OUTPUT))
    assert searxng.queries() == []


def test_continue_explain_this_code_is_not_searched(client, rec, searxng):
    r = send(client, cb.continue_chat_with_code("explain this code"))
    assert r.headers["x-solv-level"] != "RAG" and searxng.queries() == []


def test_explicit_web_search_with_code_sends_only_the_humans_words(client, rec, searxng):
    r = send(client, cb.continue_chat_with_code("search the web for the latest hvac release notes"))
    assert r.headers["x-solv-level"] == "RAG"
    [query] = searxng.queries()
    assert not any(m.lower() in query.lower() for m in cb.SECRET_MARKERS)
    assert "hvac" in query and len(query) <= 200


def test_native_tool_loop_on_a_live_data_task_never_searches(client, rec, searxng):
    levels = []
    for steps in (0, 1, 2):
        rec.clear()
        r = send(client, cb.native_loop("upgrade to the latest numpy and fix what breaks", steps))
        levels.append(r.headers["x-solv-level"])
        assert forwarded(rec)["tools"] == cb.TOOLS
    assert len(set(levels)) == 1 and levels[0] != "RAG"
    assert searxng.queries() == []


def test_forced_search_in_a_tool_loop_forwards_the_same_bytes_every_step(client, rec, searxng):
    task = "/search numpy 3 migration guide, then upgrade this repo"
    prefixes = []
    for steps in (1, 2, 3):
        rec.clear()
        send(client, cb.native_loop(task, steps))
        prefixes.append(json.dumps(forwarded(rec)["messages"][:2]))  # system + task turn, results inside
    assert prefixes[0] == prefixes[1] == prefixes[2]
    assert searxng.queries() == ["numpy 3 migration guide, then upgrade this repo"]  # once, then the cache
    token, entries, after = parse_block(json.loads(prefixes[0])[1]["content"])
    assert len(entries) == 1 and after.strip() == "numpy 3 migration guide, then upgrade this repo"


def test_open_webui_rag_template_gets_no_second_search(client, rec, searxng):
    r = send(client, cb.owui_rag("What's the latest news on vacation policy changes?"))
    assert r.headers["x-solv-level"] in ("NO", "LOW") and searxng.queries() == []


def test_plain_chat_live_question_still_searches(client, rec, searxng):
    r = send(client, cb.user("What's the weather in Oslo tomorrow?"))
    [query] = searxng.queries()
    assert r.headers["x-solv-level"] == "RAG" and query.endswith("weather in Oslo tomorrow")


def test_ide_client_header_blocks_automatic_search(client, rec, searxng):
    send(client, cb.user("What's the weather in Oslo tomorrow?"), headers={"X-Title": "Roo Code"})
    assert searxng.queries() == []


@pytest.mark.skipif(not PUBLIC_TRAFFIC.exists(), reason="../shared/eval is not beside this checkout")
def test_cli_and_proxy_agree_on_every_public_traffic_line(client, rec, searxng):
    """`solv classify --jsonl` and the running proxy make the same decision on every line."""
    out = subprocess.run([sys.executable, "-m", "solvstack.ops.cli", "classify", "--jsonl", str(PUBLIC_TRAFFIC)],
                         capture_output=True, text=True, check=True, env={**os.environ})
    cli = [json.loads(line) for line in out.stdout.splitlines()]
    lines = [json.loads(line) for line in PUBLIC_TRAFFIC.read_text(encoding="utf-8").splitlines() if line.strip()]
    assert len(cli) == len(lines)
    for want, line in zip(cli, lines, strict=True):
        searxng.clear()
        r = send(client, line["body"])
        got = (r.headers["x-solv-level"], r.headers["x-solv-search"] != "off")
        assert got == (want["level"], want["search"]), line["id"]
        assert bool(searxng.queries()) == want["search"], line["id"]


def test_classify_cli_reads_bodies(tmp_path: Path):
    src = tmp_path / "bodies.jsonl"
    src.write_text(json.dumps({"id": "t", "body": cb.owui_title()}) + "\n" + json.dumps({"prompt": "hi"}) + "\n")
    out = subprocess.run([sys.executable, "-m", "solvstack.ops.cli", "classify", "--jsonl", str(src)],
                         capture_output=True, text=True, check=True)
    first, second = (json.loads(x) for x in out.stdout.splitlines())
    assert (first["id"], first["level"], first["search"], first["kind"]) == ("t", "NO", False, "title")
    assert second["kind"] == "chat" and {"level", "search", "source", "ms"} <= set(second)
