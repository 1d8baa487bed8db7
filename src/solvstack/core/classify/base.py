"""The classifier seam: one async method.

>>> class Always(Classifier):
...     async def classify(self, conv):
...         return Decision(Level.NO, source="always")
"""

from __future__ import annotations

import abc
from dataclasses import dataclass, field

from solvstack.core.levels import Decision, Level

__all__ = ["Classifier", "Conversation", "Decision", "Level"]


@dataclass(frozen=True)
class Conversation:
    """The text a classifier sees.

    ``prompt`` is the last user turn (overrides already stripped). ``earlier`` holds the earlier user
    turns, oldest first, and ``assistant`` the last assistant reply, if any; a classifier uses them only
    where they change the answer ("and now prove it").
    """

    prompt: str
    earlier: tuple[str, ...] = field(default_factory=tuple)
    assistant: str = ""


class Classifier(abc.ABC):
    """Decide the thinking level for a conversation. Must not raise for any text input."""

    name: str = "base"

    @abc.abstractmethod
    async def classify(self, conv: Conversation) -> Decision:
        """Return the decision; ``Decision.source`` names this classifier."""
