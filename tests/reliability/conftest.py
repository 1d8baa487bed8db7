"""Fixtures of the reliability suite: a hardened proxy with every solv hook on, its log, its secrets.

The *hardened* proxy is the repo's config with:

- ``qwen``: a qwen3-family group on a recording backend (what the hostile corpus is checked against);
- ``cloud``: an ``openai/`` group on the same backend whose key comes from ``OPENAI_API_KEY``, so a
  real provider key travels through the proxy (and must never show up in its log);
- ``judge``: the LLM classifier's model group on a backend of its own (``solv.classifier.kind: llm``,
  so the judge is asked for every request), which tests make hang or answer garbage;
- the repo's search tools pointed at SearXNG and Tavily stand-ins (:mod:`tests.support.search_servers`)
  through :class:`~tests.reliability.faulty.FaultyFront`, which tests make hang or answer garbage;
- logging at INFO (``hardened``) or DEBUG (``verbose``: the log the secrets are searched in).

``SOLV_RELIABILITY_SCALE`` (default 1: sized for CI) multiplies the load of the fault tests.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from solvstack.ops.proxyproc import ProxyProcess
from tests.reliability.faulty import FaultyFront
from tests.support.backend import Behaviour, RecordingBackend
from tests.support.proxy import MASTER_KEY, deployment, repo_config, start_proxy, write_variant
from tests.support.search_servers import SearchBehaviour, SearxngServer, TavilyServer

JUDGE_TIMEOUT_S = 1.0


def scale() -> float:
    """The load multiplier from ``SOLV_RELIABILITY_SCALE`` (1 = CI size, 10 = the full run)."""
    raw = os.environ.get("SOLV_RELIABILITY_SCALE", "1")
    try:
        value = float(raw)
    except ValueError:
        raise pytest.UsageError(f"SOLV_RELIABILITY_SCALE={raw!r} is not a number; use e.g. 1 (CI) or 10") from None
    if value <= 0:
        raise pytest.UsageError(f"SOLV_RELIABILITY_SCALE={raw!r} must be > 0; use e.g. 1 (CI) or 10")
    return value


@dataclass(frozen=True)
class Secrets:
    """Secrets the hardened proxy holds; none may appear in its log or in any response."""

    master_key: str
    openai_key: str
    tavily_key: str

    def all(self) -> dict[str, str]:
        return {"LITELLM_MASTER_KEY": self.master_key, "OPENAI_API_KEY": self.openai_key,
                "TAVILY_API_KEY": self.tavily_key}


@dataclass
class Hardened:
    """The hardened proxy and what stands behind it."""

    proxy: ProxyProcess
    backend: RecordingBackend
    judge: RecordingBackend
    searxng: SearxngServer
    tavily: TavilyServer
    searxng_front: FaultyFront
    tavily_front: FaultyFront
    secrets: Secrets

    @property
    def log(self) -> str:
        return Path(self.proxy.log_path).read_text(errors="replace")

    def client(self, timeout: float = 60) -> httpx.Client:
        return httpx.Client(base_url=self.proxy.url, timeout=timeout,
                            headers={"Authorization": f"Bearer {self.secrets.master_key}"})

    def reset(self) -> None:
        for server in (self.backend, self.judge, self.searxng, self.tavily):
            server.clear()
        self.judge.behaviour = judge_ok()
        self.searxng.behaviour = SearchBehaviour()
        self.tavily.behaviour = SearchBehaviour()
        for front in (self.searxng_front, self.tavily_front):
            front.mode = "pass"
            front.release()


def repo_retrieval() -> dict[str, Any]:
    """The repo's ``solv.retrieval`` section, which the hardened proxy keeps as it is."""
    return dict(repo_config()["solv"]["retrieval"])


def judge_ok() -> Behaviour:
    return Behaviour(content="NO")


def models(backend: RecordingBackend, judge: RecordingBackend) -> list[dict[str, Any]]:
    """qwen and cloud on ``backend``; the judge on its own, never cooled down, so every fault reaches it."""
    judge_deployment = deployment("judge", judge.url, "none")
    judge_deployment["model_info"]["allowed_fails"] = 1_000_000
    return [deployment("qwen", backend.url, "qwen3"),
            {"model_name": "cloud", "model_info": {"solv_thinking": "reasoning-effort"},
             "litellm_params": {"model": "openai/gpt-5-mini", "api_base": backend.url,
                                "api_key": "os.environ/OPENAI_API_KEY"}},
            judge_deployment]


@contextmanager
def hardened_proxy(dst: Path, log_level: str) -> Iterator[Hardened]:
    """Start the hardened setup: backends, search stand-ins behind fault fronts, the proxy at ``log_level``."""
    keys = Secrets(MASTER_KEY, f"sk-proj-{secrets.token_hex(20)}", f"tvly-{secrets.token_hex(16)}")
    with ExitStack() as stack:
        backend, judge = (stack.enter_context(RecordingBackend(n)) for n in ("hostile", "judge"))
        searxng = stack.enter_context(SearxngServer())
        tavily = stack.enter_context(TavilyServer(api_key=keys.tavily_key))
        sx_front, tv_front = (stack.enter_context(FaultyFront(s.url)) for s in (searxng, tavily))
        judge.behaviour = judge_ok()
        solv = {"classifier": {"kind": "llm", "llm": {"model": "judge", "timeout_s": JUDGE_TIMEOUT_S}}}
        env = {**keys.all(), "LITELLM_LOG": log_level, "SEARXNG_API_BASE": sx_front.url,
               "TAVILY_API_BASE": tv_front.url}
        proxy = start_proxy(write_variant(dst, models(backend, judge), solv=solv), env=env)
        try:
            yield Hardened(proxy, backend, judge, searxng, tavily, sx_front, tv_front, keys)
        finally:
            proxy.stop()


@pytest.fixture(scope="session")
def hardened(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hardened]:
    """At INFO, as in production (DEBUG writes every prompt, 10 MB ones too, several times)."""
    with hardened_proxy(tmp_path_factory.mktemp("hardened"), "INFO") as h:
        yield h


@pytest.fixture(scope="module")
def verbose(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hardened]:
    """The same setup at DEBUG: the log to search for secrets."""
    with hardened_proxy(tmp_path_factory.mktemp("verbose"), "DEBUG") as h:
        yield h


@pytest.fixture
def hard(hardened: Hardened) -> Hardened:
    """The hardened proxy with every backend emptied and back to normal behaviour."""
    hardened.reset()
    return hardened
