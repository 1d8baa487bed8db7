"""The key a request is routed by: the client's own conversation id, else its conversation prefix.

Which wins (first found):

1. ``X-OpenWebUI-Chat-Id`` — Open WebUI's chat id (sent with ``ENABLE_FORWARD_USER_INFO_HEADERS``);
2. ``x-session-id`` — a plain session header (opencode and other agents send it);
3. LiteLLM's session id — the body's ``litellm_session_id`` or ``metadata.session_id``, which
   LiteLLM also fills from ``x-litellm-session-id``, ``x-litellm-trace-id`` and any
   ``x-<vendor>-session-id`` header; ignored when LiteLLM generated it itself
   (``general_settings.missing_session_id: generate``), as that id names no conversation;
4. the conversation prefix: the system prompt and the first user turn, which every later turn of a
   chat repeats.

All turns of one conversation get the same key (and the same replica, whose KV cache holds the
prefix), while different conversations spread.

>>> k1 = affinity_key("m", [{"role": "user", "content": "hi"}])
>>> k2 = affinity_key("m", [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "yo"},
...                         {"role": "user", "content": "more"}])
>>> k1 == k2
True
>>> session_of({"x-session-id": "s-1"}, "trace-9")
('x-session-id', 's-1')
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from typing import Any

PREFIX_ROLES = frozenset({"system", "developer"})
SESSION_HEADERS = ("x-openwebui-chat-id", "x-session-id")  # in order of precedence


def session_of(headers: Mapping[str, Any], litellm_session_id: str | None = None) -> tuple[str, str] | None:
    """(where it came from, the id) of the client's own conversation id, or None.

    ``headers``: the client's request headers, lower-cased; ``litellm_session_id``: LiteLLM's session
    id when the client set it (not one LiteLLM generated). ``proxy.requestdata`` reads both.
    """
    for name in SESSION_HEADERS:
        value = headers.get(name)
        if isinstance(value, str) and value.strip():
            return name, value.strip()
    if litellm_session_id:
        return "litellm_session_id", litellm_session_id
    return None


def affinity_key(model_group: str, messages: Sequence[Any] | None,
                 session: tuple[str, str] | None = None) -> str | None:
    """A short stable hash of the model group and the session id (when the client named its
    conversation), else of (model group, leading system messages, first user message).

    None when there is neither (nothing worth keeping warm)."""
    if session is not None:
        return _digest([model_group, "session", session[1]])
    if not messages:
        return None
    prefix: list[object] = [model_group]
    for message in messages:
        if not isinstance(message, dict):
            return None
        role = message.get("role")
        if role in PREFIX_ROLES:
            prefix.append(message.get("content"))
        elif role == "user":
            prefix.append(message.get("content"))
            return _digest(prefix)
    return None


def is_new_conversation(messages: Sequence[Any] | None) -> bool:
    """True for a conversation's first request: no assistant or tool message yet, so no replica
    holds its history (only, perhaps, a system prompt many conversations share)."""
    return not any(isinstance(m, dict) and m.get("role") in ("assistant", "tool", "function")
                   for m in messages or ())


def _digest(parts: list[object]) -> str:
    blob = json.dumps(parts, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.blake2b(blob.encode(), digest_size=12).hexdigest()
