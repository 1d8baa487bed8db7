"""GPU discovery over NVML: a fake with pynvml's real names and types, and the real pynvml here
(this machine has no NVIDIA driver, which is exactly the no-driver path)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pynvml
import pytest

from solvstack.ops import gpus
from solvstack.ops.gpus import Gpu, NoNvidiaDriver, list_gpus
from tests.support.fake_nvml import FakeGpu, FakeNvml, h100s


def args(tmp_path: Path, **kw: object) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    gpus.add_arguments(parser)
    ns = parser.parse_args(["--deployments", str(tmp_path)])
    for k, v in kw.items():
        setattr(ns, k, v)
    return ns


def test_lists_every_gpu_with_uuid_memory_and_utilization():
    nvml = h100s(2)
    found = list_gpus(nvml)
    assert [g.index for g in found] == [0, 1]
    assert found[1] == Gpu(1, "GPU-00000001-1c2d-3e4f-5a6b-7c8d9e0f1a2b", "NVIDIA H100 80GB HBM3",
                           memory_total_mib=80 * 1024, memory_free_mib=79 * 1024, utilization_pct=10)
    assert nvml.calls == ["nvmlInit", "nvmlShutdown"] and nvml.initialized == 0  # always shut down


def test_utilization_not_supported_is_none_not_an_error():
    nvml = FakeNvml([FakeGpu("NVIDIA A100-SXM4-40GB MIG 3g.20gb", "GPU-aaaaaaaa-0000-0000-0000-000000000000",
                             utilization=None)])
    assert list_gpus(nvml)[0].utilization_pct is None


def test_bytes_from_old_pynvml_builds_are_decoded():
    class OldNvml(FakeNvml):
        def nvmlDeviceGetName(self, handle):  # type: ignore[no-untyped-def]
            return super().nvmlDeviceGetName(handle).encode()

    assert list_gpus(OldNvml([FakeGpu("Tesla T4", "GPU-bbbbbbbb-0000-0000-0000-000000000000")]))[0].name == "Tesla T4"


def test_no_driver_is_a_plain_sentence():
    nvml = FakeNvml([], init_error=pynvml.NVML_ERROR_DRIVER_NOT_LOADED)
    with pytest.raises(NoNvidiaDriver, match="no NVIDIA driver available .*Driver Not Loaded.*CPU embedded default"):
        list_gpus(nvml)


def test_real_pynvml_without_driver_says_so():
    # the real module on this GPU-less machine: libnvidia-ml is missing
    with pytest.raises(NoNvidiaDriver, match="NVML Shared Library Not Found"):
        list_gpus()


def test_solv_gpus_table_shows_which_deployment_uses_each(tmp_path, capsys):
    (tmp_path / "a.yaml").write_text("model: m\nserved_name: m\nport: 8010\ngpus: [1]\n")
    assert gpus.run(args(tmp_path), nvml=h100s(2)) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split()[:3] == ["#", "UUID", "name"]
    assert lines[1].split()[0] == "0" and lines[1].endswith(" -")
    assert "GPU-00000001-1c2d-3e4f-5a6b-7c8d9e0f1a2b" in lines[2] and lines[2].endswith(" a")
    assert "80896/81920" in lines[2] and "10%" in lines[2]


def test_solv_gpus_json(tmp_path, capsys):
    assert gpus.run(args(tmp_path, json=True), nvml=h100s(1)) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["driver"] is True
    assert out["gpus"][0]["uuid"] == "GPU-00000000-1c2d-3e4f-5a6b-7c8d9e0f1a2b"
    assert out["gpus"][0]["memory_total_mib"] == 81920 and out["gpus"][0]["deployment"] is None


@pytest.mark.parametrize("as_json", [False, True])
def test_solv_gpus_without_driver_exits_0_and_says_so(tmp_path, capsys, as_json):
    nvml = FakeNvml([], init_error=pynvml.NVML_ERROR_LIBRARY_NOT_FOUND)
    assert gpus.run(args(tmp_path, json=as_json), nvml=nvml) == 0
    out = capsys.readouterr().out
    assert "no NVIDIA driver available" in out
    if as_json:
        assert json.loads(out)["driver"] is False


def test_solv_gpus_model_list_prints_entries_for_declarations(tmp_path, capsys):
    (tmp_path / "qwen-gpu0.yaml").write_text(
        "model: Qwen/Qwen3-8B\nserved_name: qwen3-8b\nport: 8010\ngpus: [0]\nthinking: qwen3\n")
    (tmp_path / "cpu.yaml").write_text("model: embedded:smollm2-135m\nserved_name: s\nport: 8001\nfallback: true\n")
    assert gpus.run(args(tmp_path, model_list=True)) == 0
    import yaml

    out = yaml.safe_load(capsys.readouterr().out)
    assert out == {"model_list": [{
        "model_name": "qwen3-8b",
        "litellm_params": {"model": "hosted_vllm/qwen3-8b", "api_base": "http://127.0.0.1:8010/v1", "api_key": "none"},
        "model_info": {"solv_thinking": "qwen3", "solv_deployment": "qwen-gpu0"}}]}


def test_solv_gpus_reports_a_bad_declaration(tmp_path, capsys):
    (tmp_path / "bad.yaml").write_text("model: m\nserved_name: m\nport: 99999\n")
    assert gpus.run(args(tmp_path), nvml=h100s(1)) == 2
    assert "bad.yaml" in capsys.readouterr().err


def test_solv_gpus_compose_prints_the_overlay_and_its_model_list(tmp_path, capsys):
    import yaml

    (tmp_path / "qwen-gpu0.yaml").write_text(
        "model: Qwen/Qwen3-8B\nserved_name: qwen3-8b\nport: 8010\ngpus: [0]\nthinking: qwen3\n")
    (tmp_path / "cpu.yaml").write_text("model: embedded:smollm2-135m\nserved_name: s\nport: 8001\nfallback: true\n")
    parser = argparse.ArgumentParser()
    gpus.add_arguments(parser)
    assert gpus.run(parser.parse_args(["--deployments", str(tmp_path), "--compose"])) == 0
    overlay = yaml.safe_load(capsys.readouterr().out)
    assert set(overlay["services"]) == {"vllm-qwen-gpu0", "litellm"}  # the CPU default is not a GPU service
    assert gpus.run(parser.parse_args(["--deployments", str(tmp_path), "--model-list", "compose"])) == 0
    (entry,) = yaml.safe_load(capsys.readouterr().out)["model_list"]
    assert entry["litellm_params"]["api_base"] == "http://vllm-qwen-gpu0:8010/v1"
