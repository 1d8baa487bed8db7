"""Hostile and malformed requests through the real proxy: a clear 4xx or a correct answer, never a 500.

Each case of ``tests/data/hostile_inputs.jsonl`` (see :mod:`tests.reliability.corpus`) is sent as
raw bytes. A rejected case must get a 4xx whose message names the problem and must not reach the
model; a served case must reach the model with exactly the messages the client sent, except for the
documented override stripping. After the corpus the same proxy process still answers.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.reliability.conftest import Hardened
from tests.reliability.corpus import Case, error_message, load, send

CASES = load()


def without_nulls(messages: Any) -> Any:
    """LiteLLM drops ``null`` fields of a message (an assistant turn's ``content: null`` beside tool_calls)."""
    if not isinstance(messages, list):
        return messages
    return [{k: v for k, v in m.items() if v is not None} if isinstance(m, dict) else m for m in messages]


def check_rejected(hard: Hardened, case: Case, r: httpx.Response) -> None:
    assert 400 <= r.status_code < 500, (case.id, r.status_code, r.text[:300])
    message = error_message(r).lower()
    assert any(name.lower() in message for name in case.spec["names"]), (case.id, message[:300])
    assert hard.backend.requests == [], f"{case.id}: a rejected request reached the model"


def check_served(hard: Hardened, case: Case, r: httpx.Response) -> None:
    assert r.status_code == 200, (case.id, r.status_code, r.text[:300])
    if case.spec["expect"] == "ok":
        return
    forwarded = hard.backend.chat_requests()
    assert len(forwarded) == 1, f"{case.id}: {len(forwarded)} requests reached the model"
    assert without_nulls(forwarded[0]["messages"]) == without_nulls(case.sent_messages()), case.id
    for header in ("level", "source"):
        if header in case.spec:
            assert r.headers.get(f"x-solv-{header}") == case.spec[header], (case.id, dict(r.headers))
    if "source_not" in case.spec:
        assert r.headers.get("x-solv-source") not in (None, case.spec["source_not"]), (case.id, dict(r.headers))


def test_corpus_has_50_distinct_cases() -> None:
    ids = [c.id for c in CASES]
    assert len(ids) >= 50 and len(set(ids)) == len(ids)
    assert {c.spec["expect"] for c in CASES} == {"reject", "serve", "ok"}


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_hostile_input(hard: Hardened, case: Case) -> None:
    with hard.client(timeout=120) as client:  # a fresh connection: one case cannot hide behind another's
        r = send(client, case)
    assert r.status_code < 500, (case.id, r.status_code, r.text[:300])
    if case.spec["expect"] == "reject":
        check_rejected(hard, case, r)
    else:
        check_served(hard, case, r)
    for header in case.spec.get("headers_absent", []):
        assert header not in r.headers, (case.id, header, r.headers.get(header))


def test_backend_rejection_is_passed_on_not_retried_into_a_500(hard: Hardened) -> None:
    """Parameter values are the model server's to judge: its 400 reaches the client as a 400."""
    hard.backend.behaviour.status = 400
    with hard.client() as client:
        r = client.post("/v1/chat/completions", json={"model": "qwen", "max_tokens": -1,
                                                      "messages": [{"role": "user", "content": "hi"}]})
    assert r.status_code == 400, r.text
    assert "hostile says 400" in error_message(r)
    assert len(hard.backend.chat_requests()) == 1  # a 400 is not retried


def test_proxy_still_answers_after_the_corpus(hard: Hardened) -> None:
    with hard.client() as client:
        assert client.get("/health/liveliness").status_code == 200
        r = client.post("/v1/chat/completions", json={"model": "qwen", "messages": [{"role": "user", "content": "hi"}]})
    assert r.status_code == 200 and r.json()["choices"][0]["message"]["content"] == hard.backend.behaviour.content
    assert hard.proxy.proc is not None and hard.proxy.proc.poll() is None
