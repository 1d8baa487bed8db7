"""The decision on real client traffic, in-process: kinds, the human's words, privacy, stability.

The same function runs in the proxy (tests/test_traffic_proxy.py sends these bodies through it).
"""

from __future__ import annotations

import asyncio
import json

import pytest

from solvstack.core.classify.base import Classifier, Conversation
from solvstack.core.classify.local import LocalClassifier
from solvstack.core.decide import Policy, decide
from solvstack.core.levels import Decision, Level
from solvstack.core.traffic import read_request
from solvstack.proxy.classify.cascade import Fixed
from tests.support import client_bodies as cb

CLF = LocalClassifier()
DIFF = ("diff --git a/src/acme/tokens.py b/src/acme/tokens.py\n--- a/src/acme/tokens.py\n+++ b/src/acme/tokens.py\n"
        "@@ -3 +3 @@\n-    new = vault.issue(\"acme-internal\", ttl=\"72h\")\n"
        "+    new = vault.issue(\"acme\", ttl=\"24h\")\n")
LIVE_HISTORY = "USER: What is the latest stable release of Kubernetes right now?\nASSISTANT: I am not sure."

TASKS = {
    "owui title": (cb.owui_title(), "title"),
    "owui title about live data": (cb.owui_title(LIVE_HISTORY), "title"),
    "owui tags": (cb.owui_tags(), "tags"),
    "owui follow-ups": (cb.owui_follow_ups(LIVE_HISTORY), "follow_ups"),
    "owui search queries": (cb.owui_queries(LIVE_HISTORY), "queries"),
    "owui autocomplete": (cb.owui_autocomplete("latest kubernetes rel"), "autocomplete"),
    "owui emoji": (cb.owui_emoji("I just got the job!!"), "emoji"),
    "owui image prompt": (cb.owui_image_prompt(), "image_prompt"),
    "owui moa": (cb.owui_moa("what is the newest iPhone?"), "moa"),
    "custom title": (cb.custom_title(LIVE_HISTORY), "title"),
    "custom tags": (cb.custom_tags(), "tags"),
    "librechat title": (cb.librechat_title("What's the weather in Oslo tomorrow?"), "title"),
    "aider commit": (cb.aider_commit(DIFF), "commit_message"),
    "aider summary": (cb.aider_summary(), "summary"),
    "continue fim": (cb.continue_fim("def add(a, b):\n    return ", "\n"), "fim"),
}


DEFAULT = Policy()


def run(body: dict, classifier: Classifier = CLF, policy: Policy = DEFAULT, headers: dict | None = None):
    return asyncio.run(decide(body, headers, classifier, policy))


@pytest.mark.parametrize("name", TASKS)
def test_client_background_tasks_are_no_and_never_searched(name):
    body, task = TASKS[name]
    out, v = run(body, Fixed(Level.RAG, 0.99))  # even a classifier that says RAG is not asked
    assert (v.kind, v.task, v.level, v.thinking) == ("task", task, Level.NO, Level.NO)
    assert (v.search, v.source) == (False, "task")
    assert out is body


def test_commands_inside_a_tasks_chat_history_are_not_obeyed():
    body = cb.owui_title("USER: /search /think what is new in Rust?\nASSISTANT: Rust 1.99 shipped.")
    _, v = run(body)
    assert (v.kind, v.level, v.search) == ("task", Level.NO, False)


def test_cline_tool_result_inherits_the_task_level_and_never_searches():
    task = "What is the latest numpy release? Update requirements.txt to it."
    tool = cb.cline_tool_result(task, "read_file for 'src/acme/tokens.py'", cb.SECRET_CODE)
    _, first = run({"model": "m", "messages": cb.cline_task(task)})
    _, step = run(tool)
    assert step.kind == "agent" and not step.search and not first.search
    assert step.level == first.level and step.conv.prompt == task
    assert not any(m in step.conv.prompt for m in cb.SECRET_MARKERS)


def test_cline_feedback_inside_a_tool_result_is_the_humans_turn():
    body = cb.cline_tool_result("Fix the failing test", "execute_command for 'pytest -q'",
                                "The user denied this operation and provided the following feedback:\n"
                                "<feedback>\nprove the loop terminates before changing it\n</feedback>")
    _, v = run(body)
    assert v.kind == "chat" and v.conv.prompt == "prove the loop terminates before changing it"


def test_native_tool_loop_steps_agree_with_the_task_turn():
    levels = set()
    for steps in range(4):
        _, v = run(cb.native_loop("upgrade to the latest numpy and fix what breaks", steps))
        assert not v.search and v.conv.prompt == "upgrade to the latest numpy and fix what breaks"
        levels.add(v.level)
        assert v.kind == ("agent" if steps else "chat")
    assert len(levels) == 1


@pytest.mark.parametrize("question", ["explain this code", "what is the latest version of hvac?",
                                      "is there a newer release of the vault client than this uses today?"])
def test_code_in_the_turn_blocks_automatic_search(question):
    _, v = run(cb.continue_chat_with_code(question), Fixed(Level.RAG, 0.99))
    assert not v.search and v.level is Level.LOW  # nothing looked up: answer from what the model knows
    assert v.conv.prompt == question


def test_explicit_web_search_with_code_searches_the_humans_words_only():
    _, v = run(cb.continue_chat_with_code("search the web for the latest hvac release notes"))
    assert v.search and v.level is Level.RAG
    assert v.conv.prompt == "search the web for the latest hvac release notes"


def test_code_search_is_not_a_web_search():
    _, v = run(cb.continue_chat_with_code("search for all callers of this function in the repo"))
    assert not v.search


def test_slash_search_still_forces_a_search_in_an_ide_turn():
    out, v = run(cb.continue_chat_with_code("/search hvac client changelog"), Fixed(Level.NO))
    assert v.search and v.source == "fixed" and v.conv.prompt == "hvac client changelog"
    assert out["messages"][1]["content"].endswith("```\nhvac client changelog")


def test_tool_definitions_alone_do_not_block_search_but_an_agent_prompt_does():
    """Open WebUI sends its built-in tools with every chat: still plain chat. An agent's system prompt is not."""
    body = {**cb.user("What's the weather in Oslo tomorrow?"), "tools": cb.TOOLS}
    assert run(body)[1].search
    agent = {**body, "messages": [{"role": "system", "content": cb.CLINE_SYSTEM}, *body["messages"]]}
    assert not run(agent)[1].search


def test_ide_client_headers_mark_the_turn_private():
    body = cb.user("What's the weather in Oslo tomorrow?")
    assert not run(body, headers={"User-Agent": "RooCode/3.25.0", "X-Title": "Roo Code"})[1].search


def test_auto_search_switch_off_leaves_only_slash_search():
    off = Policy(auto_search=False)
    assert not run(cb.user("What's the weather in Oslo tomorrow?"), policy=off)[1].search
    assert run(cb.user("/search What's the weather in Oslo tomorrow?"), policy=off)[1].search


def test_retrieved_context_is_answered_without_a_second_search():
    _, v = run(cb.owui_rag("How many vacation days do I get per year?"), Fixed(Level.RAG, 0.99))
    assert (v.kind, v.search, v.level, v.thinking) == ("context", False, Level.NO, Level.NO)
    assert v.conv.prompt == "How many vacation days do I get per year?"
    _, hard = run(cb.owui_rag("Prove the policy is consistent"), Fixed(Level.HIGH, 0.99))
    assert hard.level is Level.LOW  # answering from given context: at most LOW


def test_stack_trace_pasted_in_chat_is_not_the_question():
    trace = "Traceback (most recent call last):\n  File \"/srv/acme/app.py\", line 12, in <module>\n" \
            "    main()\n  File \"/srv/acme/app.py\", line 8, in main\n    vault.read(path)\nKeyError: 'acme/t-1'"
    reading = read_request(cb.user(f"{trace}\nwhy does this happen?"))
    assert reading.human == "why does this happen?" and reading.private


def test_math_prompt_keeps_its_formula_for_the_classifier():
    reading = read_request(cb.user("Solve\n\\[\\frac{1}{x - 5} > 0.\\]\nEnter your answer in interval notation."))
    assert "\\frac" in reading.question and reading.kind == "chat"


def test_override_in_the_task_turn_applies_to_every_step_and_is_stripped():
    task = "/think high port the retry helper to asyncio"
    out, v = run({"model": "m", "messages": [*cb.cline_task(task)[:1],
                                               {"role": "user", "content": task},
                                               {"role": "assistant", "content": "<read_file>x</read_file>"},
                                               {"role": "user", "content": "[read_file for 'x'] Result:\nprint(1)"}]})
    assert (v.level, v.source, v.kind) == (Level.HIGH, "override", "agent")
    assert out["messages"][1]["content"] == "port the retry helper to asyncio"


def test_client_parameter_still_wins_in_an_agent_turn():
    body = {**cb.native_loop("prove the scheduler is fair", 1), "reasoning_effort": "low"}
    _, v = run(body)
    assert (v.level, v.source, v.thinking) == (Level.LOW, "client", None)


def test_same_body_same_verdict_and_bytes():
    body = cb.cline_tool_result("Fix the failing test", "execute_command for 'pytest -q'", cb.PYTEST_OUTPUT)
    (a, va), (b, vb) = run(json.loads(json.dumps(body))), run(json.loads(json.dumps(body)))
    assert json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)
    assert (va.level, va.search, va.kind) == (vb.level, vb.search, vb.kind)


class Recorder(Classifier):
    def __init__(self) -> None:
        self.seen: list[Conversation] = []

    async def classify(self, conv: Conversation) -> Decision:
        self.seen.append(conv)
        return Decision(Level.LOW, "recorder")


def test_classifier_never_sees_tool_output_or_environment_details():
    rec = Recorder()
    run(cb.cline_tool_result("Fix the failing test", "execute_command for 'pytest -q'", cb.PYTEST_OUTPUT), rec)
    seen = rec.seen[0]
    assert seen.prompt == "Fix the failing test"
    assert "environment_details" not in seen.prompt and "KeyError" not in seen.prompt



def test_a_translated_task_template_is_still_a_task():
    body = cb.user("### Aufgabe:\nErstelle einen kurzen Titel für den Chatverlauf.\n### Ausgabe:\n"
                   'JSON-Format: { "titel": "..." }\n<chat_history>\nUSER: Wie ist das Wetter morgen in Oslo?\n'
                   "</chat_history>")
    _, v = run(body, Fixed(Level.RAG, 0.99))
    assert (v.kind, v.task, v.level, v.search) == ("task", "other", Level.NO, False)


def test_a_pasted_document_is_private():
    memo = " ".join(["The Q3 reorganisation of the ACME platform team moves billing to the Oslo office."] * 30)
    _, v = run(cb.user(f"{memo}\n\nWhat's the weather in Oslo tomorrow?"), Fixed(Level.RAG, 0.99))
    assert not v.search and v.level is Level.LOW


def test_a_follow_up_query_takes_no_code_from_the_earlier_turn():
    earlier = ("vault = AcmeVault(token=os.environ['ACME_TOKEN'])\nvault.rotate(tenant_id=991)\n"
               "Tell me about HashiCorp Vault")
    body = {"model": "m", "messages": [{"role": "user", "content": earlier}, {"role": "assistant", "content": "ok"},
                                       {"role": "user", "content": "/search what about its latest version?"}]}
    _, v = run(body, Fixed(Level.NO))
    assert v.search and v.conv.earlier == ("Tell me about HashiCorp Vault",)
