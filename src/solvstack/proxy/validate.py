"""Reject malformed chat bodies with a 400 that names the bad value, before LiteLLM trips over them.

LiteLLM 1.106.2 answers some malformed chat bodies with a 500 (a content that is a number, a content
part of an unknown type, ``stream: "yes"``), others with a 400 whose message is an internal
traceback after retrying the request twice (``messages`` that is a string, a message that is not an
object), and silently rewrites others (a message without a role becomes an assistant message, a user
message with ``content: null`` loses its content). The hook calls :func:`chat_body_error` first and
rejects such a body with the message it returns.

Only what breaks is checked: shapes, not values. Parameter values (``max_tokens: -1``) are the model
server's to judge; it answers them with its own 400, which the proxy passes on.

>>> chat_body_error({"messages": [{"role": "user", "content": 5}]})
"messages[0].content is int 5: send a string or a list of content parts like [{'type': 'text', 'text': '...'}]"
"""

from __future__ import annotations

import math
from typing import Any

MESSAGE = "{'role': 'user', 'content': '...'}"
TOOL = "{'type': 'function', 'function': {...}}"
ROLES = ("system", "developer", "user", "assistant", "tool", "function")
NULL_CONTENT_ROLES = frozenset({"assistant", "function"})  # an assistant turn with only tool_calls


def _show(value: object) -> str:
    text = repr(value)
    return f"{type(value).__name__} {text if len(text) <= 40 else text[:40] + '...'}"


def _user_part_types() -> tuple[str, ...]:
    from litellm.types.llms.openai import ValidUserMessageContentTypes  # the list LiteLLM enforces

    return tuple(ValidUserMessageContentTypes)


def _part_error(where: str, part: object, role: str) -> str | None:
    if not isinstance(part, dict) or not isinstance(part.get("type"), str):
        return f"{where} is {_show(part)}: each content part is an object with a 'type', e.g. {{'type': 'text', ...}}"
    if part["type"] == "text" and not isinstance(part.get("text"), str):
        return f"{where}.text is {_show(part.get('text'))}: a text part needs a string 'text'"
    if role == "user" and part["type"] not in _user_part_types():
        valid = ", ".join(_user_part_types())
        return f"{where}.type {part['type']!r} is not a user content part type; use one of {valid}"
    return None


def _content_error(where: str, message: dict[str, Any], role: str) -> str | None:
    content = message.get("content")
    if isinstance(content, str) or (content is None and role in NULL_CONTENT_ROLES):
        return None
    if content is None:
        return f"{where}.content is null: a {role} message needs a string or a list of content parts"
    if not isinstance(content, list):
        return (f"{where}.content is {_show(content)}: send a string or a list of content parts like "
                "[{'type': 'text', 'text': '...'}]")
    for j, part in enumerate(content):
        if err := _part_error(f"{where}.content[{j}]", part, role):
            return err
    return None


def _message_error(i: int, message: object) -> str | None:
    where = f"messages[{i}]"
    if not isinstance(message, dict):
        return f"{where} is {_show(message)}: each message is an object like {MESSAGE}"
    role = message.get("role")
    if role not in ROLES:
        return f"{where}.role is {_show(role) if 'role' in message else 'missing'}: use one of {', '.join(ROLES)}"
    return _content_error(where, message, str(role))


def chat_body_error(data: dict[str, Any]) -> str | None:
    """The first problem with a chat body's shape, as a message for the client; None if it is fine."""
    messages = data.get("messages")
    if "messages" in data and not isinstance(messages, list):
        return f"messages is {_show(messages)}: send a list of message objects like [{MESSAGE}]"
    if messages == []:
        return "messages is empty: send at least one message, e.g. [" + MESSAGE + "]"
    kwargs = data.get("chat_template_kwargs")
    if kwargs is not None and not isinstance(kwargs, dict):
        return f"chat_template_kwargs is {_show(kwargs)}: send an object like {{'enable_thinking': false}}"
    if "stream" in data and not isinstance(data["stream"], bool) and data["stream"] is not None:
        return f"stream is {_show(data['stream'])}: send true or false"
    tools = data.get("tools")
    if tools is not None and not (isinstance(tools, list) and all(isinstance(t, dict) for t in tools)):
        return f"tools is {_show(tools)}: send a list of tool objects like [{TOOL}]"
    for key, value in data.items():
        if isinstance(value, float) and not math.isfinite(value):
            return f"{key} is {value}: JSON has no NaN or Infinity; send a finite number"
    for i, message in enumerate(messages or []):
        if err := _message_error(i, message):
            return err
    return None


def completion_body_error(data: dict[str, Any]) -> str | None:
    """The same for ``/v1/completions``: LiteLLM answers a ``prompt`` of any other shape with a 500."""
    prompt = data.get("prompt")
    if isinstance(prompt, str) or (isinstance(prompt, list) and prompt and all(isinstance(p, str) for p in prompt)):
        return None
    shown = _show(prompt) if "prompt" in data else "missing"
    return f"prompt is {shown}: send a string or a list of strings (token ids cannot be forwarded)"
