"""The decision for one chat request: its thinking level and whether a web search runs.

This is the single path used by the proxy hook, ``solv classify`` and ``solv eval``. It reads the whole
request (:mod:`solvstack.core.traffic`), then, in this order:

1. a client's **background task** (title, tags, follow-ups, search queries, autocomplete, FIM, commit
   message, history summary, ...): NO, never a search; commands inside the task's embedded chat history
   are not the user talking to us, so they are ignored;
2. an in-prompt **command** in the human's own turn (``/think``, ``/think low``, ``/no_think``,
   ``/search``, ``/no_search``): stripped from that turn and obeyed;
3. the **client's own** reasoning parameter (``reasoning_effort``, ``thinking``, ...);
4. the **classifier** on the human's own words (earlier human turns for follow-ups), never on the code,
   files or tool output around them. An agent turn carrying tool output gets the level of the human turn
   that started the task (the same words give the same level on any proxy replica).

A search runs when the human typed ``/search``, or when the level is RAG (the classifier at least
``search_confidence`` sure) and an automatic search is allowed: automatic search is on
(``solv.retrieval.auto_search``), and the request is plain chat (no agent loop or agent prompt, no code, files,
diffs, traces or tool output anywhere in it, no retrieved context of the client's own) or the human
explicitly asked for a web search in words. The query is built from the
human's words only (:func:`solvstack.core.retrieval.query.build_query`). A RAG verdict where no search may run
becomes LOW (answer from what the model knows); a request that carries retrieved context is answered
with ``rag_thinking`` at most LOW. Around code, files or tool output an unsure HIGH becomes LOW.

>>> import asyncio
>>> from solvstack.proxy.classify.cascade import Fixed
>>> body = {"messages": [{"role": "user", "content": "/no_think hi"}]}
>>> _, v = asyncio.run(decide(body, None, Fixed(Level.HIGH)))
>>> (v.level.value, v.thinking.value, v.search, v.source)
('NO', 'NO', False, 'override')
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from solvstack.core.classify.base import Classifier, Conversation
from solvstack.core.families import client_thinking
from solvstack.core.levels import Decision, Level
from solvstack.core.messages import rewrite_text
from solvstack.core.overrides import Overrides, parse_overrides
from solvstack.core.traffic import AGENT, CONTEXT, TASK, Reading, read_request

log = logging.getLogger("solv")

# "search the web for ...", "look it up online", "google it": the human asks for a web search in words.
# Code search ("search for callers of foo") does not count: a web word must be there.
_EXPLICIT_SEARCH = re.compile(
    r"\b(?:search|google|look(?:\s+\w+)?\s+up|browse|check|find)\b[^.?!\n]{0,40}\b(?:web|internet|online|google)\b|"
    r"\b(?:web|internet|online|google)\s+search\b|\bgoogle\s+(?:it|this|that|for)\b",
    re.IGNORECASE)


@dataclass(frozen=True)
class Policy:
    """The settings the decision depends on (from ``solv:`` in litellm_config.yaml)."""

    default_level: Level = Level.LOW   # when the classifier fails
    rag_thinking: Level = Level.NO     # thinking when the model answers from search results
    auto_search: bool = True           # may a RAG verdict search without /search?
    search_confidence: float = 0.0     # ...only when the classifier is at least this sure it is RAG
    # Around code, files or tool output the classifier reads text unlike what it learned from: an unsure
    # HIGH there becomes LOW (agent loops repeat the task's level on every step, so it is paid many times).
    material_high_confidence: float = 0.75


@dataclass(frozen=True)
class Verdict:
    """What was decided and why; ``level`` is RAG exactly when a search runs."""

    level: Level
    thinking: Level | None             # the level applied to the model; None: the client set its own
    search: bool
    source: str                        # task, override, client, local/cascade/llm/cache, default
    kind: str                          # chat, task, agent, context
    confidence: float = 1.0
    ms: float = 0.0
    task: str | None = None
    conv: Conversation = field(default_factory=lambda: Conversation(""))  # the human's words: the query's source
    anchor: int | None = None          # the message the human's words are in (search results go there)
    overridden: bool = False           # a /think-style command was given: client parameters are dropped


async def decide(body: dict[str, Any], headers: Mapping[str, str] | None, classifier: Classifier,
                 policy: Policy = Policy()) -> tuple[dict[str, Any], Verdict]:
    """Decide for one chat request; returns the body (commands stripped from the human turn) and the verdict."""
    start = time.perf_counter()
    reading = read_request(body, headers)
    if reading.kind == TASK:
        return body, Verdict(Level.NO, Level.NO, False, "task", TASK, ms=_ms_since(start), task=reading.task)
    body, ov, human = _strip_overrides(body, reading)
    question = parse_overrides(reading.question).text if ov.think is not None or ov.search is not None \
        else reading.question
    decision = await _classify(body, ov, Conversation(question, reading.earlier, reading.assistant),
                               classifier, policy)
    explicit = bool(_EXPLICIT_SEARCH.search(human)) and reading.kind != AGENT
    allowed = policy.auto_search and (not reading.private or explicit) and reading.kind != CONTEXT
    classified = decision.source not in ("override", "client", "default")
    sure_rag = decision.level is Level.RAG and (not classified or decision.confidence >= policy.search_confidence)
    asked = sure_rag or (explicit and decision.source != "client")
    search = ov.search if ov.search is not None else allowed and asked
    level = decision.level
    if level is Level.HIGH and classified and reading.private and decision.confidence < policy.material_high_confidence:
        level = Level.LOW
    if level is Level.RAG and not search:  # nothing will be looked up: answer from what the model knows
        level = policy.rag_thinking if reading.kind == CONTEXT else Level.LOW
    if reading.kind == CONTEXT and classified and level is Level.HIGH:
        level = Level.LOW  # answering from context the client retrieved: at most LOW
    # the thinking applied to the model: None leaves the client's own parameter alone
    thinking = None if decision.source == "client" else policy.rag_thinking if level is Level.RAG else level
    verdict = Verdict(Level.RAG if search else level, thinking, search, decision.source, reading.kind,
                      decision.confidence, _ms_since(start), None, Conversation(human, reading.earlier_words),
                      reading.anchor, ov.think is not None)
    return body, verdict


async def _classify(body: dict[str, Any], ov: Overrides, conv: Conversation, classifier: Classifier,
                    policy: Policy) -> Decision:
    if ov.think is not None:
        return Decision(ov.think, "override")
    client = client_thinking(body)
    if client is not None:
        return Decision(client, "client")
    try:
        return await classifier.classify(conv)
    except Exception:  # a request never fails because classification did
        log.exception("solv classifier failed; using default_level %s", policy.default_level.value)
        return Decision(policy.default_level, "default", 0.0)


def _strip_overrides(body: dict[str, Any], reading: Reading) -> tuple[dict[str, Any], Overrides, str]:
    """Commands in the human's own words: obeyed (the last one wins) and stripped from the turn that holds them."""
    none = Overrides(None, None, reading.human)
    if reading.anchor is None or "/" not in reading.human:
        return body, none, reading.human
    ov = parse_overrides(reading.human)
    if ov.think is None and ov.search is None:
        return body, none, reading.human
    messages = list(body["messages"])
    messages[reading.anchor] = rewrite_text(messages[reading.anchor], lambda text: parse_overrides(text).text)
    return {**body, "messages": messages}, ov, ov.text


def _ms_since(start: float) -> float:
    return (time.perf_counter() - start) * 1000
