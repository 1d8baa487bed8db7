"""Build solv's callback from ``litellm_config.yaml``: the one place that wires config to seams.

The entry file ``plugins/solv.py`` calls :func:`build_solv` while the proxy parses its config; a bad
value raises :class:`~solvstack.core.config.ConfigError` and the proxy does not start.
"""

from __future__ import annotations

import logging
from pathlib import Path

from solvstack.core.classify.base import Classifier
from solvstack.core.config import SolvConfig, find_config_path, load_raw, parse_solv
from solvstack.proxy import bodyguard, gctune
from solvstack.proxy.classify.cascade import Cascade
from solvstack.proxy.classify.llm import LlmClassifier, router_complete
from solvstack.proxy.gateway import Solv
from solvstack.proxy.hook import Augmenter, ThinkingHook
from solvstack.proxy.logs import litellm_level, log_to_stderr
from solvstack.proxy.metrics import ReplicaLogger, mount_metrics
from solvstack.proxy.routing.plugin import build_routing

log = logging.getLogger("solv")


def build_classifier(cfg: SolvConfig) -> Classifier:
    from solvstack.core.classify.local import LocalClassifier

    c = cfg.classifier
    judge = None
    if c.kind != "local" and c.llm is not None:
        judge = LlmClassifier(router_complete(c.llm.model, c.llm.max_tokens), c.llm.timeout_s)
    threshold = 1.01 if c.kind == "llm" else c.confidence_threshold  # llm: the judge always decides
    return Cascade(LocalClassifier(), judge, threshold, c.cache_ttl_s, c.cache_size, cfg.shared_cache)


def build_augmenter(raw: dict, cfg: SolvConfig) -> Augmenter | None:
    """The retrieval seam; None until a search provider is configured."""
    if not cfg.retrieval:
        return None
    from solvstack.proxy.retrieval import build_augmenter as build

    return build(raw, cfg)


def build_hook(config_path: Path | None = None) -> ThinkingHook:
    path = config_path or find_config_path()
    raw = load_raw(path)
    cfg = parse_solv(raw, str(path))
    bodyguard.install()  # a JSON body that is not an object: 400, not LiteLLM's 500
    return ThinkingHook(cfg, build_classifier(cfg), build_augmenter(raw, cfg))


def build_solv(config_path: Path | None = None, *, signals: bool = False, process: bool = False) -> Solv:
    """Thinking, routing, replica metrics and key errors as one callback; mounts ``/metrics``.
    ``signals``: chain the stream drain onto the server's ``SIGTERM`` handler; ``process``: apply
    ``solv.gc`` to this process (both for the proxy's entry file, not for in-process tests)."""
    path = config_path or find_config_path()
    solv = Solv(build_hook(path), build_routing(path), ReplicaLogger())
    mount_metrics(path)
    if process:
        log_to_stderr(log, litellm_level())  # the per-request `solv decision` line at LITELLM_LOG=INFO
        gctune.tune(solv.thinking.cfg.gc)
    if signals and not solv.thinking.drain.install():
        log.warning("solv: cannot set a SIGTERM handler here; streams are not drained with an error event")
    return solv
