"""The GPU launcher: plan checks before anything starts, then real child processes under the
``solv up`` supervisor. No GPU here, so NVML is the fake module and the "vLLM" child is a stand-in
program (a real process answering /health) that records the argv and CUDA_VISIBLE_DEVICES it got."""

from __future__ import annotations

import json
import os
import signal
import socket
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pynvml
import pytest
import yaml

from solvstack.ops.backends.errors import ProcessExited
from solvstack.ops.backends.server import VllmServer
from solvstack.ops.backends.supervisor import Supervisor
from solvstack.ops.deployments import Deployment, load_deployments, model_list_entry
from solvstack.ops.gpus import list_gpus
from solvstack.ops.launcher import LaunchError, gpu_backends, plan_launch
from tests.support.fake_nvml import FakeNvml, h100s
from tests.support.proxy import free_port

UUID0, UUID1, UUID2 = (f"GPU-{i:08x}-1c2d-3e4f-5a6b-7c8d9e0f1a2b" for i in range(3))


def dep(name: str, gpus: list, port: int, **kw: object) -> Deployment:
    return Deployment(name=name, model=f"org/{name}", served_name=name, gpus=gpus, port=port, **kw)


def never_in_use(host: str, port: int) -> bool:
    return False


def test_indices_and_uuids_resolve_to_uuids_and_pin_each_server():
    plan = plan_launch([dep("a", [0], 8010), dep("b", [UUID2, 1], 8011, max_model_len=4096, args=["--foo"])],
                       list_gpus(h100s(3)), in_use=never_in_use)
    a, b = plan.servers
    assert a.spec.env["CUDA_VISIBLE_DEVICES"] == UUID0
    assert b.spec.env["CUDA_VISIBLE_DEVICES"] == f"{UUID2},{UUID1}"
    assert b.spec.args == ("--tensor-parallel-size", "2", "--gpu-memory-utilization", "0.9",
                           "--max-model-len", "4096", "--foo")
    assert (b.spec.port, b.spec.served_name, str(b.spec.model_dir)) == (8011, "b", "org/b")


@pytest.mark.parametrize(("deps", "needle"), [
    ([dep("a", [3], 8010)], "vllm/a.yaml: GPU 3 does not exist; this machine has 0=GPU-00000000"),
    ([dep("a", ["GPU-deadbeef-0000-0000-0000-000000000000"], 8010)], "vllm/a.yaml: no GPU with UUID GPU-deadbeef"),
    ([dep("a", [0], 8010), dep("b", [UUID0], 8011)], "vllm/b.yaml and vllm/a.yaml both get GPU " + UUID0),
])
def test_bad_gpu_assignments_are_refused_before_anything_starts(deps, needle):
    with pytest.raises(LaunchError) as err:
        plan_launch(deps, list_gpus(h100s(2)), in_use=never_in_use)
    assert needle in str(err.value)


def test_a_taken_port_is_refused():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        with pytest.raises(LaunchError, match=f"vllm/a.yaml: port {port} is already in use"):
            plan_launch([dep("a", [0], port)], list_gpus(h100s(1)))


def test_no_driver_starts_nothing_and_says_so():
    plan = plan_launch([dep("a", [0], 8010)], None, no_gpu_reason="no NVIDIA driver available")
    assert plan.servers == []
    assert plan.notes == ["no NVIDIA driver available: not starting vllm/a.yaml"]


def test_remote_deployments_are_routed_to_not_started():
    plan = plan_launch([dep("far", [0], 8000, host="gpu-box-2")], list_gpus(h100s(1)), in_use=never_in_use)
    assert plan.servers == []
    assert plan.notes == ["vllm/far.yaml: remote host gpu-box-2, not started here (the proxy routes to "
                          "http://gpu-box-2:8000/v1)"]


# -- the `solv up` seam ---------------------------------------------------------------------------
def stack(tmp_path: Path, deployments: list[Deployment], entries: list[dict] | None = None) -> Path:
    (tmp_path / "vllm").mkdir()
    for d in deployments:
        body = d.model_dump(exclude={"name"}, exclude_defaults=True)
        (tmp_path / "vllm" / f"{d.name}.yaml").write_text(yaml.safe_dump(body))
    cfg = tmp_path / "litellm_config.yaml"
    listed = [model_list_entry(d) for d in deployments] if entries is None else entries
    cfg.write_text(yaml.safe_dump({"model_list": listed}))
    return cfg


def test_gpu_backends_returns_pinned_specs(tmp_path):
    cfg = stack(tmp_path, [dep("a", [0], free_port()), dep("b", [1], free_port())])
    specs = gpu_backends(cfg, echo=print, nvml=h100s(2))
    assert specs is not None and [s.env["CUDA_VISIBLE_DEVICES"] for s in specs] == [UUID0, UUID1]


def test_gpu_backends_refuses_model_list_drift(tmp_path):
    a = dep("a", [0], free_port())
    wrong = model_list_entry(a)
    wrong["litellm_params"]["model"] = "hosted_vllm/other"
    cfg = stack(tmp_path, [a], entries=[wrong])
    with pytest.raises(LaunchError, match=r"disagree, nothing started:\n  .*set model: hosted_vllm/a"):
        gpu_backends(cfg, echo=print, nvml=h100s(1))


def test_gpu_backends_refuses_entries_at_the_compose_address(tmp_path):
    """`solv up`'s proxy cannot reach a compose service: the entry must name the server's own address."""
    a = dep("a", [0], free_port())
    cfg = stack(tmp_path, [a], entries=[model_list_entry(a, compose=True)])
    with pytest.raises(LaunchError, match=rf"api_base is 'http://vllm-a:{a.port}/v1'.*set api_base: {a.api_base}"):
        gpu_backends(cfg, echo=print, nvml=h100s(1))


def test_gpu_backends_without_driver_falls_back_to_the_cpu_default(tmp_path):
    said: list[str] = []
    cfg = stack(tmp_path, [dep("a", [0], free_port())])
    assert gpu_backends(cfg, echo=said.append, nvml=FakeNvml([], pynvml.NVML_ERROR_LIBRARY_NOT_FOUND)) is None
    assert len(said) == 1 and "no NVIDIA driver available" in said[0] and "not starting vllm/a.yaml" in said[0]


def test_gpu_backends_with_only_the_cpu_default_is_none(tmp_path):
    cpu = Deployment(name="cpu", model="embedded:x", served_name="x", port=8001, fallback=True)
    assert gpu_backends(stack(tmp_path, [cpu]), echo=print, nvml=h100s(1)) is None


def test_a_bad_declaration_is_a_launch_error(tmp_path):
    (tmp_path / "vllm").mkdir()
    (tmp_path / "vllm" / "x.yaml").write_text("model: m\n")
    (tmp_path / "litellm_config.yaml").write_text("model_list: []\n")
    with pytest.raises(LaunchError, match="x.yaml: served_name: Field required"):
        gpu_backends(tmp_path / "litellm_config.yaml", echo=print, nvml=h100s(1))


# -- starting: real processes under the supervisor ------------------------------------------------
STAND_IN = textwrap.dedent('''\
    import json, os, sys
    from http.server import BaseHTTPRequestHandler, HTTPServer
    argv = sys.argv[1:]
    port = int(argv[argv.index("--port") + 1])
    with open(os.path.join(os.environ["STAND_IN_OUT"], f"{port}.json"), "w") as fh:
        json.dump({"argv": argv, "cuda": os.environ.get("CUDA_VISIBLE_DEVICES")}, fh)
    class H(BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200 if self.path == "/health" else 404); self.end_headers()
        def log_message(self, *a): pass
    HTTPServer(("127.0.0.1", port), H).serve_forever()
''')


@pytest.fixture
def stand_in_python(tmp_path: Path) -> Iterator[Path]:
    """A 'python' that, run as ``python -m vllm.entrypoints.openai.api_server ...``, is the stand-in."""
    script = tmp_path / "stand_in_vllm.py"
    script.write_text(STAND_IN)
    exe = tmp_path / "python"
    exe.write_text(f'#!/bin/sh\nshift 2\nexec "{sys.executable}" "{script}" "$@"\n')
    exe.chmod(0o755)
    yield exe


def test_supervisor_starts_each_pinned_server_and_stops_all_when_one_dies(tmp_path, stand_in_python):
    out = tmp_path / "out"
    out.mkdir()
    env = {"STAND_IN_OUT": str(out)}
    cfg = stack(tmp_path, [dep("a", [0], free_port(), env=env), dep("b", [1], free_port(), env=env)])
    specs = gpu_backends(cfg, echo=print, nvml=h100s(2))
    assert specs is not None
    servers = [VllmServer(s, python=stand_in_python, cache_dir=tmp_path / "cache") for s in specs]
    with Supervisor() as sup:
        for server in servers:
            sup.launch(server)
        for server in servers:
            sup.wait_healthy(server, timeout=60)
        seen = {int(p.stem): json.loads(p.read_text()) for p in out.glob("*.json")}
        assert {port: s["cuda"] for port, s in seen.items()} == {specs[0].port: UUID0, specs[1].port: UUID1}
        a_argv = seen[specs[0].port]["argv"]
        assert a_argv[a_argv.index("--served-model-name") + 1] == "a" and "--tensor-parallel-size" in a_argv
        os.killpg(servers[0].pid or 0, signal.SIGKILL)
        while servers[0].poll() is None:
            time.sleep(0.05)
        with pytest.raises(ProcessExited, match="vLLM a"):
            sup.check()  # a dead server is reported, never restarted behind your back
    assert servers[1].poll() is not None  # leaving the supervisor stopped the other one too
    assert load_deployments(tmp_path / "vllm")  # the declarations round-trip through YAML


# -- reasoning and tool-call parsers per family (issue 11 item 2, issue 10 item 6) ----------------
def flag(args: tuple[str, ...], name: str) -> str | None:
    return args[args.index(name) + 1] if name in args else None


@pytest.mark.parametrize(("family", "reasoning", "tools"), [
    ("qwen3", "qwen3", "hermes"),
    ("deepseek-v3.1", "deepseek_v3", "deepseek_v31"),
    ("granite", "granite", "granite"),
    ("gpt-oss", "openai_gptoss", "openai"),
])
def test_each_family_starts_with_its_parsers(family, reasoning, tools):
    (planned,) = plan_launch([dep("a", [0], 8010, thinking=family)], list_gpus(h100s(1)), in_use=never_in_use).servers
    args = planned.spec.args
    assert flag(args, "--reasoning-parser") == reasoning
    assert flag(args, "--tool-call-parser") == tools and "--enable-auto-tool-choice" in args


def test_deepseek_gets_its_think_markers_for_budgets():
    """vLLM's deepseek_v3 parser picks its mode per request, so the budget needs the markers given."""
    (planned,) = plan_launch([dep("a", [0], 8010, thinking="deepseek-v3.1")], list_gpus(h100s(1)),
                             in_use=never_in_use).servers
    config = json.loads(flag(planned.spec.args, "--reasoning-config") or "{}")
    assert config == {"reasoning_start_str": "<think>", "reasoning_end_str": "</think>"}


def test_declared_parsers_replace_the_familys_and_none_drops_them():
    plan = plan_launch([dep("a", [0], 8010, thinking="qwen3", tool_call_parser="qwen3_coder"),
                        dep("b", [1], 8011, thinking="qwen3", reasoning_parser="none", tool_call_parser="none")],
                       list_gpus(h100s(2)), in_use=never_in_use)
    a, b = (p.spec.args for p in plan.servers)
    assert flag(a, "--tool-call-parser") == "qwen3_coder" and flag(a, "--reasoning-parser") == "qwen3"
    assert "--reasoning-parser" not in b and "--enable-auto-tool-choice" not in b
    assert plan.notes == []  # "none" is a choice, not an oversight


def test_a_family_without_a_tool_format_says_how_to_get_tools():
    plan = plan_launch([dep("r1", [0], 8010, thinking="always-on")], list_gpus(h100s(1)), in_use=never_in_use)
    assert flag(plan.servers[0].spec.args, "--reasoning-parser") == "deepseek_r1"
    assert len(plan.notes) == 1 and "vllm/r1.yaml: no tool-call parser" in plan.notes[0]
    assert "tool_call_parser:" in plan.notes[0]


def test_unknown_parser_names_are_refused_with_vllms_names():
    with pytest.raises(ValueError) as err:
        dep("a", [0], 8010, tool_call_parser="hermes2")
    assert "unknown vLLM tool-call parser 'hermes2'" in str(err.value) and "hermes, hf" in str(err.value)


def test_parser_flags_in_args_are_refused():
    with pytest.raises(ValueError, match="'--tool-call-parser' is set by the field 'tool_call_parser'"):
        dep("a", [0], 8010, args=["--tool-call-parser", "hermes"])
