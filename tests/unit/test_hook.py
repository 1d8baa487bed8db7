"""The hook on plain request dicts, through its own seams (no proxy): the failure paths."""

from __future__ import annotations

from solvstack.core.classify.base import Classifier, Conversation
from solvstack.core.config import SolvConfig
from solvstack.core.levels import Decision, Level
from solvstack.proxy.hook import ThinkingHook


class Broken(Classifier):
    async def classify(self, conv: Conversation) -> Decision:
        raise RuntimeError("model file corrupt")


def body(text: str) -> dict:
    return {"model": "m", "messages": [{"role": "user", "content": text}]}


async def test_classifier_failure_uses_default_level_and_keeps_text():
    hook = ThinkingHook(SolvConfig.model_validate({"default_level": "HIGH"}), Broken())
    out = await hook.async_pre_call_hook(None, None, body("hello"), "acompletion")
    assert isinstance(out, dict)
    assert out["metadata"]["solv"]["level"] == "HIGH"
    assert out["metadata"]["solv"]["source"] == "default"
    assert out["messages"] == [{"role": "user", "content": "hello"}]


async def test_override_still_works_when_classifier_is_broken():
    hook = ThinkingHook(SolvConfig(), Broken())
    out = await hook.async_pre_call_hook(None, None, body("/no_think hello"), "acompletion")
    assert isinstance(out, dict)
    assert (out["metadata"]["solv"]["level"], out["metadata"]["solv"]["source"]) == ("NO", "override")


async def test_disabled_hook_changes_nothing():
    hook = ThinkingHook(SolvConfig(enabled=False), Broken())
    data = body("/think hi")
    assert await hook.async_pre_call_hook(None, None, dict(data), "acompletion") == data


async def test_deployment_hook_applies_family_of_the_chosen_deployment():
    hook = ThinkingHook(SolvConfig(), Broken())
    kwargs = {"model": "openai/x", "metadata": {"solv": {"thinking": Level.HIGH.value},
                                               "model_info": {"solv_thinking": "reasoning-effort"}}}
    out = await hook.async_pre_call_deployment_hook(kwargs, None)
    assert out is not None and out["reasoning_effort"] == "high" and "chat_template_kwargs" not in out
