"""Routing between two REAL vLLM CPU replicas: the solv filter against LiteLLM 1.106.2's own options.

    .venv/bin/python -m bench.routing [--rounds 4] [--chats 16] [--agents 16] [--uniform 16] [--json out.json]

Two dummy-Llama replicas (real vLLM engine, scheduler and prefix cache; random weights), one core
each, and one proxy per strategy stay up for the whole run; the strategies take turns in
``--rounds`` rounds (order reversed every other round), so drift on a shared machine hits all.

Strategies (every proxy runs the repo's config; only routing differs):

* ``shuffle``              ``routing_strategy: simple-shuffle`` (LiteLLM's default)
* ``least-busy``           ``routing_strategy: least-busy`` (this proxy's in-flight counts)
* ``session_affinity``     simple-shuffle + ``optional_pre_call_checks: ["session_affinity"]``: the
                           first request of a session id is shuffled, later ones are pinned to it
                           (TTL 1 h; the id comes from ``x-session-id`` / ``metadata.session_id``)
* ``deployment_affinity``  simple-shuffle + ``["deployment_affinity"]``: pinned per API key (here
                           one master key for all traffic, as Open WebUI uses one key for all users)
* ``solv``                 the solv routing filter (part of ``plugins.solv.instance``), repo defaults
                           and ``placement: on``: a conversation's first request goes to the replica
                           holding the fewest, remembered in this one proxy process (the setting for
                           one proxy process; with Redis, ``auto`` does the same across processes)
* ``solv-hash``            the same with ``placement: off``: the stateless rendezvous hash alone
                           (what ``auto`` gives several proxy processes without Redis)

Loads (per strategy, split over the rounds; ``--concurrency`` at once):

* chat: ``--chats`` chats of ``--turns`` turns, each with its own system prompt; every turn re-sends
  the whole history, so the replica that served the previous turn holds most of it in its KV cache.
* agent: ``--agents`` agent loops of ``--steps`` requests sharing one system prompt (tool
  instructions), shaped as Cline / Roo send them: the task with ``<environment_details>``, then per
  step the model's tool call and a ``[tool] Result:`` turn with the tool's output (a file read,
  test output, a search, a diff: 150-800 tokens, drawn per round and loop, the same for every
  strategy) and ``<environment_details>`` again. After two steps the loop's own history outweighs
  the shared system prompt, as in real agent traffic (``AGENT_TOOLS``).
* uniform: ``--uniform`` single-turn requests with unique prompts (nothing to reuse).

Chat and agent requests carry ``x-session-id`` (one per chat/loop), so LiteLLM's session_affinity
can work at all; solv reads the same header (without it solv keys by the conversation prefix,
which maps one-to-one to the same sessions here). Every prompt starts with a per-round,
per-strategy salt, so no strategy profits from another's cache.

Measured through the proxy with streaming: TTFT (first content chunk) p50/p99, requests/s, the
prefix-cache hit rate from vLLM's own counters (``vllm:prefix_cache_hits`` / ``_queries``, deltas),
requests per replica (LiteLLM's ``x-litellm-model-id`` response header), and vLLM's own mean TTFT
(``vllm:time_to_first_token_seconds``: inside the engine, without the proxies and the client that
share the two cores with it). Ratios: shuffle's
TTFT p50 / the strategy's (>1 = faster than shuffle), and for solv the best LiteLLM option's TTFT
p50 / solv's (>1 = solv faster). The last line (chat load):
``ttft_p50_speedup_vs_shuffle=<x> prefix_hit_rate=<solv> prefix_hit_rate_shuffle=<y> ttft_p50_vs_best_litellm=<z>``.

Scaled down for a 2-core machine: 2 replicas (not 8 GPUs), an 8-layer model with random weights,
4-token answers, a handful of sessions. Prompts are long (1-3.6k tokens, one token per word here)
so that prefill, not the proxies and the client sharing the two cores, dominates TTFT: with
~300-token prompts, sending everything to one replica won only because it left a core free. ``bench/routing_sim.py``
projects the same routing code to 8-64 replicas, calibrated on this benchmark's numbers.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import re
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from tests.support.proxy import MASTER_KEY, free_port, repo_config, start_proxy, write_variant

from bench.common import pct
from solvstack.core.routing.metrics import parse_metrics
from solvstack.ops.backends.catalog import get_model
from solvstack.ops.backends.model import prepare_in_venv
from solvstack.ops.backends.server import VllmServer, find_vllm_python
from solvstack.ops.launcher import cpu_replicas

GROUP = "llama"
LITELLM = ("shuffle", "least-busy", "session_affinity", "deployment_affinity")
STRATEGIES = (*LITELLM, "solv-hash", "solv")
# solv's placement per strategy: ``solv`` remembers where it placed each conversation in its one
# process (``placement: on``: one proxy process, as every proxy here, and as LiteLLM's affinity
# options keep their pins without Redis); ``solv-hash`` is the stateless hash alone (``off``, what
# ``auto`` gives several proxy processes without Redis)
SOLV_PLACEMENT = {"solv": "on", "solv-hash": "off"}
LOADS = ("chat", "agent", "uniform")
WORDS = ["alpha", "beta", "gamma", "delta", "epsilon", "zeta", "theta", "kappa", "lambda", "sigma", "omega",
         "river", "stone", "cloud", "maple", "copper", "violet", "harbor", "lantern", "meadow", "signal",
         "vector", "kernel", "packet"]


@dataclass
class Result:
    ttft: list[float] = field(default_factory=list)
    wall_s: float = 0.0
    hits: float = 0.0
    queries: float = 0.0
    engine_ttft_s: float = 0.0  # vLLM's own TTFT histogram: sum and count
    engine_n: float = 0.0
    replicas: Counter[str] = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)  # failed requests: status and the proxy's answer

    def add(self, other: Result) -> None:
        self.ttft += other.ttft
        self.errors += other.errors
        self.wall_s += other.wall_s
        self.hits += other.hits
        self.queries += other.queries
        self.engine_ttft_s += other.engine_ttft_s
        self.engine_n += other.engine_n
        self.replicas.update(other.replicas)

    @property
    def rps(self) -> float:
        return len(self.ttft) / self.wall_s if self.wall_s else 0.0

    @property
    def hit_rate(self) -> float:
        return self.hits / self.queries if self.queries else 0.0

    @property
    def engine_ttft(self) -> float:
        """Mean TTFT inside vLLM (without the proxy and the client, which share the cores here)."""
        return self.engine_ttft_s / self.engine_n if self.engine_n else 0.0

    @property
    def p50(self) -> float:
        return pct(self.ttft, 50) if self.ttft else float("nan")


def text(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n))


def strategy_config(strategy: str, servers: list[VllmServer], folder: Path, routing: dict[str, Any]) -> Path:
    models = [{"model_name": GROUP,
               "litellm_params": {"model": f"hosted_vllm/{s.spec.served_name}", "api_base": s.base_url,
                                  "api_key": "none", "timeout": 300},
               "model_info": {"id": f"r{i}", "solv_deployment": f"r{i}", "solv_thinking": "none"}}
              for i, s in enumerate(servers)]
    router: dict[str, Any] = {"routing_strategy": "least-busy" if strategy == "least-busy" else "simple-shuffle"}
    if strategy in ("session_affinity", "deployment_affinity"):
        router["optional_pre_call_checks"] = [strategy]
    # LiteLLM's options run with solv's callback too (its thinking hook on every request), routing off
    own = {"placement": SOLV_PLACEMENT[strategy]} if strategy in SOLV_PLACEMENT else {"enabled": False}
    solv = {"routing": {**(repo_config().get("solv") or {}).get("routing", {}), **own, **routing}}
    return write_variant(folder / strategy, models, solv=solv, router_settings=router)


async def stream_ttft(client: httpx.AsyncClient, messages: list[dict[str, str]], session: str | None,
                      res: Result) -> str:
    body = {"model": GROUP, "messages": messages, "max_tokens": 4, "temperature": 0, "stream": True}
    headers = {"x-session-id": session} if session else None
    start = time.perf_counter()
    first, reply = None, []
    async with client.stream("POST", "/v1/chat/completions", json=body, headers=headers) as r:
        if r.status_code >= 400:  # counted and shown, not fatal: the loop goes on as a client would
            res.errors.append(f"{r.status_code}: {(await r.aread()).decode(errors='replace')[:300]}")
            return ""
        res.replicas[r.headers.get("x-litellm-model-id", "?")] += 1
        async for line in r.aiter_lines():
            if not line.startswith("data: ") or line == "data: [DONE]":
                continue
            delta = json.loads(line[6:])["choices"][0]["delta"].get("content")
            if delta and first is None:
                first = time.perf_counter() - start
            reply.append(delta or "")
    res.ttft.append(first if first is not None else time.perf_counter() - start)
    return "".join(reply)


async def chat(client: httpx.AsyncClient, args: argparse.Namespace, salt: str, res: Result) -> None:
    sem = asyncio.Semaphore(args.concurrency)

    async def session(i: int) -> None:
        rng = random.Random(f"{salt}-{i}")
        messages = [{"role": "system", "content": f"{salt} chat {i}. {text(rng, args.system_words)}"}]
        async with sem:
            for turn in range(args.turns):
                messages.append({"role": "user", "content": f"turn {turn}: {text(rng, args.turn_words)}"})
                reply = await stream_ttft(client, messages, f"{salt}-chat-{i}", res)
                messages.append({"role": "assistant", "content": reply or "ok"})

    await asyncio.gather(*(session(i) for i in range(args.chats)))


# What a coding agent appends per step, as Cline / Roo send it (tests/support/client_bodies.py,
# docs/traffic.md): the model's tool call, then a user turn "[tool] Result:" + the tool's output +
# <environment_details>. Output sizes in tokens (one word = one token here): a file read, test
# output, a search or a diff: hundreds to a thousand tokens each, so after two or three steps the
# loop's own history, not the shared system prompt, is most of what a step sends.
AGENT_TOOLS = (("read_file for 'src/{f}.py'", 400, 800), ("execute_command for 'pytest -q'", 200, 450),
               ("search_files for '{f}'", 250, 500), ("apply_diff for 'src/{f}.py'", 150, 350))
AGENT_ENV_WORDS = 60  # <environment_details>: visible files, open tabs, time, mode (Cline sends it every turn)


def agent_steps(seed: str, steps: int) -> list[tuple[str, int]]:
    """The (tool, output tokens) of each step of one loop. Drawn from ``seed`` alone (the round and
    the loop, not the strategy), so every strategy runs exactly the same sizes."""
    rng = random.Random(seed)
    out = []
    for _ in range(steps):
        tool, lo, hi = rng.choice(AGENT_TOOLS)
        out.append((tool.format(f=rng.choice(WORDS)), rng.randint(lo, hi)))
    return out


async def agent(client: httpx.AsyncClient, args: argparse.Namespace, salt: str, res: Result) -> None:
    sem = asyncio.Semaphore(args.concurrency)
    system = f"{salt} You are a coding agent. Tools: {text(random.Random(salt), args.agent_system_words)}"

    async def loop(i: int) -> None:
        rng = random.Random(f"{salt}-a{i}")
        env = f"<environment_details> {text(rng, AGENT_ENV_WORDS)} </environment_details>"
        messages = [{"role": "system", "content": system},
                    {"role": "user", "content": f"<task> {i}: {text(rng, args.turn_words // 2)} </task> {env}"}]
        async with sem:
            for tool, size in agent_steps(f"{args.round_seed}-a{i}", args.steps):
                reply = await stream_ttft(client, messages, f"{salt}-agent-{i}", res)
                messages.append({"role": "assistant", "content": f"<thinking>{reply or 'ok'}</thinking> <{tool}>"})
                messages.append({"role": "user", "content": f"[{tool}] Result: {text(rng, size)} {env}"})

    await asyncio.gather(*(loop(i) for i in range(args.agents)))


async def uniform(client: httpx.AsyncClient, args: argparse.Namespace, salt: str, res: Result) -> None:
    sem = asyncio.Semaphore(args.concurrency)

    async def one(i: int) -> None:
        rng = random.Random(f"{salt}-u{i}")
        async with sem:
            prompt = f"{salt} {i}: {text(rng, args.uniform_words)}"
            await stream_ttft(client, [{"role": "user", "content": prompt}], None, res)

    await asyncio.gather(*(one(i) for i in range(args.uniform)))


WORKLOADS = {"chat": chat, "agent": agent, "uniform": uniform}


_TTFT = re.compile(r"^vllm:time_to_first_token_seconds_(sum|count)\{[^}]*\} (\S+)$", re.M)


def counters(servers: list[VllmServer]) -> tuple[float, float, float, float]:
    """Summed over the replicas: prefix-cache hits and queries (tokens), and vLLM's own TTFT
    histogram sum and count (time from vLLM receiving a request to its first token)."""
    hits = queries = ttft_sum = ttft_count = 0.0
    for s in servers:
        text = httpx.get(s.base_url[:-3] + "/metrics", timeout=10).text
        m = parse_metrics(text, 0)
        if m is not None:
            hits, queries = hits + (m.prefix_hits or 0.0), queries + (m.prefix_queries or 0.0)
        for kind, value in _TTFT.findall(text):
            if kind == "sum":
                ttft_sum += float(value)
            else:
                ttft_count += float(value)
    return hits, queries, ttft_sum, ttft_count


async def measure(url: str, workload: Any, args: argparse.Namespace, salt: str, servers: list[VllmServer]) -> Result:
    res = Result()
    before = counters(servers)
    headers = {"Authorization": f"Bearer {MASTER_KEY}"}
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=600) as client:
        start = time.perf_counter()
        await workload(client, args, salt, res)
        res.wall_s = time.perf_counter() - start
    after = counters(servers)
    res.hits, res.queries, res.engine_ttft_s, res.engine_n = (a - b for a, b in zip(after, before, strict=True))
    return res


def route_reasons(log: Path) -> dict[str, int]:
    """How often the filter chose by affinity, spilled, ... (from its log lines)."""
    reasons = Counter(m.group(1) for m in re.finditer(r"solv route group=\S+ replica=\S+ reason=(\S+)",
                                                       log.read_text(errors="replace")))
    return dict(reasons.most_common())


def table(results: dict[tuple[str, str], Result], strategies: tuple[str, ...]) -> list[str]:
    lines = ["| load | strategy | n | TTFT p50 | TTFT p99 | req/s | prefix hit rate | requests per replica "
             "| p50 vs shuffle | vLLM's mean TTFT |", "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for load in LOADS:
        shuffle = results[(load, "shuffle")]
        for strategy in strategies:
            r = results[(load, strategy)]
            split = " / ".join(str(r.replicas.get(f"r{i}", 0)) for i in range(2))
            hit = f"{r.hit_rate:.3f}" if load != "uniform" else f"({r.hit_rate:.3f})"
            name = f"**{strategy}**" if strategy == "solv" else strategy
            lines.append(f"| {load} | {name} | {len(r.ttft)} | {r.p50:.2f} s | {pct(r.ttft, 99):.2f} s | {r.rps:.2f} "
                         f"| {hit} | {split} | {shuffle.p50 / r.p50:.2f}x | {r.engine_ttft:.2f} s |")
    return lines


def best_litellm(results: dict[tuple[str, str], Result], load: str) -> str:
    """The LiteLLM option with the lowest TTFT p50 on ``load`` among those that ran."""
    return min((s for s in LITELLM if (load, s) in results), key=lambda s: results[(load, s)].p50)


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
    parser.add_argument("--chats", type=int, default=16)
    parser.add_argument("--turns", type=int, default=3)
    parser.add_argument("--system-words", type=int, default=1500)
    parser.add_argument("--turn-words", type=int, default=100)
    parser.add_argument("--agents", type=int, default=16)
    parser.add_argument("--steps", type=int, default=4)
    parser.add_argument("--agent-system-words", type=int, default=1000)
    parser.add_argument("--uniform", type=int, default=16)
    parser.add_argument("--uniform-words", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=4, help="strategies alternate per round, so drift hits all")
    parser.add_argument("--strategies", default=",".join(STRATEGIES), help="comma-separated subset")
    parser.add_argument("--routing", default="{}",
                        help='JSON overriding solv.routing keys, e.g. \'{"balance_abs_threshold": 2}\'')
    parser.add_argument("--json", type=Path, default=None, help="also write the raw results here")
    args = parser.parse_args()
    strategies = tuple(s for s in STRATEGIES if s in args.strategies.split(","))
    if "shuffle" not in strategies or "solv" not in strategies:
        parser.error("--strategies needs at least shuffle and solv")
    routing = json.loads(args.routing)
    per_round = argparse.Namespace(**{**vars(args), **{k: max(1, getattr(args, k) // args.rounds)
                                                       for k in ("chats", "agents", "uniform")}})
    results: dict[tuple[str, str], Result] = {(load, s): Result() for load in LOADS for s in STRATEGIES}
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="solv-bench-routing-") as tmp:
        servers = start_replicas(args, Path(tmp))
        proxies = {s: start_proxy(strategy_config(s, servers, Path(tmp), routing)) for s in strategies}
        try:
            for r in range(args.rounds):
                per_round.round_seed = f"{random.getrandbits(32):08x}"  # the same loads for every strategy
                for strategy in strategies if r % 2 == 0 else tuple(reversed(strategies)):
                    for load in LOADS:
                        salt = f"{random.getrandbits(32):08x}-{strategy}"
                        res = asyncio.run(measure(proxies[strategy].url, WORKLOADS[load], per_round, salt, servers))
                        results[(load, strategy)].add(res)
                        print(f"round {r} {strategy:<19} {load:<7} n={len(res.ttft)} errors={len(res.errors)} "
                              f"ttft_p50={res.p50:.2f}s "
                              f"vllm_ttft={res.engine_ttft:.2f}s hit={res.hit_rate:.3f} replicas={dict(res.replicas)}",
                              flush=True)
            for s in (x for x in SOLV_PLACEMENT if x in proxies):
                print(f"{s} routes: {route_reasons(Path(proxies[s].log_path))}", flush=True)
            for (load, strategy), res in results.items():
                for error in res.errors[:3]:
                    print(f"error {load}/{strategy}: {error}", flush=True)
        finally:
            for proxy in proxies.values():
                proxy.stop()
            for s in servers:
                s.stop()
    print(f"run took {time.perf_counter() - started:.0f} s")
    summarize({k: v for k, v in results.items() if k[1] in strategies}, strategies, args.json, routing)


def summarize(results: dict[tuple[str, str], Result], strategies: tuple[str, ...], json_path: Path | None,
              routing: dict[str, Any] | None = None) -> None:
    print("\n".join(table(results, strategies)))
    for load in LOADS:
        best = best_litellm(results, load)
        solv, b, shuffle = results[(load, "solv")], results[(load, best)], results[(load, "shuffle")]
        print(f"{load}: solv ttft_p50 {solv.p50:.2f}s; vs shuffle {shuffle.p50 / solv.p50:.2f}x; "
              f"vs best LiteLLM ({best}, {b.p50:.2f}s) {b.p50 / solv.p50:.2f}x; "
              f"req/s vs best {solv.rps / b.rps:.2f}x; hit rate {solv.hit_rate:.3f} vs shuffle {shuffle.hit_rate:.3f}; "
              f"vLLM's mean TTFT {solv.engine_ttft:.2f}s vs shuffle {shuffle.engine_ttft:.2f}s, best LiteLLM "
              f"{min(results[(load, s)].engine_ttft for s in LITELLM if (load, s) in results):.2f}s"
              + (f"; solv-hash (placement off) ttft_p50 {results[(load, 'solv-hash')].p50:.2f}s, vs shuffle "
                 f"{shuffle.p50 / results[(load, 'solv-hash')].p50:.2f}x" if (load, "solv-hash") in results else ""))
    if json_path:
        json_path.write_text(json.dumps({f"{load}/{s}": {"ttft": r.ttft, "wall_s": r.wall_s, "hits": r.hits,
                                                         "queries": r.queries, "replicas": dict(r.replicas),
                                                         "errors": len(r.errors),
                                                         "p50": r.p50, "p99": pct(r.ttft, 99), "rps": r.rps,
                                                         "hit_rate": r.hit_rate, "engine_ttft": r.engine_ttft,
                                                         **({"placement": (routing or {}).get("placement",
                                                                                              SOLV_PLACEMENT[s])}
                                                            if s in SOLV_PLACEMENT else {})}
                                         for (load, s), r in results.items()}, indent=1))
    solv, shuffle = results[("chat", "solv")], results[("chat", "shuffle")]
    top = results[("chat", best_litellm(results, "chat"))]
    print(f"ttft_p50_speedup_vs_shuffle={shuffle.p50 / solv.p50:.2f} prefix_hit_rate={solv.hit_rate:.3f} "
          f"prefix_hit_rate_shuffle={shuffle.hit_rate:.3f} ttft_p50_vs_best_litellm={top.p50 / solv.p50:.2f}")


if __name__ == "__main__":
    main()
