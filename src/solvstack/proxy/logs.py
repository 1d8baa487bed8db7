"""solv's log lines in the proxy's log, beside LiteLLM's (docs/operations.md, "Logs").

The proxy configures only LiteLLM's own loggers, so without a handler the ``solv`` logger would drop
everything below WARNING (the per-request ``solv decision`` line among it).
"""

from __future__ import annotations

import logging
import os
import sys


def log_to_stderr(logger: logging.Logger, level: int | str) -> None:
    """Lines of ``logger`` at ``level`` and above go to stderr, unless logging is already configured."""
    if logger.hasHandlers():
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter(f"%(asctime)s - {logger.name}:%(levelname)s - %(message)s", "%H:%M:%S"))
    logger.addHandler(handler)
    logger.setLevel(level)
    logger.propagate = False  # a handler on a parent (``solv`` for ``solv.routing``) would print it twice


def litellm_level() -> str:
    """The level the proxy runs LiteLLM's loggers at (``LITELLM_LOG``; ``solv up`` sets INFO)."""
    level = os.environ.get("LITELLM_LOG", "WARNING").upper()
    return level if level in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL") else "WARNING"
