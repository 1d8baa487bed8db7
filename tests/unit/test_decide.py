"""The decision table (docs/traffic.md, "The decisions"), in-process, one row per rule, on client-shaped bodies.

Each row: a request as a client sends it, what the classifier says (a fixed answer, so the row tests the
rule and not the model), the settings, and the verdict the proxy must reach: kind, level, the thinking
applied to the model (None: the client's own parameter is left alone), search, and where the level came
from. The proxy hook runs this same function (tests/test_proxy_thinking.py, tests/test_traffic_proxy.py).
"""

from __future__ import annotations

import asyncio
import json
from typing import Any, NamedTuple

import pytest

from solvstack.core.classify.base import Classifier, Conversation
from solvstack.core.decide import Policy, Verdict, decide
from solvstack.core.levels import Decision, Level
from solvstack.core.messages import text_of
from solvstack.core.overrides import parse_overrides
from solvstack.proxy.classify.cascade import Fixed
from tests.support import client_bodies as cb

HIGH, LOW, NO, RAG = Level.HIGH, Level.LOW, Level.NO, Level.RAG
WEATHER = "What's the weather in Oslo tomorrow?"


class Broken(Classifier):
    async def classify(self, conv: Conversation) -> Decision:
        raise RuntimeError("model file corrupt")


def with_params(body: dict[str, Any], **params: Any) -> dict[str, Any]:
    return {**body, **params}


def agent_step(task: str) -> dict[str, Any]:
    """A native tool loop one step in: the human's task, a tool call, the tool's output."""
    return cb.native_loop(task, 1)


def ide(body: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    return body, {"User-Agent": "RooCode/3.25.0", "X-Title": "Roo Code"}


class Row(NamedTuple):
    body: dict[str, Any] | tuple[dict[str, Any], dict[str, str]]  # the body, or (body, headers)
    classifier: Classifier
    want: tuple[str, Level, Level | None, bool, str]              # kind, level, thinking, search, source
    policy: Policy = Policy()


TABLE: dict[str, Row] = {
    # 1. a client's background task: NO, never a search, whatever the classifier or commands say
    "task: title": Row(cb.owui_title(), Fixed(RAG, 0.99), ("task", NO, NO, False, "task")),
    "task: commands in its chat history are quotes": Row(
        cb.owui_title("USER: /search /think high what is new in Rust?\nASSISTANT: Rust 1.99."), Fixed(HIGH),
        ("task", NO, NO, False, "task")),
    "task: a client parameter does not change it": Row(
        with_params(cb.owui_tags(), reasoning_effort="high"), Fixed(HIGH), ("task", NO, NO, False, "task")),
    "task: FIM": Row(cb.continue_fim("def add(a, b):\n    return ", "\n"), Fixed(HIGH),
                     ("task", NO, NO, False, "task")),
    # 2. a command in the human's own turn wins over the client and the classifier
    "override: /think is HIGH": Row(cb.user("/think hi"), Fixed(NO), ("chat", HIGH, HIGH, False, "override")),
    "override: /think low": Row(cb.user("/think low prove it"), Fixed(HIGH), ("chat", LOW, LOW, False, "override")),
    "override: /no_think": Row(cb.user("/no_think prove Fermat"), Fixed(HIGH), ("chat", NO, NO, False, "override")),
    "override: beats the client parameter": Row(
        with_params(cb.user("/think high sort this list"), reasoning_effort="low"), Fixed(NO),
        ("chat", HIGH, HIGH, False, "override")),
    "override: /no_search stops a sure RAG": Row(
        cb.user(f"/no_search {WEATHER}"), Fixed(RAG, 0.99), ("chat", LOW, LOW, False, "fixed")),
    "override: /search searches a NO": Row(cb.user("/search hi"), Fixed(NO), ("chat", RAG, NO, True, "fixed")),
    "override: /search with auto search off": Row(
        cb.user(f"/search {WEATHER}"), Fixed(NO), ("chat", RAG, NO, True, "fixed"), Policy(auto_search=False)),
    "override: /search beside code": Row(
        cb.continue_chat_with_code("/search hvac changelog"), Fixed(NO), ("chat", RAG, NO, True, "fixed")),
    "override: /search over retrieved context": Row(
        cb.owui_rag("/search How many vacation days do I get?"), Fixed(NO), ("context", RAG, NO, True, "fixed")),
    "override: /search keeps the question's own thinking level": Row(
        cb.user("/search how do I compute compound interest?"), Fixed(LOW), ("chat", RAG, LOW, True, "fixed")),
    "override: /think high beside code is not capped": Row(
        cb.continue_chat_with_code("/think high why is this slow?"), Fixed(LOW),
        ("chat", HIGH, HIGH, False, "override")),
    # 3. the client's own parameter: its level, and the client's own switch is left alone (thinking None)
    "client: reasoning_effort high": Row(
        with_params(cb.user("hi"), reasoning_effort="high"), Fixed(NO), ("chat", HIGH, None, False, "client")),
    "client: reasoning_effort medium reads as HIGH": Row(
        with_params(cb.user("hi"), reasoning_effort="medium"), Fixed(NO), ("chat", HIGH, None, False, "client")),
    "client: thinking disabled": Row(
        with_params(cb.user("prove it"), thinking={"type": "disabled"}), Fixed(HIGH),
        ("chat", NO, None, False, "client")),
    "client: chat_template_kwargs enable_thinking": Row(
        with_params(cb.user("hi"), chat_template_kwargs={"enable_thinking": True}), Fixed(NO),
        ("chat", HIGH, None, False, "client")),
    "client: a parameter is not a RAG verdict: no automatic search": Row(
        with_params(cb.user(WEATHER), reasoning_effort="low"), Fixed(RAG, 0.99), ("chat", LOW, None, False, "client")),
    "client: /search still searches": Row(
        with_params(cb.user(f"/search {WEATHER}"), reasoning_effort="low"), Fixed(NO),
        ("chat", RAG, None, True, "client")),
    "client: parameter in an agent step": Row(
        with_params(agent_step("prove the scheduler is fair"), reasoning_effort="low"), Fixed(HIGH),
        ("agent", LOW, None, False, "client")),
    # 4. agent steps: the task's level, never a search
    "agent: a sure HIGH task stays HIGH": Row(
        agent_step("port the retry helper to asyncio"), Fixed(HIGH, 0.9), ("agent", HIGH, HIGH, False, "fixed")),
    "agent: a RAG task does not search at a step": Row(
        agent_step("upgrade to the latest numpy"), Fixed(RAG, 0.99), ("agent", LOW, LOW, False, "fixed")),
    "agent: asking for a web search in words does not search at a step": Row(
        agent_step("search the web for the latest numpy release and upgrade"), Fixed(LOW),
        ("agent", LOW, LOW, False, "fixed")),
    "agent: Cline tool result": Row(
        cb.cline_tool_result("What is the latest numpy release?", "read_file for 'req.txt'", "numpy==1.0"),
        Fixed(RAG, 0.99), ("agent", LOW, LOW, False, "fixed")),
    # 5. automatic search: plain chat, a RAG verdict at least search_confidence sure, auto_search on
    "search: plain chat RAG searches": Row(cb.user(WEATHER), Fixed(RAG, 0.99), ("chat", RAG, NO, True, "fixed")),
    "search: rag_thinking is the thinking applied": Row(
        cb.user(WEATHER), Fixed(RAG, 0.99), ("chat", RAG, LOW, True, "fixed"), Policy(rag_thinking=LOW)),
    "search: below search_confidence no search, LOW": Row(
        cb.user(WEATHER), Fixed(RAG, 0.5), ("chat", LOW, LOW, False, "fixed"), Policy(search_confidence=0.6)),
    "search: at search_confidence searches": Row(
        cb.user(WEATHER), Fixed(RAG, 0.6), ("chat", RAG, NO, True, "fixed"), Policy(search_confidence=0.6)),
    "search: auto_search off, RAG becomes LOW": Row(
        cb.user(WEATHER), Fixed(RAG, 0.99), ("chat", LOW, LOW, False, "fixed"), Policy(auto_search=False)),
    "search: code in the turn blocks it": Row(
        cb.continue_chat_with_code("is there a newer hvac release?"), Fixed(RAG, 0.99),
        ("chat", LOW, LOW, False, "fixed")),
    "search: a web search asked in words beside code": Row(
        cb.continue_chat_with_code("search the web for the hvac release notes"), Fixed(LOW),
        ("chat", RAG, LOW, True, "fixed")),
    "search: a code search is not a web search": Row(
        cb.continue_chat_with_code("search for all callers of this function"), Fixed(LOW),
        ("chat", LOW, LOW, False, "fixed")),
    "search: an IDE client's headers block it": Row(
        ide(cb.user(WEATHER)), Fixed(RAG, 0.99), ("chat", LOW, LOW, False, "fixed")),
    "search: an agent system prompt blocks it": Row(
        {**cb.user(WEATHER), "messages": [{"role": "system", "content": cb.CLINE_SYSTEM},
                                          *cb.user(WEATHER)["messages"]]},
        Fixed(RAG, 0.99), ("chat", LOW, LOW, False, "fixed")),
    "search: tool definitions alone do not": Row(
        {**cb.user(WEATHER), "tools": cb.TOOLS}, Fixed(RAG, 0.99), ("chat", RAG, NO, True, "fixed")),
    # 6. retrieved context the client sent: no second search, RAG -> rag_thinking, at most LOW
    "context: RAG is answered with rag_thinking": Row(
        cb.owui_rag("How many vacation days do I get?"), Fixed(RAG, 0.99), ("context", NO, NO, False, "fixed")),
    "context: rag_thinking LOW": Row(
        cb.owui_rag("How many vacation days do I get?"), Fixed(RAG, 0.99), ("context", LOW, LOW, False, "fixed"),
        Policy(rag_thinking=LOW)),
    "context: a sure HIGH is capped at LOW": Row(
        cb.owui_rag("Prove the policy is consistent"), Fixed(HIGH, 0.99), ("context", LOW, LOW, False, "fixed")),
    "context: LOW stays LOW": Row(
        cb.owui_rag("Summarise the policy"), Fixed(LOW), ("context", LOW, LOW, False, "fixed")),
    "context: NO stays NO": Row(cb.owui_rag("thanks!"), Fixed(NO), ("context", NO, NO, False, "fixed")),
    "context: the client's HIGH is not capped": Row(
        with_params(cb.owui_rag("Prove the policy is consistent"), reasoning_effort="high"), Fixed(LOW),
        ("context", HIGH, None, False, "client")),
    # 7. around code, files or tool output an unsure HIGH (< material_high_confidence) becomes LOW
    "unsure HIGH beside code becomes LOW": Row(
        cb.continue_chat_with_code("why is this slow?"), Fixed(HIGH, 0.6), ("chat", LOW, LOW, False, "fixed")),
    "sure HIGH beside code stays HIGH": Row(
        cb.continue_chat_with_code("why is this slow?"), Fixed(HIGH, 0.9), ("chat", HIGH, HIGH, False, "fixed")),
    "unsure HIGH in plain chat stays HIGH": Row(
        cb.user("prove that sqrt(2) is irrational"), Fixed(HIGH, 0.6), ("chat", HIGH, HIGH, False, "fixed")),
    "unsure HIGH at an agent step becomes LOW": Row(
        agent_step("port the retry helper to asyncio"), Fixed(HIGH, 0.6), ("agent", LOW, LOW, False, "fixed")),
    "unsure HIGH after a pasted document becomes LOW": Row(
        cb.user(" ".join(["The Q3 reorganisation moves billing to the Oslo office."] * 40) + "\n\nProve it is fair."),
        Fixed(HIGH, 0.6), ("chat", LOW, LOW, False, "fixed")),
    "the threshold is a setting": Row(
        cb.continue_chat_with_code("why is this slow?"), Fixed(HIGH, 0.6), ("chat", HIGH, HIGH, False, "fixed"),
        Policy(material_high_confidence=0.5)),
    # 8. a failing classifier: default_level, and no automatic search
    "classifier fails: default_level": Row(
        cb.user(WEATHER), Broken(), ("chat", HIGH, HIGH, False, "default"), Policy(default_level=HIGH)),
    "classifier fails: a command still works": Row(
        cb.user(f"/search {WEATHER}"), Broken(), ("chat", RAG, LOW, True, "default")),
}


def run(row: Row) -> tuple[dict[str, Any], Verdict]:
    body, headers = row.body if isinstance(row.body, tuple) else (row.body, None)
    return asyncio.run(decide(json.loads(json.dumps(body)), headers, row.classifier, row.policy))


@pytest.mark.parametrize("name", TABLE)
def test_decision_table(name: str) -> None:
    _, v = run(TABLE[name])
    assert (v.kind, v.level, v.thinking, v.search, v.source) == TABLE[name].want


@pytest.mark.parametrize("name", TABLE)
def test_level_is_rag_exactly_when_a_search_runs(name: str) -> None:
    _, v = run(TABLE[name])
    assert (v.level is RAG) == v.search


@pytest.mark.parametrize("name", [n for n, row in TABLE.items() if row.want[4] != "task"])
def test_no_command_is_forwarded_and_nothing_else_changes(name: str) -> None:
    body = TABLE[name].body
    sent = body[0] if isinstance(body, tuple) else body
    out, v = run(TABLE[name])
    if v.anchor is not None:
        human = parse_overrides(text_of(out["messages"][v.anchor].get("content")))
        assert (human.think, human.search) == (None, None)
    assert {k: x for k, x in out.items() if k != "messages"} == {k: x for k, x in sent.items() if k != "messages"}
    if not v.overridden and "/search" not in json.dumps(sent) and "/no_search" not in json.dumps(sent):
        assert out == sent  # nothing to strip: the body goes on as it came


def test_a_task_body_is_returned_untouched() -> None:
    body = cb.owui_title("USER: /think what is new?\nASSISTANT: nothing.")
    out, _ = asyncio.run(decide(body, None, Fixed(HIGH)))
    assert out is body


def test_the_last_command_wins() -> None:
    _, v = asyncio.run(decide(cb.user("/think high /no_think /search /no_search hi"), None, Fixed(RAG, 0.99)))
    assert (v.level, v.source, v.search) == (NO, "override", False)


def test_a_command_inside_code_is_not_obeyed() -> None:
    out, v = asyncio.run(decide(cb.user("what does `/no_think` do?"), None, Fixed(LOW)))
    assert (v.level, v.source) == (LOW, "fixed")
    assert out["messages"][0]["content"] == "what does `/no_think` do?"


def test_every_step_of_a_loop_gets_the_task_level_and_the_same_task_turn() -> None:
    """Stateless: the level comes from the human's task turn at every step; the stripped task turn stays
    byte-identical from step to step (prefix caches keep working)."""
    seen = set()
    for steps in range(4):
        body = cb.native_loop("/think low upgrade numpy and fix what breaks", steps)
        out, v = asyncio.run(decide(body, None, Fixed(HIGH, 0.99)))
        assert (v.level, v.source, v.search) == (LOW, "override", False)
        seen.add(json.dumps(out["messages"][:2]))
    assert len(seen) == 1
