"""Build the routing callback from ``litellm_config.yaml`` (a part of ``plugins/solv.py``).

A bad ``solv.routing`` value raises :class:`~solvstack.core.config.ConfigError` while the proxy parses
its config, so it does not start with a typo.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

from solvstack.core.config import find_config_path, load_raw, parse_solv
from solvstack.core.routing.metrics import MetricsScraper
from solvstack.proxy.routing.callback import RoutingFilter


def build_routing(config_path: Path | None = None) -> RoutingFilter:
    path = config_path or find_config_path()
    solv = parse_solv(load_raw(path), str(path))
    cfg = solv.routing
    if cfg.log_decisions:
        _log_to_stderr(logging.getLogger("solv.routing"))
    # the placement memory uses the same Redis link (and fail-open settings) as the judge and search caches
    return RoutingFilter(cfg, MetricsScraper(cfg.scrape_interval_s, cfg.scrape_timeout_s), shared=solv.shared_cache)


def _log_to_stderr(logger: logging.Logger) -> None:
    """One INFO line per decision in the proxy's log, unless logging is already configured
    (the proxy configures only LiteLLM's own loggers)."""
    if logger.hasHandlers():
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s - solv routing:%(levelname)s - %(message)s", "%H:%M:%S"))
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
