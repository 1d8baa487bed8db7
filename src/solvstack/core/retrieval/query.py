"""Turn a conversation into a web search query: deterministic, no model call.

The human's own words (``conv.prompt``, as :mod:`solvstack.core.traffic` reads them: no tool output, files or
code around them) are the query, minus code, chat filler ("can you tell me", "search for") and a
trailing question mark, cut at ``max_chars`` (``solv.retrieval.max_query_chars``). A follow-up that leans
on an earlier turn ("what about its latest version?") gets that turn's subject: the first pronoun is
replaced by it, or it is put in front when the turn is too short to stand alone.

>>> build_query(Conversation("what about its latest version?", earlier=("Tell me about Python",)))
'Python latest version'
>>> build_query(Conversation("and in 2023?", earlier=("What was the population of Germany in 2020?",)))
'population Germany 2020 in 2023'
"""

from __future__ import annotations

import re

from solvstack.core.classify.base import Conversation

_CODE = re.compile(r"```.*?(?:```|\Z)|`[^`\n]*`", re.DOTALL)
_URL = re.compile(r"https?://\S+")
_SPACE = re.compile(r"\s+")
_FILLER = re.compile(
    r"^(?:(?:hey|hi|ok(?:ay)?|so|and|also|but|now|then|please|pls|quick question)[,:!]?\s+)*"
    r"(?:(?:can|could|would|will) you\s+(?:please\s+)?)?"
    r"(?:(?:search|look|google|check)(?: (?:up|online|the web|the internet))?(?: for| on| about)?\s+"
    r"|tell me(?: more)? about\s+|tell me\s+|find(?: out)?\s+|what about\s+|how about\s+|and what about\s+)?",
    re.IGNORECASE)


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_PRONOUNS = _words("it its it's they them their theirs this that these those he him his she her")
_POSSESSIVE = frozenset({"its", "their", "his", "her"})
_STOP = _words("""a an the of in on at to for from by with about and or but is are was were be been am do does did
what which who whom whose when where why how can could would should will shall may might must i me my we our you
your tell please search find look up show give explain know there here any some more most latest new newest current
today now recent recently versus vs than then also just still yet ok okay hi hey thanks thank""") | _PRONOUNS
_WORD = re.compile(r"[\w][\w.+#-]*", re.UNICODE)
_SUBJECT_TERMS = 4
_MIN_STANDALONE = 3  # content words a turn needs to stand alone


def _clean(text: str, max_chars: int) -> str:
    text = _SPACE.sub(" ", _URL.sub(" ", _CODE.sub(" ", text))).strip()
    if len(text) > max_chars:  # a long prompt: its last question, else its head
        questions = [s.strip() for s in re.split(r"(?<=[.!?])\s+", text) if s.strip().endswith("?")]
        text = questions[-1] if questions and len(questions[-1]) <= max_chars else text[:max_chars]
        text = text[:max_chars].rsplit(" ", 1)[0] if len(text) >= max_chars else text
    text = _FILLER.sub("", text).strip()
    return text.rstrip("?!.;:, ").strip()


def _content(words: list[str]) -> list[str]:
    return [w for w in words if w.lower() not in _STOP and len(w) > 1]


def _subject(turn: str, max_chars: int, entity: bool) -> str:
    """The key terms of an earlier turn. ``entity``: what a pronoun points at, its proper nouns if any."""
    words = _content(_WORD.findall(_clean(turn, max_chars)))
    proper = [w for w in words if w[:1].isupper() or w.isupper()]
    return " ".join(((proper if entity else None) or words)[:_SUBJECT_TERMS])


def build_query(conv: Conversation, max_chars: int = 300) -> str:
    """The search query for the human's turn, resolved against their previous turn."""
    text = _clean(conv.prompt, max_chars)
    if not conv.earlier:
        return text
    words = text.split(" ") if text else []
    anaphoric = [i for i, w in enumerate(words) if w.lower().strip(",.;:!?'\"") in _PRONOUNS]
    if not anaphoric and len(_content(_WORD.findall(text))) >= _MIN_STANDALONE:
        return text
    subject = _subject(conv.earlier[-1], max_chars, entity=bool(anaphoric))
    if not subject or subject.lower() in text.lower():
        return text
    if anaphoric:
        i = anaphoric[0]
        bare = words[i].lower().strip(",.;:!?'\"")
        words[i] = subject + ("" if bare in _POSSESSIVE else words[i][len(bare):])
        return " ".join(words)[:max_chars]
    return f"{subject} {text}".strip()[:max_chars]
