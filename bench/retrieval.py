"""Added latency of the RAG retrieval path, through the real proxy, against a local SearXNG-speaking server.

    .venv/bin/python -m bench.retrieval [--requests 150] [--concurrency 4] [--rounds 2]

Starts a recording OpenAI-compatible backend and a SearXNG wire server (each its own process, five
fixed results per query) and two proxies on the repo's config: *stock* (no callbacks) and *solv*
(the repo's callbacks, retrieval pointed at the local SearXNG). Per round, interleaved:

- ``stock``:          the prompt, stock LiteLLM
- ``solv_no_search``: ``/no_search <prompt>`` (classifier and hook, no search)
- ``solv_search``:    ``/search <prompt>`` with a query never seen before (SearXNG called every time)
- ``solv_cached``:    ``/search <prompt>`` repeated (served from the search cache)
- ``stock_rag_size``: stock LiteLLM sent the very messages solv forwards after a search (instructions
  and five fenced results): what the bigger prompt alone costs LiteLLM, without any solv code

Prints p50/p99/RPS of each, then ``added_search_p50_ms`` / ``added_search_p99_ms`` (search minus
no_search) and ratios against stock from the same run.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import httpx

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")  # solvstack.proxy.retrieval imports litellm
from tests.support.proxy import MASTER_KEY, deployment, free_port, start_proxy, write_variant  # noqa: E402
from tests.support.search_servers import bench_results  # noqa: E402

from bench.common import interleaved, pct  # noqa: E402
from solvstack.core.retrieval.context import Caps, fence_token, inject, render  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]

TOPICS = ["release date of the next Debian version", "weather in Oslo tomorrow", "latest vLLM release notes",
          "who won the chess olympiad", "price of copper this week", "opening hours of the Prado museum"]
Messages = Callable[[int], list[dict[str, str]]]


def user(text: Callable[[int], str]) -> Messages:
    return lambda i: [{"role": "user", "content": text(i)}]


def as_forwarded(i: int) -> list[dict[str, str]]:
    """What solv sends the backend for a searched prompt (the same five results the server returns)."""
    block, _ = render(bench_results(), Caps(), fence_token(bench_results()))
    return inject({"messages": [{"role": "user", "content": f"{TOPICS[i % len(TOPICS)]} #{i}"}]}, block)["messages"]


SCENARIOS: dict[str, tuple[str, Messages]] = {
    "stock": ("stock", user(lambda i: f"{TOPICS[i % len(TOPICS)]} #{i}")),
    "solv_no_search": ("solv", user(lambda i: f"/no_search {TOPICS[i % len(TOPICS)]} #{i}")),
    "solv_search": ("solv", user(lambda i: f"/search {TOPICS[i % len(TOPICS)]} #{i} {time.monotonic_ns()}")),
    "solv_cached": ("solv", user(lambda i: f"/search {TOPICS[i % len(TOPICS)]}")),
    "stock_rag_size": ("stock", as_forwarded),
}


OUTCOMES: Counter[str] = Counter()  # x-solv-search values seen
SEARCH_MS: list[float] = []  # x-solv-search-ms of uncached searches: the retrieval step alone


async def load(url: str, n: int, concurrency: int, messages: Messages) -> tuple[list[float], float]:
    lat: list[float] = []
    sem = asyncio.Semaphore(concurrency)
    async with httpx.AsyncClient(base_url=url, headers={"Authorization": f"Bearer {MASTER_KEY}"}, timeout=60) as c:
        async def one(i: int) -> None:
            body = {"model": "m", "messages": messages(i)}
            async with sem:
                t = time.perf_counter()
                r = await c.post("/v1/chat/completions", json=body)
                lat.append((time.perf_counter() - t) * 1000)
                r.raise_for_status()
                search, cached = r.headers.get("x-solv-search"), "x-solv-search-cache" in r.headers
                if search:
                    OUTCOMES[search + (" cached" if cached else "")] += 1
                if search and search != "off" and not cached:
                    SEARCH_MS.append(float(r.headers["x-solv-search-ms"]))
        start = time.perf_counter()
        await asyncio.gather(*(one(i) for i in range(n)))
        return lat, n / (time.perf_counter() - start)


def serve(module: str, *args: str) -> tuple[subprocess.Popen[bytes], str]:
    proc = subprocess.Popen([sys.executable, "-m", module, *args, str(free_port())], cwd=ROOT, stdout=subprocess.PIPE)
    assert proc.stdout is not None
    return proc, proc.stdout.readline().decode().strip()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--requests", type=int, default=150)
    ap.add_argument("--concurrency", type=int, default=4)
    ap.add_argument("--rounds", type=int, default=2)
    args = ap.parse_args()
    backend, api_base = serve("tests.support.backend")
    searxng, searxng_url = serve("tests.support.search_servers", "searxng")
    models = [deployment("m", api_base, "qwen3")]
    with tempfile.TemporaryDirectory() as tmp:
        proxies = {"stock": start_proxy(write_variant(Path(tmp) / "stock", models, litellm_settings={"callbacks": []})),
                   "solv": start_proxy(write_variant(Path(tmp) / "solv", models),
                                       env={"SEARXNG_API_BASE": searxng_url, "TAVILY_API_KEY": ""})}
        try:
            for proxy, prompt in SCENARIOS.values():  # warm-up: pools, first-request imports
                asyncio.run(load(proxies[proxy].url, 30, args.concurrency, prompt))
            results = interleaved(list(SCENARIOS), args.rounds, lambda name: asyncio.run(
                load(proxies[SCENARIOS[name][0]].url, args.requests, args.concurrency, SCENARIOS[name][1])))
        finally:
            for p in proxies.values():
                p.stop()
            backend.terminate()
            searxng.terminate()
    for name, (ms, per_s) in results.items():
        print(f"{name:15s} n={len(ms)} p50={pct(ms, 50):.2f}ms p99={pct(ms, 99):.2f}ms "
              f"rps={statistics.mean(per_s):.1f}")
    print(f"search_step_ms p50={pct(SEARCH_MS, 50):.2f} p99={pct(SEARCH_MS, 99):.2f} (x-solv-search-ms, uncached); "
          f"outcomes: {dict(OUTCOMES)}")
    lat = {k: v[0] for k, v in results.items()}
    rps = {k: statistics.mean(v[1]) for k, v in results.items()}
    print(f"added_search_p50_ms={pct(lat['solv_search'], 50) - pct(lat['solv_no_search'], 50):.2f} "
          f"added_search_p99_ms={pct(lat['solv_search'], 99) - pct(lat['solv_no_search'], 99):.2f} "
          f"added_cached_p50_ms={pct(lat['solv_cached'], 50) - pct(lat['solv_no_search'], 50):.2f}")
    print(f"solv_cached_minus_stock_rag_size_p50_ms={pct(lat['solv_cached'], 50) - pct(lat['stock_rag_size'], 50):.2f} "
          f"(the hook's own cost on a cached search: classifier, query, fencing)")
    print(f"p50_ratio_vs_stock: no_search={pct(lat['solv_no_search'], 50) / pct(lat['stock'], 50):.2f} "
          f"search={pct(lat['solv_search'], 50) / pct(lat['stock'], 50):.2f} "
          f"cached={pct(lat['solv_cached'], 50) / pct(lat['stock'], 50):.2f}; "
          f"rps_ratio_search_vs_stock={rps['solv_search'] / rps['stock']:.3f}")


if __name__ == "__main__":
    main()
