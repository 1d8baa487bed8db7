"""Shared fixtures: a recording backend and the real LiteLLM proxy in front of it."""

from __future__ import annotations

import os

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")  # before anything imports litellm

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from solvstack.proxyproc import ProxyProcess
from tests.support.backend import RecordingBackend
from tests.support.proxy import deployment, proxy_client, start_proxy, write_variant
from tests.vllm_fixtures import vllm_cpu_server  # noqa: F401  (session fixture: a real vLLM CPU server)

FAMILIES = {"qwen": "qwen3", "granite": "granite", "oss": "gpt-oss", "cloud": "reasoning-effort",
            "r1": "always-on", "plain": "none"}


@pytest.fixture(scope="session")
def backend() -> Iterator[RecordingBackend]:
    with RecordingBackend("rec") as b:
        yield b


@pytest.fixture(scope="session")
def proxy(backend: RecordingBackend, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ProxyProcess]:
    """The repo's config with one model group per thinking family, all served by ``backend``."""
    models = [deployment(name, backend.url, family) for name, family in FAMILIES.items()]
    cfg = write_variant(tmp_path_factory.mktemp("proxy"), models)
    p = start_proxy(cfg)
    yield p
    p.stop()


@pytest.fixture
def rec(backend: RecordingBackend) -> RecordingBackend:
    """The shared backend, emptied for this test."""
    backend.clear()
    return backend


@pytest.fixture
def client(proxy: ProxyProcess) -> Iterator[httpx.Client]:
    with proxy_client(proxy) as c:
        yield c


def proxy_log(proxy: ProxyProcess) -> str:
    return Path(proxy.log_path).read_text(errors="replace")
