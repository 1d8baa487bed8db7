"""Start the real LiteLLM proxy on a variant of the repo's litellm_config.yaml.

A variant keeps everything of the repo's config (callbacks, solv section, settings) and changes only
what a test names: usually ``model_list`` (backends and ports), sometimes one solv key under test.
"""

from __future__ import annotations

import copy
import os
import socket
from pathlib import Path
from typing import Any

import httpx
import yaml

from solvstack.ops.proxyproc import ProxyProcess

REPO = Path(__file__).resolve().parents[2]
MASTER_KEY = "sk-solv-test-master-0d9f3a"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def repo_config() -> dict[str, Any]:
    return yaml.safe_load((REPO / "litellm_config.yaml").read_text())


def deployment(name: str, api_base: str, family: str = "none", model: str | None = None,
               **litellm_params: Any) -> dict[str, Any]:
    """A model_list entry for a hosted_vllm backend (our recording backend speaks the same protocol)."""
    return {"model_name": name,
            "litellm_params": {"model": f"hosted_vllm/{model or name}", "api_base": api_base, "api_key": "none",
                               **litellm_params},
            "model_info": {"solv_thinking": family}}


def write_variant(dst: Path, model_list: list[dict[str, Any]], solv: dict[str, Any] | None = None,
                  **top: Any) -> Path:
    """Write the repo config with ``model_list`` (and any solv keys / top-level keys) replaced."""
    cfg = copy.deepcopy(repo_config())
    cfg["model_list"] = model_list
    if solv:
        cfg["solv"] = {**(cfg.get("solv") or {}), **solv}
    for key, value in top.items():
        if isinstance(value, dict) and isinstance(cfg.get(key), dict):
            cfg[key] = {**cfg[key], **value}
        else:
            cfg[key] = value
    dst.mkdir(parents=True, exist_ok=True)
    link = dst / "plugins"  # LiteLLM loads callbacks relative to the config file
    if not link.exists():
        link.symlink_to(REPO / "plugins", target_is_directory=True)
    path = dst / "litellm_config.yaml"
    path.write_text(yaml.safe_dump(cfg, sort_keys=False))
    return path


def start_proxy(config: Path, env: dict[str, str] | None = None) -> ProxyProcess:
    proxy = ProxyProcess(config, free_port(), env={
        "LITELLM_MASTER_KEY": MASTER_KEY,
        "PYTHONPATH": os.pathsep.join([str(REPO / "src"), os.environ.get("PYTHONPATH", "")]),
        **(env or {}),
    }, log_path=config.parent / "proxy.log").start()
    try:
        proxy.wait_ready()
    except Exception:
        proxy.stop()
        raise
    return proxy


def proxy_client(proxy: ProxyProcess, timeout: float = 60) -> httpx.Client:
    """An HTTP client for ``proxy`` that sends the master key; use it as a context manager."""
    return httpx.Client(base_url=proxy.url, headers={"Authorization": f"Bearer {MASTER_KEY}"}, timeout=timeout)
