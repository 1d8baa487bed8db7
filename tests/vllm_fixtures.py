"""pytest plugin: one real vLLM CPU server for the whole test session.

Register it with ``pytest_plugins = ["tests.vllm_fixtures"]`` in ``tests/conftest.py``.

The server runs the embedded default model (``SOLV_TEST_VLLM_MODEL`` picks another) from the shared
cache (``~/.cache/solv-stack``, or ``SOLV_CACHE_DIR``), so the model is converted once per machine.
Without ``.venv-vllm`` the tests that use it are skipped; with ``SOLV_REQUIRE_VLLM=1`` (CI) they fail.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

import pytest

from solvstack.ops.backends.catalog import DEFAULT_MODEL, get_model
from solvstack.ops.backends.errors import VllmNotInstalled
from solvstack.ops.backends.model import prepare_in_venv
from solvstack.ops.backends.server import VLLM_PYTHON_ENV, BackendSpec, VllmServer, find_vllm_python

REQUIRE_ENV = "SOLV_REQUIRE_VLLM"
MODEL_ENV = "SOLV_TEST_VLLM_MODEL"
STARTUP_TIMEOUT_S = 900.0  # ~60 s alone; a busy 2-core machine can take several times that


class VllmEndpoint(NamedTuple):
    """A running vLLM server: ``base_url`` (``http://127.0.0.1:PORT/v1``) and its served model name."""

    base_url: str
    served_name: str


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def vllm_python_or_skip() -> Path:
    """The vLLM venv's python; skip when it is missing, unless ``SOLV_REQUIRE_VLLM`` is set."""
    try:
        return find_vllm_python()
    except VllmNotInstalled as exc:
        if os.environ.get(REQUIRE_ENV) or os.environ.get(VLLM_PYTHON_ENV):
            pytest.fail(f"{exc} ({REQUIRE_ENV} or {VLLM_PYTHON_ENV} is set, so this is a failure)")
        pytest.skip(f"{exc} (set {REQUIRE_ENV}=1 to fail instead of skipping)")


@pytest.fixture(scope="session")
def vllm_cpu_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[VllmEndpoint]:
    """A real vLLM OpenAI server on a free port, for the whole session."""
    python = vllm_python_or_skip()
    model = get_model(os.environ.get(MODEL_ENV, DEFAULT_MODEL))
    model_dir = prepare_in_venv(model.name, python=python, echo=lambda line: None)
    spec = BackendSpec.cpu(model_dir, served_name=model.served_name, port=free_port(), args=model.vllm_args)
    log = tmp_path_factory.mktemp("vllm") / f"vllm-{model.name}.log"
    with VllmServer(spec, python=python, log_path=log) as server:
        server.wait_healthy(STARTUP_TIMEOUT_S)
        yield VllmEndpoint(server.base_url, model.served_name)
