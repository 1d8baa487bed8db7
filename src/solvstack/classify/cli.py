"""`solv classify`: the decision for one prompt, or one JSON line per input line.

    solv classify "prove that there are infinitely many primes"
    solv classify --jsonl prompts.jsonl > decisions.jsonl

Each output line has at least ``level``, ``source`` and ``ms`` (plus ``confidence`` and, where given,
the input's ``id``). Overrides (/think, /no_think, /search ...) are honoured as in the proxy.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Iterable, Iterator
from typing import Any, TextIO

from solvstack.classify.base import Classifier, Conversation
from solvstack.levels import Decision, Level
from solvstack.overrides import parse_overrides


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("text", nargs="?", help="the prompt (or use --jsonl)")
    parser.add_argument("--jsonl", type=argparse.FileType("r", encoding="utf-8"),
                        help="read JSON lines with a 'prompt' field ('-' for stdin)")


async def decide(classifier: Classifier, prompt: str) -> Decision:
    """Overrides first (as the hook does), then the classifier."""
    ov = parse_overrides(prompt)
    if ov.search:
        return Decision(Level.RAG, "override")
    if ov.think is not None:
        return Decision(ov.think, "override")
    return await classifier.classify(Conversation(ov.text))


def as_json(decision: Decision, extra: dict[str, Any] | None = None) -> str:
    out = {**(extra or {}), "level": decision.level.value, "source": decision.source,
           "confidence": round(decision.confidence, 4), "ms": round(decision.ms, 3)}
    return json.dumps(out, ensure_ascii=False)


def read_prompts(lines: Iterable[str], name: str) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yield (line number, record); raise ValueError naming the line for a bad one."""
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            rec = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ValueError(f"{name}:{n}: not JSON ({exc.msg})") from None
        if not isinstance(rec, dict) or not isinstance(rec.get("prompt"), str):
            raise ValueError(f"{name}:{n}: needs a string field 'prompt'")
        yield n, rec


async def classify_jsonl(classifier: Classifier, src: TextIO, out: TextIO) -> None:
    for _, rec in read_prompts(src, getattr(src, "name", "input")):
        extra = {"id": rec["id"]} if "id" in rec else {}
        out.write(as_json(await decide(classifier, rec["prompt"]), extra) + "\n")


def run(args: argparse.Namespace) -> int:
    from solvstack.classify.local import LocalClassifier

    classifier = LocalClassifier()
    if args.jsonl is not None:
        try:
            asyncio.run(classify_jsonl(classifier, args.jsonl, sys.stdout))
        except ValueError as exc:
            print(f"solv classify: {exc}", file=sys.stderr)
            return 2
        return 0
    if args.text is None:
        print("solv classify: give a prompt or --jsonl FILE", file=sys.stderr)
        return 2
    print(as_json(asyncio.run(decide(classifier, args.text))))
    return 0
