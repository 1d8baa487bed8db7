"""Routing between two REAL vLLM CPU replicas: LiteLLM simple-shuffle vs least-busy vs the solv filter.

    .venv/bin/python bench/routing.py [--sessions 12] [--turns 3] [--uniform 16] [--concurrency 4]

Two dummy-Llama replicas (real vLLM engine, scheduler and prefix cache; random weights), one core
each, and three proxies (one per strategy) stay up for the whole run; the strategies take turns in
``--rounds`` rounds (order reversed every other round), so drift on a shared machine hits all three.
Workloads, per strategy (split over the rounds):

* shared-prefix: ``--sessions`` chats of ``--turns`` turns; each chat has its own long system
  prompt and every turn re-sends the whole history, so the replica that served the previous turn
  holds most of the prompt in its KV cache. ``--concurrency`` chats run at once.
* uniform: ``--uniform`` single-turn requests with unique prompts (nothing to reuse).

Every prompt starts with a per-run, per-strategy salt, so no strategy profits from another's cache.
Measured through the proxy with streaming: TTFT (first content chunk) p50/p99, requests/s, and the
prefix-cache hit rate from vLLM's own counters (``vllm:prefix_cache_hits`` / ``_queries``, deltas).
The last line: ``ttft_p50_speedup_vs_shuffle=<x> prefix_hit_rate=<solv> prefix_hit_rate_shuffle=<y>``.

Scaled down for a 2-core machine: 2 replicas (not 8 GPUs), a 8-layer model with random weights,
~300-word system prompts, 4-token answers, a dozen chats.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import re
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.common import pct  # noqa: E402
from tests.support.proxy import MASTER_KEY, free_port, repo_config, start_proxy, write_variant  # noqa: E402

from solvstack.embedded.catalog import get_model  # noqa: E402
from solvstack.embedded.model import prepare_in_venv  # noqa: E402
from solvstack.embedded.server import VllmServer, find_vllm_python  # noqa: E402
from solvstack.launcher import cpu_replicas  # noqa: E402
from solvstack.routing.metrics import parse_metrics  # noqa: E402

GROUP = "llama"
STRATEGIES = ("shuffle", "least-busy", "solv")
WORDS = ["alpha", "beta", "gamma", "delta", "epsilon", "zeta", "theta", "kappa", "lambda", "sigma", "omega",
         "river", "stone", "cloud", "maple", "copper", "violet", "harbor", "lantern", "meadow", "signal",
         "vector", "kernel", "packet"]


@dataclass
class Result:
    ttft: list[float] = field(default_factory=list)
    wall_s: float = 0.0
    hits: float = 0.0
    queries: float = 0.0

    def add(self, other: Result) -> None:
        self.ttft += other.ttft
        self.wall_s += other.wall_s
        self.hits += other.hits
        self.queries += other.queries

    @property
    def rps(self) -> float:
        return len(self.ttft) / self.wall_s if self.wall_s else 0.0

    @property
    def hit_rate(self) -> float:
        return self.hits / self.queries if self.queries else 0.0


def text(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n))


def strategy_config(strategy: str, servers: list[VllmServer], folder: Path, routing: dict[str, Any]) -> Path:
    models = [{"model_name": GROUP,
               "litellm_params": {"model": f"hosted_vllm/{s.spec.served_name}", "api_base": s.base_url,
                                  "api_key": "none", "timeout": 300},
               "model_info": {"id": f"r{i}", "solv_deployment": f"r{i}", "solv_thinking": "none"}}
              for i, s in enumerate(servers)]
    callbacks = list(repo_config()["litellm_settings"]["callbacks"])
    if strategy != "solv":
        callbacks.remove("routing.solv_routing.instance")
    litellm_strategy = {"shuffle": "simple-shuffle", "least-busy": "least-busy", "solv": "simple-shuffle"}[strategy]
    solv = {"routing": {**(repo_config().get("solv") or {}).get("routing", {}), **routing}}
    return write_variant(folder / strategy, models, solv=solv, litellm_settings={"callbacks": callbacks},
                         router_settings={"routing_strategy": litellm_strategy})


async def stream_ttft(client: httpx.AsyncClient, messages: list[dict[str, str]]) -> tuple[float, str]:
    body = {"model": GROUP, "messages": messages, "max_tokens": 4, "temperature": 0, "stream": True}
    start = time.perf_counter()
    first, reply = None, []
    async with client.stream("POST", "/v1/chat/completions", json=body) as r:
        r.raise_for_status()
        async for line in r.aiter_lines():
            if not line.startswith("data: ") or line == "data: [DONE]":
                continue
            delta = json.loads(line[6:])["choices"][0]["delta"].get("content") if line else None
            if delta and first is None:
                first = time.perf_counter() - start
            reply.append(delta or "")
    return (first if first is not None else time.perf_counter() - start), "".join(reply)


async def shared_prefix(client: httpx.AsyncClient, args: argparse.Namespace, salt: str, res: Result) -> None:
    sem = asyncio.Semaphore(args.concurrency)

    async def session(i: int) -> None:
        rng = random.Random(f"{salt}-{i}")
        messages = [{"role": "system", "content": f"{salt} session {i}. {text(rng, args.system_words)}"}]
        async with sem:
            for turn in range(args.turns):
                messages.append({"role": "user", "content": f"turn {turn}: {text(rng, args.turn_words)}"})
                ttft, reply = await stream_ttft(client, messages)
                res.ttft.append(ttft)
                messages.append({"role": "assistant", "content": reply or "ok"})

    await asyncio.gather(*(session(i) for i in range(args.sessions)))


async def uniform(client: httpx.AsyncClient, args: argparse.Namespace, salt: str, res: Result) -> None:
    sem = asyncio.Semaphore(args.concurrency)

    async def one(i: int) -> None:
        rng = random.Random(f"{salt}-u{i}")
        async with sem:
            ttft, _ = await stream_ttft(client, [{"role": "user", "content": f"{salt} {i}: {text(rng, 180)}"}])
            res.ttft.append(ttft)

    await asyncio.gather(*(one(i) for i in range(args.uniform)))


def cache_counters(servers: list[VllmServer]) -> tuple[float, float]:
    hits = queries = 0.0
    for s in servers:
        m = parse_metrics(httpx.get(s.base_url[:-3] + "/metrics", timeout=10).text, 0)
        if m is not None:
            hits, queries = hits + (m.prefix_hits or 0.0), queries + (m.prefix_queries or 0.0)
    return hits, queries


async def measure(url: str, workload: Any, args: argparse.Namespace, salt: str, servers: list[VllmServer]) -> Result:
    res = Result()
    h0, q0 = cache_counters(servers)
    headers = {"Authorization": f"Bearer {MASTER_KEY}"}
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=600) as client:
        start = time.perf_counter()
        await workload(client, args, salt, res)
        res.wall_s = time.perf_counter() - start
    h1, q1 = cache_counters(servers)
    res.hits, res.queries = h1 - h0, q1 - q0
    return res


def report(name: str, strategy: str, r: Result) -> None:
    print(f"{name:<14} {strategy:<11} n={len(r.ttft):<3} ttft_p50={pct(r.ttft, 50):6.3f}s "
          f"ttft_p99={pct(r.ttft, 99):6.3f}s rps={r.rps:5.2f} prefix_hit_rate={r.hit_rate:.3f}", flush=True)


def route_reasons(log: Path) -> dict[str, int]:
    """How often the filter chose by affinity, spilled, ... (from its log lines)."""
    reasons = Counter(m.group(1) for m in re.finditer(r"solv route group=\S+ replica=\S+ reason=(\S+)",
                                                       log.read_text(errors="replace")))
    return dict(reasons.most_common())


def start_replicas(args: argparse.Namespace, logs: Path) -> list[VllmServer]:
    python = find_vllm_python()
    model = get_model("dummy-llama")
    model_dir = prepare_in_venv(model.name, python=python, echo=lambda line: None)
    specs = cpu_replicas(model_dir, model.served_name, [free_port(), free_port()],
                         args=(*model.vllm_args, "--enable-prefix-caching", "--max-model-len", "4096"))
    servers = [VllmServer(s, python=python, log_path=logs / f"r{i}.log") for i, s in enumerate(specs)]
    for s in servers:
        s.start()
    for s in servers:
        print(f"{s.name} healthy after {s.wait_healthy(900):.0f} s", flush=True)
    return servers


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sessions", type=int, default=12)
    parser.add_argument("--turns", type=int, default=3)
    parser.add_argument("--system-words", type=int, default=300)
    parser.add_argument("--turn-words", type=int, default=60)
    parser.add_argument("--uniform", type=int, default=16)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=2, help="strategies alternate per round, so drift hits all")
    parser.add_argument("--load-factor", type=float, default=None, help="override solv.routing.load_factor")
    args = parser.parse_args()
    routing = {} if args.load_factor is None else {"load_factor": args.load_factor}
    per_round = argparse.Namespace(**{**vars(args), "sessions": max(1, args.sessions // args.rounds),
                                      "uniform": max(1, args.uniform // args.rounds)})
    results: dict[tuple[str, str], Result] = {}
    with tempfile.TemporaryDirectory(prefix="solv-bench-routing-") as tmp:
        servers = start_replicas(args, Path(tmp))
        proxies = {s: start_proxy(strategy_config(s, servers, Path(tmp), routing)) for s in STRATEGIES}
        try:
            for r in range(args.rounds):
                for strategy in STRATEGIES if r % 2 == 0 else tuple(reversed(STRATEGIES)):
                    for name, workload in (("shared-prefix", shared_prefix), ("uniform", uniform)):
                        salt = f"{random.getrandbits(32):08x}-{strategy}"
                        res = asyncio.run(measure(proxies[strategy].url, workload, per_round, salt, servers))
                        results.setdefault((name, strategy), Result()).add(res)
            print(f"solv routes: {route_reasons(Path(proxies['solv'].log_path))}", flush=True)
        finally:
            for proxy in proxies.values():
                proxy.stop()
            for s in servers:
                s.stop()
    for (name, strategy), res in sorted(results.items()):
        report(name, strategy, res)
    solv, shuffle = results[("shared-prefix", "solv")], results[("shared-prefix", "shuffle")]
    lb_u, solv_u = results[("uniform", "least-busy")], results[("uniform", "solv")]
    print(f"uniform ttft_p50 solv/least-busy = {pct(solv_u.ttft, 50) / pct(lb_u.ttft, 50):.2f} "
          f"(<= 1 is no worse); rps solv/least-busy = {solv_u.rps / lb_u.rps:.2f}")
    print(f"ttft_p50_speedup_vs_shuffle={pct(shuffle.ttft, 50) / pct(solv.ttft, 50):.2f} "
          f"prefix_hit_rate={solv.hit_rate:.3f} prefix_hit_rate_shuffle={shuffle.hit_rate:.3f}")


if __name__ == "__main__":
    main()
