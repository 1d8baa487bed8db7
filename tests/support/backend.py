"""A recording OpenAI-compatible backend: a real HTTP server on loopback that stores every request.

It answers `/v1/chat/completions` (JSON and SSE streaming, tool calls echoed back when the request
offers tools), `/v1/completions`, `/v1/embeddings`, `/v1/models`, `/health` and `/metrics`, so the
proxy under test talks to it exactly as to vLLM. Tests read ``backend.requests`` to assert the exact
body the proxy forwarded.

>>> with RecordingBackend() as b:  # doctest: +SKIP
...     b.url  # http://127.0.0.1:PORT/v1
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any

from tests.support.localserver import LocalServer


@dataclass
class Behaviour:
    """How the backend answers: content, artificial delay, an HTTP error status, a cut stream."""

    content: str = "hello from the recording backend"
    delay_s: float = 0.0
    status: int = 200
    cut_stream_after: int | None = None  # close the connection after N chunks
    chunk_delay_s: float = 0.0  # pause before each streamed chunk (a stream in progress, for kill tests)
    metrics: str = ""  # Prometheus text served at /metrics


@dataclass
class Recorded:
    path: str
    body: dict[str, Any]
    headers: dict[str, str]
    at: float = field(default_factory=time.monotonic)


class RecordingBackend(LocalServer):
    def __init__(self, name: str = "backend", port: int = 0, keep: bool = True) -> None:
        self.name, self.keep = name, keep
        self.behaviour = Behaviour()
        self.requests: list[Recorded] = []
        self._lock = threading.Lock()
        super().__init__(_handler_for(self), port)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def record(self, rec: Recorded) -> None:
        if not self.keep:  # benchmarks send thousands of requests
            return
        with self._lock:
            self.requests.append(rec)

    def chat_requests(self) -> list[dict[str, Any]]:
        with self._lock:
            return [r.body for r in self.requests if r.path.endswith("/chat/completions")]

    def clear(self) -> None:
        with self._lock:
            self.requests.clear()
        self.behaviour = Behaviour()


def _chat_response(body: dict[str, Any], b: Behaviour, name: str) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": b.content}
    finish = "stop"
    if body.get("tools"):
        tool = body["tools"][0]["function"]
        message = {"role": "assistant", "content": None, "tool_calls": [{
            "id": "call_1", "type": "function",
            "function": {"name": tool["name"], "arguments": json.dumps({"echo": name})}}]}
        finish = "tool_calls"
    return {"id": "chatcmpl-rec", "object": "chat.completion", "created": int(time.time()),
            "model": body.get("model", "m"), "system_fingerprint": name,
            "choices": [{"index": 0, "message": message, "finish_reason": finish}],
            "usage": {"prompt_tokens": 5, "completion_tokens": 5, "total_tokens": 10}}


def _handler_for(backend: RecordingBackend) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:  # quiet
            pass

        def _json(self, status: int, payload: object) -> None:
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            b = backend.behaviour
            if self.path.startswith("/metrics"):
                data = b.metrics.encode()
                self.send_response(200)
                self.send_header("content-type", "text/plain; version=0.0.4")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            elif self.path.startswith("/health"):
                self._json(200 if b.status == 200 else 503, {})
            elif self.path.startswith("/v1/models"):
                self._json(200, {"object": "list", "data": [{"id": "m", "object": "model"}]})
            else:
                self._json(404, {"error": "not found"})

        def do_POST(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            raw = self.rfile.read(length)
            try:
                body = json.loads(raw or b"{}")
            except ValueError:
                body = {"_raw": raw.decode("utf-8", "replace")}
            backend.record(Recorded(self.path, body, dict(self.headers)))
            b = backend.behaviour
            if b.delay_s:
                time.sleep(b.delay_s)
            if b.status != 200:
                self._json(b.status, {"error": {"message": f"{backend.name} says {b.status}"}})
            elif self.path.endswith("/chat/completions"):
                self._chat(body, b)
            elif self.path.endswith("/completions"):
                self._json(200, {"id": "cmpl-rec", "object": "text_completion", "created": int(time.time()),
                                 "model": body.get("model", "m"),
                                 "choices": [{"index": 0, "text": b.content, "finish_reason": "stop"}],
                                 "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}})
            elif self.path.endswith("/embeddings"):
                self._json(200, {"object": "list", "model": body.get("model", "m"),
                                 "data": [{"object": "embedding", "index": 0, "embedding": [0.1, 0.2, 0.3]}],
                                 "usage": {"prompt_tokens": 1, "total_tokens": 1}})
            else:
                self._json(404, {"error": "not found"})

        def _chat(self, body: dict[str, Any], b: Behaviour) -> None:
            if not body.get("stream"):
                self._json(200, _chat_response(body, b, backend.name))
                return
            self.send_response(200)
            self.send_header("content-type", "text/event-stream")
            self.send_header("connection", "close")
            self.end_headers()
            words = b.content.split(" ")
            for i, word in enumerate(words):
                if b.chunk_delay_s:
                    time.sleep(b.chunk_delay_s)
                if b.cut_stream_after is not None and i >= b.cut_stream_after:
                    self.close_connection = True
                    return
                chunk = {"id": "chatcmpl-rec", "object": "chat.completion.chunk", "created": int(time.time()),
                         "model": body.get("model", "m"),
                         "choices": [{"index": 0, "delta": {"content": (" " if i else "") + word},
                                      "finish_reason": None}]}
                self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
                self.wfile.flush()
            last = {"id": "chatcmpl-rec", "object": "chat.completion.chunk", "created": int(time.time()),
                    "model": body.get("model", "m"), "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}
            self.wfile.write(f"data: {json.dumps(last)}\n\ndata: [DONE]\n\n".encode())
            self.wfile.flush()
            self.close_connection = True

    return Handler



def main() -> None:
    """Serve in a process of its own (benchmarks): `python -m tests.support.backend PORT`."""
    import sys

    b = RecordingBackend("bench", port=int(sys.argv[1]), keep=False)
    print(b.url, flush=True)
    b._server.serve_forever()


if __name__ == "__main__":
    main()
