"""`solv classify`: the decision for one prompt, or one JSON line per input line.

    solv classify "prove that there are infinitely many primes"
    solv classify --jsonl prompts.jsonl > decisions.jsonl

An input line has a ``prompt`` (a user message; optional ``earlier`` user turns and the ``assistant``
reply before it) or a ``body`` (a whole chat-completions request as a client sends it). The decision is
made by :func:`solvstack.core.decide.decide`, the same function the proxy runs. Each output line has
``level`` (RAG exactly when a search would run), ``search``, ``source``, ``kind``, ``confidence``,
``ms`` and, where given, the input's ``id``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Iterable, Iterator
from typing import Any, TextIO

from solvstack.core.classify.base import Classifier
from solvstack.core.decide import Verdict, decide


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("text", nargs="?", help="the prompt (or use --jsonl)")
    parser.add_argument("--jsonl", type=argparse.FileType("r", encoding="utf-8"),
                        help="read JSON lines with a 'prompt' or a 'body' field ('-' for stdin)")


def body_of(rec: dict[str, Any]) -> dict[str, Any]:
    """The chat request a record stands for: its ``body``, or one built from ``prompt`` (+ history)."""
    if isinstance(rec.get("body"), dict):
        return rec["body"]
    messages: list[dict[str, Any]] = [{"role": "user", "content": t} for t in rec.get("earlier") or []]
    if rec.get("assistant"):
        messages.append({"role": "assistant", "content": rec["assistant"]})
    messages.append({"role": "user", "content": rec.get("prompt", rec.get("text"))})
    return {"model": "solv-eval", "messages": messages}


async def verdict_of(classifier: Classifier, body: dict[str, Any]) -> Verdict:
    return (await decide(body, None, classifier))[1]


def as_json(verdict: Verdict, extra: dict[str, Any] | None = None) -> str:
    out = {**(extra or {}), "level": verdict.level.value, "search": verdict.search, "source": verdict.source,
           "kind": verdict.task or verdict.kind, "confidence": round(verdict.confidence, 4),
           "ms": round(verdict.ms, 3)}
    return json.dumps(out, ensure_ascii=False)


def json_object(line: str, where: str, fields: str) -> dict[str, Any] | None:
    """The JSON object on one line of a JSONL file (None for a blank line); a ValueError names ``where``
    and the ``fields`` the object should have."""
    if not line.strip():
        return None
    try:
        rec = json.loads(line)
    except json.JSONDecodeError as exc:
        raise ValueError(f"{where}: not valid JSON ({exc.msg})") from None
    if not isinstance(rec, dict):
        raise ValueError(f"{where}: expected a JSON object with {fields}")
    return rec


def read_records(lines: Iterable[str], name: str) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yield (line number, record); raise ValueError naming the line for a bad one."""
    for n, line in enumerate(lines, 1):
        rec = json_object(line, f"{name}:{n}", "'prompt' or 'body'")
        if rec is None:
            continue
        body = rec.get("body")
        if body is not None:
            if not isinstance(body, dict) or not isinstance(body.get("messages"), list):
                raise ValueError(f"{name}:{n}: 'body' must be a chat request object with a 'messages' list")
        elif not isinstance(rec.get("prompt", rec.get("text")), str):
            raise ValueError(f"{name}:{n}: needs a string field 'prompt' or an object field 'body'")
        yield n, rec


async def classify_jsonl(classifier: Classifier, src: TextIO, out: TextIO) -> None:
    for _, rec in read_records(src, getattr(src, "name", "input")):
        extra = {"id": rec["id"]} if "id" in rec else {}
        out.write(as_json(await verdict_of(classifier, body_of(rec)), extra) + "\n")


def run(args: argparse.Namespace) -> int:
    from solvstack.core.classify.local import LocalClassifier

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
    print(as_json(asyncio.run(verdict_of(classifier, body_of({"prompt": args.text})))))
    return 0
