"""Opt-in: a real Open WebUI, pointed at the real proxy, driven in headless Chromium (`make openwebui-test`).

Not collected by `make test` (the file name does not match ``test_*.py``): it needs Open WebUI in its
own venv (~7 GB with torch, ``.venv-openwebui``) and Debian's ``chromium``.

Open WebUI runs with its background tasks as users have them: its defaults (title, tags and follow-up
generation on). Search-query generation fires only with web search in "legacy" function calling, and
autocomplete only with both the admin switch and the user's "Prompt Autocompletion" setting on (both
off by default), so a default chat sends neither: after the browser chat, the check asks Open WebUI's
own task API (what its frontend calls for those features) for them and for the image-prompt, emoji and
MoA tasks on the same chat, so Open WebUI builds and sends those requests too.

A recording relay (:mod:`tests.openwebui.relay`) sits between Open WebUI and the proxy and keeps every
request exactly as Open WebUI sent it, with the proxy's ``x-solv-*`` decision headers; the recording
backend behind the proxy (answering each task with the JSON Open WebUI expects, :mod:`.owui_tasks`)
sees what the proxy forwarded, and a SearXNG-speaking stub records every web search the proxy ran.

The chat has three messages (``TURNS``): a current question with no command (the classifier decides),
a ``/search`` follow-up (one search, the command stripped from the query) and a ``/no_think`` one. The
background tasks carry those words, commands included, inside their chat history and must get level NO
(thinking off on the qwen3-family deployment) and no search. Open WebUI sends a new chat's title request
together with the first answer, tags after it, and follow-ups after every answer (``main.py``,
``utils/middleware.py`` of 0.12.4).

Artifacts in test-artifacts/: the screenshot, the Open WebUI log and ``openwebui-recorded.jsonl``
(copy it to ``tests/data/openwebui_recorded.jsonl`` to refresh the fixture that
``tests/test_openwebui_replay.py`` replays in CI; or set ``SOLV_OPENWEBUI_UPDATE_FIXTURE=1``).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from solvstack.ops.proxyproc import ProxyProcess
from tests.openwebui.owui_tasks import FOLLOW_UPS, TITLE, TaskBackend, kind_of
from tests.openwebui.relay import Exchange, RecordingRelay
from tests.support.proxy import MASTER_KEY, REPO, deployment, free_port, repo_config, start_proxy, write_variant
from tests.support.search_servers import SearxngServer, hit

pytestmark = pytest.mark.openwebui

VENV = Path(os.environ.get("SOLV_OPENWEBUI_VENV", REPO / ".venv-openwebui"))
ARTIFACTS = REPO / "test-artifacts"
RECORDING = ARTIFACTS / "openwebui-recorded.jsonl"
FIXTURE = REPO / "tests" / "data" / "openwebui_recorded.jsonl"
MODEL = "qwen3-8b"


@dataclass(frozen=True)
class Turn:
    prompt: str   # typed in the browser
    phrase: str   # in the message the backend gets for it (commands stripped)
    answer: str   # what the backend answers; shown on screen


TURNS = (
    # a current question, no command: the classifier decides
    Turn("What's new in the latest Python release? Give me the headline features.", "latest Python release",
         "Python 3.14 brings a free-threaded build and template strings."),
    # the user forces a search: the answer searches; the follow-ups task then carries "/search" in its history
    Turn("/search Which of these features matter most for a web backend?", "matter most for a web backend",
         "For a web backend the free-threaded build matters most."),
    # the user switches thinking off (what this check asserted before the tasks were on)
    Turn("/no_think Thanks! Say hello to the team", "Say hello to the team",
         "Hello team, this is solv-stack speaking through Open WebUI"),
)
# what Open WebUI sends besides the answers: title and tags for a new chat's first message (the title
# together with the answer), follow-ups after every answer
BROWSER_KINDS = sorted(["title", "tags"] + ["chat", "follow_ups"] * len(TURNS))
START_TIMEOUT_S = 600
TASKS_TIMEOUT_S = 300
# what the recording keeps of Open WebUI's request headers (never its key)
KEPT_HEADERS = ("content-type", "accept", "user-agent")
HITS = [hit("Python 3.14 released", "https://python.example/3.14", "Free-threaded build, template strings."),
        hit("What's new in Python", "https://docs.python.example/whatsnew", "The headline features.")]


@pytest.fixture(scope="module")
def searxng() -> Iterator[SearxngServer]:
    with SearxngServer() as s:
        s.behaviour.results = HITS
        yield s


@pytest.fixture(scope="module")
def backend() -> Iterator[TaskBackend]:
    with TaskBackend("openwebui") as b:
        b.replies = {t.phrase: t.answer for t in TURNS}
        yield b


@pytest.fixture(scope="module")
def proxy(backend, searxng, tmp_path_factory) -> Iterator[ProxyProcess]:
    retrieval = {**repo_config()["solv"]["retrieval"], "providers": ["searxng"]}
    cfg = write_variant(tmp_path_factory.mktemp("owui-proxy"), [deployment(MODEL, backend.url, "qwen3")],
                        solv={"retrieval": retrieval})
    p = start_proxy(cfg, env={"SEARXNG_API_BASE": searxng.url})
    yield p
    p.stop()


@pytest.fixture(scope="module")
def relay(proxy) -> Iterator[RecordingRelay]:
    with RecordingRelay(proxy.url) as r:
        yield r


def openwebui_env(api_base: str, data: Path) -> dict[str, str]:
    """Open WebUI's defaults for the background tasks (none of their ENABLE_* set) and, like compose.yaml,
    the user-info headers (X-OpenWebUI-Chat-Id, ...)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ENABLE_")}
    return {**env, "DATA_DIR": str(data), "WEBUI_AUTH": "False", "WEBUI_SECRET_KEY": "owui-test-secret",
            "OPENAI_API_BASE_URL": api_base, "OPENAI_API_KEY": MASTER_KEY, "DEFAULT_MODELS": MODEL,
            "ENABLE_OLLAMA_API": "False", "OFFLINE_MODE": "True", "HF_HUB_OFFLINE": "1",
            "ENABLE_FORWARD_USER_INFO_HEADERS": "True",
            "ANONYMIZED_TELEMETRY": "False", "DO_NOT_TRACK": "True", "SCARF_NO_ANALYTICS": "True"}


@pytest.fixture(scope="module")
def openwebui(relay, tmp_path_factory) -> Iterator[str]:
    exe = VENV / "bin" / "open-webui"
    if not exe.exists():
        pytest.fail(f"{exe} missing: run `make openwebui-test` (it installs Open WebUI into {VENV})")
    port = free_port()
    data = tmp_path_factory.mktemp("owui-data")
    ARTIFACTS.mkdir(exist_ok=True)
    log = (ARTIFACTS / "openwebui.log").open("wb")
    proc = subprocess.Popen([str(exe), "serve", "--host", "127.0.0.1", "--port", str(port)], cwd=data,
                            env=openwebui_env(f"{relay.url}/v1", data), stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)
    log.close()
    url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(url, proc)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def wait_healthy(url: str, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"open-webui exited with {proc.returncode}; see {ARTIFACTS / 'openwebui.log'}")
        try:
            if httpx.get(f"{url}/health", timeout=5).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(2)
    pytest.fail(f"open-webui not healthy after {START_TIMEOUT_S}s; see {ARTIFACTS / 'openwebui.log'}")


def fixture_line(ex: Exchange, via: str) -> dict[str, Any]:
    headers = {k: v for k, v in ex.headers.items() if k in KEPT_HEADERS or k.startswith("x-openwebui-")}
    return {"client": "open-webui 0.12.4", "via": via, "kind": kind_of(ex.body), "method": ex.method,
            "path": ex.path, "headers": headers, "body": ex.body, "decision_when_recorded": ex.solv()}


def keep_recording(runs: list[tuple[str, list[Exchange]]]) -> None:
    lines = [json.dumps(fixture_line(e, via), ensure_ascii=False) + "\n" for via, exchanges in runs for e in exchanges]
    RECORDING.write_text("".join(lines), encoding="utf-8")
    if os.environ.get("SOLV_OPENWEBUI_UPDATE_FIXTURE") == "1":
        FIXTURE.write_text("".join(lines), encoding="utf-8")


def signin(openwebui: str) -> dict[str, str]:
    # WEBUI_AUTH=False: signing in with any credentials yields the single local admin's token
    token = httpx.post(f"{openwebui}/api/v1/auths/signin", json={"email": "", "password": ""},
                       timeout=60).json()["token"]
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture(scope="module")
def chat_run(openwebui, relay) -> dict[str, Any]:
    """One chat of three messages through the browser; then wait for Open WebUI's background tasks."""
    shot = ARTIFACTS / "openwebui-chat.png"
    turns = [{"prompt": t.prompt, "expect": [t.answer]} for t in TURNS]
    turns[0]["expect"] += [TITLE, FOLLOW_UPS[0]]  # the generated title and follow-ups show on screen
    turns[-1]["expect"] += [FOLLOW_UPS[0]]  # the last answer's follow-ups, on the screenshot
    out = subprocess.run([str(VENV / "bin" / "python"), str(Path(__file__).with_name("drive.py")), openwebui,
                          str(shot), json.dumps(turns)], capture_output=True, text=True, timeout=1200)
    assert out.returncode == 0, out.stderr[-3000:]
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    deadline = time.monotonic() + TASKS_TIMEOUT_S
    while sorted(kind_of(e.body) for e in relay.chat_exchanges()) != BROWSER_KINDS and time.monotonic() < deadline:
        time.sleep(1)
    exchanges = relay.chat_exchanges()
    keep_recording([("browser", exchanges)])
    return {"result": result, "turns": turns, "exchanges": exchanges, "shot": shot}


@pytest.fixture(scope="module")
def api_run(openwebui, relay, chat_run) -> dict[str, Any]:
    """The other tasks, through Open WebUI's own task API (what its frontend calls for those features), on
    the same chat: search queries, autocomplete, image prompt, emoji, MoA. Open WebUI builds each request."""
    auth = signin(openwebui)
    # autocomplete needs the admin switch (off by default): on, through Open WebUI's own config API
    config = httpx.get(f"{openwebui}/api/v1/tasks/config", headers=auth, timeout=60).json()
    updated = httpx.post(f"{openwebui}/api/v1/tasks/config/update", headers=auth, timeout=60,
                         json={**config, "ENABLE_AUTOCOMPLETE_GENERATION": True})
    assert updated.status_code == 200, updated.text
    last = chats(chat_run["exchanges"])[-1]
    chat_id, asked = last.headers["x-openwebui-chat-id"], last.body["messages"][-1]["content"]
    messages = [*last.body["messages"], {"role": "assistant", "content": TURNS[-1].answer}]  # the whole chat
    forms = {"queries": ("queries", {"model": MODEL, "messages": messages, "chat_id": chat_id, "type": "web_search"}),
             "autocomplete": ("auto", {"model": MODEL, "prompt": "And which of these features", "type": "General",
                                       "messages": messages}),
             "image_prompt": ("image_prompt", {"model": MODEL, "messages": messages, "chat_id": chat_id}),
             "emoji": ("emoji", {"model": MODEL, "prompt": "That is great news, thank you!", "chat_id": chat_id}),
             "moa": ("moa", {"model": MODEL, "prompt": asked, "chat_id": chat_id,
                             "responses": [TURNS[-1].answer, "Hello everyone!"]})}
    before = len(relay.chat_exchanges())
    statuses = {}
    for kind, (endpoint, form) in forms.items():
        r = httpx.post(f"{openwebui}/api/v1/tasks/{endpoint}/completions", json=form, headers=auth, timeout=300)
        statuses[kind] = r.status_code
    deadline = time.monotonic() + 60
    while len(relay.chat_exchanges()) < before + len(forms) and time.monotonic() < deadline:
        time.sleep(0.5)
    exchanges = relay.chat_exchanges()[before:]
    keep_recording([("browser", chat_run["exchanges"]), ("open-webui task api", exchanges)])
    return {"statuses": statuses, "kinds": list(forms), "exchanges": exchanges}


def words(text: str) -> set[str]:
    return set(re.findall(r"[\w']+", text.lower().replace("’", "'")))


def searched(ex: Exchange) -> bool:
    """Whether the proxy ran a web search for this request (``x-solv-search`` is ``off`` when none ran)."""
    return ex.solv().get("x-solv-search", "off") != "off"


def test_open_webui_lists_the_proxy_models(openwebui):
    models = httpx.get(f"{openwebui}/api/models", headers=signin(openwebui), timeout=60).json()
    assert MODEL in {m["id"] for m in models["data"]}


def chats(exchanges: list[Exchange]) -> list[Exchange]:
    return [e for e in exchanges if kind_of(e.body) == "chat"]


def forwarded(backend: TaskBackend, ex: Exchange) -> list[dict[str, Any]]:
    """What the backend received for this request: a task's messages arrive untouched; a chat message by
    its turn's phrase."""
    if kind_of(ex.body) != "chat":
        return [b for b in backend.chat_requests() if b.get("messages") == ex.body["messages"]]
    (turn,) = [t for t in TURNS if t.phrase in ex.body["messages"][-1]["content"]]
    return [b for b in backend.chat_requests() if kind_of(b) == "chat"
            and turn.phrase in str(b["messages"][-1]["content"]) and len(b["messages"]) >= len(ex.body["messages"])]


def test_chat_in_the_browser_shows_the_answers_title_and_follow_ups(chat_run):
    result, shot = chat_run["result"], chat_run["shot"]
    expected = [text for turn in chat_run["turns"] for text in turn["expect"]]
    assert result["seen"] == expected, f"{result['error']} (screenshot: {shot})"
    assert shot.stat().st_size > 10_000


def test_open_webui_sent_the_answers_and_their_background_tasks(chat_run):
    exchanges = chat_run["exchanges"]
    assert sorted(kind_of(e.body) for e in exchanges) == BROWSER_KINDS
    assert all(e.status == 200 for e in exchanges), [(kind_of(e.body), e.status) for e in exchanges]
    first = chats(exchanges)[0]
    (title,) = [e for e in exchanges if kind_of(e.body) == "title"]
    assert title.started < first.ended  # a new chat's title goes out with its first answer


def test_each_answer_gets_its_decision(chat_run, backend, searxng):
    free, searched_turn, no_think = (ex.solv() for ex in chats(chat_run["exchanges"]))
    sent = [forwarded(backend, ex) for ex in chats(chat_run["exchanges"])]
    assert [len(s) for s in sent] == [1, 1, 1]
    # the classifier decides the first message
    assert free["x-solv-level"] in ("HIGH", "LOW", "RAG") and free["x-solv-source"] in ("local", "cache"), free
    assert sent[0][0]["chat_template_kwargs"] == {"enable_thinking": free["x-solv-thinking"] in ("HIGH", "LOW")}
    # /search: one search, made of the human's own words, the command stripped
    assert (searched_turn["x-solv-level"], searched_turn["x-solv-search"]) == ("RAG", "searxng"), searched_turn
    queries = searxng.queries()
    assert len(queries) == 1 + (free["x-solv-level"] == "RAG"), queries
    human = " ".join(m["content"] for m in chats(chat_run["exchanges"])[1].body["messages"] if m["role"] == "user")
    assert "/search" not in queries[-1] and words(queries[-1]) <= words(human), queries  # may resolve "these"
    assert sent[1][0]["chat_template_kwargs"] == {"enable_thinking": False}  # rag_thinking: NO
    # /no_think: thinking off, no search
    assert (no_think["x-solv-level"], no_think["x-solv-source"], no_think["x-solv-search"]) == \
        ("NO", "override", "off"), no_think
    assert sent[2][0]["chat_template_kwargs"] == {"enable_thinking": False}


def test_open_webui_sent_its_other_tasks_through_its_task_api(api_run):
    assert api_run["statuses"] == dict.fromkeys(api_run["kinds"], 200)
    assert sorted(kind_of(e.body) for e in api_run["exchanges"]) == sorted(api_run["kinds"])


def test_background_tasks_get_no_thinking_and_no_search(chat_run, api_run, backend, searxng):
    tasks = [e for e in chat_run["exchanges"] + api_run["exchanges"] if kind_of(e.body) != "chat"]
    assert len(tasks) == len(BROWSER_KINDS) - len(TURNS) + len(api_run["kinds"])
    wrong = {}
    for ex in tasks:
        got = {"level": ex.solv().get("x-solv-level"), "search": ex.solv().get("x-solv-search"),
               "forwarded": [b.get("chat_template_kwargs") for b in forwarded(backend, ex)]}
        if got != {"level": "NO", "search": "off", "forwarded": [{"enable_thinking": False}]}:
            wrong[f"{kind_of(ex.body)}@{ex.started:.1f}"] = got
    assert wrong == {}
    # every query the SearXNG stub received belongs to an answer whose headers say it searched
    assert len(searxng.queries()) == sum(searched(e) for e in chats(chat_run["exchanges"]))
