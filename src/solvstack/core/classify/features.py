"""Sparse features for the local classifier: pure Python, shared by training and inference.

One function, :func:`extract`, turns a prompt into ``{feature_name: value}``. Training
(``scripts/train_classifier.py``) and inference (:mod:`solvstack.core.classify.local`) both call it, so the
shipped weights always match what the runtime computes.

>>> feats = extract("Prove that $\\\\sqrt{2}$ is irrational.")
>>> feats["f1:prove"], "w:irrational" in feats
(1.0, True)

Features:
- word unigrams and bigrams (``w:``, ``b:``), LaTeX commands kept as tokens (``\\frac``), numbers
  collapsed to their digit count (``<n2>``) so "17" and "42" look alike;
- the first one and two words (``f1:``, ``f2:``): "prove that", "who is", "write a" carry most of the signal;
- coarse buckets (``len:``, ``tex:``, ``num:``, ``dollar:``...) for length, LaTeX density and numbers;
- cue flags (``cue:``) from small hand-written word lists (time-sensitive words, creative verbs, proof words).

Huge inputs are cut to their head and tail before any work (see :data:`HEAD_CHARS`), so a 10 MB prompt
costs the same as a 4 kB one.
"""

from __future__ import annotations

import math
import re

HEAD_CHARS = 3000
TAIL_CHARS = 1000
MAX_TOKENS = 600
FENCE_RE = re.compile(r"```.*?(?:```|$)", re.S)
TOKEN_RE = re.compile(r"\\[a-zA-Z]+|[a-z]+(?:'[a-z]+)?|\d+(?:[.,]\d+)*|[$%?!^_=+*/<>|{}()\[\]#&@~-]")
LATEX_RE = re.compile(r"\\[a-zA-Z]+|\$|\^|_\{")
DIGIT_RE = re.compile(r"\d")
LETTER_RE = re.compile(r"[^\W\d_]")


def word_set(words: str) -> frozenset[str]:
    """A frozenset of the whitespace-separated words (hand-written cue lists read best as prose)."""
    return frozenset(words.split())


TEMPORAL = word_set(
    "latest current currently today tonight tomorrow yesterday now recent recently newest new upcoming "
    "next this week weekend month year live trending price prices cost worth stock stocks rate rates "
    "exchange weather forecast rain snow temperature score scores standings won win winner champion "
    "election news headlines update updates released release version ceo president minister governor "
    "mayor coach still anymore nowadays 2024 2025 2026 season"
)
CREATIVE = word_set(
    "write compose create draft pen poem story haiku limerick sonnet song lyrics rap verse tale fable "
    "screenplay scene monologue dialogue toast eulogy speech letter essay ode ballad narrative character "
    "imagine pretend roleplay role-play"
)
PROOF = word_set(
    "prove proof show rigorous rigorously derive derivation justify lemma theorem induction contradiction "
    "demonstrate formally formal"
)
HARD = word_set(
    "design architect architecture distributed scalable scale consistency replication tradeoffs tradeoff "
    "optimize optimal complexity algorithm efficient prove maximum minimum largest smallest probability "
    "expected ordered remainder divisible integer integers polynomial roots sequence triangle circle "
    "lattice permutations subsets debug root cause investigate deadlock race latency constraint "
    "constraints schedule itinerary"
)
CURRENCY = word_set(
    "dollar dollars euro euros yen pound pounds peso pesos rupee rupees yuan won franc francs lira reais "
    "real baht dirham dirhams krona kronor ruble rubles bitcoin usd eur gbp jpy cad aud"
)
SMALLTALK = word_set("hi hello hey thanks thank bye goodbye cheers lol haha ok okay cool awesome great nice sorry")


def clip(text: str) -> str:
    """Keep the head and the tail of a long prompt; the middle is usually pasted context."""
    if len(text) > HEAD_CHARS + TAIL_CHARS:
        text = text[:HEAD_CHARS] + "\n" + text[-TAIL_CHARS:]
    return text


def tokenize(text: str) -> list[str]:
    """Lower-cased word, number, LaTeX-command and symbol tokens; numbers become ``<nK>`` (K digits)."""
    out: list[str] = []
    for tok in TOKEN_RE.findall(text.lower()):
        if tok[0].isdigit():
            digits = sum(ch.isdigit() for ch in tok)
            tok = f"<n{min(digits, 5)}>"
        out.append(tok)
        if len(out) >= MAX_TOKENS:
            break
    return out


def _bucket(value: float, edges: tuple[float, ...]) -> int:
    for i, edge in enumerate(edges):
        if value < edge:
            return i
    return len(edges)


def _shape(text: str, feats: dict[str, float]) -> None:
    n = len(text)
    feats[f"len:{_bucket(n, (12, 30, 60, 120, 240, 480, 960, 1920))}"] = 1.0
    tex = len(LATEX_RE.findall(text))
    feats[f"tex:{_bucket(tex, (1, 3, 6, 10, 16, 30))}"] = 1.0
    if n:
        feats[f"texd:{_bucket(1000.0 * tex / n, (1, 10, 25, 50, 80))}"] = 1.0
    nums = len(DIGIT_RE.findall(text))
    feats[f"num:{_bucket(nums, (1, 3, 6, 12, 24))}"] = 1.0
    feats[f"q:{min(text.count('?'), 3)}"] = 1.0
    feats[f"nl:{_bucket(text.count(chr(10)), (1, 3, 8, 20))}"] = 1.0
    letters = "".join(LETTER_RE.findall(text))
    if letters:
        if letters.islower() and not text.rstrip().endswith(("?", ".", "!")):
            feats["style:lower_bare"] = 1.0
        if not letters.isascii() and len(letters.encode("utf-8", "surrogatepass")) > 1.4 * len(letters):
            feats["style:non_ascii"] = 1.0
    if "```" in text:
        feats["style:code_fence"] = 1.0


def _cues(words: list[str], feats: dict[str, float]) -> None:
    wordset = set(words)
    for name, vocab in (
        ("temporal", TEMPORAL),
        ("creative", CREATIVE),
        ("proof", PROOF),
        ("hard", HARD),
        ("currency", CURRENCY),
        ("smalltalk", SMALLTALK),
    ):
        hits = len(wordset & vocab)
        if hits:
            feats[f"cue:{name}:{min(hits, 3)}"] = 1.0


def extract(text: str) -> dict[str, float]:
    """Sparse feature map of one prompt. Never raises for any ``str``."""
    text = clip(text)
    text = FENCE_RE.sub(" ``` ", text)  # pasted code says little about the level; keep only that it was there
    feats: dict[str, float] = {"bias": 1.0}
    _shape(text, feats)
    toks = tokenize(text)
    words = [t for t in toks if t[0].isalpha()]
    if words:
        feats[f"f1:{words[0]}"] = 1.0
        if len(words) > 1:
            feats[f"f2:{words[0]} {words[1]}"] = 1.0
    _cues(words, feats)
    grams: set[str] = {f"w:{t}" for t in toks}
    grams.update(f"b:{a} {b}" for a, b in zip(toks, toks[1:], strict=False))
    if grams:
        scale = 1.0 / math.sqrt(len(grams))  # long prompts must not get larger logits just for being long
        for g in grams:
            feats[g] = scale
    return feats
