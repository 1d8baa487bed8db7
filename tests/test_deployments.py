"""vllm/*.yaml declarations: strict fields, errors naming the file and the fix, model_list drift."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import pytest
import yaml

from solvstack.ops import check as solv_check
from solvstack.ops.deployments import (
    Deployment,
    DeploymentError,
    check_model_list,
    load_deployment,
    load_deployments,
    model_list_entry,
)
from tests.support.proxy import REPO

QWEN = "model: Qwen/Qwen3-8B\nserved_name: qwen3-8b\nport: 8010\ngpus: [0]\nthinking: qwen3\n"


def write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.yaml"
    path.write_text(text)
    return path


def test_repo_declarations_load_and_examples_are_commented_out():
    found = load_deployments(REPO / "vllm")
    assert [d.name for d in found] == ["embedded-cpu"]  # the GPU examples declare nothing until uncommented
    cpu = found[0]
    assert cpu.fallback and not cpu.on_gpu and cpu.embedded_model == "smollm2-135m"


@pytest.mark.parametrize("example", ["qwen3-gpu0", "gpt-oss-gpu1"])
def test_gpu_examples_are_valid_once_uncommented(example):
    text = (REPO / "vllm" / f"{example}.yaml").read_text()
    body = "\n".join(line.removeprefix("# ") for line in text.splitlines() if re.match(r"# [a-z_]+: ", line))
    d = Deployment.model_validate({"name": example, **yaml.safe_load(body)})
    assert d.on_gpu and d.tp == 1 and d.thinking in ("qwen3", "gpt-oss")


def test_defaults_and_derived_values(tmp_path):
    d = load_deployment(write(tmp_path, "qwen3-gpu0", QWEN))
    assert d is not None
    assert (d.name, d.group, d.tp, d.api_base, d.remote) == ("qwen3-gpu0", "qwen3-8b", 1, "http://127.0.0.1:8010/v1",
                                                             False)
    assert load_deployment(write(tmp_path, "empty", "# all commented out\n")) is None


@pytest.mark.parametrize(("text", "needles"), [
    ("model: m\nserved_name: m\n", ["port: Field required"]),
    ("model: m\nserved_name: m\nport: 0\n", ["port:", "(got 0)"]),
    ("model: m\nserved_name: m\nport: 1\ngpus: [gpu0]\n", ["gpus:", "neither an index", "nvidia-smi -L", "'gpu0'"]),
    ("model: m\nserved_name: m\nport: 1\ngpus: [0, 0]\n", ["GPU listed twice"]),
    ("model: m\nserved_name: m\nport: 1\nthinking: qwen\n", ["thinking", "unknown thinking family 'qwen'", "qwen3"]),
    ("model: m\nserved_name: m\nport: 1\ngpus: [0]\ntensor_parallel_size: 2\n",
     ["tensor_parallel_size 2 but 1 GPU(s)", "list one GPU per shard"]),
    ("model: m\nserved_name: m\nport: 1\nargs: ['--port=9']\n", ["'--port=9' is set by the field 'port'"]),
    ("model: m\nserved_name: m\nport: 1\ngpu_memory_utilisation: 0.8\n",
     ["gpu_memory_utilisation: unknown key (did you mean 'gpu_memory_utilization'?)", "valid keys here: args"]),
    ("model: m\nserved_name: m\nport: 1\ngpus: [0]\nfallback: true\n", ["fallback: true is for a local CPU"]),
    ("- a list\n", ["must be a mapping"]),
    ("model: [unclosed\n", ["cannot read it as YAML"]),
])
def test_bad_fields_name_file_field_and_fix(tmp_path, text, needles):
    path = write(tmp_path, "bad", text)
    with pytest.raises(DeploymentError) as err:
        load_deployment(path)
    message = str(err.value)
    assert message.startswith(f"{path}: ") and "Value error" not in message
    for needle in needles:
        assert needle in message, message


def test_port_clash_and_shared_gpu_across_files(tmp_path):
    write(tmp_path / "p", "a", QWEN)
    write(tmp_path / "p", "b", QWEN.replace("gpus: [0]", "gpus: [1]"))
    with pytest.raises(DeploymentError, match=r"b.yaml: port: 8010 .* also used by .*a.yaml"):
        load_deployments(tmp_path / "p")
    write(tmp_path / "g", "a", QWEN)
    write(tmp_path / "g", "b", QWEN.replace("8010", "8011"))
    with pytest.raises(DeploymentError, match=r"b.yaml: gpus: GPU 0 is also assigned to .*a.yaml"):
        load_deployments(tmp_path / "g")


def test_same_port_on_different_remote_hosts_is_fine(tmp_path):
    write(tmp_path, "a", QWEN + "host: box-a\n")
    write(tmp_path, "b", QWEN + "host: box-b\n")
    assert [d.remote for d in load_deployments(tmp_path)] == [True, True]


def config_with(entries: list[dict]) -> dict:
    return {"model_list": entries}


def test_generated_entry_passes_the_check(tmp_path):
    d = load_deployment(write(tmp_path, "qwen3-gpu0", QWEN))
    assert d is not None
    assert check_model_list([d], config_with([model_list_entry(d)]), env={}) == []


@pytest.mark.parametrize(("edit", "needle"), [
    (lambda e: e["litellm_params"].update(api_base="http://127.0.0.1:8011/v1"), "api_base is 'http://127.0.0.1:8011/v1'"),
    (lambda e: e["litellm_params"].update(model="hosted_vllm/qwen3-14b"), "set model: hosted_vllm/qwen3-8b"),
    (lambda e: e.update(model_name="qwen"), "model_name is 'qwen' but vllm/qwen3-gpu0.yaml declares model_group"),
    (lambda e: e["model_info"].update(solv_thinking="none"), "solv_thinking is 'none' but vllm/qwen3-gpu0.yaml says"),
    (lambda e: e["model_info"].update(solv_deployment="qwen3-gpu9"), "solv_deployment: 'qwen3-gpu9' has no vllm/"),
])
def test_drift_is_named(tmp_path, edit, needle):
    d = load_deployment(write(tmp_path, "qwen3-gpu0", QWEN))
    assert d is not None
    entry = model_list_entry(d)
    edit(entry)
    problems = check_model_list([d], config_with([entry]), "cfg.yaml", env={})
    assert any(needle in str(p) for p in problems), problems


def test_entries_without_solv_deployment_link_by_api_base_or_served_name(tmp_path):
    d = load_deployment(write(tmp_path, "cpu", "model: embedded:x\nserved_name: x\nport: 8001\n"))
    assert d is not None
    by_env = {"model_name": "x", "litellm_params": {"model": "hosted_vllm/x", "api_base": "os.environ/BASE"},
              "model_info": {"solv_thinking": "none"}}
    assert check_model_list([d], config_with([by_env]), env={}) == []  # env unset: linked by served name
    assert check_model_list([d], config_with([by_env]), env={"BASE": "http://127.0.0.1:8001/v1"}) == []
    wrong = check_model_list([d], config_with([by_env]), env={"BASE": "http://127.0.0.1:9000/v1"})
    assert wrong and "no entry routes to vllm/cpu.yaml" in str(wrong[0]) and "`solv check` prints" in str(wrong[0])


def check_args(config: Path) -> argparse.Namespace:
    return argparse.Namespace(config=config)


def test_solv_check_fails_on_gpu_drift_and_warns_on_the_embedded_default(tmp_path, capsys):
    write(tmp_path / "vllm", "qwen3-gpu0", QWEN)
    write(tmp_path / "vllm", "cpu", "model: embedded:x\nserved_name: x\nport: 8001\nfallback: true\n")
    cfg = tmp_path / "litellm_config.yaml"
    cfg.write_text(yaml.safe_dump({"model_list": []}))
    assert solv_check.run(check_args(cfg)) == 2
    err = capsys.readouterr().err
    assert "error: " + str(cfg) + ": model_list: no entry routes to vllm/qwen3-gpu0.yaml" in err
    assert "warning: " + str(cfg) + ": model_list: no entry routes to vllm/cpu.yaml" in err
    d = load_deployment(tmp_path / "vllm" / "qwen3-gpu0.yaml")
    assert d is not None
    printed = re.split(r"\n\d+ problem", err.split("pointing at the servers solv up starts:\n", 1)[1])[0]
    assert yaml.safe_load(printed) == [model_list_entry(d)]  # the exact entry to paste
    cfg.write_text(yaml.safe_dump({"model_list": yaml.safe_load(printed)}))
    assert solv_check.run(check_args(cfg)) == 0


def test_solv_check_validates_solv_routing(tmp_path, capsys):
    cfg = tmp_path / "litellm_config.yaml"
    cfg.write_text(yaml.safe_dump({"model_list": [], "solv": {"routing": {"load_factr": 3}}}))
    assert solv_check.run(check_args(cfg)) == 2
    assert "solv.routing.load_factr: unknown key" in capsys.readouterr().err


def test_every_bad_file_is_reported_in_one_error(tmp_path):
    write(tmp_path, "a", "model: m\nserved_name: m\nport: 0\n")
    write(tmp_path, "b", "model: m\nserved_name: m\nport: 1\nthinkng: qwen3\n")
    write(tmp_path, "c", QWEN)
    with pytest.raises(DeploymentError) as err:
        load_deployments(tmp_path)
    assert [(Path(p.file).name, p.path) for p in err.value.problems] == [("a.yaml", "port"), ("b.yaml", "thinkng")]


# -- one declaration, three places: compose --------------------------------------------------------
def test_compose_address_entries_are_accepted_except_for_solv_up(tmp_path):
    d = load_deployment(write(tmp_path, "qwen3-gpu0", QWEN))
    assert d is not None
    entry = model_list_entry(d, compose=True)
    assert entry["litellm_params"]["api_base"] == "http://vllm-qwen3-gpu0:8010/v1"
    assert check_model_list([d], config_with([entry]), env={}) == []
    (local_only,) = check_model_list([d], config_with([entry]), env={}, compose=False)
    assert "set api_base: http://127.0.0.1:8010/v1" in local_only.message


def test_compose_service_runs_what_solv_up_runs(tmp_path):
    from solvstack.ops.deployments import compose_overlay
    from solvstack.ops.launcher import gpu_spec

    d = load_deployment(write(tmp_path, "qwen3-gpu0", QWEN.replace("gpus: [0]", 'gpus: ["GPU-1234abcd-0000"]')))
    assert d is not None
    service = compose_overlay([d])["services"]["vllm-qwen3-gpu0"]
    spec = gpu_spec(d, ("GPU-1234abcd-0000",))
    cmd = service["command"]
    assert cmd[:8] == ["--model", "Qwen/Qwen3-8B", "--served-model-name", "qwen3-8b", "--host", "0.0.0.0",
                       "--port", "8010"]
    assert tuple(cmd[8:]) == spec.args  # the same flags, from one function
    assert service["deploy"]["resources"]["reservations"]["devices"][0]["device_ids"] == ["GPU-1234abcd-0000"]


def test_solv_check_names_compose_drift_and_prints_compose_entries(tmp_path, capsys):
    from solvstack.ops.deployments import render_compose

    write(tmp_path / "vllm", "qwen3-gpu0", QWEN)
    d = load_deployment(tmp_path / "vllm" / "qwen3-gpu0.yaml")
    assert d is not None
    cfg = tmp_path / "litellm_config.yaml"
    cfg.write_text(yaml.safe_dump({"model_list": [model_list_entry(d, compose=True)]}))
    overlay = tmp_path / "compose.gpus.yaml"
    overlay.write_text(render_compose([d]))
    assert solv_check.run(check_args(cfg)) == 0
    capsys.readouterr()

    write(tmp_path / "vllm", "qwen3-gpu1", QWEN.replace("[0]", "[1]").replace("8010", "8011"))  # the one edit
    assert solv_check.run(check_args(cfg)) == 2
    err = capsys.readouterr().err
    assert f"error: {overlay}: services.vllm-qwen3-gpu1: missing; regenerate: solv gpus --compose" in err
    assert "model_list: no entry routes to vllm/qwen3-gpu1.yaml" in err
    assert "services.litellm.depends_on: is {'vllm-qwen3-gpu0'" in err  # the proxy waits for every server
    printed = re.split(r"\n\d+ problems", err.split("(compose.gpus.yaml):\n", 1)[1])[0]
    assert yaml.safe_load(printed)[0]["litellm_params"]["api_base"] == "http://vllm-qwen3-gpu1:8011/v1"

    gpu1 = load_deployment(tmp_path / "vllm" / "qwen3-gpu1.yaml")
    assert gpu1 is not None
    overlay.write_text(render_compose([d, gpu1]).replace("--gpu-memory-utilization", "--gpu-memory-utilisation"))
    cfg.write_text(yaml.safe_dump({"model_list": [model_list_entry(d, compose=True), *yaml.safe_load(printed)]}))
    assert solv_check.run(check_args(cfg)) == 2
    err = capsys.readouterr().err
    assert "services.vllm-qwen3-gpu0.command: is [" in err and "services.vllm-qwen3-gpu1.command" in err
    overlay.write_text(render_compose([d, gpu1]))
    assert solv_check.run(check_args(cfg)) == 0
