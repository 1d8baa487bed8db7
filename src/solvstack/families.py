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

import copy
from collections.abc import Mapping
from typing import Any

from solvstack.levels import Level

Params = dict[str, Any]

# level -> extra request parameters. An empty dict means "send nothing": the model's own default.
# LOW is a real low-effort setting wherever the family has one; Qwen3 and Granite have only on/off,
# so LOW there is "thinking on" (the model decides how long).
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

# Request keys a client uses to set thinking itself; if any is present the client wins.
CLIENT_THINKING_KEYS = ("reasoning_effort", "thinking", "reasoning")
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
    return copy.deepcopy(table.get(level, {}))


def apply_family(
    name: str, level: Level, request: Params, extra: Mapping[str, Mapping[Level, Params]] | None = None
) -> Params:
    """Merge the family's switch for ``level`` into ``request`` (nested dicts merged, not replaced)."""
    out = dict(request)
    for key, value in family_params(name, level, extra).items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = {**out[key], **value}
        else:
            out[key] = value
    return out


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
