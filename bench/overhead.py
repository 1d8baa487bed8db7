"""Overhead of solv's callbacks vs the stock LiteLLM proxy: same backend, same run, interleaved.

    .venv/bin/python -m bench.overhead [--requests 400] [--concurrency 8] [--rounds 4] [--callbacks repo]
                                       [--paired]

Starts one local OpenAI-compatible backend (its own process) and two proxies on the repo's config:
*stock* (no callbacks) and *solv* (by default the shipped ``litellm_settings.callbacks``; the thinking
hook on the local classifier path). Rounds alternate stock/solv so drift hits both. Prints p50/p99
latency, RPS and the proxy's CPU time per request (from /proc, all threads) of each and, last,
``overhead_p50_ms=<x> rps_ratio=<y> cpu_ms_delta=<z>`` (solv vs stock).

``--paired``: each round loads both proxies *at the same time* (``--concurrency`` clients each), so
whatever else runs on a shared machine slows both alike; the CPU delta is then the median of the
per-round differences. Use it where other jobs run (CI, a busy laptop); sequential rounds otherwise.
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
from pathlib import Path

import httpx
from tests.support.proxy import MASTER_KEY, deployment, free_port, start_proxy, write_variant

from bench.common import interleaved, pct
from solvstack.ops.proxyproc import ProxyProcess

PROMPTS = ["hi there!", "what is 17 * 23?", "prove that sqrt(2) is irrational",
           "who won the match yesterday?", "write a haiku about autumn",
           "fix this python: for i in range(10) print(i)"]


async def load(url: str, n: int, concurrency: int) -> tuple[list[float], float]:
    lat: list[float] = []
    sem = asyncio.Semaphore(concurrency)
    headers = {"Authorization": f"Bearer {MASTER_KEY}"}
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=60) as client:
        async def one(i: int) -> None:
            body = {"model": "m", "messages": [{"role": "user", "content": f"{PROMPTS[i % len(PROMPTS)]} #{i}"}]}
            async with sem:
                t = time.perf_counter()
                r = await client.post("/v1/chat/completions", json=body)
                lat.append((time.perf_counter() - t) * 1000)
                r.raise_for_status()
        start = time.perf_counter()
        await asyncio.gather(*(one(i) for i in range(n)))
        return lat, n / (time.perf_counter() - start)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--requests", type=int, default=400)
    ap.add_argument("--concurrency", type=int, default=8)
    ap.add_argument("--rounds", type=int, default=4)
    ap.add_argument("--paired", action="store_true", help="load both proxies at once in every round")
    ap.add_argument("--callbacks", default="repo",
                    help="comma-separated callbacks of the solv proxy; 'repo' (default) = the shipped list")
    args = ap.parse_args()
    port = free_port()
    backend = subprocess.Popen([sys.executable, "-m", "tests.support.backend", str(port)],
                               cwd=Path(__file__).resolve().parents[1], stdout=subprocess.PIPE)
    assert backend.stdout is not None
    api_base = backend.stdout.readline().decode().strip()
    models = [deployment("m", api_base, "qwen3")]
    with tempfile.TemporaryDirectory() as tmp:
        stock_cfg = write_variant(Path(tmp) / "stock", models, litellm_settings={"callbacks": []})
        chosen = {} if args.callbacks == "repo" else {"litellm_settings": {"callbacks": args.callbacks.split(",")}}
        solv_cfg = write_variant(Path(tmp) / "solv", models, **chosen)
        proxies = {"stock": start_proxy(stock_cfg), "solv": start_proxy(solv_cfg)}
        try:
            for p in proxies.values():  # warm-up: connection pools, first-request imports
                asyncio.run(load(p.url, 50, args.concurrency))
            cpu: dict[str, list[float]] = {"stock": [], "solv": []}

            def run(name: str) -> tuple[list[float], float]:
                before = cpu_ms(proxies[name])
                out = asyncio.run(load(proxies[name].url, args.requests, args.concurrency))
                cpu[name].append((cpu_ms(proxies[name]) - before) / args.requests)
                return out

            results = (paired(proxies, args.rounds, args.requests, args.concurrency, cpu) if args.paired
                       else interleaved(["stock", "solv"], args.rounds, run))
        finally:
            for p in proxies.values():
                p.stop()
            backend.terminate()
    for name, (lat, rps) in results.items():
        print(f"{name:5s} n={len(lat)} p50={pct(lat, 50):.2f}ms p99={pct(lat, 99):.2f}ms "
              f"rps={statistics.mean(rps):.1f} cpu_ms_per_req={statistics.mean(cpu[name]):.2f} "
              f"(rounds {' '.join(f'{x:.0f}' for x in rps)})")
    stock, solv = results["stock"], results["solv"]
    overhead = pct(solv[0], 50) - pct(stock[0], 50)
    ratio = statistics.mean(solv[1]) / statistics.mean(stock[1])
    if args.paired:
        delta = statistics.median(s - t for s, t in zip(cpu["solv"], cpu["stock"], strict=True))
    else:
        delta = statistics.mean(cpu["solv"]) - statistics.mean(cpu["stock"])
    print(f"overhead_p50_ms={overhead:.2f} rps_ratio={ratio:.3f} cpu_ms_delta={delta:.2f}"
          + (" paired=1" if args.paired else ""))


def paired(proxies: dict[str, ProxyProcess], rounds: int, n: int, concurrency: int,
           cpu: dict[str, list[float]]) -> dict[str, tuple[list[float], list[float]]]:
    """Rounds in which every proxy gets its load at the same time; CPU per request per round into ``cpu``."""
    results: dict[str, tuple[list[float], list[float]]] = {name: ([], []) for name in proxies}

    async def one_round() -> None:
        before = {name: cpu_ms(p) for name, p in proxies.items()}
        outs = await asyncio.gather(*(load(p.url, n, concurrency) for p in proxies.values()))
        for (name, p), (lat, rps) in zip(proxies.items(), outs, strict=True):
            cpu[name].append((cpu_ms(p) - before[name]) / n)
            results[name][0].extend(lat)
            results[name][1].append(rps)

    for _ in range(rounds):
        asyncio.run(one_round())
    return results


def cpu_ms(proxy: ProxyProcess) -> float:
    """CPU time (user + system, all threads) the proxy process has used, in ms; 0 where /proc is absent."""
    try:
        assert proxy.proc is not None
        fields = Path(f"/proc/{proxy.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, AssertionError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK") * 1000


if __name__ == "__main__":
    main()
