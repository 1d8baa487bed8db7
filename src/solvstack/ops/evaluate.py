"""`solv eval FILE`: accuracy, per-class P/R/F1, confusion matrix and latency on a labeled JSONL file.

Each line of FILE is a JSON object, one of two shapes:

- a **prompt**: the prompt in ``prompt`` (or ``text``) and the gold level in ``label`` (HIGH / LOW / NO /
  RAG); optional ``earlier`` (list of earlier user turns) and ``assistant`` (the last assistant reply)
  make it a multi-turn case;
- a **request body** as a client sends it: ``body`` (a chat-completions request), ``expect``
  (``{"levels": [...], "search": bool}``: the allowed levels and whether a web search should run), and
  optionally ``kind`` and ``client``. It is right when the level is allowed and a search runs exactly when
  expected; a search where none is expected is a **leak** (text that should not have left the network).

Both go through :func:`solvstack.core.decide.decide`, the function the proxy runs.

    solv eval data.jsonl                      # the local classifier
    solv eval data.jsonl --compare            # ... and LiteLLM's complexity-router heuristic beside it
    solv eval data.jsonl --json               # one JSON object for scripts

LiteLLM's complexity router (``auto_router/complexity_router``, classifier_type ``heuristic``) sorts a
prompt into SIMPLE / MEDIUM / COMPLEX / REASONING tiers; it has no notion of freshness, so it never says
RAG. We map SIMPLE (and NON_REASONING) -> NO, MEDIUM -> LOW, COMPLEX and REASONING -> HIGH
(see :data:`LITELLM_TIER_TO_LEVEL`).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from solvstack.core.classify.base import Conversation
from solvstack.core.decide import Verdict, decide
from solvstack.core.levels import Level
from solvstack.ops.classify import body_of, json_object

LEVELS: tuple[str, ...] = tuple(level.value for level in Level)
LITELLM_TIER_TO_LEVEL: dict[str, str] = {
    "NON_REASONING": "NO",
    "SIMPLE": "NO",
    "MEDIUM": "LOW",
    "COMPLEX": "HIGH",
    "REASONING": "HIGH",
}
CLASSIFIERS = ("local",)


class EvalFileError(ValueError):
    """The evaluation file cannot be read; the message names the file and line."""


@dataclass
class Example:
    conv: Conversation
    label: str  # the gold level; "" for a body line (see ``expect``)
    body: dict[str, Any] | None = None  # a request body line: the request as the client sent it
    expect_levels: tuple[str, ...] = ()
    expect_search: bool = False
    kind: str = ""

    def request(self) -> dict[str, Any]:
        if self.body is not None:
            return self.body
        return body_of({"prompt": self.conv.prompt, "earlier": list(self.conv.earlier),
                        "assistant": self.conv.assistant})


@dataclass
class Report:
    """Predictions of one classifier over one file, and the numbers derived from them."""

    name: str
    gold: list[str]
    pred: list[str]
    ms: list[float] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"classifier": self.name, **metrics(self.gold, self.pred), **latency(self.ms)}


def load_examples(path: Path) -> list[Example]:
    """Parse FILE; any malformed line raises :class:`EvalFileError` naming that line."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise EvalFileError(f"{path}: cannot read: {exc}") from exc
    examples = [ex for n, line in enumerate(lines, 1) if (ex := _parse_line(path, n, line)) is not None]
    if not examples:
        raise EvalFileError(f"{path}: no examples (expected one JSON object per line)")
    return examples


def _parse_line(path: Path, lineno: int, line: str) -> Example | None:
    where = f"{path}:{lineno}"
    try:
        obj = json_object(line, where, "'prompt' and 'label'")
    except ValueError as exc:
        raise EvalFileError(str(exc)) from None
    if obj is None:
        return None
    if "body" in obj:
        return _parse_body_line(obj, where)
    prompt = obj.get("prompt", obj.get("text"))
    if not isinstance(prompt, str):
        raise EvalFileError(f"{where}: missing string field 'prompt' (or 'text')")
    label = obj.get("label")
    if not isinstance(label, str) or label.strip().upper() not in LEVELS:
        raise EvalFileError(f"{where}: 'label' must be one of {', '.join(LEVELS)}, got {label!r}")
    earlier = obj.get("earlier", [])
    if not isinstance(earlier, list) or not all(isinstance(t, str) for t in earlier):
        raise EvalFileError(f"{where}: 'earlier' must be a list of strings")
    assistant = obj.get("assistant", "")
    if not isinstance(assistant, str):
        raise EvalFileError(f"{where}: 'assistant' must be a string")
    conv = Conversation(prompt, earlier=tuple(earlier), assistant=assistant)
    return Example(conv, label.strip().upper())


def _parse_body_line(obj: dict[str, Any], where: str) -> Example:
    body, expect = obj.get("body"), obj.get("expect")
    if not isinstance(body, dict) or not isinstance(body.get("messages"), list):
        raise EvalFileError(f"{where}: 'body' must be a chat request object with a 'messages' list")
    if not isinstance(expect, dict) or not isinstance(expect.get("search"), bool) \
            or not isinstance(expect.get("levels"), list) or not expect["levels"]:
        raise EvalFileError(f"{where}: a 'body' line needs 'expect': {{\"levels\": [...], \"search\": true|false}}")
    levels = tuple(str(v).strip().upper() for v in expect["levels"])
    if bad := [v for v in levels if v not in LEVELS]:
        raise EvalFileError(f"{where}: expect.levels has {bad[0]!r}; valid: {', '.join(LEVELS)}")
    return Example(Conversation(""), "", body, levels, expect["search"], str(obj.get("kind") or "?"))


def metrics(gold: Sequence[str], pred: Sequence[str]) -> dict[str, Any]:
    """Accuracy, per-level precision / recall / F1 / support, and the confusion matrix (gold -> predicted)."""
    confusion = {g: {p: 0 for p in LEVELS} for g in LEVELS}
    for g, p in zip(gold, pred, strict=True):
        confusion[g][p] += 1
    per_class: dict[str, dict[str, float]] = {}
    for lvl in LEVELS:
        tp = confusion[lvl][lvl]
        predicted = sum(confusion[g][lvl] for g in LEVELS)
        support = sum(confusion[lvl].values())
        precision = tp / predicted if predicted else 0.0
        recall = tp / support if support else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        per_class[lvl] = {"precision": precision, "recall": recall, "f1": f1, "support": support}
    correct = sum(confusion[lvl][lvl] for lvl in LEVELS)
    return {
        "n": len(gold),
        "accuracy": correct / len(gold) if gold else 0.0,
        "per_class": per_class,
        "confusion": confusion,
    }


def latency(ms: Sequence[float]) -> dict[str, float]:
    """p50 / p99 (nearest-rank) of per-prompt latencies in milliseconds; empty when not measured."""
    if not ms:
        return {}
    ordered = sorted(ms)

    def rank(q: float) -> float:
        return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))]

    return {"p50_ms": rank(0.50), "p99_ms": rank(0.99), "mean_ms": sum(ordered) / len(ordered)}


def _timed(examples: Sequence[Example], name: str, predict: Callable[[Conversation], str]) -> Report:
    gold, pred, ms = [], [], []
    for ex in examples:
        start = time.perf_counter()
        level = predict(ex.conv)
        ms.append((time.perf_counter() - start) * 1000)
        gold.append(ex.label)
        pred.append(level)
    return Report(name, gold, pred, ms)


@dataclass
class TrafficReport:
    """Decisions on request bodies: right when the level is allowed and search is as expected."""

    name: str
    rows: list[tuple[Example, Verdict]]

    def to_dict(self) -> dict[str, Any]:
        kinds: dict[str, dict[str, int]] = {}
        for ex, v in self.rows:
            k = kinds.setdefault(ex.kind, {"n": 0, "right": 0, "leaks": 0})
            k["n"] += 1
            k["right"] += _right(ex, v)
            k["leaks"] += v.search and not ex.expect_search
        n = len(self.rows)
        return {"classifier": self.name, "n": n, "accuracy": sum(_right(ex, v) for ex, v in self.rows) / n,
                "leaks": sum(k["leaks"] for k in kinds.values()),
                "missed_searches": sum(ex.expect_search and not v.search for ex, v in self.rows),
                "per_kind": dict(sorted(kinds.items())), **latency([v.ms for _, v in self.rows])}


def _right(ex: Example, v: Verdict) -> bool:
    return v.level.value in ex.expect_levels and v.search == ex.expect_search


def run_classifier(examples: Sequence[Example], name: str) -> list[Report | TrafficReport]:
    """Decide every example with :func:`solvstack.core.decide.decide` (as the proxy does); one report per shape."""
    if name != "local":
        raise ValueError(f"unknown classifier {name!r}; valid: {', '.join(CLASSIFIERS)}")
    import asyncio

    from solvstack.core.classify.local import LocalClassifier

    clf = LocalClassifier()

    async def all_verdicts() -> list[Verdict]:
        await decide(body_of({"prompt": "warm-up"}), None, clf)  # the first call compiles regexes lazily
        return [(await decide(ex.request(), None, clf))[1] for ex in examples]

    verdicts = asyncio.run(all_verdicts())
    prompts = [(ex, v) for ex, v in zip(examples, verdicts, strict=True) if ex.body is None]
    bodies = [(ex, v) for ex, v in zip(examples, verdicts, strict=True) if ex.body is not None]
    reports: list[Report | TrafficReport] = []
    if prompts:
        reports.append(Report(name, [ex.label for ex, _ in prompts], [v.level.value for _, v in prompts],
                              [v.ms for _, v in prompts]))
    if bodies:
        reports.append(TrafficReport(name, bodies))
    return reports


def litellm_heuristic() -> Callable[[Conversation], str]:
    """LiteLLM 1.106.2's complexity router, local heuristic only (no model calls), mapped to our levels."""
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")  # don't fetch the price list at import
    from litellm.router_strategy.complexity_router.complexity_router import ComplexityRouter

    tiers = {"SIMPLE": "simple", "MEDIUM": "medium", "COMPLEX": "complex", "REASONING": "reasoning"}
    router = ComplexityRouter(
        model_name="solv-eval",
        litellm_router_instance=None,  # type: ignore[arg-type]
        complexity_router_config={"tiers": tiers},
    )

    def predict(conv: Conversation) -> str:
        tier, _score, _signals = router.classify(conv.prompt)
        return LITELLM_TIER_TO_LEVEL[str(getattr(tier, "value", tier))]

    return predict


def format_traffic(report: TrafficReport) -> str:
    d = report.to_dict()
    out = [f"== {report.name} on request bodies: accuracy {d['accuracy']:.3f} on {d['n']} requests, "
           f"leaks {d['leaks']}, missed searches {d['missed_searches']}",
           f"latency per request: p50 {d['p50_ms']:.3f} ms, p99 {d['p99_ms']:.3f} ms",
           f"{'kind':<22}{'n':>4}{'right':>7}{'leaks':>7}"]
    for kind, k in d["per_kind"].items():
        out.append(f"{kind:<22}{k['n']:>4}{k['right']:>7}{k['leaks']:>7}")
    return "\n".join(out)


def format_report(report: Report | TrafficReport) -> str:
    if isinstance(report, TrafficReport):
        return format_traffic(report)
    d = report.to_dict()
    out = [f"== {report.name}: accuracy {d['accuracy']:.3f} on {d['n']} prompts"]
    if "p50_ms" in d:
        out.append(f"latency per prompt: p50 {d['p50_ms']:.3f} ms, p99 {d['p99_ms']:.3f} ms")
    out.append(f"{'level':<6}{'prec':>7}{'recall':>8}{'f1':>7}{'n':>6}")
    for lvl, m in d["per_class"].items():
        out.append(f"{lvl:<6}{m['precision']:>7.3f}{m['recall']:>8.3f}{m['f1']:>7.3f}{m['support']:>6}")
    out.append("confusion (rows: gold, columns: predicted)")
    out.append(" " * 6 + "".join(f"{p:>6}" for p in LEVELS))
    for g in LEVELS:
        out.append(f"{g:<6}" + "".join(f"{d['confusion'][g][p]:>6}" for p in LEVELS))
    return "\n".join(out)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", type=Path, help="JSONL: one {'prompt': ..., 'label': HIGH|LOW|NO|RAG} per line")
    parser.add_argument("--classifier", default="local", choices=CLASSIFIERS, help="which classifier to measure")
    parser.add_argument(
        "--compare",
        action="store_true",
        help="also measure LiteLLM's complexity-router heuristic (SIMPLE->NO, MEDIUM->LOW, "
        "COMPLEX/REASONING->HIGH; it has no RAG tier)",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of tables")


def run(args: argparse.Namespace) -> int:
    try:
        examples = load_examples(args.file)
    except EvalFileError as exc:
        print(f"solv eval: {exc}", file=sys.stderr)
        return 2
    reports = run_classifier(examples, args.classifier)
    prompts = [ex for ex in examples if ex.body is None]
    if args.compare and prompts:
        try:
            reports.append(_timed(prompts, "litellm-complexity-heuristic", litellm_heuristic()))
        except ImportError as exc:
            print(
                f"solv eval: --compare needs litellm ({exc}); install solv-stack with its dependencies", file=sys.stderr
            )
            return 1
    if args.json:
        print(json.dumps({"file": str(args.file), "reports": [r.to_dict() for r in reports]}, indent=2))
    else:
        print("\n\n".join(format_report(r) for r in reports))
    return 0
