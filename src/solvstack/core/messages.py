"""Reading and rewriting OpenAI chat messages without losing anything.

Content is either a string or a list of parts (``{"type": "text", "text": ...}``, images, audio...).
Only text parts are read; non-text parts are never touched.

>>> text_of([{"type": "text", "text": "why?"}, {"type": "image_url", "image_url": {"url": "x"}}])
'why?'
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

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
