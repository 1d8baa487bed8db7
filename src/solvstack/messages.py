"""Reading and rewriting OpenAI chat messages without losing anything.

Content is either a string or a list of parts (``{"type": "text", "text": ...}``, images, audio...).
Only text parts are read; non-text parts are never touched.

>>> conversation_of([{"role": "user", "content": "hi"}, {"role": "assistant", "content": "yo"},
...                  {"role": "user", "content": [{"type": "text", "text": "why?"}]}]).earlier
('hi',)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from solvstack.classify.base import Conversation

Message = dict[str, Any]


def text_of(content: object) -> str:
    """The text of a message's content: a string, or its text parts joined by newlines."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(p["text"] for p in content
                         if isinstance(p, dict) and p.get("type") == "text" and isinstance(p.get("text"), str))
    return ""


def last_user_index(messages: object) -> int | None:
    if not isinstance(messages, list):
        return None
    for i in range(len(messages) - 1, -1, -1):
        m = messages[i]
        if isinstance(m, dict) and m.get("role") == "user":
            return i
    return None


def conversation_of(messages: list[Message], prompt: str | None = None) -> Conversation:
    """The classifier's view: the last user turn, earlier user turns and the last assistant reply."""
    idx = last_user_index(messages)
    if idx is None:
        return Conversation(prompt or "")
    earlier = tuple(text_of(m.get("content")) for m in messages[:idx]
                    if isinstance(m, dict) and m.get("role") == "user")
    assistant = next((text_of(m.get("content")) for m in reversed(messages[:idx])
                      if isinstance(m, dict) and m.get("role") == "assistant"), "")
    return Conversation(text_of(messages[idx].get("content")) if prompt is None else prompt, earlier, assistant)


def rewrite_text(message: Message, edit: Callable[[str], str]) -> Message:
    """A copy of ``message`` with ``edit`` applied to each text part (or the string content)."""
    content = message.get("content")
    if isinstance(content, str):
        return {**message, "content": edit(content)}
    if isinstance(content, list):
        parts = [{**p, "text": edit(p["text"])}
                 if isinstance(p, dict) and p.get("type") == "text" and isinstance(p.get("text"), str) else p
                 for p in content]
        return {**message, "content": parts}
    return message
