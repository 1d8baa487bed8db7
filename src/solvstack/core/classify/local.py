"""The local classifier: sparse word features and a logistic regression shipped as JSON.

No model server, no numpy at run time: a prompt becomes a few hundred sparse features
(:mod:`solvstack.core.classify.features`), each looks up four weights, and a softmax over the four sums gives
the level and its probability. Typical cost is well under 1 ms on one core.

>>> clf = LocalClassifier()
>>> clf.predict(Conversation("thanks, that's all!")).level
<Level.NO: 'NO'>

Multi-turn: the last user turn is classified on its own, except for a short follow-up, where a few
explicit rules use the earlier turns (:meth:`LocalClassifier._follow_up`):

- thanks / ok / great (only such words) -> NO, whatever came before;
- the follow-up is confidently RAG on its own ("what about its latest version?") -> RAG;
- "prove it", "make it rigorous" -> HIGH;
- "why?", "explain", "show steps" -> one step up from the earlier level (NO -> LOW, LOW -> HIGH);
- anything else short and referring back ("what about 2025?", "another one"): the earlier user turn
  and this one are classified together.
"""

from __future__ import annotations

import base64
import json
import math
import re
import sys
import time
from array import array
from pathlib import Path
from typing import Any

from solvstack.core.classify.base import Classifier, Conversation
from solvstack.core.classify.features import clip, extract, word_set
from solvstack.core.levels import Decision, Level

MODEL_PATH = Path(__file__).with_name("model") / "local.json"

_WORD_RE = re.compile(r"[a-z']+")

_ACK_WORDS = word_set(
    "thanks thank thx ty you so much very a lot again ok okay k great perfect awesome cool nice got it "
    "that that's helps helped works worked appreciate appreciated bye goodbye good night cheers man mate "
    "lol wow amazing excellent brilliant wonderful sounds all alright fine sure yes yep really for the "
    "help"
)
_ACK_CORE = word_set(
    "thanks thank thx ty great perfect awesome cool nice ok okay appreciate appreciated bye goodbye "
    "cheers amazing excellent brilliant wonderful alright"
)
_RIGOR = re.compile(
    r"\b(?:prove|proof|rigou?r(?:ous|ously)?|formal(?:ly)?|derive|derivation|justify|step[- ]by[- ]step"
    r"|in (?:full|more) detail|general(?:ize|ise)|for all n|every case)\b"
)
_WHY = re.compile(
    r"^(?:but |and |ok |okay |so )?(?:why|how come|how so|explain|show (?:your|the) (?:work|steps)|how)\b"
)
_REFERS_BACK = re.compile(r"\b(?:it|its|it's|that|this|those|these|them|they|one|same|what about|how about|and)\b")
_ESCALATE = {Level.NO: Level.LOW, Level.LOW: Level.HIGH, Level.HIGH: Level.HIGH, Level.RAG: Level.RAG}
FOLLOW_UP_WORDS = 12


def _weights(data: dict[str, Any]) -> tuple[list[str], list[float]]:
    """Feature names and their weights, row-major (one row of len(classes) per feature).

    Format 1 keeps ``weights`` as ``{feature: [w_high, w_low, w_no, w_rag]}`` (readable, slow to parse);
    format 2 (what ``scripts/train_classifier.py`` writes) keeps ``features`` plus one base64 float32 array."""
    if "weights" in data:
        names = list(data["weights"])
        return names, [float(v) for name in names for v in data["weights"][name]]
    flat = array("f")
    flat.frombytes(base64.b64decode(data["weights_f32le"]))
    if sys.byteorder != "little":
        flat.byteswap()
    return list(data["features"]), flat.tolist()


class LocalClassifier(Classifier):
    """Sparse logistic regression over word n-grams and a few hand-written cues.

    >>> LocalClassifier().predict(Conversation("What's the weather in Oslo tomorrow?")).level
    <Level.RAG: 'RAG'>
    """

    name = "local"

    def __init__(self, model_path: Path | str | None = None) -> None:
        data = json.loads(Path(model_path or MODEL_PATH).read_text(encoding="utf-8"))
        self.levels: tuple[Level, ...] = tuple(Level(c) for c in data["classes"])
        self._temperature = float(data.get("temperature", 1.0)) or 1.0  # fitted at training time
        self._intercept: list[float] = [float(v) for v in data["intercept"]]
        if sorted(self.levels) != sorted(Level) or len(self._intercept) != len(Level):
            raise ValueError(f"{model_path or MODEL_PATH}: a local model scores exactly the levels "
                             f"{[lvl.value for lvl in Level]}, this one has {data['classes']}: retrain it with "
                             "scripts/train_classifier.py")
        names, flat = _weights(data)
        width = len(self.levels)
        self._rows: dict[str, tuple[float, ...]] = {
            name: tuple(flat[i * width:(i + 1) * width]) for i, name in enumerate(names)}

    async def classify(self, conv: Conversation) -> Decision:
        return self.predict(conv)

    def predict(self, conv: Conversation) -> Decision:
        """Level, softmax probability of that level, and the time taken. Never raises for ``str`` input."""
        start = time.perf_counter()
        try:
            level, confidence = self._decide(conv)
        except Exception:  # noqa: BLE001 -- the contract is "never raise"; NO is the cheap, safe answer
            level, confidence = Level.NO, 0.0
        return Decision(level, source=self.name, confidence=confidence, ms=(time.perf_counter() - start) * 1000)

    def probabilities(self, text: str) -> dict[Level, float]:
        """Softmax over the four levels for one piece of text (no multi-turn logic)."""
        a, b, c, d = self._intercept  # one sum per level, unrolled: a list per feature cost more than the sums
        rows = self._rows
        for name, value in extract(text).items():
            row = rows.get(name)
            if row is not None:
                a += row[0] * value
                b += row[1] * value
                c += row[2] * value
                d += row[3] * value
        scores = [a / self._temperature, b / self._temperature, c / self._temperature, d / self._temperature]
        top = max(scores)
        exps = [math.exp(s - top) for s in scores]
        total = sum(exps)
        return {lvl: e / total for lvl, e in zip(self.levels, exps, strict=False)}

    def _best(self, text: str) -> tuple[Level, float]:
        probs = self.probabilities(text)
        level = max(probs, key=probs.__getitem__)
        return level, probs[level]

    def _decide(self, conv: Conversation) -> tuple[Level, float]:
        prompt = clip(conv.prompt if isinstance(conv.prompt, str) else str(conv.prompt))  # O(1) for 10 MB
        if conv.earlier and prompt.strip():
            follow = self._follow_up(prompt, conv)
            if follow is not None:
                return follow
        if not prompt.strip():
            return Level.NO, 1.0
        return self._best(prompt)

    def _follow_up(self, prompt: str, conv: Conversation) -> tuple[Level, float] | None:
        """Explicit rules for a short turn after earlier ones; None means "classify the prompt alone"."""
        text = prompt.strip().lower()
        words = _WORD_RE.findall(text)
        if len(words) > FOLLOW_UP_WORDS:
            return None
        if words and set(words) <= _ACK_WORDS and set(words) & _ACK_CORE:
            return Level.NO, 0.95  # "thanks!", "ok great, thank you": nothing left to reason about
        own_level, own_conf = self._best(prompt)
        if own_level is Level.RAG and own_conf >= 0.6:
            return own_level, own_conf  # "what about its latest version?" is about fresh facts on its own
        if _RIGOR.search(text):
            return Level.HIGH, max(0.8, own_conf if own_level is Level.HIGH else 0.0)
        if _WHY.match(text):
            previous, _ = self._best(clip(conv.earlier[-1]))
            return _ESCALATE[previous], 0.7
        if _REFERS_BACK.search(text) or len(words) <= 4:
            return self._best(clip(conv.earlier[-1]) + "\n" + prompt)
        return None
