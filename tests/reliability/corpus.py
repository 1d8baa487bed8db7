"""The hostile-input corpus (``tests/data/hostile_inputs.jsonl``): load, expand, send, judge.

One JSON object per line:

- ``id``, ``why``: a name and the reason the case is hostile;
- what to send: ``body`` (a JSON value), ``raw`` (text sent as-is) or ``raw_b64`` (bytes), to ``path``
  (default ``/v1/chat/completions``) as ``application/json``;
- generators, so the file stays small: ``"$BIG"`` in a string becomes ``big`` characters of text,
  ``"$B64"`` ``b64`` characters of base64, ``"$NEST"`` a content part list nested ``nest`` deep,
  ``"$PARTS"`` ``parts`` text parts, ``"$TURNS"`` ``turns`` alternating messages, and a ``raw`` of
  ``"$DEEP"`` ``deep`` nested JSON arrays;
- ``expect``: ``reject`` (a 4xx whose error message names one of ``names``) or ``serve`` (200, and
  the backend got exactly the messages sent, or ``sent`` where the documented override stripping
  changes them); optional ``level`` / ``source`` (the ``x-solv-*`` headers must equal them) and
  ``source_not`` (the ``x-solv-source`` header must exist and differ from it).
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

CORPUS = Path(__file__).resolve().parents[1] / "data" / "hostile_inputs.jsonl"
FILLER = "lorem ipsum dolor sit amet, consectetur adipiscing elit; "


@dataclass(frozen=True)
class Case:
    """One hostile request and what the proxy must do with it."""

    spec: dict[str, Any]

    @property
    def id(self) -> str:
        return str(self.spec["id"])

    @property
    def path(self) -> str:
        return str(self.spec.get("path", "/v1/chat/completions"))

    def content(self) -> bytes:
        """The exact bytes to send."""
        s = self.spec
        if "raw_b64" in s:
            return base64.b64decode(s["raw_b64"])
        if "raw" in s:
            raw = "[" * s["deep"] + "]" * s["deep"] if s["raw"] == "$DEEP" else s["raw"]
            return str(raw).encode("utf-8", "surrogatepass")
        return json.dumps(self.body()).encode()

    def body(self) -> Any:
        """The JSON value sent (a raw body parsed as Python's json module reads it)."""
        if "body" in self.spec:
            return self.expand(self.spec["body"])
        return json.loads(self.content())

    def sent_messages(self) -> Any:
        """The messages the backend must receive."""
        return self.expand(self.spec["sent"]) if "sent" in self.spec else self.body()["messages"]

    def expand(self, value: Any) -> Any:
        if isinstance(value, dict):
            return {k: self.expand(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.expand(v) for v in value]
        if isinstance(value, str) and "$" in value:
            return self._generated(value)
        return value

    def _generated(self, value: str) -> Any:
        s = self.spec
        if value == "$NEST":
            return _nested(s["nest"])
        if value == "$PARTS":
            return [{"type": "text", "text": f"part {i}"} for i in range(s["parts"])]
        if value == "$TURNS":
            return [{"role": "user" if i % 2 == 0 else "assistant", "content": f"turn {i}"}
                    for i in range(s["turns"] - 1)] + [{"role": "user", "content": "last turn"}]
        if "$BIG" in value:
            value = value.replace("$BIG", (FILLER * (s["big"] // len(FILLER) + 1))[: s["big"]])
        if "$B64" in value:
            value = value.replace("$B64", "QUJD" * (s["b64"] // 4))
        return value


def _nested(depth: int) -> list[Any]:
    inner: list[Any] = [{"type": "text", "text": "deep"}]
    for _ in range(depth):
        inner = [inner]
    return inner


def load(path: Path = CORPUS) -> list[Case]:
    cases = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if line.strip():
            try:
                cases.append(Case(json.loads(line)))
            except json.JSONDecodeError as exc:
                raise ValueError(f"{path}:{n}: not JSON ({exc.msg})") from None
    return cases


def send(client: httpx.Client, case: Case) -> httpx.Response:
    return client.post(case.path, content=case.content(), headers={"content-type": "application/json"})


def error_message(r: httpx.Response) -> str:
    """The ``error.message`` of an error response ('' when the body is not LiteLLM's error shape)."""
    try:
        err = r.json().get("error")
    except (ValueError, AttributeError):
        return ""
    if isinstance(err, dict):
        return str(err.get("message") or "")
    return str(err or "")
