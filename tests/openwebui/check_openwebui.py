"""Opt-in: a real Open WebUI, pointed at the real proxy, driven in headless Chromium (`make openwebui-test`).

Not collected by `make test` (the file name does not match ``test_*.py``): it needs Open WebUI in its
own venv (~7 GB with torch, ``.venv-openwebui``) and Debian's ``chromium``.

Open WebUI runs with its background tasks as users have them: its defaults (title, tags and follow-up
generation on). Search-query generation fires only with web search in "legacy" function calling, and
autocomplete only with both the admin switch and the user's "Prompt Autocompletion" setting on (both
off by default), so a default chat sends neither: after the browser chat, the check asks Open WebUI's own
task API (what its frontend calls for those features) for them and for the image-prompt, emoji and MoA
tasks on the same chat, so Open WebUI builds and sends those requests too. A
recording relay (:mod:`tests.openwebui.relay`) sits between Open WebUI and the proxy and keeps every
request exactly as Open WebUI sent it, with the proxy's ``x-solv-*`` decision headers; the recording
backend behind the proxy (answering each task with the JSON Open WebUI expects, :mod:`.owui_tasks`) sees
what the proxy forwarded, and a SearXNG-speaking stub records every web search the proxy ran.

The chat asks something current (a search question for the classifier); the background tasks carry
the same question inside their chat history and must get level NO (thinking off on the qwen3-family
deployment) and no search. Open WebUI sends a new chat's title request together with the answer, then
follow-ups and tags once the answer is done (``main.py``, ``utils/middleware.py`` of 0.12.4).

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
from pathlib import Path
from typing import Any

import httpx
import pytest

from solvstack.proxyproc import ProxyProcess
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
PROMPT = "What's new in the latest Python release? Give me the headline features."
ANSWER = "Hello team, this is solv-stack speaking through Open WebUI"
BACKGROUND = ("title", "follow_ups", "tags")  # a new chat's title goes out with the answer; then the others
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
        b.behaviour.content = ANSWER
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
    """One chat through the browser; then wait for Open WebUI's background tasks and keep the recording."""
    shot = ARTIFACTS / "openwebui-chat.png"
    out = subprocess.run([str(VENV / "bin" / "python"), str(Path(__file__).with_name("drive.py")), openwebui,
                          PROMPT, ANSWER, str(shot), TITLE, FOLLOW_UPS[0]],
                         capture_output=True, text=True, timeout=1200)
    assert out.returncode == 0, out.stderr[-3000:]
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    deadline = time.monotonic() + TASKS_TIMEOUT_S
    while not set(BACKGROUND) <= {kind_of(e.body) for e in relay.chat_exchanges()} and time.monotonic() < deadline:
        time.sleep(1)
    exchanges = relay.chat_exchanges()
    keep_recording([("browser", exchanges)])
    return {"result": result, "exchanges": exchanges, "shot": shot}


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
    (chat,) = [e for e in chat_run["exchanges"] if kind_of(e.body) == "chat"]
    chat_id, asked = chat.headers["x-openwebui-chat-id"], chat.body["messages"][-1]["content"]
    messages = [{"role": "user", "content": asked}, {"role": "assistant", "content": ANSWER}]
    forms = {"queries": ("queries", {"model": MODEL, "messages": messages, "chat_id": chat_id, "type": "web_search"}),
             "autocomplete": ("auto", {"model": MODEL, "prompt": "And which of these features", "type": "General",
                                       "messages": messages}),
             "image_prompt": ("image_prompt", {"model": MODEL, "messages": messages, "chat_id": chat_id}),
             "emoji": ("emoji", {"model": MODEL, "prompt": "That is great news, thank you!", "chat_id": chat_id}),
             "moa": ("moa", {"model": MODEL, "prompt": asked, "chat_id": chat_id,
                             "responses": [ANSWER, "Python 3.14 adds template strings."]})}
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


def test_chat_in_the_browser_shows_the_answer_title_and_follow_ups(chat_run):
    result, shot = chat_run["result"], chat_run["shot"]
    assert result["answer_seen"], f"{result['error']} (screenshot: {shot})"
    assert result["also_seen"] == [TITLE, FOLLOW_UPS[0]], f"{result['error']} (screenshot: {shot})"
    assert shot.stat().st_size > 10_000


def test_open_webui_sent_the_answer_and_its_background_tasks(chat_run):
    exchanges = chat_run["exchanges"]
    kinds = sorted(kind_of(e.body) for e in exchanges)
    assert kinds == sorted(["chat", *BACKGROUND]), kinds
    assert all(e.status == 200 for e in exchanges), [(kind_of(e.body), e.status) for e in exchanges]
    (chat,) = [e for e in exchanges if kind_of(e.body) == "chat"]
    after = [kind_of(e.body) for e in exchanges if e.started >= chat.ended]
    assert after == ["follow_ups", "tags"], after  # the title went out with the answer (a new chat)


def test_the_answer_gets_the_classifiers_decision(chat_run, backend, searxng):
    (ex,) = [e for e in chat_run["exchanges"] if kind_of(e.body) == "chat"]
    solv = ex.solv()
    assert solv["x-solv-level"] in ("HIGH", "LOW", "RAG") and solv["x-solv-source"] in ("local", "cache"), solv
    (sent,) = [b for b in backend.chat_requests() if kind_of(b) == "chat"]
    assert sent["chat_template_kwargs"] == {"enable_thinking": solv["x-solv-thinking"] in ("HIGH", "LOW")}
    if solv["x-solv-level"] == "RAG":  # one search, made of the human's own words
        assert searched(ex) and len(searxng.queries()) == 1, (solv, searxng.queries())
        assert words(searxng.queries()[0]) <= words(PROMPT), searxng.queries()
    else:
        assert not searched(ex) and searxng.queries() == [], (solv, searxng.queries())


def test_open_webui_sent_its_other_tasks_through_its_task_api(api_run):
    assert api_run["statuses"] == dict.fromkeys(api_run["kinds"], 200)
    assert sorted(kind_of(e.body) for e in api_run["exchanges"]) == sorted(api_run["kinds"])


def test_background_tasks_get_no_thinking_and_no_search(chat_run, api_run, backend, searxng):
    tasks = [e for e in chat_run["exchanges"] + api_run["exchanges"] if kind_of(e.body) != "chat"]
    assert len(tasks) == len(BACKGROUND) + len(api_run["kinds"])
    wrong = {}
    for ex in tasks:
        kind = kind_of(ex.body)
        forwarded = [b.get("chat_template_kwargs") for b in backend.chat_requests() if kind_of(b) == kind]
        got = {"level": ex.solv().get("x-solv-level"), "search": ex.solv().get("x-solv-search"),
               "forwarded": forwarded}
        if got != {"level": "NO", "search": "off", "forwarded": [{"enable_thinking": False}]}:
            wrong[kind] = got
    assert wrong == {}
    # every query the SearXNG stub received belongs to a request whose headers say it searched: the answer
    assert len(searxng.queries()) == sum(searched(e) for e in chat_run["exchanges"] if kind_of(e.body) == "chat")
