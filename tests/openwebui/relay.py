"""A recording HTTP relay: put it between a client and the proxy to keep what the client sent, as sent.

The recording backend sees what the *proxy* forwards (after the hook rewrote it); this relay sees the
client's own request: method, path, headers and the exact body bytes, plus the proxy's answer status and
``x-solv-*`` decision headers. Responses stream through unchanged (SSE included).

>>> with RecordingRelay("http://127.0.0.1:4000") as relay:  # doctest: +SKIP
...     relay.url  # point the client here instead of at the proxy
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any

import httpx

from tests.support.localserver import LocalServer

HOP_BY_HOP = frozenset({"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailers",
                        "transfer-encoding", "upgrade", "host", "content-length"})


@dataclass
class Exchange:
    """One request the client sent and what the proxy answered (status and headers)."""

    method: str
    path: str
    headers: dict[str, str]
    raw: bytes
    started: float = field(default_factory=time.monotonic)
    ended: float = 0.0
    status: int = 0
    response_headers: dict[str, str] = field(default_factory=dict)

    @property
    def body(self) -> Any:
        try:
            return json.loads(self.raw) if self.raw else None
        except ValueError:
            return None

    def solv(self) -> dict[str, str]:
        """The proxy's decision headers, ``x-solv-*`` (lower-case names)."""
        return {k: v for k, v in self.response_headers.items() if k.startswith("x-solv-")}


class RecordingRelay(LocalServer):
    def __init__(self, upstream: str, port: int = 0) -> None:
        self.upstream = upstream.rstrip("/")
        self.exchanges: list[Exchange] = []
        self._lock = threading.Lock()
        self._client = httpx.Client(timeout=httpx.Timeout(600, connect=10))
        super().__init__(_handler(self), port)

    def stop(self) -> None:
        super().stop()
        self._client.close()

    def record(self, ex: Exchange) -> None:
        with self._lock:
            self.exchanges.append(ex)

    def chat_exchanges(self) -> list[Exchange]:
        """Finished chat-completions requests, in the order the client sent them."""
        with self._lock:
            done = [e for e in self.exchanges if e.path.rstrip("/").endswith("/chat/completions") and e.ended]
        return sorted(done, key=lambda e: e.started)


def _handler(relay: RecordingRelay) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:  # quiet
            pass

        def _relay(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            raw = self.rfile.read(length) if length else b""
            ex = Exchange(self.command, self.path, {k.lower(): v for k, v in self.headers.items()}, raw)
            relay.record(ex)
            headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
            try:
                req = relay._client.build_request(self.command, relay.upstream + self.path, headers=headers,
                                                  content=raw or None)
                upstream = relay._client.send(req, stream=True)
            except httpx.HTTPError as exc:
                ex.status, ex.ended = 502, time.monotonic()
                data = json.dumps({"error": {"message": f"relay: {exc}"}}).encode()
                self.send_response(502)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
                return
            try:
                ex.status = upstream.status_code
                ex.response_headers = {k.lower(): v for k, v in upstream.headers.items()}
                self.send_response(upstream.status_code)
                for k, v in upstream.headers.multi_items():
                    if k.lower() not in HOP_BY_HOP:
                        self.send_header(k, v)
                self.send_header("connection", "close")  # the body ends when the connection does
                self.end_headers()
                for chunk in upstream.iter_raw():
                    self.wfile.write(chunk)
                    self.wfile.flush()
                self.close_connection = True
            finally:
                upstream.close()
                ex.ended = time.monotonic()

        do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _relay

    return Handler
