"""The LLM classifier's backend hangs, errs or talks nonsense: requests are still served, in budget.

The hardened proxy runs ``solv.classifier.kind: llm`` (the judge decides every request, with
``timeout_s`` = :data:`~tests.reliability.conftest.JUDGE_TIMEOUT_S`). Whatever the judge's backend
does, each request gets its answer, classified by the local classifier instead: the fallback shows in
``x-solv-source: local`` and in the log (``solv judge fallback``). The client's read timeout is the
budget check: a request that waited for a hanging judge would time out and fail the test.
"""

from __future__ import annotations

import asyncio
import uuid

import httpx
import pytest

from tests.reliability.conftest import JUDGE_TIMEOUT_S, Hardened
from tests.support.backend import Behaviour

CLIENT_TIMEOUT_S = JUDGE_TIMEOUT_S + 9  # far below the hang, far above the judge's budget
FAULTS = {
    "hang": Behaviour(content="HIGH", delay_s=60),
    "nonsense": Behaviour(content="I would rather not say. Bananas."),
    "empty": Behaviour(content=""),
    "http-500": Behaviour(status=500),
    "http-429": Behaviour(status=429),
    "http-404": Behaviour(status=404),
}


async def ask(h: Hardened, n: int) -> list[httpx.Response]:
    """``n`` concurrent chats with prompts no cache has seen."""
    async with httpx.AsyncClient(base_url=h.proxy.url, timeout=CLIENT_TIMEOUT_S,
                                 headers={"Authorization": f"Bearer {h.secrets.master_key}"}) as c:
        return list(await asyncio.gather(*(c.post("/v1/chat/completions", json={
            "model": "qwen", "messages": [{"role": "user", "content": f"what is {i} + 3? ({uuid.uuid4().hex})"}]})
            for i in range(n))))


@pytest.mark.parametrize("fault", list(FAULTS))
def test_judge_fault_falls_back_to_local(hard: Hardened, fault: str) -> None:
    hard.judge.behaviour = FAULTS[fault]
    before = hard.log.count("solv judge fallback")
    responses = asyncio.run(ask(hard, 8))
    assert [r.status_code for r in responses] == [200] * 8, [r.text[:200] for r in responses]
    assert {r.headers["x-solv-source"] for r in responses} == {"local"}
    assert all(r.headers["x-solv-level"] in {"HIGH", "LOW", "NO", "RAG"} for r in responses)
    assert len(hard.judge.chat_requests()) >= 1  # the fault was really met, not skipped
    assert len(hard.backend.chat_requests()) == 8
    assert hard.log.count("solv judge fallback") - before >= 8


def test_healthy_judge_decides(hard: Hardened) -> None:
    """The same requests with a working judge: its word is taken (so the fallbacks above are real)."""
    hard.judge.behaviour = Behaviour(content="HIGH")
    responses = asyncio.run(ask(hard, 4))
    assert {(r.headers["x-solv-source"], r.headers["x-solv-level"]) for r in responses} == {("llm", "HIGH")}


def test_judge_back_after_an_outage_decides_again(hard: Hardened) -> None:
    """A fallback decision is not cached: once the judge answers again, the same prompt gets its word."""
    prompt = f"is {uuid.uuid4().hex} a palindrome?"
    body = {"model": "qwen", "messages": [{"role": "user", "content": prompt}]}
    with hard.client(timeout=CLIENT_TIMEOUT_S) as c:
        hard.judge.behaviour = FAULTS["http-500"]
        assert c.post("/v1/chat/completions", json=body).headers["x-solv-source"] == "local"
        hard.judge.behaviour = Behaviour(content="HIGH")
        r = c.post("/v1/chat/completions", json=body)
    assert (r.headers["x-solv-source"], r.headers["x-solv-level"]) == ("llm", "HIGH")
