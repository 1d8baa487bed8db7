"""Where the embedded backend keeps things: the repo root and the cache directory."""

from __future__ import annotations

import os
from pathlib import Path

CACHE_DIR_ENV = "SOLV_CACHE_DIR"


def default_cache_dir() -> Path:
    """``$SOLV_CACHE_DIR`` or ``~/.cache/solv-stack``: models, vLLM's cache, logs."""
    override = os.environ.get(CACHE_DIR_ENV)
    return Path(override) if override else Path.home() / ".cache" / "solv-stack"


def repo_root() -> Path | None:
    """The source checkout this package runs from (src layout), or None when installed elsewhere."""
    root = Path(__file__).resolve().parents[4]
    return root if (root / "src" / "solvstack").is_dir() else None


def src_dir() -> Path:
    """The directory to put on PYTHONPATH so another interpreter can import ``solvstack``."""
    return Path(__file__).resolve().parents[3]
