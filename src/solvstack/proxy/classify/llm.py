"""The LLM judge (the original think-router design): ask a small model for one word.

The judge is any model group of this proxy, called through LiteLLM's router (no HTTP, no key), with
temperature 0, a few output tokens and a time budget. A timeout, an error or an answer that is not
one of the four words raises :class:`JudgeFailed`; the cascade then falls back to the local
classifier, so a request never fails because the judge did.

>>> async def fake(messages, timeout): return " rag."
>>> import asyncio; asyncio.run(LlmClassifier(fake).classify(Conversation("news?"))).level
<Level.RAG: 'RAG'>
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Awaitable, Callable
from typing import Any

from solvstack.core.classify.base import Classifier, Conversation
from solvstack.core.levels import Decision, Level

# messages, timeout_s -> the model's text
Complete = Callable[[list[dict[str, str]], float], Awaitable[str]]

SYSTEM_PROMPT = """You route chat requests. Answer with exactly one word:
HIGH - needs long multi-step reasoning (hard math, proofs, algorithms, system design, deep debugging)
LOW - needs a little reasoning (short word problems, simple code fixes, brief explanations)
NO - needs no reasoning (greetings, chit-chat, creative writing, rewriting, translation, stable facts)
RAG - needs current or specific information from the web (news, prices, versions, scores, weather)"""

_WORD = re.compile(r"\b(HIGH|LOW|NO|RAG)\b", re.IGNORECASE)
_MAX_PROMPT_CHARS = 4000  # the judge sees the head of a long prompt only


class JudgeFailed(RuntimeError):
    """The judge timed out, errored, or answered something other than HIGH/LOW/NO/RAG."""


def parse_answer(text: str) -> Level:
    m = _WORD.search(text or "")
    if not m:
        raise JudgeFailed(f"unparseable judge answer {text[:40]!r}")
    return Level.parse(m.group(1))


class LlmClassifier(Classifier):
    """Classify with a model. ``complete`` is the transport (a router call in the proxy)."""

    name = "llm"

    def __init__(self, complete: Complete, timeout_s: float = 1.5) -> None:
        self._complete = complete
        self._timeout_s = timeout_s

    async def classify(self, conv: Conversation) -> Decision:
        start = time.perf_counter()
        context = f"(earlier turn: {conv.earlier[-1][:500]})\n" if conv.earlier else ""
        messages = [{"role": "system", "content": SYSTEM_PROMPT},
                    {"role": "user", "content": context + conv.prompt[:_MAX_PROMPT_CHARS]}]
        try:
            text = await asyncio.wait_for(self._complete(messages, self._timeout_s), self._timeout_s)
        except TimeoutError:
            raise JudgeFailed(f"judge timed out after {self._timeout_s}s") from None
        except Exception as exc:  # any transport error: the cascade falls back
            raise JudgeFailed(f"judge failed: {type(exc).__name__}: {exc}") from exc
        return Decision(parse_answer(text), "llm", 1.0, (time.perf_counter() - start) * 1000)


def router_complete(model: str, max_tokens: int) -> Complete:
    """A transport that calls a model group of the running proxy through its LiteLLM router."""

    async def complete(messages: list[dict[str, str]], timeout: float) -> str:
        from litellm.proxy import proxy_server  # the proxy is running when this is called

        router: Any = proxy_server.llm_router
        if router is None:
            raise JudgeFailed("the proxy has no router yet")
        resp = await router.acompletion(
            model=model, messages=messages, temperature=0, max_tokens=max_tokens, timeout=timeout,
            num_retries=0, metadata={"solv_internal": True},
        )
        return str(resp.choices[0].message.content or "")

    return complete
