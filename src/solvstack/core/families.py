"""How each model family switches thinking: a table, not branches.

A model declares its family in ``model_info`` of its ``model_list`` entry::

    model_info:
      solv_thinking: qwen3

The hook then merges the family's parameters for the effective thinking level into the request that
goes to that deployment (after LiteLLM picked it, so a fallback to a cloud model gets the cloud
model's switch, not Qwen's).

>>> apply_family("qwen3", Level.NO, {"model": "m"})["chat_template_kwargs"]
{'enable_thinking': False}
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from solvstack.core.levels import Level

Params = dict[str, Any]

# level -> extra request parameters. An empty dict means "send nothing": the model's own default.
# LOW is a real low-effort setting wherever the family has one. Qwen3, DeepSeek-V3.1 and R1 have only
# on/off in the template; on vLLM their LOW is "on, with a thinking budget" (BUILTIN_BUDGETS below).
BUILTIN_FAMILIES: dict[str, dict[Level, Params]] = {
    # Qwen3 / QwQ-style hybrid models on vLLM, SGLang: a chat-template switch.
    "qwen3": {
        Level.HIGH: {"chat_template_kwargs": {"enable_thinking": True}},
        Level.LOW: {"chat_template_kwargs": {"enable_thinking": True}},
        Level.NO: {"chat_template_kwargs": {"enable_thinking": False}},
    },
    # IBM Granite 3.x/4.x: the template variable is called `thinking`.
    "granite": {
        Level.HIGH: {"chat_template_kwargs": {"thinking": True}},
        Level.LOW: {"chat_template_kwargs": {"thinking": True}},
        Level.NO: {"chat_template_kwargs": {"thinking": False}},
    },
    # DeepSeek-V3.1 hybrid: template variable `thinking`, like Granite.
    "deepseek-v3.1": {
        Level.HIGH: {"chat_template_kwargs": {"thinking": True}},
        Level.LOW: {"chat_template_kwargs": {"thinking": True}},
        Level.NO: {"chat_template_kwargs": {"thinking": False}},
    },
    # gpt-oss always reasons; the least it can do is "low".
    "gpt-oss": {
        Level.HIGH: {"reasoning_effort": "high"},
        Level.LOW: {"reasoning_effort": "low"},
        Level.NO: {"reasoning_effort": "low"},
    },
    # Cloud reasoning models (OpenAI o-series / gpt-5, Anthropic, Gemini via LiteLLM's mapping of
    # reasoning_effort): NO sends nothing, so models that can skip reasoning do.
    "reasoning-effort": {
        Level.HIGH: {"reasoning_effort": "high"},
        Level.LOW: {"reasoning_effort": "low"},
        Level.NO: {},
    },
    # DeepSeek-R1 and distills: thinking is always on and cannot be switched.
    "always-on": {Level.HIGH: {}, Level.LOW: {}, Level.NO: {}},
    # Models with no thinking at all: pass through.
    "none": {Level.HIGH: {}, Level.LOW: {}, Level.NO: {}},
}

# Thinking budgets: ``thinking_token_budget`` per level (tokens; None = no budget), for families whose
# vLLM server can enforce one (VLLM_SERVER_FLAGS: a reasoning parser that knows the think markers).
# YAML overrides: ``solv.thinking_budgets`` per family, ``model_info.solv_thinking_budget`` per model.
BUDGET_KEY = "thinking_token_budget"
BUILTIN_BUDGETS: dict[str, dict[Level, int | None]] = {
    "qwen3": {Level.LOW: 1024},
    "deepseek-v3.1": {Level.LOW: 1024},
    # R1 cannot switch thinking off; a budget is the only knob: short for LOW, none for NO.
    "always-on": {Level.LOW: 1024, Level.NO: 0},
}


@dataclass(frozen=True)
class ServerFlags:
    """How a vLLM server for a family is started so budgets, reasoning and tool calls work
    (parser names as vLLM 0.32 registers them: ``ReasoningParserManager`` / ``ToolParserManager``)."""

    reasoning_parser: str | None = None
    tool_call_parser: str | None = None
    # Think markers, when the parser does not give them to vLLM's budget code itself.
    reasoning_config: dict[str, str] | None = None

    def args(self, tool_call_parser: str | None = None, reasoning_parser: str | None = None) -> list[str]:
        """vLLM command-line flags (a declared parser replaces the family's; "none" drops it)."""
        reasoning = reasoning_parser or self.reasoning_parser
        tools = tool_call_parser or self.tool_call_parser
        out: list[str] = []
        if reasoning and reasoning != "none":
            out += ["--reasoning-parser", reasoning]
            if self.reasoning_config and not reasoning_parser:
                out += ["--reasoning-config", json.dumps(self.reasoning_config, separators=(",", ":"))]
        if tools and tools != "none":
            out += ["--enable-auto-tool-choice", "--tool-call-parser", tools]
        return out


VLLM_SERVER_FLAGS: dict[str, ServerFlags] = {
    "qwen3": ServerFlags("qwen3", "hermes"),
    # The deepseek_v3 parser picks R1-style or plain parsing per request, so vLLM cannot read the
    # markers from it at start: they are given explicitly.
    "deepseek-v3.1": ServerFlags("deepseek_v3", "deepseek_v31",
                                 {"reasoning_start_str": "<think>", "reasoning_end_str": "</think>"}),
    # Granite 3.x thinks in plain phrases ("Here is my thought process:"): no budget markers.
    "granite": ServerFlags("granite", "granite"),
    # Harmony channels: reasoning_effort is the knob, no budget.
    "gpt-oss": ServerFlags("openai_gptoss", "openai"),
    # R1 and distills: the tool format depends on the base model; declare tool_call_parser.
    "always-on": ServerFlags("deepseek_r1", None),
    "reasoning-effort": ServerFlags(),
    "none": ServerFlags(),
}
# Names vLLM 0.32 registers (vllm/reasoning/__init__.py, vllm/tool_parsers/__init__.py), for the
# declarations' checks; tests/test_families.py compares them with the installed vLLM.
VLLM_REASONING_PARSERS = frozenset({
    "cohere_command3", "cohere_command4", "deepseek_r1", "deepseek_v3", "deepseek_v4", "deepseek_v41", "ernie45",
    "gemma4", "glm45", "glm47", "granite", "granite_thinking_parser", "hf", "holo2", "hunyuan_a13b", "hy_v3",
    "hy_v4", "inkling", "k2_horizon", "kimi_k2", "kimi_k3", "ling3", "mimo", "minicpmv", "minimax_m2",
    "minimax_m2_append_think", "minimax_m3", "mistral", "muse_glimmer", "nemotron_v3", "olmo3", "openai_gptoss",
    "plamo3", "poolside_v1", "qwen3", "seed_oss", "step3", "step3p5"})
VLLM_TOOL_PARSERS = frozenset({
    "apertus", "cohere_command3", "cohere_command4", "deepseek_v3", "deepseek_v31", "deepseek_v32", "deepseek_v4",
    "deepseek_v41", "dots", "ernie45", "functiongemma", "gemma4", "gigachat3", "glm45", "glm47", "granite",
    "granite-20b-fc", "granite4", "hermes", "hf", "hunyuan_a13b", "hy_v3", "hy_v4", "inkling", "internlm", "jamba",
    "k2_horizon", "kimi_k2", "kimi_k3", "lfm2", "ling3", "llama3_json", "llama4_json", "llama4_pythonic",
    "longcat", "mimo", "minicpm5", "minimax_m2", "minimax_m3", "mistral", "muse_glimmer", "olmo3", "openai",
    "phi4_mini_json", "plamo3", "poolside_v1", "pythonic", "qwen3_coder", "qwen3_json", "qwen3_xml", "seed_oss",
    "step3", "step3p5", "xlam"})

# Request keys a client uses to set thinking itself; if any is present the client wins.
CLIENT_THINKING_KEYS = ("reasoning_effort", "thinking", "reasoning", BUDGET_KEY)
CLIENT_TEMPLATE_KEYS = ("enable_thinking", "thinking")


def family_names(extra: Mapping[str, object] | None = None) -> list[str]:
    return sorted({*BUILTIN_FAMILIES, *(extra or {})})


def check_family(name: str, extra: Mapping[str, object] | None = None) -> str:
    """Return ``name`` if it is a known family, else raise naming the valid ones."""
    if name not in BUILTIN_FAMILIES and name not in (extra or {}):
        valid = ", ".join(family_names(extra))
        raise ValueError(f"unknown thinking family {name!r} (model_info.solv_thinking); valid: {valid}")
    return name


def family_params(name: str, level: Level, extra: Mapping[str, Mapping[Level, Params]] | None = None) -> Params:
    table = (extra or {}).get(name) or BUILTIN_FAMILIES[check_family(name, extra)]
    return _fresh(table.get(level, {}))


def _fresh(value: Any) -> Any:
    """A copy of a YAML-shaped value (dicts, lists, scalars) that the request may change freely."""
    if isinstance(value, dict):
        return {k: _fresh(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_fresh(v) for v in value]
    return value


def apply_family(
    name: str, level: Level, request: Params, extra: Mapping[str, Mapping[Level, Params]] | None = None,
    budget: int | None = None,
) -> Params:
    """Merge the family's switch for ``level`` into ``request`` (nested dicts merged, not replaced),
    plus ``thinking_token_budget`` when a budget is given."""
    out = dict(request)
    for key, value in family_params(name, level, extra).items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = {**out[key], **value}
        else:
            out[key] = value
    if budget is not None:
        out[BUDGET_KEY] = budget
    return out


def parse_budgets(value: object, where: str = "budgets") -> dict[Level, int | None]:
    """``{LEVEL: tokens}`` from YAML (``null``: no budget); the error names ``where`` and the valid forms.

    >>> parse_budgets({"low": 512, "HIGH": None})
    {<Level.LOW: 'LOW'>: 512, <Level.HIGH: 'HIGH'>: None}
    """
    if not isinstance(value, Mapping):
        raise ValueError(f"{where} must map levels to token budgets, e.g. {{LOW: 1024, HIGH: null}}; got {value!r}")
    out: dict[Level, int | None] = {}
    for key, tokens in value.items():
        level = Level.parse(key)
        if level is Level.RAG:
            raise ValueError(f"{where}: RAG is not a thinking level; budgets are for HIGH, LOW and NO")
        if tokens is not None and (isinstance(tokens, bool) or not isinstance(tokens, int) or tokens < 0):
            raise ValueError(f"{where}.{level.value} must be a whole number of tokens >= 0, or null for no budget; "
                             f"got {tokens!r}")
        out[level] = tokens
    return out


def thinking_budget(family: str, level: Level, model_budgets: Mapping[Level, int | None] | None = None,
                    family_budgets: Mapping[str, Mapping[Level, int | None]] | None = None) -> int | None:
    """The ``thinking_token_budget`` for ``level``: the model's own (``model_info.solv_thinking_budget``),
    else the YAML default for the family (``solv.thinking_budgets``), else the built-in one, else None.

    >>> thinking_budget("qwen3", Level.LOW), thinking_budget("qwen3", Level.HIGH)
    (1024, None)
    >>> thinking_budget("qwen3", Level.LOW, {Level.LOW: 256})
    256
    """
    for table in (model_budgets or {}, (family_budgets or {}).get(family) or {}, BUILTIN_BUDGETS.get(family) or {}):
        if level in table:
            return table[level]
    return None


def client_thinking(request: Mapping[str, Any]) -> Level | None:
    """The level a client asked for through its own parameters, or None if it asked nothing."""
    effort = request.get("reasoning_effort")
    if isinstance(request.get("reasoning"), Mapping):
        effort = effort or request["reasoning"].get("effort")
    if isinstance(effort, str):
        return {"high": Level.HIGH, "medium": Level.HIGH, "low": Level.LOW}.get(effort.lower(), Level.NO)
    thinking = request.get("thinking")
    if isinstance(thinking, Mapping):
        return Level.NO if thinking.get("type") == "disabled" else Level.HIGH
    kwargs = request.get("chat_template_kwargs")
    if isinstance(kwargs, Mapping):
        for key in CLIENT_TEMPLATE_KEYS:
            if key in kwargs:
                return Level.HIGH if kwargs[key] else Level.NO
    budget = request.get(BUDGET_KEY)
    if isinstance(budget, int) and not isinstance(budget, bool):
        return Level.NO if budget <= 0 else Level.LOW  # a bounded budget is a low-effort request
    return None


def strip_client_thinking(request: Params) -> Params:
    """Remove a client's own thinking parameters (an in-prompt override beats them)."""
    out = {k: v for k, v in request.items() if k not in CLIENT_THINKING_KEYS}
    kwargs = out.get("chat_template_kwargs")
    if isinstance(kwargs, Mapping):
        kept = {k: v for k, v in kwargs.items() if k not in CLIENT_TEMPLATE_KEYS}
        if kept:
            out["chat_template_kwargs"] = kept
        else:
            out.pop("chat_template_kwargs")
    return out
