"""The solv thinking hook: a LiteLLM ``CustomLogger`` loaded from ``litellm_settings.callbacks``.

Per chat request (``call_type == "acompletion"``):

1. decide (:func:`solvstack.core.decide.decide`, the same path as ``solv classify`` and ``solv eval``): the
   kind of request (chat, a client's background task, an agent turn, retrieved context), the human's own
   words, their ``/think``-style commands (stripped), the level and whether a web search runs;
2. search: the retriever adds cited, fenced results for the human's words (if configured);
3. optional escalation of a level to another model group (``solv.escalate``);
4. after LiteLLM chose a deployment, merge that deployment's family switch into the request
   (``async_pre_call_deployment_hook``), so fallbacks to another family get their own switch;
5. expose the decision as ``x-solv-*`` response headers and one log line.

Bodies of the wrong shape get a 400 first (:mod:`solvstack.proxy.validate`); ``/v1/completions`` gets only
that check, everything else (embeddings, ...) returns at the first line.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncGenerator
from typing import Any, Protocol

from litellm.integrations.custom_logger import CustomLogger

from solvstack.core.classify.base import Classifier, Conversation
from solvstack.core.config import SolvConfig
from solvstack.core.decide import Policy, decide
from solvstack.core.families import strip_client_thinking
from solvstack.core.levels import Level
from solvstack.core.messages import last_user_index
from solvstack.proxy import metrics
from solvstack.proxy.budgets import apply_thinking, drop_unhonoured_budget
from solvstack.proxy.requestdata import (
    CLIENT,
    DecisionRecord,
    client_headers,
    decision_of,
    drop_client_decision,
    model_info_of,
    put_decision,
    put_family,
)
from solvstack.proxy.streams import Drain, guard_stream
from solvstack.proxy.validate import chat_body_error, completion_body_error

log = logging.getLogger("solv")

CHAT_CALL_TYPES = frozenset({"acompletion", "completion"})
TEXT_CALL_TYPES = frozenset({"atext_completion", "text_completion"})


class Augmenter(Protocol):
    """The retrieval seam: add search results to a request; record what happened in ``status``.

    ``auto_search``: whether a RAG verdict may search without ``/search`` (``solv.retrieval.auto_search``);
    ``min_confidence``: how sure the classifier must be (``solv.retrieval.min_confidence``)."""

    @property
    def auto_search(self) -> bool: ...

    @property
    def min_confidence(self) -> float: ...

    async def augment(self, data: dict[str, Any], conv: Conversation, status: dict[str, str],
                      at: int | None = None) -> dict[str, Any]: ...


class ThinkingHook(CustomLogger):
    """Classify, apply, expose. Build it with :func:`solvstack.proxy.plugin.build_hook` (reads the YAML)."""

    def __init__(self, cfg: SolvConfig, classifier: Classifier, augmenter: Augmenter | None = None) -> None:
        super().__init__()
        self.cfg, self.classifier, self.augmenter = cfg, classifier, augmenter
        self.drain = Drain(cfg.drain_s)  # started by SIGTERM once installed (plugins/solv.py)
        self.policy = Policy(cfg.default_level, cfg.rag_thinking,
                             auto_search=augmenter is None or augmenter.auto_search,
                             search_confidence=Policy.search_confidence if augmenter is None
                             else augmenter.min_confidence)

    # -- before routing -------------------------------------------------------------------------
    async def async_pre_call_hook(self, user_api_key_dict: Any, cache: Any, data: dict, call_type: str) -> dict | str:
        drop_client_decision(data)
        if call_type in TEXT_CALL_TYPES:
            return completion_body_error(data) or data
        if call_type not in CHAT_CALL_TYPES:
            return data
        if error := chat_body_error(data):
            return error  # LiteLLM answers 400 with it
        if not self.cfg.enabled or last_user_index(data.get("messages")) is None:
            return data  # nothing to decide; LiteLLM validates the body itself
        data, verdict = await decide(data, client_headers(data), self.classifier, self.policy)
        search: dict[str, str] = {"search": "off"}
        if verdict.overridden:
            data = strip_client_thinking(data)
        if verdict.search and self.augmenter is not None:
            data = await self.augmenter.augment(data, verdict.conv, search, verdict.anchor)
        escalated_from = None
        if (group := self.cfg.escalate.get(verdict.level)) and data.get("model") != group:
            escalated_from, data = str(data.get("model")), {**data, "model": group}
        decision = DecisionRecord(level=verdict.level.value, source=verdict.source,
                                  kind=verdict.task or verdict.kind,
                                  thinking=verdict.thinking.value if verdict.thinking else CLIENT,
                                  confidence=verdict.confidence, ms=verdict.ms, search=search,
                                  escalated_from=escalated_from)
        put_decision(data, decision)
        if log.isEnabledFor(logging.INFO):
            log.info("solv decision %s", decision.log_line())
        metrics.record_decision(decision)
        return data

    # -- after LiteLLM chose a deployment ---------------------------------------------------------
    async def async_pre_call_deployment_hook(self, kwargs: dict[str, Any], call_type: Any) -> dict | None:
        decision = decision_of(kwargs)
        if decision is None or decision.thinking == CLIENT:
            return await drop_unhonoured_budget(kwargs)  # a client's own budget, where the server takes none
        model_info = model_info_of(kwargs)
        family = str(model_info.get("solv_thinking") or self.cfg.default_family)
        put_family(kwargs, family)
        return await apply_thinking(kwargs, family, Level(decision.thinking), self.cfg, model_info)  # + budget

    # -- response -------------------------------------------------------------------------------
    async def async_post_call_response_headers_hook(
        self, data: dict, user_api_key_dict: Any, response: Any,
        request_headers: dict[str, str] | None = None, litellm_call_info: dict[str, object] | None = None,
    ) -> dict[str, str] | None:
        decision = decision_of(data)
        return decision.headers() if decision is not None else None

    async def async_post_call_streaming_iterator_hook(
        self, user_api_key_dict: Any, response: Any, request_data: dict,
    ) -> AsyncGenerator[Any, None]:
        """A stream the model server cut ends with an error event, not LiteLLM's synthetic "stop"."""
        async for chunk in guard_stream(response, str(request_data.get("model")), self.drain):
            yield chunk

