"""Overhead of solv's callbacks vs the stock LiteLLM proxy: same backend, same run, interleaved.

    .venv/bin/python -m bench.overhead [--requests 250] [--concurrency 8] [--rounds 8] [--callbacks repo]
                                       [--rate-fraction 0.5] [--paired]

Starts one local OpenAI-compatible backend (its own process) and two proxies on the repo's config:
*stock* (no callbacks) and *solv* (by default the shipped ``litellm_settings.callbacks``; the thinking
hook on the local classifier path). Two phases, rounds alternating stock/solv so drift hits both:

1. **Throughput** (closed loop): ``--concurrency`` clients send back to back, which saturates a
   proxy process. Prints p50/p99, RPS and the proxy's CPU time per request (from /proc, all threads).
   At saturation the p50 is ``concurrency / RPS``: it restates the throughput, so it is printed as
   ``saturated_p50_delta_ms``, not as the latency a client pays.
2. **Latency** (open loop): requests at a fixed rate, ``--rate-fraction`` of the stock proxy's RPS
   from phase 1 (0.5: a proxy half busy), the same rate for both. Its p50 difference is the time solv
   adds to a request: ``overhead_p50_ms``.

Last line: ``overhead_p50_ms=<x> rps_ratio=<y> cpu_ms_delta=<z> saturated_p50_delta_ms=<w> rate=<r>``;
the RPS ratio and the CPU delta are medians over rounds of the solv/stock ratio (difference) within a
round, since this kind of machine drifts by ±20 % over a minute.

``--paired``: each round loads both proxies *at the same time*, so whatever else runs on a shared
machine slows both alike. Use it where other jobs run (CI, a busy laptop); sequential rounds otherwise.
``--pin``: both proxies on CPU 0 and the backend and load generator on the other CPUs, so neither proxy
shares its core with the load (``taskset``; Linux).
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
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx
from tests.support.proxy import MASTER_KEY, deployment, free_port, start_proxy, write_variant

from bench.common import interleaved, pct
from solvstack.ops.proxyproc import ProxyProcess

PROMPTS = ["hi there!", "what is 17 * 23?", "prove that sqrt(2) is irrational",
           "who won the match yesterday?", "write a haiku about autumn",
           "fix this python: for i in range(10) print(i)"]


def _body(i: int) -> dict:
    return {"model": "m", "messages": [{"role": "user", "content": f"{PROMPTS[i % len(PROMPTS)]} #{i}"}]}


async def load(url: str, n: int, concurrency: int) -> tuple[list[float], float]:
    """Closed loop: ``concurrency`` clients back to back. (latencies in ms, requests per second)"""
    lat: list[float] = []
    sem = asyncio.Semaphore(concurrency)
    headers = {"Authorization": f"Bearer {MASTER_KEY}"}
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=60) as client:
        async def one(i: int) -> None:
            async with sem:
                t = time.perf_counter()
                r = await client.post("/v1/chat/completions", json=_body(i))
                lat.append((time.perf_counter() - t) * 1000)
                r.raise_for_status()
        start = time.perf_counter()
        await asyncio.gather(*(one(i) for i in range(n)))
        return lat, n / (time.perf_counter() - start)


async def at_rate(url: str, n: int, rate: float) -> tuple[list[float], float]:
    """Open loop: one request every ``1/rate`` s, whether or not earlier ones have answered."""
    lat: list[float] = []
    headers = {"Authorization": f"Bearer {MASTER_KEY}"}
    limits = httpx.Limits(max_connections=256, max_keepalive_connections=64)
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=60, limits=limits) as client:
        async def one(i: int) -> None:
            t = time.perf_counter()
            r = await client.post("/v1/chat/completions", json=_body(i))
            lat.append((time.perf_counter() - t) * 1000)
            r.raise_for_status()
        start = time.perf_counter()
        tasks = []
        for i in range(n):
            await asyncio.sleep(max(0.0, start + i / rate - time.perf_counter()))
            tasks.append(asyncio.create_task(one(i)))
        await asyncio.gather(*tasks)
        return lat, n / (time.perf_counter() - start)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--requests", type=int, default=250)
    ap.add_argument("--concurrency", type=int, default=8)
    ap.add_argument("--rounds", type=int, default=8)
    ap.add_argument("--rate-fraction", type=float, default=0.5,
                    help="latency phase: requests per second as a fraction of the stock proxy's RPS")
    ap.add_argument("--paired", action="store_true", help="load both proxies at once in every round")
    ap.add_argument("--pin", action="store_true",
                    help="proxies on CPU 0, backend and load generator on the others (Linux, 2+ CPUs)")
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
        if args.pin:
            pin(proxies, backend.pid)
        try:
            for p in proxies.values():  # warm-up: connection pools, first-request imports
                asyncio.run(load(p.url, 50, args.concurrency))
            cpu: dict[str, list[float]] = {"stock": [], "solv": []}

            def run(name: str) -> tuple[list[float], float]:
                before = cpu_ms(proxies[name])
                out = asyncio.run(load(proxies[name].url, args.requests, args.concurrency))
                cpu[name].append((cpu_ms(proxies[name]) - before) / args.requests)
                return out

            results = (paired(proxies, args.rounds, args.requests,
                              lambda url, n: load(url, n, args.concurrency), cpu) if args.paired
                       else interleaved(["stock", "solv"], args.rounds, run))
            rate = args.rate_fraction * statistics.mean(results["stock"][1])

            def run_at_rate(name: str) -> tuple[list[float], float]:
                return asyncio.run(at_rate(proxies[name].url, args.requests, rate))

            latency = (paired(proxies, args.rounds, args.requests, lambda url, n: at_rate(url, n, rate))
                       if args.paired
                       else interleaved(["stock", "solv"], args.rounds, run_at_rate))
        finally:
            for p in proxies.values():
                p.stop()
            backend.terminate()
    for name, (lat, rps) in results.items():
        print(f"{name:5s} throughput, {args.concurrency} clients: n={len(lat)} p50={pct(lat, 50):.2f}ms "
              f"p99={pct(lat, 99):.2f}ms rps={statistics.mean(rps):.1f} "
              f"cpu_ms_per_req={statistics.mean(cpu[name]):.2f} (rounds {' '.join(f'{x:.0f}' for x in rps)})")
    for name, (lat, _) in latency.items():
        print(f"{name:5s} latency at {rate:.1f} req/s: n={len(lat)} p50={pct(lat, 50):.2f}ms p99={pct(lat, 99):.2f}ms")
    stock, solv = results["stock"], results["solv"]
    saturated = pct(solv[0], 50) - pct(stock[0], 50)
    overhead = pct(latency["solv"][0], 50) - pct(latency["stock"][0], 50)
    # Round r of stock and of solv ran next to each other (or at once, paired): compare within rounds and
    # take the median, so a machine that speeds up or slows down over the run does not decide the result.
    ratio = statistics.median(b / a for a, b in zip(stock[1], solv[1], strict=True))
    delta = statistics.median(b - a for a, b in zip(cpu["stock"], cpu["solv"], strict=True))
    print(f"overhead_p50_ms={overhead:.2f} rps_ratio={ratio:.3f} cpu_ms_delta={delta:.2f} "
          f"saturated_p50_delta_ms={saturated:.2f} rate={rate:.1f}" + (" paired=1" if args.paired else ""))


def paired(proxies: dict[str, ProxyProcess], rounds: int, n: int,
           send: Callable[[str, int], Awaitable[tuple[list[float], float]]],
           cpu: dict[str, list[float]] | None = None) -> dict[str, tuple[list[float], list[float]]]:
    """Rounds in which every proxy gets ``send(url, n)`` at the same time; CPU per request per round into ``cpu``."""
    results: dict[str, tuple[list[float], list[float]]] = {name: ([], []) for name in proxies}

    async def one_round() -> None:
        before = {name: cpu_ms(p) for name, p in proxies.items()}
        outs = await asyncio.gather(*(send(p.url, n) for p in proxies.values()))
        for (name, p), (lat, rps) in zip(proxies.items(), outs, strict=True):
            if cpu is not None:
                cpu[name].append((cpu_ms(p) - before[name]) / n)
            results[name][0].extend(lat)
            results[name][1].append(rps)

    for _ in range(rounds):
        asyncio.run(one_round())
    return results


def pin(proxies: dict[str, ProxyProcess], backend_pid: int) -> None:
    """Each proxy (every thread) on CPU 0; this process and the backend on the rest, so a proxy never
    shares its core with the load it is measured under, and both proxies run on the same one."""
    others = sorted(os.sched_getaffinity(0) - {0})
    if not others:
        raise SystemExit("--pin needs at least 2 CPUs")
    for p in proxies.values():
        assert p.proc is not None
        subprocess.run(["taskset", "-a", "-p", "-c", "0", str(p.proc.pid)], check=True, stdout=subprocess.DEVNULL)
    for pid in (backend_pid, os.getpid()):
        subprocess.run(["taskset", "-a", "-p", "-c", ",".join(map(str, others)), str(pid)], check=True,
                       stdout=subprocess.DEVNULL)


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
