"""The four thinking levels, and a classifier's answer (the level, who decided, how sure).

>>> Level.parse("high")
<Level.HIGH: 'HIGH'>
>>> Decision(Level.NO, source="override").confidence
1.0
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Level(enum.StrEnum):
    """HIGH: think hard. LOW: think a little. NO: answer directly. RAG: search the web first."""

    HIGH = "HIGH"
    LOW = "LOW"
    NO = "NO"
    RAG = "RAG"

    @classmethod
    def parse(cls, value: object) -> Level:
        """Parse a level name, case-insensitively; the error lists the valid names.

        YAML 1.1 reads an unquoted ``NO`` as boolean false; that is taken as ``NO`` here.
        """
        if value is False:
            return cls.NO
        if not isinstance(value, str):
            raise ValueError(f"level must be one of HIGH, LOW, NO, RAG, not {value!r}")
        try:
            return cls(value.strip().upper())
        except ValueError:
            valid = ", ".join(m.value for m in cls)
            raise ValueError(f"unknown level {value!r}; valid levels: {valid}") from None


@dataclass(frozen=True)
class Decision:
    """A level and who chose it (the whole request's decision is ``proxy.requestdata.DecisionRecord``).

    ``source`` says who decided: ``override`` (a /think command), ``client`` (the client sent its own
    reasoning parameter), ``local`` / ``llm`` (a classifier), ``cache``, or ``default`` (classification
    failed and the configured default was used). ``confidence`` is in [0, 1].
    """

    level: Level
    source: str
    confidence: float = 1.0
    ms: float = 0.0
