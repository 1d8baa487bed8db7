"""Opt-in: a real Open WebUI, pointed at the real proxy, driven in headless Chromium (`make openwebui-test`).

Not collected by `make test` (the file name does not match ``test_*.py``): it needs Open WebUI in its
own venv (~7 GB with torch, ``.venv-openwebui``) and Debian's ``chromium``. The model behind the proxy
is the recording backend, so the answer on screen is known; the screenshot lands in test-artifacts/.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from solvstack.proxyproc import ProxyProcess
from tests.support.backend import RecordingBackend
from tests.support.proxy import MASTER_KEY, REPO, deployment, free_port, start_proxy, write_variant

pytestmark = pytest.mark.openwebui

VENV = Path(os.environ.get("SOLV_OPENWEBUI_VENV", REPO / ".venv-openwebui"))
ARTIFACTS = REPO / "test-artifacts"
MODEL = "qwen3-8b"
PROMPT = "/no_think Say hello to the team"
ANSWER = "Hello team, this is solv-stack speaking through Open WebUI"
START_TIMEOUT_S = 600


@pytest.fixture(scope="module")
def backend() -> Iterator[RecordingBackend]:
    with RecordingBackend("openwebui") as b:
        b.behaviour.content = ANSWER
        yield b


@pytest.fixture(scope="module")
def proxy(backend, tmp_path_factory) -> Iterator[ProxyProcess]:
    cfg = write_variant(tmp_path_factory.mktemp("owui-proxy"), [deployment(MODEL, backend.url, "qwen3")])
    p = start_proxy(cfg)
    yield p
    p.stop()


def openwebui_env(proxy: ProxyProcess, data: Path) -> dict[str, str]:
    return {**os.environ, "DATA_DIR": str(data), "WEBUI_AUTH": "False", "WEBUI_SECRET_KEY": "owui-test-secret",
            "OPENAI_API_BASE_URL": f"{proxy.url}/v1", "OPENAI_API_KEY": MASTER_KEY, "DEFAULT_MODELS": MODEL,
            "ENABLE_OLLAMA_API": "False", "OFFLINE_MODE": "True", "HF_HUB_OFFLINE": "1",
            "ENABLE_TITLE_GENERATION": "False", "ENABLE_FOLLOW_UP_GENERATION": "False",
            "ENABLE_TAGS_GENERATION": "False", "ENABLE_AUTOCOMPLETE_GENERATION": "False",
            "ANONYMIZED_TELEMETRY": "False", "DO_NOT_TRACK": "True", "SCARF_NO_ANALYTICS": "True"}


@pytest.fixture(scope="module")
def openwebui(proxy, tmp_path_factory) -> Iterator[str]:
    exe = VENV / "bin" / "open-webui"
    if not exe.exists():
        pytest.fail(f"{exe} missing: run `make openwebui-test` (it installs Open WebUI into {VENV})")
    port = free_port()
    data = tmp_path_factory.mktemp("owui-data")
    ARTIFACTS.mkdir(exist_ok=True)
    log = (ARTIFACTS / "openwebui.log").open("wb")
    proc = subprocess.Popen([str(exe), "serve", "--host", "127.0.0.1", "--port", str(port)], cwd=data,
                            env=openwebui_env(proxy, data), stdout=log, stderr=subprocess.STDOUT,
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


def test_open_webui_lists_the_proxy_models(openwebui):
    # WEBUI_AUTH=False: signing in with any credentials yields the single local admin's token
    token = httpx.post(f"{openwebui}/api/v1/auths/signin", json={"email": "", "password": ""},
                       timeout=60).json()["token"]
    models = httpx.get(f"{openwebui}/api/models", headers={"Authorization": f"Bearer {token}"}, timeout=60).json()
    assert MODEL in {m["id"] for m in models["data"]}


def test_chat_in_the_browser_shows_the_answer(openwebui, backend):
    shot = ARTIFACTS / "openwebui-chat.png"
    out = subprocess.run([str(VENV / "bin" / "python"), str(Path(__file__).with_name("drive.py")), openwebui,
                          PROMPT, ANSWER, str(shot)], capture_output=True, text=True, timeout=900)
    assert out.returncode == 0, out.stderr[-3000:]
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["answer_seen"], f"{result['error']} (screenshot: {shot})"
    assert shot.stat().st_size > 10_000
    sent = [b for b in backend.chat_requests() if b["messages"][-1].get("content") == "Say hello to the team"]
    assert sent, [b["messages"][-1] for b in backend.chat_requests()]
    assert sent[0]["chat_template_kwargs"] == {"enable_thinking": False}  # /no_think reached the hook
