"""The per-family thinking table and the client-parameter rules."""

import pytest

from solvstack.families import BUILTIN_FAMILIES, apply_family, check_family, client_thinking, strip_client_thinking
from solvstack.levels import Level


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
