"""Build the routing callback from ``litellm_config.yaml`` (a part of ``plugins/solv.py``).

A bad ``solv.routing`` value raises :class:`~solvstack.core.config.ConfigError` while the proxy parses
its config, so it does not start with a typo.
"""

from __future__ import annotations

import logging
from pathlib import Path

from solvstack.core.config import find_config_path, load_raw, parse_solv
from solvstack.core.routing.metrics import MetricsScraper
from solvstack.proxy.logs import log_to_stderr
from solvstack.proxy.routing.callback import RoutingFilter


def build_routing(config_path: Path | None = None) -> RoutingFilter:
    path = config_path or find_config_path()
    solv = parse_solv(load_raw(path), str(path))
    cfg = solv.routing
    logger = logging.getLogger("solv.routing")
    if cfg.log_decisions:
        log_to_stderr(logger, logging.INFO)
    else:  # its warnings only, whatever level the `solv` logger has
        logger.setLevel(logging.WARNING)
    # the placement memory uses the same Redis link (and fail-open settings) as the judge and search caches
    return RoutingFilter(cfg, MetricsScraper(cfg.scrape_interval_s, cfg.scrape_timeout_s), shared=solv.shared_cache)
