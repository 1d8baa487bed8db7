"""The embedded backend: the server class's error paths (fast) and a real vLLM CPU server (slow)."""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import httpx
import pytest

from solvstack.ops import up
from solvstack.ops.backends import server as server_mod
from solvstack.ops.backends.catalog import EMBEDDED_MODELS, get_model
from solvstack.ops.backends.errors import ModelPrepareFailed, ProcessExited, StartupTimeout, VllmNotInstalled
from solvstack.ops.backends.model import RECIPE_VERSION, STAMP, is_prepared, prepare_in_venv
from solvstack.ops.backends.process import ManagedProcess, Progress
from solvstack.ops.backends.server import BackendSpec, VllmServer, find_vllm_python, server_argv, server_env
from solvstack.ops.backends.supervisor import Supervisor
from tests.vllm_fixtures import VllmEndpoint, free_port

PY = sys.executable


def sleeper(name: str, tmp_path: Path, code: str = "import time; time.sleep(60)") -> ManagedProcess:
    port = free_port()  # nobody answers there: never healthy
    return ManagedProcess(
        name, [PY, "-c", code], health_url=f"http://127.0.0.1:{port}/health", log_path=tmp_path / f"{name}.log"
    )


# --- finding the vLLM python ---------------------------------------------------------------------


def test_missing_override_python_says_what_to_set(tmp_path: Path) -> None:
    with pytest.raises(VllmNotInstalled, match="SOLV_VLLM_PYTHON=.*not an executable"):
        find_vllm_python({"SOLV_VLLM_PYTHON": str(tmp_path / "nope" / "python")})


def test_missing_venv_tells_the_setup_script(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(server_mod, "_venv_candidates", lambda: [tmp_path / ".venv-vllm/bin/python"])
    with pytest.raises(VllmNotInstalled, match="Run scripts/setup-vllm-cpu.sh") as err:
        find_vllm_python({})
    assert str(tmp_path) in str(err.value)


def test_override_python_is_used() -> None:
    assert find_vllm_python({"SOLV_VLLM_PYTHON": PY}) == Path(PY)


# --- the command and environment ---------------------------------------------------------------


def test_cpu_spec_command_and_env(tmp_path: Path) -> None:
    spec = BackendSpec.cpu(tmp_path / "m", served_name="m1", port=8123, args=("--load-format", "dummy"))
    argv = server_argv(Path("/py"), spec)
    assert argv[:3] == ["/py", "-m", "vllm.entrypoints.openai.api_server"]
    assert argv[argv.index("--served-model-name") + 1] == "m1"
    assert argv[argv.index("--port") + 1] == "8123"
    assert "--enforce-eager" in argv and argv[-2:] == ["--load-format", "dummy"]
    env = server_env(spec, tmp_path, base_env={"PATH": "/bin"})
    assert env["VLLM_CPU_KVCACHE_SPACE"] == "1" and env["VLLM_CPU_NUM_OF_RESERVED_CPU"] == "0"
    assert env["HF_HUB_OFFLINE"] == "1" and env["VLLM_NO_USAGE_STATS"] == "1"
    assert env["VLLM_CACHE_ROOT"] == str(tmp_path / "vllm") and env["PATH"] == "/bin"
    assert spec.base_url == "http://127.0.0.1:8123/v1"


def test_gpu_style_spec_env_wins(tmp_path: Path) -> None:
    spec = BackendSpec(tmp_path, "big", 8002, env={"CUDA_VISIBLE_DEVICES": "GPU-1234", "HF_HUB_OFFLINE": "0"})
    env = server_env(spec, tmp_path, base_env={})
    assert env["CUDA_VISIBLE_DEVICES"] == "GPU-1234" and env["HF_HUB_OFFLINE"] == "0"
    assert "VLLM_CPU_KVCACHE_SPACE" not in env and "--enforce-eager" not in server_argv(Path("/py"), spec)


def test_unknown_model_lists_valid_names() -> None:
    with pytest.raises(KeyError, match="valid names: smollm2-135m, gemma3-270m, dummy-llama"):
        get_model("llama-70b")
    assert EMBEDDED_MODELS["dummy-llama"].vllm_args[:2] == ("--load-format", "dummy")


@pytest.mark.parametrize("name", list(EMBEDDED_MODELS))
def test_every_embedded_server_answers_tool_requests(name: str) -> None:
    """Without these flags vLLM answers a `tools` request with 400 (issue 10, item 6)."""
    args = EMBEDDED_MODELS[name].vllm_args
    assert "--enable-auto-tool-choice" in args
    assert args[args.index("--tool-call-parser") + 1] == "hermes"


def test_smollm2_serves_its_template_with_thinking_off_by_default() -> None:
    args = EMBEDDED_MODELS["smollm2-135m"].vllm_args
    template = Path(args[args.index("--chat-template") + 1])
    assert template.is_file() and "enable_thinking" in template.read_text()
    assert args[args.index("--reasoning-parser") + 1] == "qwen3"
    assert json.loads(args[args.index("--default-chat-template-kwargs") + 1]) == {"enable_thinking": False}


@pytest.mark.parametrize("name", list(EMBEDDED_MODELS))
def test_container_gets_the_catalogs_flags(name: str) -> None:
    """docker/Dockerfile splices `python -m solvstack.ops.backends.catalog NAME` into the shell command."""
    import subprocess

    out = subprocess.run([sys.executable, "-m", "solvstack.ops.backends.catalog", name], capture_output=True, text=True,
                         check=True).stdout
    assert tuple(out.split()) == EMBEDDED_MODELS[name].vllm_args  # no arg may hold a space
    assert "solvstack.ops.backends.catalog" in (Path(__file__).parents[1] / "docker" / "Dockerfile").read_text()


# --- process lifecycle -------------------------------------------------------------------------


def test_server_that_exits_early_names_its_log(tmp_path: Path) -> None:
    """This interpreter has no vllm: the child dies at import, and the error says where to look."""
    spec = BackendSpec.cpu(tmp_path, served_name="x", port=free_port())
    log = tmp_path / "vllm.log"
    with (
        VllmServer(spec, python=Path(PY), cache_dir=tmp_path, log_path=log) as srv,
        pytest.raises(ProcessExited) as err,
    ):
        srv.wait_healthy(60, poll_interval=0.1)
    message = str(err.value)
    assert str(log) in message and "No module named" in message and "exited with code 1" in message


def test_timeout_names_log_and_stop_ends_the_child(tmp_path: Path) -> None:
    proc = sleeper("slow", tmp_path)
    seen: list[Progress] = []
    with proc, pytest.raises(StartupTimeout, match=r"did not answer .* within 1 s \(see .*slow.log\)"):
        proc.wait_healthy(1, on_progress=seen.append, poll_interval=0.2)
    assert proc.poll() is not None and seen and seen[0].name == "slow"


def test_stop_ends_the_whole_process_group(tmp_path: Path) -> None:
    pidfile = tmp_path / "grandchild.pid"
    code = (
        "import subprocess, sys, time; "
        f"p = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)']); "
        f"open({str(pidfile)!r}, 'w').write(str(p.pid)); time.sleep(60)"
    )
    proc = sleeper("parent", tmp_path, code)
    with proc:
        deadline = time.monotonic() + 20
        while not pidfile.exists() or not pidfile.read_text():
            assert time.monotonic() < deadline, "grandchild never started"
            time.sleep(0.05)
    grandchild = int(pidfile.read_text())
    time.sleep(0.2)
    assert not _alive(grandchild), "stop() left the grandchild running"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie is dead for our purpose (its parent, now killed, can no longer reap it)
    return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"


def test_supervisor_stops_the_rest_when_one_dies(tmp_path: Path) -> None:
    steady = sleeper("steady", tmp_path)
    doomed = sleeper("doomed", tmp_path, "import sys; print('bye'); sys.exit(3)")
    with Supervisor() as sup:
        sup.launch(steady)
        sup.launch(doomed)
        with pytest.raises(ProcessExited, match="doomed exited with code 3"):
            sup.watch(poll_interval=0.05)
    assert steady.poll() is not None


# --- model preparation -------------------------------------------------------------------------


def test_stamp_decides_whether_a_folder_is_prepared(tmp_path: Path) -> None:
    assert not is_prepared(tmp_path, "gemma3-270m")
    (tmp_path / STAMP).write_text(json.dumps({"recipe": "gemma3-270m", "version": RECIPE_VERSION}))
    assert is_prepared(tmp_path, "gemma3-270m") and not is_prepared(tmp_path, "smollm2-135m")
    (tmp_path / STAMP).write_text(json.dumps({"recipe": "gemma3-270m", "version": RECIPE_VERSION - 1}))
    assert not is_prepared(tmp_path, "gemma3-270m")


def test_prepare_without_the_model_packages_tells_the_fix(tmp_path: Path) -> None:
    """The proxy venv lacks the model packages: the subprocess fails and the error says what to run."""
    with pytest.raises(ModelPrepareFailed, match="setup-vllm-cpu.sh") as err:
        prepare_in_venv("smollm2-135m", python=Path(PY), cache_dir=tmp_path, echo=lambda _: None)
    assert str(tmp_path / "logs" / "prepare-smollm2-135m.log") in str(err.value)


# --- solv up -------------------------------------------------------------------------------------


def up_args(tmp_path: Path, **overrides: object) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    up.add_arguments(parser)
    args = parser.parse_args(["--cache-dir", str(tmp_path)])
    for key, value in overrides.items():
        setattr(args, key, value)
    return args


def test_up_fails_clearly_without_config(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert up.run(up_args(tmp_path, config=tmp_path / "missing.yaml")) == 1
    assert "missing.yaml not found" in capsys.readouterr().err


def test_up_fails_clearly_on_a_busy_port(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import socket

    config = tmp_path / "c.yaml"
    config.write_text("model_list: [{litellm_params: {model: hosted_vllm/smollm2-135m}}]\n")
    monkeypatch.setenv("SOLV_VLLM_PYTHON", PY)  # never used: the port check comes first
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        assert up.run(up_args(tmp_path, config=config, vllm_port=port)) == 1
    assert f"port {port} is already in use" in capsys.readouterr().err


def test_progress_is_throttled(capsys: pytest.CaptureFixture[str]) -> None:
    show = up.Throttled(every_s=5)
    for second in range(12):
        show(Progress("vLLM x", float(second), f"line {second}"))
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 2 and "waiting    5 s" in lines[0] and "line 10" in lines[1]


# --- a real vLLM CPU server ----------------------------------------------------------------------


@pytest.mark.vllm
def test_models_lists_the_served_name(vllm_cpu_server: VllmEndpoint) -> None:
    body = httpx.get(f"{vllm_cpu_server.base_url}/models", timeout=30).json()
    assert [m["id"] for m in body["data"]] == [vllm_cpu_server.served_name]
    assert body["data"][0]["max_model_len"] > 0


@pytest.mark.vllm
def test_chat_completion_has_the_openai_shape(vllm_cpu_server: VllmEndpoint) -> None:
    request = {
        "model": vllm_cpu_server.served_name,
        "messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Say hi."}],
        "max_tokens": 8,
    }
    body = httpx.post(f"{vllm_cpu_server.base_url}/chat/completions", json=request, timeout=120).json()
    assert body["object"] == "chat.completion" and body["model"] == vllm_cpu_server.served_name
    choice = body["choices"][0]
    assert choice["message"]["role"] == "assistant" and isinstance(choice["message"]["content"], str)
    assert choice["finish_reason"] in ("stop", "length")
    usage = body["usage"]
    assert 0 < usage["completion_tokens"] <= 8 and usage["prompt_tokens"] > 0
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"]


@pytest.mark.vllm
def test_streaming_ends_with_done(vllm_cpu_server: VllmEndpoint) -> None:
    request = {
        "model": vllm_cpu_server.served_name,
        "messages": [{"role": "user", "content": "Count to three."}],
        "max_tokens": 6,
        "stream": True,
    }
    with httpx.stream("POST", f"{vllm_cpu_server.base_url}/chat/completions", json=request, timeout=120) as resp:
        events = [line.removeprefix("data: ") for line in resp.iter_lines() if line.startswith("data: ")]
    assert events[-1] == "[DONE]"
    chunks = [json.loads(e) for e in events[:-1]]
    assert all(c["object"] == "chat.completion.chunk" for c in chunks)
    assert chunks[-1]["choices"][0]["finish_reason"] in ("stop", "length")


@pytest.mark.vllm
def test_metrics_expose_the_scheduler(vllm_cpu_server: VllmEndpoint) -> None:
    root = vllm_cpu_server.base_url.removesuffix("/v1")
    text = httpx.get(f"{root}/metrics", timeout=30).text
    for name in ("vllm:num_requests_running", "vllm:num_requests_waiting", "vllm:prefix_cache_queries_total"):
        assert f"{name}{{" in text, name


def test_master_key_is_generated_once_and_private(tmp_path, monkeypatch):
    from solvstack.ops.up import master_key_env

    monkeypatch.delenv("LITELLM_MASTER_KEY", raising=False)
    first = master_key_env(tmp_path)["LITELLM_MASTER_KEY"]
    assert first.startswith("sk-solv-") and len(first) > 30
    assert master_key_env(tmp_path)["LITELLM_MASTER_KEY"] == first  # stable across runs
    assert (tmp_path / "master_key").stat().st_mode & 0o077 == 0
    monkeypatch.setenv("LITELLM_MASTER_KEY", "sk-mine")
    assert master_key_env(tmp_path) == {}  # the user's own key wins
