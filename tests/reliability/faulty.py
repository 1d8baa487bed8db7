"""A fault-injecting HTTP front: passes requests on to a real stand-in, or answers garbage, or hangs.

The proxy is pointed at the front once (e.g. ``SEARXNG_API_BASE``); a test flips ``front.mode``:

- ``pass``: forward to ``target`` (a :mod:`tests.support.search_servers` server) and relay its answer;
- ``html``: 200 with an HTML page (a captive portal, a misrouted reverse proxy);
- ``truncated``: 200 ``application/json`` cut off mid-document;
- ``wrong-shape``: 200 JSON of another shape (``{"results": "none"}``);
- ``empty``: 200 with no body;
- ``hang``: hold the request until ``release()`` or the front stops.

>>> with FaultyFront(target_url) as front:  # doctest: +SKIP
...     front.mode = "html"
"""

from __future__ import annotations

import http.client
import threading
from http.server import BaseHTTPRequestHandler
from urllib.parse import urlsplit

from tests.support.localserver import LocalServer

GARBAGE: dict[str, tuple[str, bytes]] = {
    "html": ("text/html", b"<html><body><h1>502 Bad Gateway</h1>nginx</body></html>"),
    "truncated": ("application/json", b'{"query": "x", "results": [{"url": "https://a.example", "title": "A'),
    "wrong-shape": ("application/json", b'{"results": "none", "query": 5, "number_of_results": "many"}'),
    "empty": ("application/json", b""),
}
MODES = ("pass", "hang", *GARBAGE)


class FaultyFront(LocalServer):
    """One HTTP front on loopback; ``mode`` decides every answer."""

    def __init__(self, target_url: str) -> None:
        self.target = urlsplit(target_url)
        self.mode = "pass"
        self.hits = 0
        self._released = threading.Event()
        super().__init__(_handler(self))

    def release(self) -> None:
        """Let hanging requests go (they get an empty answer)."""
        self._released.set()
        self._released = threading.Event()

    def stop(self) -> None:
        self._released.set()
        super().stop()

    def forward(self, method: str, path: str, body: bytes, headers: dict[str, str]) -> tuple[int, str, bytes]:
        conn = http.client.HTTPConnection(self.target.hostname or "127.0.0.1", self.target.port, timeout=30)
        try:
            conn.request(method, path, body=body or None, headers=headers)
            r = conn.getresponse()
            return r.status, r.getheader("content-type") or "application/json", r.read()
        finally:
            conn.close()


def _handler(front: FaultyFront) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:
            pass

        def _serve(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length") or 0))
            front.hits += 1
            mode = front.mode
            if mode == "hang":
                front._released.wait(120)
                status, ctype, data = 200, "application/json", b""
            elif mode == "pass":
                headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "content-length")}
                status, ctype, data = front.forward(self.command, self.path, body, headers)
            else:
                status, (ctype, data) = 200, GARBAGE[mode]
            try:
                self.send_response(status)
                self.send_header("content-type", ctype)
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except OSError:  # the proxy gave up waiting: that is the point of "hang"
                self.close_connection = True

        do_GET = _serve
        do_POST = _serve

    return Handler
