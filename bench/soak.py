"""Soak: the proxy with every solv hook on, at steady load for a bounded time; errors must be 0.

    .venv/bin/python -m bench.soak [--seconds 120] [--clients 16] [--stock-seconds 30]

Starts, each in a process of its own: two backend replicas of one model group (the routing filter
chooses between them), a judge backend (``classifier.kind: cascade``), a SearXNG stand-in (RAG), and
the proxy on the repo's config with all its callbacks. ``--clients`` closed-loop clients send a mix
of chat, streaming, ``/search`` (RAG, some repeated: the search cache) and override requests.

Prints requests served, errors, p50/p99 latency, RPS, and the proxy's RSS (its whole process tree,
psutil if installed else /proc) after warm-up, at the end, at its peak, and its growth, overall and
over the second half (warm-up caches fill in the first). Then the same load for ``--stock-seconds``
on the stock proxy (no callbacks, same backend) and, last, the ratios solv / stock. Exit status 1
if any request failed.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from tests.reliability.load import Load, percentile
from tests.reliability.replica import Replica
from tests.support.proxy import MASTER_KEY, deployment, free_port, start_proxy, write_variant

REPO = Path(__file__).resolve().parents[1]

TOPICS = ["the latest python release", "today's weather in Oslo", "the current ECB rate", "the newest linux kernel"]


def prompt(client: int, i: int) -> str:
    """A steady mix: plain questions, hard ones, overrides, RAG (a few topics repeat: the search cache)."""
    kind = (client * 7 + i) % 8
    if kind == 0:
        return f"/search {TOPICS[i % len(TOPICS)]}"
    if kind == 1:
        return f"/search what changed in release {client}.{i}?"
    if kind == 2:
        return f"/think prove that {i} squared plus {i} is even"
    if kind == 3:
        return f"/no_think thanks, client {client}!"
    return f"client {client} request {i}: what is {client} + {i}?"


def rss_kib(pid: int) -> int:
    """Resident memory of ``pid`` and its descendants, KiB."""
    try:
        import psutil  # type: ignore[import-untyped]

        proc = psutil.Process(pid)
        return int(sum(p.memory_info().rss for p in [proc, *proc.children(recursive=True)]) // 1024)
    except ImportError:
        return sum(_proc_rss(p) for p in _tree(pid))


def _tree(pid: int) -> list[int]:
    children = Path(f"/proc/{pid}/task/{pid}/children")
    kids = [int(c) for c in children.read_text().split()] if children.exists() else []
    return [pid, *(p for k in kids for p in _tree(k))]


def _proc_rss(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


@dataclass
class Run:
    name: str
    load: Load
    seconds: float
    rss: list[tuple[float, int]]

    def report(self) -> str:
        lat = [o.seconds * 1000 for o in self.load.outcomes]
        errors = sum(not o.ok for o in self.load.outcomes)
        line = (f"{self.name:5s} served={len(lat) - errors} errors={errors} p50={percentile(lat, 50):.1f}ms "
                f"p99={percentile(lat, 99):.1f}ms rps={len(lat) / self.seconds:.1f}")
        if self.rss:
            first, last, peak = self.rss[0][1], self.rss[-1][1], max(r for _, r in self.rss)
            mid = self.rss[len(self.rss) // 2][1]
            line += (f" rss_start={first / 1024:.1f}MiB rss_end={last / 1024:.1f}MiB rss_peak={peak / 1024:.1f}MiB "
                     f"rss_growth={(last - first) / 1024:+.1f}MiB ({100 * (last - first) / first:+.1f}%) "
                     f"rss_growth_2nd_half={(last - mid) / 1024:+.1f}MiB")
        return line


async def soak(name: str, url: str, pid: int, seconds: float, clients: int, sample_s: float = 5.0) -> Run:
    load = Load(url, MASTER_KEY, "m", clients=clients, prompt=prompt, timeout=60)
    task = asyncio.create_task(load.run())
    await asyncio.sleep(min(10.0, seconds / 6))  # warm-up: pools, first imports, caches start filling
    load.outcomes.clear()
    start, rss = time.monotonic(), [(0.0, rss_kib(pid))]
    while (elapsed := time.monotonic() - start) < seconds:
        await asyncio.sleep(min(sample_s, seconds - elapsed))
        rss.append((time.monotonic() - start, rss_kib(pid)))
    load.stop()
    await task
    return Run(name, load, time.monotonic() - start, rss)


def start_searxng() -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "tests.support.search_servers", "searxng", str(port)],
                            cwd=REPO, stdout=subprocess.PIPE)
    assert proc.stdout is not None
    return proc, proc.stdout.readline().decode().strip()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seconds", type=float, default=120, help="solv soak duration after warm-up (default 120)")
    ap.add_argument("--clients", type=int, default=16, help="concurrent closed-loop clients (default 16)")
    ap.add_argument("--stock-seconds", type=float, default=30, help="stock proxy run for the ratios; 0 skips it")
    args = ap.parse_args()
    searxng, searxng_url = start_searxng()
    with Replica("a") as a, Replica("b") as b, Replica("judge", content="LOW") as judge, \
            tempfile.TemporaryDirectory() as tmp:
        models = [deployment("m", a.url, "qwen3"), deployment("m", b.url, "qwen3"), deployment("judge", judge.url)]
        solv = {"classifier": {"kind": "cascade", "llm": {"model": "judge"}}}
        cfgs = {"solv": write_variant(Path(tmp) / "solv", models, solv=solv),
                "stock": write_variant(Path(tmp) / "stock", models[:2], litellm_settings={"callbacks": []})}
        env = {"SEARXNG_API_BASE": searxng_url, "TAVILY_API_KEY": ""}
        runs = []
        try:
            for name, seconds in (("solv", args.seconds), ("stock", args.stock_seconds)):
                if seconds <= 0:
                    continue
                proxy = start_proxy(cfgs[name], env=env)
                try:
                    assert proxy.proc is not None
                    runs.append(asyncio.run(soak(name, proxy.url, proxy.proc.pid, seconds, args.clients)))
                    print(runs[-1].report(), flush=True)
                finally:
                    proxy.stop()
        finally:
            searxng.terminate()
    return finish(runs)


def finish(runs: list[Run]) -> int:
    by = {r.name: r for r in runs}
    if "stock" in by:
        def p50(r: Run) -> float:
            return percentile([o.seconds for o in r.load.outcomes], 50)

        solv, stock = by["solv"], by["stock"]
        ratio = (len(solv.load.outcomes) / solv.seconds) / (len(stock.load.outcomes) / stock.seconds)
        print(f"rps_ratio={ratio:.3f} p50_ratio={p50(solv) / p50(stock):.3f} (solv / stock)")
    failed = sum(not o.ok for r in runs for o in r.load.outcomes)
    for r in runs:
        for o in [o for o in r.load.outcomes if not o.ok][:5]:
            print(f"  {r.name} failed: status={o.status} end={o.end} {o.error[:200]}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    sys.exit(main())
