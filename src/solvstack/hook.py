"""The solv thinking hook: a LiteLLM ``CustomLogger`` loaded from ``litellm_settings.callbacks``.

Per chat request (``call_type == "acompletion"``):

1. read ``/think``, ``/think high|low``, ``/no_think``, ``/search``, ``/no_search`` from the last user
   message and strip them (see :mod:`solvstack.overrides`);
2. decide the level: override > the client's own reasoning parameters > the classifier cascade
   (on any classifier error: ``solv.default_level``, source ``default``);
3. RAG: the retriever adds cited, fenced search results (if configured);
4. optional escalation of a level to another model group (``solv.escalate``);
5. after LiteLLM chose a deployment, merge that deployment's family switch into the request
   (``async_pre_call_deployment_hook``), so fallbacks to another family get their own switch;
6. expose the decision as ``x-solv-*`` response headers and one log line.

Bodies of the wrong shape get a 400 first (:mod:`solvstack.validate`); ``/v1/completions`` gets only
that check, everything else (embeddings, ...) returns at the first line.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncGenerator
from typing import Any, Protocol

from litellm.integrations.custom_logger import CustomLogger

from solvstack import metrics
from solvstack.classify.base import Classifier, Conversation
from solvstack.config import SolvConfig
from solvstack.families import apply_family, client_thinking, strip_client_thinking
from solvstack.levels import Decision, Level
from solvstack.messages import conversation_of, last_user_index, rewrite_text
from solvstack.overrides import Overrides, parse_overrides
from solvstack.streams import guard_stream
from solvstack.validate import chat_body_error, completion_body_error

log = logging.getLogger("solv")

CHAT_CALL_TYPES = frozenset({"acompletion", "completion"})
TEXT_CALL_TYPES = frozenset({"atext_completion", "text_completion"})
META_KEY = "solv"


class Augmenter(Protocol):
    """The retrieval seam: add search results to a request; record what happened in ``status``."""

    async def augment(self, data: dict[str, Any], conv: Conversation, status: dict[str, str]) -> dict[str, Any]: ...


class ThinkingHook(CustomLogger):
    """Classify, apply, expose. Build it with :func:`solvstack.plugin.build_hook` (reads the YAML)."""

    def __init__(self, cfg: SolvConfig, classifier: Classifier, augmenter: Augmenter | None = None) -> None:
        super().__init__()
        self.cfg, self.classifier, self.augmenter = cfg, classifier, augmenter

    # -- before routing -------------------------------------------------------------------------
    async def async_pre_call_hook(self, user_api_key_dict: Any, cache: Any, data: dict, call_type: str) -> dict | str:
        metadata = data.get("metadata")
        if isinstance(metadata, dict):  # x-solv-* headers come from our decision, never from the client
            metadata.pop(META_KEY, None)
        if call_type in TEXT_CALL_TYPES:
            return completion_body_error(data) or data
        if call_type not in CHAT_CALL_TYPES:
            return data
        if error := chat_body_error(data):
            return error  # LiteLLM answers 400 with it
        if not self.cfg.enabled:
            return data
        idx = last_user_index(data.get("messages"))
        if idx is None:
            return data  # nothing to classify; LiteLLM validates the body itself
        data, ov = _strip_overrides(data, idx)
        conv = conversation_of(data["messages"])
        decision = await self._decide(data, ov, conv)
        thinking = self._thinking(decision)
        search = ov.search if ov.search is not None else decision.level is Level.RAG
        info = {"level": (Level.RAG if search else decision.level).value, "source": decision.source,
                "thinking": thinking.value if thinking else "client", "confidence": f"{decision.confidence:.2f}",
                "ms": f"{decision.ms:.2f}", "search": "off"}
        if ov.think is not None:
            data = strip_client_thinking(data)
        if search and self.augmenter is not None:
            data = await self.augmenter.augment(data, conv, info)
        data = self._escalate(data, decision.level, info)
        data.setdefault("metadata", {})[META_KEY] = info
        log.info("solv decision %s", " ".join(f"{k}={v}" for k, v in info.items()))
        metrics.record_decision(info)
        return data

    async def _decide(self, data: dict, ov: Overrides, conv: Conversation) -> Decision:
        if ov.think is not None:
            return Decision(ov.think, "override")
        client = client_thinking(data)
        if client is not None:
            return Decision(client, "client")
        try:
            return await self.classifier.classify(conv)
        except Exception:  # a request never fails because classification did
            log.exception("solv classifier failed; using default_level %s", self.cfg.default_level.value)
            return Decision(self.cfg.default_level, "default", 0.0)

    def _thinking(self, decision: Decision) -> Level | None:
        """The thinking level to apply to the model, or None when the client set its own."""
        if decision.source == "client":
            return None
        if decision.level is Level.RAG:
            return self.cfg.rag_thinking
        return decision.level

    def _escalate(self, data: dict, level: Level, info: dict[str, str]) -> dict:
        group = self.cfg.escalate.get(level)
        if group and data.get("model") != group:
            info["escalated_from"] = str(data.get("model"))
            return {**data, "model": group}
        return data

    # -- after LiteLLM chose a deployment ---------------------------------------------------------
    async def async_pre_call_deployment_hook(self, kwargs: dict[str, Any], call_type: Any) -> dict | None:
        metadata = kwargs.get("metadata") or kwargs.get("litellm_metadata") or {}
        info = metadata.get(META_KEY) if isinstance(metadata, dict) else None
        if not info or info.get("thinking") in (None, "client"):
            return None
        model_info = metadata.get("model_info") or kwargs.get("model_info") or {}
        family = str(model_info.get("solv_thinking") or self.cfg.default_family)
        info["family"] = family
        return apply_family(family, Level(info["thinking"]), kwargs, self.cfg.families)

    # -- response -------------------------------------------------------------------------------
    async def async_post_call_response_headers_hook(
        self, data: dict, user_api_key_dict: Any, response: Any,
        request_headers: dict[str, str] | None = None, litellm_call_info: dict[str, object] | None = None,
    ) -> dict[str, str] | None:
        metadata = data.get("metadata") if isinstance(data, dict) else None
        info = metadata.get(META_KEY) if isinstance(metadata, dict) else None
        if not info:
            return None
        return {f"x-solv-{k.replace('_', '-')}": str(v) for k, v in info.items()}

    async def async_post_call_streaming_iterator_hook(
        self, user_api_key_dict: Any, response: Any, request_data: dict,
    ) -> AsyncGenerator[Any, None]:
        """A stream the model server cut ends with an error event, not LiteLLM's synthetic "stop"."""
        async for chunk in guard_stream(response, str(request_data.get("model"))):
            yield chunk


def _strip_overrides(data: dict, idx: int) -> tuple[dict, Overrides]:
    """Strip commands from every text part of the last user message; the last command wins."""
    found: list[Overrides] = []

    def edit(text: str) -> str:
        ov = parse_overrides(text)
        found.append(ov)
        return ov.text

    messages = list(data["messages"])
    messages[idx] = rewrite_text(messages[idx], edit)
    think = next((o.think for o in reversed(found) if o.think is not None), None)
    search = next((o.search for o in reversed(found) if o.search is not None), None)
    if think is None and search is None:
        return data, Overrides(None, None, "")
    return {**data, "messages": messages}, Overrides(think, search, "")

