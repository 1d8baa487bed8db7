"""Local servers that speak SearXNG's and Tavily's real search APIs, for tests and benchmarks.

- :class:`SearxngServer`: ``GET /search?q=...&format=json`` (403 unless ``format=json``, as a SearXNG
  without ``json`` in ``search.formats`` answers), the response shape of SearXNG's JSON output.
- :class:`TavilyServer`: ``POST /search`` with ``Authorization: Bearer <key>`` and a JSON body
  (401 ``{"detail": {"error": ...}}`` for a wrong key), the response shape of Tavily's search API.

Each records every request (``server.requests``) and answers by ``server.behaviour``: results, an
HTTP status, a delay, or a hang (held until the test ends).

>>> with SearxngServer() as s:  # doctest: +SKIP
...     s.behaviour.results = [hit("Title", "https://example.org", "text")]
"""

from __future__ import annotations

import json
import re
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlparse, urlsplit

from tests.support.localserver import LocalServer


def hit(title: str, url: str, content: str, date: str | None = None) -> dict[str, Any]:
    """One result in the provider-neutral form the servers turn into their own shapes."""
    return {"title": title, "url": url, "content": content, "date": date}


@dataclass
class SearchBehaviour:
    results: list[dict[str, Any]] = field(default_factory=list)
    status: int = 200
    delay_s: float = 0.0
    hang: bool = False  # hold the request until the server stops


@dataclass
class SearchRequest:
    method: str
    path: str
    params: dict[str, str]
    headers: dict[str, str]
    body: dict[str, Any] | None

    @property
    def query(self) -> str:
        return self.params.get("q") or str((self.body or {}).get("query", ""))


class _SearchServer(LocalServer):
    name = "search"

    def __init__(self, port: int = 0, keep: bool = True) -> None:
        self.behaviour = SearchBehaviour()
        self.requests: list[SearchRequest] = []
        self.keep = keep
        self._lock = threading.Lock()
        self._release = threading.Event()
        super().__init__(_handler(self), port)

    def stop(self) -> None:
        self._release.set()
        super().stop()

    def clear(self) -> None:
        with self._lock:
            self.requests.clear()
        self.behaviour = SearchBehaviour()

    def queries(self) -> list[str]:
        with self._lock:
            return [r.query for r in self.requests]

    def record(self, req: SearchRequest) -> None:
        if self.keep:
            with self._lock:
                self.requests.append(req)

    def wait(self, b: SearchBehaviour) -> None:
        if b.hang:
            self._release.wait(120)
        elif b.delay_s:
            time.sleep(b.delay_s)

    def answer(self, req: SearchRequest) -> tuple[int, dict[str, Any]]:
        raise NotImplementedError


class SearxngServer(_SearchServer):
    """SearXNG's ``/search`` JSON API."""

    name = "searxng"

    def answer(self, req: SearchRequest) -> tuple[int, dict[str, Any]]:
        b = self.behaviour
        if req.path.rstrip("/") not in ("/search", ""):
            return 404, {"error": "not found"}
        if req.params.get("format") != "json":
            return 403, {"error": "format not enabled"}  # SearXNG: 403 Forbidden for a disabled format
        if b.status != 200:
            return b.status, {"error": f"searxng says {b.status}"}
        results = [{"url": r["url"], "title": r["title"], "content": r["content"], "engine": "duckduckgo",
                    "parsed_url": list(urlparse(r["url"])), "template": "default.html",
                    "engines": ["duckduckgo", "brave"], "positions": [i + 1, i + 2], "score": 4.0 / (i + 1),
                    "category": "general", "publishedDate": r.get("date"), "thumbnail": ""}
                   for i, r in enumerate(b.results)]
        return 200, {"query": req.params.get("q", ""), "number_of_results": 0, "results": results,
                     "answers": [], "corrections": [], "infoboxes": [], "suggestions": [],
                     "unresponsive_engines": []}


class TavilyServer(_SearchServer):
    """Tavily's ``POST /search`` API; ``api_key`` is the only key it accepts."""

    name = "tavily"

    def __init__(self, api_key: str = "tvly-test-key", port: int = 0, keep: bool = True) -> None:
        super().__init__(port, keep)
        self.api_key = api_key

    def answer(self, req: SearchRequest) -> tuple[int, dict[str, Any]]:
        b = self.behaviour
        if req.method != "POST" or req.path.rstrip("/") != "/search":
            return 404, {"detail": "Not Found"}
        if req.headers.get("authorization") != f"Bearer {self.api_key}":
            return 401, {"detail": {"error": "Unauthorized: missing or invalid API key."}}
        if not isinstance(req.body, dict) or not req.body.get("query"):
            return 400, {"detail": {"error": "Query is missing."}}
        if b.status != 200:
            return b.status, {"detail": {"error": f"tavily says {b.status}"}}
        limit = int(req.body.get("max_results", 5))
        results = [{"title": r["title"], "url": r["url"], "content": r["content"], "score": 0.9 - i / 100,
                    "raw_content": None, **({"published_date": r["date"]} if r.get("date") else {})}
                   for i, r in enumerate(b.results[:limit])]
        return 200, {"query": req.body["query"], "follow_up_questions": None, "answer": None, "images": [],
                     "results": results, "response_time": "0.42", "request_id": "req-test"}


def _handler(server: _SearchServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        wbufsize = 1 << 16  # headers and body leave in one write: no Nagle / delayed-ACK stall per response

        def log_message(self, *args: object) -> None:
            pass

        def _serve(self) -> None:
            parts = urlsplit(self.path)
            raw = self.rfile.read(int(self.headers.get("content-length") or 0))
            try:
                body = json.loads(raw) if raw else None
            except ValueError:
                body = {"_raw": raw.decode("utf-8", "replace")}
            params = {k: v[-1] for k, v in parse_qs(parts.query).items()}
            headers = {k.lower(): v for k, v in self.headers.items()}
            req = SearchRequest(self.command, parts.path, params, headers, body)
            server.record(req)
            b = server.behaviour
            server.wait(b)
            status, payload = server.answer(req)
            data = json.dumps(payload).encode()
            try:
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
                self.wfile.flush()
            except OSError:  # the client gave up (a timeout under test)
                self.close_connection = True

        do_GET = _serve
        do_POST = _serve

    return Handler


# -- what a prompt built from search results must look like (checked independently of the code) ------

BLOCK = re.compile(r"<<<SEARCH_RESULTS ([0-9a-f]{16})>>>\n(.*?)\n<<<END_SEARCH_RESULTS \1>>>", re.DOTALL)
ENTRY_HEAD = re.compile(r"\[(\d+)\] (.*)")
# Nothing of this may survive inside the fenced block.
FORBIDDEN = [re.compile(p, re.IGNORECASE | re.MULTILINE) for p in (
    r"<\s*[|｜]", r"[|｜]\s*>", r"<\s*/?\s*(?:start_of_turn|end_of_turn|bos|eos|s|system|user|assistant|think|"
    r"tool_call|im_start|im_end)\s*>", r"\[\s*/?\s*(?:INST|SYSTEM_PROMPT|AVAILABLE_TOOLS|TOOL_CALLS)\s*\]",
    r"<<\s*/?\s*SYS\s*>>", r"^\W*#*\s*(?:instruction|response)\s*:", r"\b(?:system|user|assistant|human)\s*:",
    r"###",
    r"<<<", r">>>", r"SEARCH_RESULTS",
    r"[\u0000-\u0008\u000b-\u001f\u007f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]",
)]


@dataclass
class Entry:
    number: int
    title: str
    url: str
    date: str | None
    text: str


def parse_block(content: str) -> tuple[str, list[Entry], str]:
    """(token, entries, the text after the block) of a user message carrying search results."""
    m = BLOCK.search(content)
    assert m, f"no fenced search block in {content[:300]!r}"
    assert content.count(m.group(1)) == 2, "the boundary token must appear only in the fence lines"
    entries = []
    for chunk in m.group(2).split("\n\n"):
        lines = chunk.split("\n")
        head = ENTRY_HEAD.fullmatch(lines[0])
        assert head and lines[1].startswith("URL: "), f"malformed entry {chunk!r}"
        rest = lines[2:]
        date = rest.pop(0)[6:] if rest and rest[0].startswith("Date: ") else None
        assert len(rest) <= 1, f"an entry spans extra lines: {chunk!r}"
        entries.append(Entry(int(head.group(1)), head.group(2), lines[1][5:], date, rest[0] if rest else ""))
    assert [e.number for e in entries] == list(range(1, len(entries) + 1)), "citations must be numbered 1..n"
    return m.group(1), entries, content[m.end():]


def assert_inert(entries: list[Entry]) -> None:
    for e in entries:
        for field_ in (e.title, e.url, e.date or "", e.text):
            for pattern in FORBIDDEN:
                assert not pattern.search(field_), f"{pattern.pattern!r} survived in {field_!r}"


BENCH_HITS = [hit(f"Result {i}: a realistic page title about the query", f"https://site{i}.example/articles/{i}",
                  "lorem ipsum dolor sit amet " * 12, "2026-11-01T00:00:00") for i in range(5)]


def bench_results() -> list[Any]:
    """BENCH_HITS as the retrieval code's SearchResult (what LiteLLM makes of the server's answer)."""
    from solvstack.core.retrieval.providers import SearchResult

    return [SearchResult(h["title"], h["url"], h["content"], h["date"]) for h in BENCH_HITS]


def main() -> None:
    """Serve in a process of its own (benchmarks): ``python -m tests.support.search_servers searxng PORT``.

    Answers every query with five fixed results of realistic size and records nothing.
    """
    import sys

    kind, port = sys.argv[1], int(sys.argv[2])
    server: _SearchServer = (SearxngServer(port, keep=False) if kind == "searxng"
                             else TavilyServer(port=port, keep=False))
    server.behaviour.results = BENCH_HITS
    print(server.url, flush=True)
    server._server.serve_forever()


if __name__ == "__main__":
    main()
