"""Thinking budgets on the way to a deployment: which budget, and whether that server takes one.

vLLM enforces ``thinking_token_budget`` (it forces the end-of-thinking marker once the budget is
spent) only when the server runs a reasoning parser that knows the markers (``--reasoning-parser``,
or ``--reasoning-config``); any other server answers 400. So a budget goes only to ``hosted_vllm/``
deployments, and the first time one goes to a server, :class:`BudgetSupport` asks that server once
with a one-token ``/v1/completions`` request carrying a budget. A server that refuses gets no budgets
(one warning in the log, naming it and the fix); the user's request goes on without. The answer is
asked again every ``recheck_s`` (a server may be restarted with other flags).

    out = await apply_thinking(kwargs, "qwen3", Level.LOW, cfg, model_info)   # the deployment hook
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import httpx

from solvstack.core.families import BUDGET_KEY, apply_family, parse_budgets, thinking_budget
from solvstack.core.levels import Level

if TYPE_CHECKING:
    from solvstack.core.config import SolvConfig

log = logging.getLogger("solv")

MODEL_BUDGET_KEY = "solv_thinking_budget"  # model_info: {LOW: 512, HIGH: null}
VLLM_PREFIX = "hosted_vllm/"


@dataclass(frozen=True)
class Known:
    ok: bool
    until: float


class BudgetSupport:
    """Per server (``api_base``): does it accept ``thinking_token_budget``? Asked once, remembered."""

    def __init__(self, *, recheck_s: float = 300.0, retry_s: float = 10.0, timeout_s: float = 10.0) -> None:
        self.recheck_s, self.retry_s, self.timeout_s = recheck_s, retry_s, timeout_s
        self._known: dict[str, Known] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        self._warned: set[str] = set()

    async def honours(self, kwargs: Mapping[str, Any]) -> bool:
        """True when the deployment in ``kwargs`` (LiteLLM's call arguments) takes a budget."""
        target = vllm_target(kwargs)
        if target is None:
            return False
        api_base, model, api_key = target
        known = self._known.get(api_base)
        if known is not None and known.until > time.monotonic():
            return known.ok  # the common case: asked already, answer still fresh
        if api_base not in self._locks:
            self._locks[api_base] = asyncio.Lock()
        async with self._locks[api_base]:  # one probe per server, however many requests wait for it
            known = self._known.get(api_base)
            if known is None or known.until <= time.monotonic():
                known = self._known[api_base] = await self._probe(api_base, model, api_key)
            return known.ok

    async def _probe(self, api_base: str, model: str, api_key: str | None) -> Known:
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        body = {"model": model, "prompt": "hi", "max_tokens": 1, BUDGET_KEY: 1}
        try:
            async with httpx.AsyncClient(timeout=self.timeout_s) as client:
                r = await client.post(f"{api_base}/completions", json=body, headers=headers)
        except httpx.HTTPError as exc:  # down or slow: no budget for now, ask again soon
            log.debug("solv budgets: cannot ask %s (%s); no budgets for now", api_base, exc)
            return Known(False, time.monotonic() + self.retry_s)
        if r.status_code == 200:
            self._warned.discard(api_base)
            return Known(True, time.monotonic() + self.recheck_s)
        if r.status_code in (400, 422):
            if api_base not in self._warned:
                self._warned.add(api_base)
                log.warning("solv budgets: %s refuses %s (%s: %s); budgets are dropped for it. Start that vLLM "
                            "with its family's --reasoning-parser (docs/thinking.md)",
                            api_base, BUDGET_KEY, r.status_code, r.text[:200])
            return Known(False, time.monotonic() + self.recheck_s)
        log.debug("solv budgets: %s answered %s to the budget probe; no budgets for now", api_base, r.status_code)
        return Known(False, time.monotonic() + self.retry_s)


def vllm_target(kwargs: Mapping[str, Any]) -> tuple[str, str, str | None] | None:
    """``(api_base, served model, api_key)`` of a ``hosted_vllm/`` deployment, else None."""
    model = str(kwargs.get("model") or "")
    api_base = kwargs.get("api_base")
    if not model.startswith(VLLM_PREFIX) or not isinstance(api_base, str) or not api_base:
        return None
    key = kwargs.get("api_key")
    return api_base.rstrip("/"), model.removeprefix(VLLM_PREFIX), key if isinstance(key, str) else None


@functools.cache
def shared_support() -> BudgetSupport:
    """The one per proxy process."""
    return BudgetSupport()


def model_budgets(model_info: Mapping[str, Any]) -> dict[Level, int | None] | None:
    value = model_info.get(MODEL_BUDGET_KEY)
    return None if value is None else parse_budgets(value, f"model_info.{MODEL_BUDGET_KEY}")


async def apply_thinking(kwargs: dict[str, Any], family: str, level: Level, cfg: SolvConfig,
                         model_info: Mapping[str, Any], support: BudgetSupport | None = None) -> dict[str, Any]:
    """The family's switch for ``level``, plus its budget where the server honours one."""
    budget = thinking_budget(family, level, model_budgets(model_info), cfg.thinking_budgets)
    if budget is not None and not await (support or shared_support()).honours(kwargs):
        budget = None
    return apply_family(family, level, kwargs, cfg.families, budget)


async def drop_unhonoured_budget(kwargs: dict[str, Any], support: BudgetSupport | None = None) -> dict[str, Any] | None:
    """A client's own budget to a server that cannot honour it is dropped (None: nothing to change)."""
    if kwargs.get(BUDGET_KEY) is None or await (support or shared_support()).honours(kwargs):
        return None
    log.info("solv budgets: dropped the client's %s for %s (the server does not take one)",
             BUDGET_KEY, kwargs.get("model"))
    return {k: v for k, v in kwargs.items() if k != BUDGET_KEY}
