"""In-prompt commands: ``/think``, ``/think high``, ``/think low``, ``/no_think``, ``/search``, ``/no_search``.

A command counts only in the last user message, as a whole word, outside code (fenced blocks and
inline backticks), so ``rm -rf /think`` in a pasted script or ``/think`` inside ``` is left alone.
Commands are stripped with the spaces that joined them to the text; nothing else changes. When
commands conflict, the last one wins. ``/think high`` binds the effort word only when it is followed
by whitespace or the end of the text.

>>> parse_overrides("/think low what is 2+2?")
Overrides(think=<Level.LOW: 'LOW'>, search=None, text='what is 2+2?')
>>> parse_overrides("hi `/no_think` there").think is None
True
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from solvstack.core.levels import Level

_CODE = re.compile(r"```.*?(?:```|\Z)|`[^`\n]*`", re.DOTALL)
_COMMAND = re.compile(
    r"(?<!\S)/(?P<cmd>no_think|think|no_search|search)(?:[ \t]+(?P<effort>high|low))?(?!\S)",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Overrides:
    """What the user asked for in the prompt, and the prompt with the commands removed."""

    think: Level | None
    search: bool | None
    text: str


def _spans_outside_code(text: str) -> list[tuple[int, int]]:
    spans, start = [], 0
    for m in _CODE.finditer(text):
        spans.append((start, m.start()))
        start = m.end()
    spans.append((start, len(text)))
    return spans


def parse_overrides(text: str) -> Overrides:
    """Find the commands in ``text`` and return them with the cleaned text."""
    if "/" not in text:  # the common case: no work at all
        return Overrides(None, None, text)
    think: Level | None = None
    search: bool | None = None
    cuts: list[tuple[int, int]] = []
    for lo, hi in _spans_outside_code(text):
        for m in _COMMAND.finditer(text, lo, hi):
            cmd, effort = m["cmd"].lower(), (m["effort"] or "").lower()
            if cmd == "think":
                think = Level.LOW if effort == "low" else Level.HIGH
            elif cmd == "no_think":
                think = Level.NO
            else:
                search = cmd == "search"
            cuts.append(m.span())
    return Overrides(think, search, _cut(text, cuts)) if cuts else Overrides(None, None, text)


def _cut(text: str, cuts: list[tuple[int, int]]) -> str:
    """Remove each span with one adjoining space, so 'a /think b' becomes 'a b'; trim the edges it bared."""
    out, pos = [], 0
    for start, end in cuts:
        if end < len(text) and text[end] in " \t":
            end += 1
        elif start > pos and text[start - 1] in " \t":
            start -= 1
        out.append(text[pos:start])
        pos = end
    out.append(text[pos:])
    joined = "".join(out)
    if cuts[0][0] == 0:
        joined = joined.lstrip()
    if cuts[-1][1] >= len(text.rstrip()):
        joined = joined.rstrip()
    return joined
