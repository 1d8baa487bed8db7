"""The classifier cascade and the LLM judge, on plain data (the seam's own contract)."""

from __future__ import annotations

import asyncio

import pytest

from solvstack.core.classify.base import Classifier, Conversation
from solvstack.core.levels import Decision, Level
from solvstack.proxy.classify.cascade import Cascade, Fixed
from solvstack.proxy.classify.llm import JudgeFailed, LlmClassifier, parse_answer


class Counting(Classifier):
    def __init__(self, inner: Classifier) -> None:
        self.inner, self.calls = inner, 0

    async def classify(self, conv: Conversation) -> Decision:
        self.calls += 1
        return await self.inner.classify(conv)


def judge_answering(text: str | Exception, delay: float = 0.0) -> LlmClassifier:
    async def complete(messages, timeout):
        await asyncio.sleep(delay)
        if isinstance(text, Exception):
            raise text
        return text
    return LlmClassifier(complete, timeout_s=0.2)


@pytest.mark.parametrize(("answer", "level"), [("HIGH", Level.HIGH), (" rag.", Level.RAG), ("no", Level.NO),
                                                ("Answer: LOW", Level.LOW)])
def test_parse_answer(answer, level):
    assert parse_answer(answer) is level


@pytest.mark.parametrize("answer", ["", "maybe", "HIGHLY", "none of them"])
def test_unparseable_answer_fails(answer):
    with pytest.raises(JudgeFailed):
        parse_answer(answer)


async def test_confident_local_skips_judge():
    judge = Counting(judge_answering("HIGH"))
    d = await Cascade(Fixed(Level.LOW, 0.9), judge, threshold=0.5).classify(Conversation("x"))
    assert (d.level, d.source, judge.calls) == (Level.LOW, "fixed", 0)


async def test_unsure_local_asks_judge():
    d = await Cascade(Fixed(Level.LOW, 0.3), judge_answering("RAG"), threshold=0.5).classify(Conversation("x"))
    assert (d.level, d.source) == (Level.RAG, "llm")


@pytest.mark.parametrize("judge", [judge_answering("dunno"), judge_answering(RuntimeError("500")),
                                   judge_answering("HIGH", delay=1.0)])
async def test_judge_failure_falls_back_to_local(judge):
    d = await Cascade(Fixed(Level.NO, 0.1), judge, threshold=0.5).classify(Conversation("x"))
    assert (d.level, d.source) == (Level.NO, "fixed")


async def test_cache_answers_repeat_without_classifying():
    local = Counting(Fixed(Level.HIGH, 0.9))
    c = Cascade(local, Fixed(Level.NO), threshold=0.5)  # sure enough: the judge is never asked
    first = await c.classify(Conversation("same", ("earlier",)))
    second = await c.classify(Conversation("same", ("earlier",)))
    other = await c.classify(Conversation("same", ("different earlier",)))
    assert (first.source, second.source, other.source) == ("fixed", "cache", "fixed")
    assert second.level is Level.HIGH and local.calls == 2


async def test_local_only_is_not_cached():
    """Without a judge there is nothing to spare: the local classifier runs every time."""
    local = Counting(Fixed(Level.HIGH, 0.9))
    c = Cascade(local, None)
    first = await c.classify(Conversation("same"))
    second = await c.classify(Conversation("same"))
    assert (first.source, second.source, local.calls) == ("fixed", "fixed", 2)


async def test_cache_disabled():
    local = Counting(Fixed(Level.HIGH))
    c = Cascade(local, None, cache_size=0)
    await c.classify(Conversation("a"))
    await c.classify(Conversation("a"))
    assert local.calls == 2
