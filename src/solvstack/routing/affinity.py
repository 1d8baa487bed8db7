"""The conversation key a request is routed by: its system prompt and its first user turn.

Every later turn of a chat repeats that prefix, so all turns of one conversation get the same key
(and the same replica, whose KV cache holds the prefix), while different conversations spread.

>>> k1 = affinity_key("m", [{"role": "user", "content": "hi"}])
>>> k2 = affinity_key("m", [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "yo"},
...                         {"role": "user", "content": "more"}])
>>> k1 == k2
True
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from typing import Any

PREFIX_ROLES = frozenset({"system", "developer"})


def affinity_key(model_group: str, messages: Sequence[Any] | None) -> str | None:
    """A short stable hash of (model group, leading system messages, first user message).

    None when there is no user message (nothing worth keeping warm)."""
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
            blob = json.dumps(prefix, sort_keys=True, default=str, ensure_ascii=False)
            return hashlib.blake2b(blob.encode(), digest_size=12).hexdigest()
    return None
