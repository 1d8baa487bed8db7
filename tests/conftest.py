"""Shared fixtures (a recording backend and the real LiteLLM proxy in front of it) and the test layers.

Layers: **unit** tests run in-process (no subprocess, no proxy, no vLLM) and take seconds; ``make check``
runs them with ruff, mypy and the doctests (``pytest -m unit``). They are everything in ``tests/unit/``,
the doctests of ``src/solvstack``, and the in-process files listed in :data:`UNIT_FILES`. Everything else
drives real processes: the proxy (``tests/test_*_proxy.py`` ...), real vLLM (``-m vllm``),
``tests/reliability/``, ``tests/scale/``. ``make test`` runs every layer. A unit test that starts a
process fails and says where to move it.
"""

from __future__ import annotations

import os

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")  # before anything imports litellm

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from _pytest.doctest import DoctestItem

from solvstack.ops.proxyproc import ProxyProcess
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


# ---------------------------------------------------------------------------------------------- layers
TESTS = Path(__file__).resolve().parent

# In-process test files outside tests/unit/ (kept where they are while their owners edit them), relative
# to tests/. A new in-process file goes into tests/unit/ instead.
UNIT_FILES = frozenset({
    "test_cascade.py", "test_classifier_local.py", "test_config.py", "test_deployments.py", "test_evaluate.py",
    "test_families.py", "test_gpus.py", "test_launcher.py", "test_overrides.py", "test_retrieval_providers.py",
    "test_retrieval_units.py", "test_routing_callback.py", "test_routing_choice.py", "test_routing_config.py",
    "test_routing_sim.py", "reliability/test_guards_units.py", "scale/test_units.py",
})
# The tests inside UNIT_FILES that start a real process (the proxy, vLLM, a stand-in server process).
STARTS_PROCESSES = frozenset({
    "test_config.py::test_proxy_refuses_to_start_on_unknown_family",
    "test_config.py::test_the_config_tree_imports_without_dodges",
    "test_families.py::test_parser_names_are_the_installed_vllms",
    "test_launcher.py::test_supervisor_starts_each_pinned_server_and_stops_all_when_one_dies",
    "test_routing_config.py::test_the_real_proxy_refuses_to_start_with_a_bad_value",
})


def is_unit(item: pytest.Item) -> bool:
    if isinstance(item, DoctestItem):
        return True
    path = item.path.resolve()
    if not path.is_relative_to(TESTS):
        return False
    rel = path.relative_to(TESTS).as_posix()
    if rel.startswith("unit/"):
        return True
    return rel in UNIT_FILES and f"{rel}::{item.name.split('[')[0]}" not in STARTS_PROCESSES


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if is_unit(item):
            item.add_marker(pytest.mark.unit)


_unit_running: list[str] = []  # the node id of the unit test running now, if any
_PROCESS_EVENTS = frozenset({"subprocess.Popen", "os.posix_spawn", "os.fork", "os.forkpty", "os.system",
                             "os.exec", "os.spawn"})


def _no_processes_in_unit_tests(event: str, args: tuple[Any, ...]) -> None:
    if _unit_running and event in _PROCESS_EVENTS:
        raise RuntimeError(
            f"{_unit_running[0]} is a unit test (in-process, `make check`) but starts a process ({event} "
            f"{args[:2]!r}): move it out of tests/unit/ (in a file UNIT_FILES names: list it in STARTS_PROCESSES, "
            "tests/conftest.py)")


sys.addaudithook(_no_processes_in_unit_tests)  # audit hooks cannot be removed: it is idle outside unit tests


@contextmanager
def _in_process_only(item: pytest.Item) -> Iterator[None]:
    if item.get_closest_marker("unit") is None:
        yield
        return
    _unit_running.append(item.nodeid)
    try:
        yield
    finally:
        _unit_running.clear()


# setup and call only: a unit test that runs last also tears down the session's proxy and servers
@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item: pytest.Item) -> Iterator[None]:
    with _in_process_only(item):
        return (yield)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    with _in_process_only(item):
        return (yield)
