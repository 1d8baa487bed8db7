"""RAG: classifier-triggered web search with cited, fenced context (SearXNG, Tavily, via LiteLLM).

``build_augmenter(raw_config, cfg)`` is called by :func:`solvstack.proxy.plugin.build_augmenter` when the
``solv.retrieval`` section is set; see docs/retrieval.md. Importing this package stays light (no
litellm) so that `solv check` can validate the section quickly.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from solvstack.core.config import SolvConfig
    from solvstack.proxy.retrieval.augment import SearchAugmenter

__all__ = ["build_augmenter"]

log = logging.getLogger("solv.retrieval")


def build_augmenter(raw_config: dict[str, Any], cfg: SolvConfig, where: str = "litellm_config.yaml") -> SearchAugmenter:
    """The augmenter for ``solv.retrieval``; reports each provider that lacks its key, once, here."""
    from solvstack.core.retrieval.config import tool_specs
    from solvstack.proxy.retrieval.augment import SearchAugmenter
    from solvstack.proxy.retrieval.search import LiteLLMSearch

    rcfg = cfg.retrieval
    if rcfg is None:
        raise ValueError("build_augmenter needs solv.retrieval")
    specs = tool_specs(raw_config, rcfg, where)
    for spec in specs:
        if spec.missing:
            log.warning("solv retrieval: search tool %r has no %s, so it is skipped: set %s or remove %s from "
                        "solv.retrieval.providers", spec.name, spec.missing, spec.missing, spec.name)
    return SearchAugmenter([LiteLLMSearch(s) for s in specs], rcfg, cfg.shared_cache)
