"""The per-family thinking table and the client-parameter rules."""

import pytest

from solvstack.core.families import (
    BUDGET_KEY,
    BUILTIN_FAMILIES,
    VLLM_REASONING_PARSERS,
    VLLM_SERVER_FLAGS,
    VLLM_TOOL_PARSERS,
    apply_family,
    check_family,
    client_thinking,
    parse_budgets,
    strip_client_thinking,
    thinking_budget,
)
from solvstack.core.levels import Level


def test_unknown_family_lists_valid_names():
    with pytest.raises(ValueError) as err:
        check_family("qwen4")
    assert "qwen4" in str(err.value)
    for name in BUILTIN_FAMILIES:
        assert name in str(err.value)


def test_custom_family_from_yaml_is_valid():
    extra = {"glm": {Level.HIGH: {"chat_template_kwargs": {"enable_thinking": True}}}}
    assert check_family("glm", extra) == "glm"
    assert apply_family("glm", Level.HIGH, {}, extra) == {"chat_template_kwargs": {"enable_thinking": True}}
    assert apply_family("glm", Level.NO, {}, extra) == {}


def test_apply_merges_nested_template_kwargs():
    req = {"model": "m", "chat_template_kwargs": {"custom": 1}}
    out = apply_family("qwen3", Level.HIGH, req)
    assert out["chat_template_kwargs"] == {"custom": 1, "enable_thinking": True}
    assert req["chat_template_kwargs"] == {"custom": 1}  # the input is not mutated


def test_table_is_not_shared_between_calls():
    out = apply_family("qwen3", Level.NO, {})
    out["chat_template_kwargs"]["enable_thinking"] = True
    assert apply_family("qwen3", Level.NO, {})["chat_template_kwargs"] == {"enable_thinking": False}


@pytest.mark.parametrize(("req", "level"), [
    ({"reasoning_effort": "high"}, Level.HIGH),
    ({"reasoning_effort": "medium"}, Level.HIGH),
    ({"reasoning_effort": "low"}, Level.LOW),
    ({"reasoning_effort": "minimal"}, Level.NO),
    ({"reasoning_effort": "none"}, Level.NO),
    ({"thinking": {"type": "enabled", "budget_tokens": 1024}}, Level.HIGH),
    ({"thinking": {"type": "disabled"}}, Level.NO),
    ({"chat_template_kwargs": {"enable_thinking": False}}, Level.NO),
    ({"chat_template_kwargs": {"thinking": True}}, Level.HIGH),
    ({"reasoning": {"effort": "low"}}, Level.LOW),
    ({"chat_template_kwargs": {"other": 1}}, None),
    ({}, None),
])
def test_client_thinking(req, level):
    assert client_thinking(req) is level


def test_strip_client_thinking_keeps_other_template_kwargs():
    req = {"reasoning_effort": "high", "chat_template_kwargs": {"enable_thinking": True, "x": 1}, "model": "m"}
    assert strip_client_thinking(req) == {"chat_template_kwargs": {"x": 1}, "model": "m"}


# -- thinking budgets (issue 11) ----------------------------------------------------------------
def test_low_is_really_low_for_the_template_families():
    for family in ("qwen3", "deepseek-v3.1", "always-on"):
        assert thinking_budget(family, Level.LOW) == 1024
        assert thinking_budget(family, Level.HIGH) is None  # HIGH: bounded by max_tokens only
    assert thinking_budget("always-on", Level.NO) == 0  # R1 cannot switch off; a zero budget can
    for family in ("granite", "gpt-oss", "reasoning-effort", "none"):
        assert thinking_budget(family, Level.LOW) is None  # no budget mechanism: they keep their switch


def test_model_budget_beats_yaml_family_default_beats_builtin():
    yaml_defaults = {"qwen3": {Level.LOW: 512, Level.HIGH: 8192}}
    assert thinking_budget("qwen3", Level.LOW, None, yaml_defaults) == 512
    assert thinking_budget("qwen3", Level.HIGH, None, yaml_defaults) == 8192
    assert thinking_budget("qwen3", Level.LOW, {Level.LOW: 64}, yaml_defaults) == 64
    assert thinking_budget("qwen3", Level.LOW, {Level.LOW: None}, yaml_defaults) is None  # null: no budget


@pytest.mark.parametrize(("value", "needle"), [
    ({"LOW": -1}, "budgets.LOW must be a whole number of tokens >= 0"),
    ({"LOW": True}, "budgets.LOW must be a whole number"),
    ({"LOW": "1k"}, "budgets.LOW must be a whole number"),
    ({"RAG": 5}, "RAG is not a thinking level"),
    ({"MEDIUM": 5}, "valid levels: HIGH, LOW, NO, RAG"),
    ([512], "must map levels to token budgets"),
])
def test_bad_budgets_name_the_value_and_the_valid_forms(value, needle):
    with pytest.raises(ValueError, match=needle):
        parse_budgets(value)


def test_yaml_no_key_is_the_no_level():
    assert parse_budgets({False: 0, "low": 256}) == {Level.NO: 0, Level.LOW: 256}


def test_budget_is_added_with_the_switch():
    out = apply_family("qwen3", Level.LOW, {"model": "m"}, budget=128)
    assert out == {"model": "m", "chat_template_kwargs": {"enable_thinking": True}, BUDGET_KEY: 128}


def test_clients_own_budget_is_the_clients_choice_and_an_override_removes_it():
    assert client_thinking({BUDGET_KEY: 300}) is Level.LOW
    assert client_thinking({BUDGET_KEY: 0}) is Level.NO
    assert strip_client_thinking({BUDGET_KEY: 300, "model": "m"}) == {"model": "m"}


def test_family_parsers_are_vllm_names():
    for flags in VLLM_SERVER_FLAGS.values():
        assert flags.reasoning_parser is None or flags.reasoning_parser in VLLM_REASONING_PARSERS
        assert flags.tool_call_parser is None or flags.tool_call_parser in VLLM_TOOL_PARSERS


@pytest.mark.vllm
def test_parser_names_are_the_installed_vllms():
    """The names we check declarations against are exactly what the shipped vLLM registers."""
    import json
    import subprocess

    from tests.vllm_fixtures import vllm_python_or_skip

    code = ("import json; from vllm.reasoning import ReasoningParserManager as R; "
            "from vllm.tool_parsers import ToolParserManager as T; "
            "print(json.dumps([sorted(R.list_registered()), sorted(T.list_registered())]))")
    out = subprocess.run([str(vllm_python_or_skip()), "-c", code], capture_output=True, text=True, check=True,
                         timeout=300).stdout
    reasoning, tools = json.loads(out.strip().splitlines()[-1])
    assert set(reasoning) == VLLM_REASONING_PARSERS
    assert set(tools) == VLLM_TOOL_PARSERS
