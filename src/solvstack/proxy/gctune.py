"""CPython's garbage collector in a proxy process, per ``solv.gc`` (docs/operations.md, "Per-request cost").

Measured in the real proxy (2000 requests, thread clock): with Python's defaults the collector costs
~0.5 ms per request, a quarter of it in full collections that walk the ~300k objects start-up left
behind (150-250 ms pauses). Frozen start-up objects and young collections every 5000 allocations
instead of 700 cost ~0.15 ms per request and no full-collection pauses.

The proxy's entry file applies it once per process (each worker is a process); in-process tests do not.
"""

from __future__ import annotations

import asyncio
import gc
import logging

from solvstack.core.config import GcConfig

log = logging.getLogger("solv")

# The rest of start-up (the router, the model list) runs after the callbacks are built: freeze again
# once the server has been up this long, so those objects leave the collector's sight too.
REFREEZE_AFTER_S = 15.0

_applied = False


def tune(cfg: GcConfig) -> bool:
    """Apply ``cfg`` to this process once; False when it was already applied (another callback)."""
    global _applied
    if _applied:
        return False
    _applied = True
    before = gc.get_threshold()
    if cfg.young_threshold is not None:
        gc.set_threshold(cfg.young_threshold, *before[1:])
    frozen = freeze() if cfg.freeze else 0
    if cfg.freeze:
        _refreeze_later()
    log.info("solv gc: froze %d start-up objects; young collections every %d allocations (Python's: %d)",
             frozen, gc.get_threshold()[0], before[0])
    return True


def freeze() -> int:
    """Collect what is garbage now, then move every surviving object to the permanent generation."""
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()


def _refreeze_later() -> None:
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:  # no server loop (solv check, a script): nothing more will be built
        return
    loop.call_later(REFREEZE_AFTER_S, _refreeze)


def _refreeze() -> None:
    log.debug("solv gc: %d objects frozen once the server was up", freeze())
