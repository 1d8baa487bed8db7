"""Trace-driven simulator of N vLLM replicas behind each routing strategy, for 8-64 GPUs.

    .venv/bin/python -m bench.routing_sim            # calibration + projections, ~40 s on 2 busy cores, pure Python

What is modelled (one replica = one vLLM engine, continuous batching):

* each engine step spends a token budget on one decode token per running request and prefill
  chunks of the *uncached* prompt tokens, then admits waiting requests (FCFS, up to ``max_seqs``)
  while budget is left, looking each up in the replica's **prefix cache** when admitted (whole KV
  blocks, hash-chained like vLLM's, LRU eviction at a fixed number of blocks; at least the last
  token is always computed); computed whole blocks are cached at the end of each step. Blocks are
  16 tokens on GPUs (the projection) and 128 on CPU (vLLM's CPU default, the calibration replicas):
  with 128, a turn's last partial block and the answer around it are recomputed;
* a step lasts ``t_step + t_prefill * prefill_tokens + t_ctx * context + t_attn * attended +
  t_decode * decoding_requests``: ``context`` sums, over the step's prefill chunks, the tokens
  already in the KV cache before each chunk (its cached prefix, earlier chunks), which the chunk
  reads once (a hit on a long history is cheaper than a miss but not free); ``attended`` sums,
  over every token computed, the tokens it attends to; the batch's decode cost grows with the
  sequences running; the first token comes at the end of the step that finishes the prefill;
* the proxy is one process: it spends CPU on each request in proportion to its size (``proxy_s``
  per 1k prompt tokens: parsing, token counting, the hooks) one request at a time before forwarding
  it, so requests sent together queue in it; TTFT adds that wait and a parallel overhead (the
  first token's way out through vLLM's API server, the proxy and the client);
* calibration only: the two replicas share the machine's 2 cores with the proxies and the client, so
  a replica's step is ``1 + contention`` times longer while the other replica is busy too, and the
  proxy's and the client's work ``1 + proxy_contention`` times longer while both are (an idle
  replica leaves its core to the rest); both 0 in the projection (one GPU each);
  vLLM's ``prefix_cache_queries`` / ``hits`` are counted the same way (prompt tokens / cached ones);
* the router sees what the real one sees: its own in-flight counts (up at once; down when the
  answer is sent for solv, when LiteLLM's logging worker runs the success callbacks, ``log_lag_s``
  later, for least-busy), and vLLM's running/waiting gauges scraped every ``scrape_s`` and
  ``lag_s`` old.

Strategies: ``solv`` calls the real decision, :func:`solvstack.core.routing.choice.decide` (and, with
placement on, the default here, :func:`~solvstack.core.routing.choice.place` for a conversation's first
request and :class:`~solvstack.core.routing.placement.Placements` for where it went, as the callback
does; ``--proxies N`` proxies take requests in turn, on one memory as with Redis or ``--own-memory``
each), with the real key function (:func:`solvstack.core.routing.affinity.affinity_key` on the ``x-session-id``) and
:class:`~solvstack.core.routing.choice.ReplicaLoad` built as the callback builds it. LiteLLM's options
cannot be called outside its router, so they are re-implemented from its 1.106.2 source:
``shuffle`` (uniform random), ``least-busy`` (fewest own in-flight, ties to the first deployment),
``session_affinity`` (first request of a session shuffled, then pinned), ``deployment_affinity``
(pinned per API key; one key for all traffic). ``oracle`` knows every replica's cache and exact
queue: SGLang's cache-aware rule with a perfect radix tree (the replica holding the longest prefix
unless over the same balance thresholds, else the shortest queue).

Loads have the shapes of ``bench/routing.py`` (token counts of its prompts): chat (own system
prompt per chat, turns re-send the history), agent (one shared system prompt, steps append a tool
call and a tool output of 150-800 tokens drawn by the real benchmark's own ``agent_steps``),
uniform (unique single prompts).

1. **Calibration**: the real benchmark's closed loop (2 replicas, 3-4 sessions at once, turns back
   to back, 4 rounds), the replica's cost constants (t_prefill, t_ctx, t_attn, t_step, contention)
   fitted to vLLM's own mean TTFT in LiteLLM's options' cells, the parallel overhead and
   ``proxy_contention`` to their TTFT p50 through the proxy (the proxy's serial CPU is measured,
   not fitted: ``CPU_START``); then every
   cell is compared with the real run (``bench/routing_real.json``, written by ``bench/routing.py
   --json``): TTFT p50 (each simulated run's median, as one real run takes it, averaged over 8
   runs), vLLM's TTFT and hit rate. solv's cells and every hit rate are not fitted. solv runs as the
   real run's proxy ran it: placement on or off, as its cells record
   (``solv`` and ``solv-hash``; runs before that field: off).
2. **Projection**: 8, 16, 64 replicas, sessions arriving as a Poisson process with think/tool time
   between turns, at 50/70/90 % load (offered work, counted as if nothing were cached, over the
   replicas' capacity).

The last line: ``replicas=8 load=0.7 ttft_p50_speedup_vs_shuffle=<x> hit_rate_vs_oracle=<y>
max_load_over_mean=<z>`` (solv on the chat load). A replica's load is its work, the time it spends
in engine steps over the run: the same quantity as the load axis (offered work over capacity), per
replica. The time-averaged requests running or waiting, the measure before, is printed beside it
("max/mean queue") but is not the load: it grows steeply with utilisation, and at well under one
request in flight on average a single burst moves it (shuffle, fair by construction, scored 1.5-2.0
on it at 8 replicas and 4.3 at 64).
"""

from __future__ import annotations

import argparse
import heapq
import json
import math
import os
import random
import statistics
import time
from collections import Counter, OrderedDict, deque
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path

from bench.routing import agent_steps  # the real benchmark's agent loops: the same tool outputs
from solvstack.core.routing.affinity import affinity_key
from solvstack.core.routing.choice import Policy, ReplicaLoad, decide, overloaded, place
from solvstack.core.routing.placement import Placements

BLOCK = 16


STRATEGIES = ("shuffle", "least-busy", "session_affinity", "deployment_affinity", "solv", "oracle")
LITELLM = ("shuffle", "least-busy", "session_affinity", "deployment_affinity")
LOADS = ("chat", "agent", "uniform")
SOLV_VARIANTS = ("solv-hash", "solv")  # the real benchmark's solv cells: placement off, and as configured
REAL_STRATEGIES = (*LITELLM, *SOLV_VARIANTS)


# -- the replica ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Costs:
    """One vLLM CPU replica of the dummy Llama (fitted in :func:`calibrate`)."""

    t_step: float = 0.06  # s per engine step
    t_prefill: float = 0.0025  # s per uncached prompt token
    t_decode: float = 0.004  # s per decoding request per step
    # s per (computed token x token it attends to): a chunk of new tokens still attends over the whole
    # cached prefix, so a long conversation's cache hit is cheaper than a miss but not free
    t_attn: float = 2e-7
    # s per token of context a prefill chunk reads before its own tokens (the cached prefix, earlier
    # chunks), once per chunk: gathering that KV from the paged cache, and vLLM's per-request work
    # that scales with the whole prompt (block hashes, input tensors), paid by a hit as much as a miss
    t_ctx: float = 0.0
    overhead: float = 0.08  # s the proxy and client add to every TTFT (in parallel: the network, the client)
    proxy_s: float = 0.0  # s of the proxy's own CPU per 1k prompt tokens before it forwards a request (parsing,
    # token counting, the hooks), one request at a time: requests sent together queue in it
    # On the calibration machine the replicas share 2 cores with the proxies and the client: a replica's
    # step is this much slower while the other replicas are busy too (an idle one leaves its core to the
    # proxies); 0 on GPUs (the projection).
    contention: float = 0.0
    # ...and the proxy, the client and vLLM's API servers (no core of their own) get one only while a
    # replica is idle: their work (the proxy's serial CPU, the overhead a first token pays on its way
    # out) takes this much longer while every replica is busy (calibration only, like ``contention``)
    proxy_contention: float = 0.0
    log_lag_s: float = 1.0  # LiteLLM's success callbacks (which end in-flight counts) run this late
    budget: int = 2048  # tokens per step (chunked prefill)
    max_seqs: int = 64
    cache_blocks: int = 4096  # prefix cache per replica, in 16-token blocks
    # tokens per KV-cache block: what the prefix cache shares and keeps, in whole blocks only (a
    # partial last block is always recomputed). vLLM's default on GPUs is 16; on CPU it is 128
    # (vllm/platforms/cpu.py), which the calibration replicas run with. A multiple of BLOCK.
    block: int = BLOCK


class Prompt:
    """A token sequence as segments (id, length) with its hash-chained full blocks, grown in place.
    A block's identity is the chain of (segment, offset) pieces that fill it, as vLLM chains the
    hashes of the token ids of every full block with its parent's."""

    def __init__(self) -> None:
        self.segments: list[tuple[int, int, int]] = []  # (id, start, end) in tokens
        self.total = 0
        self.blocks: list[int] = []
        self._seg = 0  # first segment that reaches into the next block

    def extend(self, seg: int, n: int) -> None:
        start = self.total
        self.segments.append((seg, start, start + n))
        self.total += n
        blocks = self.blocks
        while (len(blocks) + 1) * BLOCK <= self.total:
            lo = len(blocks) * BLOCK
            prev = blocks[-1] if blocks else 0
            if lo >= start:  # the rest lies inside the new segment: (parent, segment, offset)
                for k in range(len(blocks), self.total // BLOCK):
                    prev = hash((prev, seg, k * BLOCK - start))
                    blocks.append(prev)
                break
            while self.segments[self._seg][2] <= lo:  # a block that straddles earlier segments
                self._seg += 1
            pieces = []
            i = self._seg
            while i < len(self.segments) and self.segments[i][1] < lo + BLOCK:
                pieces.append((self.segments[i][0], lo - self.segments[i][1]))
                i += 1
            blocks.append(hash((prev, *pieces)) if len(pieces) > 1 else hash((prev, *pieces[0])))


@dataclass
class Request:
    session: str
    blocks: tuple[int, ...]
    tokens: int
    decode: int
    arrival: float
    on_done: Callable[[float], None]
    new: bool = True  # an anonymous conversation's first request (no session id, no history)
    first: bool = True  # a conversation's first request (no answer yet), named or not
    proxy: int = 0  # which proxy it was sent to (several proxies: round robin, as a load balancer does)
    replica: int = -1
    prefill_left: int = 0
    decode_left: int = 0
    first_token: float = -1.0
    routed: float = 0.0  # when the proxy forwarded it (the replica's clock starts)


class Replica:
    def __init__(self, costs: Costs) -> None:
        self.c = costs
        self.cache: OrderedDict[int, None] = OrderedDict()
        self.waiting: deque[Request] = deque()
        self.running: list[Request] = []
        self.busy = False
        self.hits = self.queries = 0
        self.served = 0
        self.busy_s = 0.0  # time spent in engine steps: the replica's load (its work), as the load axis counts it
        self.queue_area = 0.0  # integral of (running + waiting) over time

    def cached_tokens(self, blocks: tuple[int, ...], tokens: int, touch: bool = False) -> int:
        """Prompt tokens found in the cache: whole KV blocks (``Costs.block`` tokens, each
        ``block // BLOCK`` of the prompt's hash-chained 16-token pieces), at most ``tokens - 1`` of them
        (the last token is always computed), as vLLM's ``get_computed_blocks``."""
        n = 0
        for b in blocks:
            if b not in self.cache:
                break
            n += 1
        per = self.c.block // BLOCK
        n = min(n // per * per, (tokens - 1) // self.c.block * per)
        if touch:
            for b in blocks[:n]:
                self.cache.move_to_end(b)
        return n * BLOCK

    def insert(self, blocks: tuple[int, ...]) -> None:
        for b in blocks:
            self.cache[b] = None
            self.cache.move_to_end(b)
        while len(self.cache) > self.c.cache_blocks:
            self.cache.popitem(last=False)

    def step(self, now: float, slowdown: float = 1.0) -> tuple[float, list[Request], list[Request]]:
        """Run one engine step from ``now``: (its end, requests whose first token it makes, finished
        ones). As vLLM v1's scheduler: running requests first (a decode token each, then their
        prefill chunks), then waiting ones while the token budget lasts, each looked up in the
        prefix cache when admitted; computed full blocks are cached at the end of every step."""
        budget = self.c.budget
        decoding = [r for r in self.running if r.prefill_left == 0]
        budget -= len(decoding)
        chunks: list[tuple[Request, int]] = []
        for r in self.running:
            if r.prefill_left and budget > 0:
                take = min(r.prefill_left, budget)
                chunks.append((r, take))
                budget -= take
        while self.waiting and budget > 0 and len(self.running) < self.c.max_seqs:
            r = self.waiting.popleft()
            cached = self.cached_tokens(r.blocks, r.tokens, touch=True)
            self.hits += cached
            self.queries += r.tokens
            r.prefill_left = r.tokens - cached
            self.running.append(r)
            take = min(r.prefill_left, budget)
            chunks.append((r, take))
            budget -= take
        prefilled, firsts = 0, []
        attended = sum(r.tokens for r in decoding)  # each decode token attends over its whole context
        context = 0  # tokens already in the KV cache that this step's prefill chunks read
        for r, take in chunks:
            attended += take * (r.tokens - r.prefill_left + take // 2)
            context += r.tokens - r.prefill_left
            r.prefill_left -= take
            prefilled += take
            self.insert(r.blocks[:(r.tokens - r.prefill_left) // self.c.block * (self.c.block // BLOCK)])
            if r.prefill_left == 0:
                firsts.append(r)
        end = now + slowdown * (self.c.t_step + self.c.t_prefill * prefilled + self.c.t_attn * attended
                                + self.c.t_ctx * context + self.c.t_decode * len(decoding))
        done = []
        for r in firsts:
            r.first_token = end
            r.decode_left = r.decode - 1
        for r in decoding:
            r.decode_left -= 1
        for r in firsts + decoding:
            if r.decode_left <= 0:
                done.append(r)
        if done:
            ids = {id(r) for r in done}
            self.running = [r for r in self.running if id(r) not in ids]
        return end, firsts, done


# -- routing ----------------------------------------------------------------------------------------
@dataclass
class Sample:
    at: float
    running: int
    waiting: int


class Router:
    """One proxy in front of the replicas, deciding as ``strategy`` does."""

    def __init__(self, strategy: str, replicas: list[Replica], rng: random.Random, policy: Policy,
                 lag_s: float, stale_s: float = 5.0, assumed_lag_s: float = 0.0,
                 memory_ttl_s: float = 1800.0, shared: Placements | None = None) -> None:
        self.strategy, self.replicas, self.rng, self.policy = strategy, replicas, rng, policy
        self.ids = [f"r{i}" for i in range(len(replicas))]
        self.in_flight = [0] * len(replicas)
        self.sent: list[deque[float]] = [deque() for _ in replicas]  # start times of own in-flight requests
        self.finished: deque[tuple[int, float, float]] = deque(maxlen=4096)  # (replica, started, logged)
        self.samples: list[Sample | None] = [None] * len(replicas)
        self.pins: dict[str, int] = {}
        self.lag_s, self.stale_s = lag_s, stale_s  # the gauges' real lag
        self.assumed_lag_s = assumed_lag_s  # solv.routing.metrics_lag_s
        self.reasons: Counter[str] = Counter()
        self.now = 0.0
        # solv with policy.placement: the conversations this proxy placed (its counts, the load signal
        # placement balances), and where to look a key up: the same, or one memory every proxy shares (Redis)
        self.mine = Placements(ttl_s=memory_ttl_s, clock=lambda: self.now)
        self.memory = shared if shared is not None else self.mine

    def scrape(self, now: float, history: list[list[Sample]]) -> None:
        """vLLM's gauges as of ``now - lag_s`` (``history`` holds each replica's recent states)."""
        for i, h in enumerate(history):
            seen = [s for s in h if s.at <= now - self.lag_s]
            if seen:
                self.samples[i] = Sample(now, seen[-1].running, seen[-1].waiting)

    def route(self, req: Request, now: float) -> int:
        s = self.strategy
        self.now = now
        if s == "shuffle":
            return self.rng.randrange(len(self.replicas))
        if s == "least-busy":
            return min(range(len(self.replicas)), key=self.in_flight.__getitem__)
        if s in ("session_affinity", "deployment_affinity"):
            pin = req.session if s == "session_affinity" else "the-one-api-key"
            if pin not in self.pins:
                self.pins[pin] = self.rng.randrange(len(self.replicas))
            return self.pins[pin]
        if s == "oracle":
            return self._oracle(req)
        return self._solv(req, now)

    def _oracle(self, req: Request) -> int:
        """SGLang's cache-aware rule with a perfect view: the replica holding the most of the prompt,
        unless its true queue is over both balance thresholds against the shortest; a prompt nothing
        of which is cached anywhere goes to the shortest queue. Ties (every replica holds a shared
        system prompt, or none holds anything and all are idle) go to the shorter queue, then to
        the emptier cache (SGLang: the smallest tree), then at random, never to the first index
        (that piled every new chat onto replica 0 and thrashed its cache)."""
        queue = [len(r.running) + len(r.waiting) for r in self.replicas]
        least = min(queue)
        cached = [r.cached_tokens(req.blocks, req.tokens) for r in self.replicas]
        tie = [self.rng.random() for _ in self.replicas]
        ok = [i for i in range(len(self.replicas)) if not overloaded(queue[i], least, self.policy)]
        best = max(ok, key=lambda i: (cached[i], -queue[i], -len(self.replicas[i].cache), tie[i]))
        if cached[best] > 0:
            return best
        return min(range(len(queue)), key=lambda i: (queue[i], len(self.replicas[i].cache), tie[i]))

    def _solv(self, req: Request, now: float) -> int:
        loads = {}
        for i, rid in enumerate(self.ids):
            sample = self.samples[i]
            if sample is None or now - sample.at > self.stale_s:
                loads[rid] = ReplicaLoad(in_flight=self.in_flight[i])
                continue
            since = sample.at - self.assumed_lag_s
            unseen = sum(1 for t in self.sent[i] if t > since)
            finished = 0
            for r, started, ended in reversed(self.finished):  # as InFlight.finished_since
                if ended <= since:
                    break
                finished += r == i and started <= since
            loads[rid] = ReplicaLoad(in_flight=self.in_flight[i], unseen=unseen, finished=finished,
                                     running=sample.running, waiting=sample.waiting)
        key = affinity_key("sim", None, ("x-session-id", req.session)) if req.session else None
        remembered = self.memory.get(key) if self.policy.placement and key else None
        if self.policy.placement and key and remembered is None and req.first:  # as the callback does
            choice = place(self.ids, loads, key, self.mine.counts(), self.policy, id_of=lambda x: x)
        else:
            choice = decide(self.ids, loads, key, self.policy, id_of=lambda x: x, new=req.new, remembered=remembered)
        if self.policy.placement and key:
            self.mine.put(key, choice.deployment)
            if self.memory is not self.mine:
                self.memory.put(key, choice.deployment)
        self.reasons[choice.reason if remembered is None or choice.reason != "affinity" else "remembered"] += 1
        return self.ids.index(choice.deployment)


# -- loads ------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Shape:
    """Token counts of ``bench/routing.py``'s default prompts (one token per word with the dummy
    Llama's tokenizer, plus the salt, labels and chat template)."""

    chat_system: int = 1512
    chat_turn: int = 108
    turns: int = 3
    agent_system: int = 1028  # ...1000 words; then the task with <environment_details>
    agent_task: int = 130
    agent_call: int = 27  # the model's tool call (its 4 tokens, <thinking>, the tool tag)
    agent_result: int = 89  # "[tool] Result:" and <environment_details> around the tool's output
    steps: int = 4  # requests per loop; the outputs' sizes are bench/routing.py's (agent_steps)
    uniform: int = 1008
    answer: int = 9  # 4 generated tokens, re-sent in the next turn with the template around them


Turns = list[list[tuple[int, int]]]  # per turn, the (segment id, tokens) it appends


def sessions(load: str, shape: Shape, n: int, tag: str, ids: Iterator[int]) -> list[tuple[str, Turns]]:
    """``n`` sessions of ``load``: (session id, the segments each turn appends before it is sent)."""
    out: list[tuple[str, Turns]] = []
    shared = next(ids)
    for i in range(n):
        sid = f"{tag}-{load}-{i}"
        if load == "chat":
            turns: Turns = [[(next(ids), shape.chat_system), (next(ids), shape.chat_turn)]]
            turns += [[(next(ids), shape.answer), (next(ids), shape.chat_turn)] for _ in range(shape.turns - 1)]
        elif load == "agent":  # the same tool outputs as the real benchmark draws (the last is never sent)
            turns = [[(shared, shape.agent_system), (next(ids), shape.agent_task)]]
            turns += [[(next(ids), shape.agent_call), (next(ids), size + shape.agent_result)]
                      for _, size in agent_steps(f"{tag}-a{i}", shape.steps)[:-1]]
        else:
            turns = [[(next(ids), shape.uniform)]]  # no session header: solv keys by the (unique) prompt
        out.append((sid, turns))
    return out


# -- one simulated run ------------------------------------------------------------------------------
@dataclass
class Outcome:
    ttft: list[float] = field(default_factory=list)
    base: list[float] = field(default_factory=list)  # TTFT without the overhead...
    stretch: list[float] = field(default_factory=list)  # ...and how much longer the overhead took (shared cores)
    engine: list[float] = field(default_factory=list)  # vLLM's own TTFT: from receiving it to the first token
    hits: int = 0
    queries: int = 0
    served: list[int] = field(default_factory=list)
    load: list[float] = field(default_factory=list)  # each replica's busy time (seconds in engine steps)
    queue: list[float] = field(default_factory=list)  # each replica's integral of requests running or waiting
    runs_max_over_mean: list[float] = field(default_factory=list)  # when pooled from several runs
    runs_queue_max_over_mean: list[float] = field(default_factory=list)
    reasons: Counter[str] = field(default_factory=Counter)

    @property
    def p50(self) -> float:
        return statistics.median(self.ttft)

    @property
    def hit_rate(self) -> float:
        return self.hits / self.queries if self.queries else 0.0

    @property
    def max_over_mean(self) -> float:
        """The busiest replica's load over the mean, load being the replica's work: its time in
        engine steps over the run, the same quantity the load axis (offered work over capacity)
        counts for all replicas together (pooled runs: the mean of each run's)."""
        if self.runs_max_over_mean:
            return statistics.mean(self.runs_max_over_mean)
        return _max_over_mean(self.load)

    @property
    def queue_max_over_mean(self) -> float:
        """The same for the time-averaged requests running or waiting. Not the load: queue length
        grows steeply with a replica's utilisation near saturation, and at a mean of under one
        request in flight one burst moves it (shuffle, fair by construction, scores 1.5-2 at 8
        replicas); kept as a column to show queueing."""
        if self.runs_queue_max_over_mean:
            return statistics.mean(self.runs_queue_max_over_mean)
        return _max_over_mean(self.queue)


def _max_over_mean(xs: list[float]) -> float:
    return max(xs) / statistics.mean(xs) if any(xs) else 1.0


def simulate(strategy: str, load: str, n_replicas: int, costs: Costs, shape: Shape, seed: int,
             closed: tuple[int, int] | None = None, rate: float = 0.0, n_sessions: int = 0,
             think_s: float = 0.0, policy: Policy | None = None, scrape_s: float = 1.0, lag_s: float = 0.0,
             assumed_lag_s: float = 0.0, proxies: int = 1, memory_ttl_s: float = 1800.0,
             shared_memory: bool = False) -> Outcome:
    """Closed loop ``closed=(sessions per round, rounds)`` with turns back to back (the real
    benchmark), or open loop: ``n_sessions`` arriving at ``rate`` per second, ``think_s`` between turns.
    ``proxies``: that many proxies, each with its own counts, samples and placement memory, take
    the requests in turn (a round-robin load balancer in front of them); ``shared_memory``: their
    placement memories are one (Redis), each still counting only its own placements."""
    rng = random.Random(seed)
    replicas = [Replica(costs) for _ in range(n_replicas)]
    now_box = [0.0]
    shared = Placements(ttl_s=memory_ttl_s, clock=lambda: now_box[0]) if shared_memory else None
    routers = [Router(strategy, replicas, random.Random(seed + 1 + 7919 * p), policy or Policy(), lag_s,
                      assumed_lag_s=assumed_lag_s, memory_ttl_s=memory_ttl_s, shared=shared)
               for p in range(proxies)]
    sent_count = [0]
    history: list[list[Sample]] = [[] for _ in replicas]
    events: list[tuple[float, int, str, object]] = []
    seq = iter(range(10**9))
    ids = iter(range(1, 10**9))
    out = Outcome()

    def push(t: float, kind: str, payload: object) -> None:
        heapq.heappush(events, (t, next(seq), kind, payload))

    def start_session(t: float, sid: str, turns: Turns, after: Callable[[float], None]) -> None:
        prompt = Prompt()

        def turn(k: int, now: float) -> None:
            for seg, n in turns[k]:
                prompt.extend(seg, n)
            last = k == len(turns) - 1

            def done(end: float) -> None:
                if last:
                    after(end)
                else:
                    push(end + (rng.expovariate(1 / think_s) if think_s else 0.0), "call", lambda t2: turn(k + 1, t2))

            new = k == 0 and load == "uniform"  # chats and agents name their session (x-session-id)
            sent_count[0] += 1
            push(now, "send", Request(sid, tuple(prompt.blocks), prompt.total, shape.answer, now, done, new=new,
                                      first=k == 0, proxy=sent_count[0] % proxies))

        turn(0, t)

    if closed is not None:
        per_round, rounds = closed
        plan = [sessions(load, shape, per_round, f"{seed}-{r}", ids) for r in range(rounds)]

        def run_round(r: int, now: float) -> None:
            if r >= rounds:
                return
            left = [len(plan[r])]

            def finished(end: float) -> None:
                left[0] -= 1
                if left[0] == 0:
                    push(end, "call", lambda t2: run_round(r + 1, t2))

            for sid, turns in plan[r]:
                start_session(now, sid, turns, finished)

        run_round(0, 0.0)
    else:
        t = 0.0
        for sid, turns in sessions(load, shape, n_sessions, str(seed), ids):
            t += rng.expovariate(rate)
            push(t, "call", lambda t2, sid=sid, turns=turns: start_session(t2, sid, turns, lambda end: None))
    if strategy == "solv":
        push(0.0, "scrape", None)

    pending = [0]
    proxy_free = [0.0]  # when the proxy's CPU is next free

    def stretch(t: float) -> float:
        """How much longer the proxy's and the client's work takes now: 1 + proxy_contention while
        every replica is busy (the calibration machine's shared cores; 1 on GPUs)."""
        if not costs.proxy_contention or n_replicas < 2:
            return 1.0
        busy = sum(1 for o in replicas if o.waiting or o.running or o.busy)
        return 1.0 + costs.proxy_contention * max(0, busy - 1) / (n_replicas - 1)
    while events:
        now, _, kind, payload = heapq.heappop(events)
        now_box[0] = now
        if kind == "call":
            payload(now)  # type: ignore[operator]
        elif kind == "send":  # the proxy takes requests one at a time (its CPU), then routes them
            req: Request = payload  # type: ignore[assignment]
            if costs.proxy_s:
                proxy_free[0] = max(proxy_free[0], now) + stretch(now) * costs.proxy_s * req.tokens / 1000
                push(proxy_free[0], "route", req)
            else:
                push(now, "route", req)
        elif kind == "route":
            req = payload  # type: ignore[assignment]
            req.routed = now
            router = routers[req.proxy]
            i = router.route(req, now)
            req.replica = i
            router.in_flight[i] += 1
            router.sent[i].append(now)
            replicas[i].waiting.append(req)
            pending[0] += 1
            if not replicas[i].busy:
                replicas[i].busy = True
                push(now, "step", i)
        elif kind == "step":
            i = payload  # type: ignore[assignment]
            rep = replicas[i]
            if not rep.waiting and not rep.running:
                rep.busy = False
                continue
            queued = len(rep.running) + len(rep.waiting)
            slowdown = 1.0
            if costs.contention:  # the calibration machine's shared cores
                others = sum(1 for j, o in enumerate(replicas) if j != i and (o.waiting or o.running))
                slowdown += costs.contention * others / max(1, n_replicas - 1)
            end, firsts, done = rep.step(now, slowdown)
            rep.busy_s += end - now
            rep.queue_area += queued * (end - now)
            history[i].append(Sample(end, len(rep.running), len(rep.waiting)))
            if len(history[i]) > 64:
                del history[i][:32]
            for r in firsts:
                out.base.append(r.first_token - r.arrival)
                out.stretch.append(stretch(end))
                out.ttft.append(out.base[-1] + costs.overhead * out.stretch[-1])
                out.engine.append(r.first_token - r.routed)
            for r in done:  # LiteLLM's counts drop on its success event; solv's when the answer is sent
                push(end + (costs.log_lag_s if strategy in LITELLM else 0.0), "logged", r)
                rep.served += 1
                pending[0] -= 1
                r.on_done(end + costs.overhead)
            push(end, "step", i)
        elif kind == "logged":  # the proxy's success event: in-flight counts drop only now
            r = payload  # type: ignore[assignment]
            router = routers[r.proxy]
            router.in_flight[r.replica] -= 1
            router.sent[r.replica].remove(r.routed)
            router.finished.append((r.replica, r.routed, now))
        elif kind == "scrape":
            for router in routers:
                router.scrape(now, history)
            if pending[0] or any(k != "scrape" for _, _, k, _ in events):
                push(now + scrape_s, "scrape", None)
    out.hits = sum(r.hits for r in replicas)
    out.queries = sum(r.queries for r in replicas)
    out.served = [r.served for r in replicas]
    out.load = [r.busy_s for r in replicas]
    out.queue = [r.queue_area for r in replicas]
    for router in routers:
        out.reasons.update(router.reasons)
    return out


# -- calibration against the real benchmark ----------------------------------------------------------
# bench/routing.py --json, 2 real vLLM CPU replicas (TTFT p50 in s, prefix hit rate); see docs/gpus.md.
@dataclass(frozen=True)
class Cell:
    """One (load, strategy) of the real benchmark, or of its simulation."""

    p50: float  # TTFT p50 through the proxy
    hit_rate: float
    engine: float  # vLLM's own mean TTFT (from receiving the request to its first token)
    placement: str = "off"  # solv's cells: how the real run's proxy placed first requests (solv.routing.placement)


BENCH_CLOSED = {"chat": (4, 4), "agent": (4, 4), "uniform": (4, 4)}  # per round: sessions (all at once); rounds


def closed_runs(strategy: str, load: str, costs: Costs, shape: Shape, seeds: int = 8,
                policy: Policy | None = None) -> list[Outcome]:
    """The real benchmark's closed loop (2 replicas, 3-4 sessions at once, turns back to back,
    4 rounds), once per seed: each is one whole benchmark run."""
    return [simulate(strategy, load, 2, costs, shape, seed, closed=BENCH_CLOSED[load], policy=policy)
            for seed in range(seeds)]


def as_cell(runs: list[Outcome], overhead: float | None = None) -> Cell:
    """One real cell's numbers from simulated runs. Each run's TTFT p50 is taken as the real one is,
    over that run's 16-64 requests, and the cell's p50 is the mean of those (the expected value of
    what one real run reports). Pooling every run's requests into one median instead estimates the
    population's median, which on these few-valued distributions (4 requests sent at once queue
    into 2-4 clusters of TTFT) sits in a gap one run's median rarely lands in. ``overhead``: add this
    parallel overhead (stretched as the run stretched it) instead of the one simulated. Hit rate and
    vLLM's TTFT: pooled."""
    def p50(o: Outcome) -> float:
        if overhead is None:
            return statistics.median(o.ttft)
        return statistics.median(b + overhead * k for b, k in zip(o.base, o.stretch, strict=True))

    engine = [e for o in runs for e in o.engine]
    return Cell(statistics.mean(p50(o) for o in runs), sum(o.hits for o in runs) / sum(o.queries for o in runs),
                statistics.mean(engine))


def closed_run(strategy: str, load: str, costs: Costs, shape: Shape, seeds: int = 8,
               policy: Policy | None = None) -> Cell:
    """The real benchmark's numbers for one (load, strategy), simulated over ``seeds`` runs."""
    return as_cell(closed_runs(strategy, load, costs, shape, seeds, policy))


FITTED = ("t_prefill", "t_ctx", "t_attn", "t_step", "contention")  # t_decode: 4-token answers cannot tell it
CPU_BLOCK = 128  # vLLM's KV block on CPU (vllm/platforms/cpu.py): the calibration replicas'
# where the fit starts: vLLM CPU's block, the dummy Llama's per-token cost as the earlier fits found it
CPU_START = Costs(t_step=0.004, t_prefill=0.00035, t_attn=1e-8, t_ctx=0.0, overhead=0.0, contention=0.0,
                  block=CPU_BLOCK, proxy_s=0.015)
# The proxy's serial CPU is measured, not fitted: bench/overhead.py finds ~20-26 ms of CPU per (small)
# request on this machine; 15 ms per 1k prompt tokens gives 15-55 ms for these 1-3.6k-token prompts.
# Left free, the fit traded it against everything else and chose 50-100 ms per 1k tokens, which the
# real run's own order contradicts: four later chat turns sent to one replica at once reached vLLM
# together (their TTFTs 0.32-0.45 s, one batch), where such a proxy would space them 0.1 s apart.


def calibrate(real: dict[str, dict[str, Cell]], shape: Shape, fitted: tuple[str, ...] = FITTED,
              start: Costs | None = None, proxy: bool = True) -> Costs:
    """Fit the replica (t_prefill, t_ctx, t_attn, t_step, and the shared cores' ``contention``) to
    vLLM's own mean TTFT in LiteLLM's options' cells, then the proxy's and the client's parallel
    overhead and ``proxy_contention`` to their TTFT p50 through the proxy (the proxy's serial CPU,
    ``proxy_s``, is the measured one of ``start``, see :data:`CPU_START`).
    solv's cells and all hit rates stay out of the fit, so they check the model. Errors are
    log-ratios (2x too slow and 2x too fast weigh the same). The engine constants are fitted from a
    coarse grid over ``contention`` x ``t_ctx`` (each with the best scale of ``t_prefill``: the
    three trade off, which a one-at-a-time search alone gets stuck on), then refined one at a time."""
    cells = [(load, s) for load in LOADS for s in LITELLM if s in real.get(load, {})]

    def error(c: Costs) -> float:
        return sum(math.log(closed_run(s, load, c, shape, seeds=2).engine / real[load][s].engine) ** 2
                   for load, s in cells)

    def fit_engine(best: Costs, factors: tuple[float, ...], passes: int) -> Costs:
        best_err = error(best)
        for _ in range(passes):
            improved = False
            for name in fitted:
                for factor in factors:
                    value = getattr(best, name) * factor if getattr(best, name) else _FLOOR.get(name, 0.0) * factor
                    c = replace(best, **{name: value})
                    err = error(c)
                    if err < best_err:
                        best, best_err, improved = c, err, True
            if not improved:
                break
        return best

    def grid(base: Costs) -> Costs:
        tried = [replace(base, contention=cont, t_ctx=ctx, t_prefill=base.t_prefill * k)
                 for cont in ((0.0, 0.3, 0.6) if "contention" in fitted else (base.contention,))
                 for ctx in ((0.0, 3e-5, 6e-5) if "t_ctx" in fitted else (base.t_ctx,))
                 for k in ((0.6, 0.8, 1.0) if "t_prefill" in fitted else (1.0,))]
        return min(tried, key=error)

    def fit_proxy(best: Costs) -> Costs:
        fitted, fitted_err = best, float("inf")
        for slow in (0.0, 1.0, 2.0, 4.0) if proxy else (0.0,):
            c = replace(best, proxy_contention=slow, overhead=0.0)
            runs = {cell: closed_runs(cell[1], cell[0], c, shape, seeds=2) for cell in cells}
            for overhead in (0.0, 0.025, 0.05, 0.075, 0.1, 0.125, 0.15, 0.2, 0.25):
                err = sum(math.log(as_cell(runs[(ld, s)], overhead).p50 / real[ld][s].p50) ** 2 for ld, s in cells)
                if err < fitted_err:
                    fitted, fitted_err = replace(c, overhead=overhead), err
        return fitted

    # the proxy's serial CPU spaces arrivals out (less queueing in vLLM): fit the two in turn, twice
    costs = fit_proxy(grid(start or CPU_START))
    return fit_proxy(fit_engine(fit_engine(costs, (0.7, 1.4), 1), (0.85, 1.15), 1))


_FLOOR = {"t_ctx": 1e-5, "t_attn": 1e-9, "contention": 0.1}  # where a zero constant restarts when refined


def capacity_rate(costs: Costs, shape: Shape, load: str, n: int, rho: float) -> tuple[float, float]:
    """Session arrival rate for load ``rho`` over ``n`` replicas, and requests per session. Load is
    offered prompt tokens over the replicas' prefill capacity (steps full of prefill), counted as
    if nothing were cached: at 90 % shuffle queues, while a router that hits the cache has room."""
    sess = sessions(load, shape, 1, "probe", iter(range(1, 10**6)))[0][1]
    prompt, tokens = 0, 0
    for segs in sess:
        prompt += sum(n_ for _, n_ in segs)
        tokens += prompt
    per_replica = costs.budget / (costs.t_step + costs.t_prefill * costs.budget)  # tokens/s
    return rho * n * per_replica / tokens, len(sess)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--real", type=Path, default=Path(__file__).with_name("routing_real.json"),
                        help="bench/routing.py --json output to calibrate on")
    parser.add_argument("--replicas", default="8,16,64")
    parser.add_argument("--loads", default="0.5,0.7,0.9")
    parser.add_argument("--requests-per-replica", type=int, default=20)
    parser.add_argument("--min-requests", type=int, default=640, help="per run, however few replicas")
    parser.add_argument("--seeds", type=int, default=2, help="runs pooled per cell of the projection")
    parser.add_argument("--cache-tokens", type=int, default=32768, help="prefix cache per replica (projection)")
    parser.add_argument("--lag-s", type=float, default=4.0, help="vLLM gauge lag in the projection")
    parser.add_argument("--think-s", type=float, default=8.0, help="mean think/tool time between turns")
    parser.add_argument("--proxy-overhead-s", type=float, default=0.04,
                        help="proxy overhead in the projection (measured: ~38 ms p50 on an idle machine)")
    parser.add_argument("--balance-abs", type=float, default=None)
    parser.add_argument("--balance-rel", type=float, default=None)
    parser.add_argument("--new-abs", type=float, default=None)
    parser.add_argument("--placement", choices=("on", "off"), default="on",
                        help="solv places a conversation's first request by load and remembers it (default on, "
                             "as with Redis or one proxy process); off: the stateless rendezvous hash alone")
    parser.add_argument("--placement-candidates", type=int, default=0, help="0: every replica (default)")
    parser.add_argument("--proxies", type=int, default=1, help="proxy processes, taking requests in turn")
    parser.add_argument("--own-memory", action="store_true",
                        help="each proxy remembers only its own placements (no Redis); default: one shared memory")
    parser.add_argument("--skip-calibration", action="store_true")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1,
                        help="worker processes for the projection (default: one per core)")
    args = parser.parse_args()
    started = time.perf_counter()
    shape = Shape()
    policy = Policy()
    if args.balance_abs is not None:
        policy = replace(policy, balance_abs_threshold=args.balance_abs)
    if args.balance_rel is not None:
        policy = replace(policy, balance_rel_threshold=args.balance_rel)
    if args.new_abs is not None:
        policy = replace(policy, new_conversation_abs_threshold=args.new_abs)
    policy = replace(policy, placement=args.placement == "on", placement_candidates=args.placement_candidates)

    costs = Costs()
    if not args.skip_calibration:
        real = load_real(args.real)
        costs = calibrate(real, shape)
        print(f"calibrated on LiteLLM's options in {args.real.name}: t_prefill={costs.t_prefill * 1000:.2f} ms/token "
              f"t_ctx={costs.t_ctx * 1e6:.0f} us/context token t_attn={costs.t_attn * 1e9:.0f} ns/token-pair "
              f"t_step={costs.t_step * 1000:.0f} ms "
              f"t_decode={costs.t_decode * 1000:.1f} ms/sequence contention={costs.contention:.2f} "
              f"{costs.block}-token blocks (on vLLM's own TTFT), proxy {costs.proxy_s * 1000:.0f} ms per 1k tokens "
              f"serial + {costs.overhead * 1000:.0f} ms, both x{1 + costs.proxy_contention:g} while both replicas "
              "are busy (on TTFT p50 through the proxy)")
        print("| load | strategy | TTFT p50 real | sim | error | vLLM's mean TTFT real | sim | error "
              "| hit rate real | sim | error |")
        print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
        errors: dict[str, list[float]] = {"fitted": [], "solv": []}
        within = 0
        for load in LOADS:
            for strategy in (s for s in REAL_STRATEGIES if s in real[load]):
                r = real[load][strategy]
                sim = closed_run("solv" if strategy in SOLV_VARIANTS else strategy, load, costs, shape,
                                 policy=Policy(placement=r.placement == "on") if strategy in SOLV_VARIANTS else None)
                e = [sim.p50 / r.p50 - 1, sim.engine / r.engine - 1 if r.engine else 0.0,
                     sim.hit_rate / r.hit_rate - 1 if r.hit_rate > 0.01 else 0.0]
                errors["solv" if strategy in SOLV_VARIANTS else "fitted"] += [abs(e[0]), abs(e[2])]
                within += abs(e[0]) <= 0.2 and abs(e[2]) <= 0.2
                print(f"| {load} | {strategy} | {r.p50:.2f} s | {sim.p50:.2f} s | {e[0]:+.0%} | {r.engine:.2f} s "
                      f"| {sim.engine:.2f} s | {e[1]:+.0%} | {r.hit_rate:.3f} | {sim.hit_rate:.3f} | {e[2]:+.0%} |")
        print(f"calibration: {within} of {sum(len(v) for v in real.values())} cells within 20% on both TTFT p50 "
              f"and hit rate; solv's (not fitted): worst {max(errors['solv']):.0%}, LiteLLM's: median "
              f"{statistics.median(errors['fitted']):.0%}")

    # the replicas as calibrated; the proxy's own overhead as on a machine where it has its cores
    # (here the proxies and the client share 2 cores with vLLM, which the fitted overhead absorbs)
    proj = replace(costs, cache_blocks=args.cache_tokens // BLOCK, overhead=args.proxy_overhead_s, contention=0.0,
                   proxy_s=0.0, block=BLOCK)  # one GPU per replica (no shared cores); proxy workers scale out
    print(f"\nprojection: cache {args.cache_tokens} tokens/replica, vLLM gauges {args.lag_s:g} s late, "
          f"think/tool time {args.think_s:g} s, >= {args.requests_per_replica} requests per replica "
          f"({args.seeds} seeds pooled; 64 replicas: 2/3 of that, 1 seed), policy "
          f"abs={policy.balance_abs_threshold:g} rel={policy.balance_rel_threshold:g}, placement {args.placement}"
          + (f" among {policy.placement_candidates or 'all'}" if policy.placement else "")
          + (f", {args.proxies} proxies ({'own' if args.own_memory else 'one shared'} memory)"
             if args.proxies > 1 else ""))
    print("| replicas | load | workload | strategy | TTFT p50 | TTFT p99 | hit rate | max/mean load "
          "| max/mean queue | p50 vs shuffle |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    last = ""
    cells = []  # (n, rho, load, strategies, [simulate's keyword arguments per seed])
    for n in (int(x) for x in args.replicas.split(",")):
        for rho in (float(x) for x in args.loads.split(",")):
            for load in LOADS:
                rate, per_session = capacity_rate(proj, shape, load, n, rho)
                big = n > 16  # 64 replicas: fewer requests each and one seed, to stay well under a minute
                per_replica = args.requests_per_replica * 2 // 3 if big else args.requests_per_replica
                n_sessions = max(args.min_requests, per_replica * n) // per_session
                seeds = 1 if big else args.seeds
                # one API key sends everything to one replica: at 8 replicas that already shows; more
                # replicas only make that one replica's queue (and the simulation) longer
                strategies = [s for s in STRATEGIES if s != "deployment_affinity" or n <= 8]
                cells.append((n, rho, load, strategies, [
                    dict(strategy=s, load=load, n_replicas=n, costs=proj, shape=shape, seed=seed, rate=rate,
                         n_sessions=n_sessions, think_s=args.think_s if load != "uniform" else 0.0, policy=policy,
                         lag_s=args.lag_s, proxies=args.proxies, shared_memory=not args.own_memory)
                    for s in strategies for seed in range(seeds)]))
    # every run is independent and seeded: the same numbers on one process or many
    jobs = [kw for *_, kws in cells for kw in kws]
    with ProcessPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        outcomes = iter(pool.map(_simulate_kw, jobs, chunksize=1))
    for n, rho, load, strategies, kws in cells:
        per_strategy: dict[str, list[Outcome]] = {s: [] for s in strategies}
        for kw in kws:
            per_strategy[kw["strategy"]].append(next(outcomes))
        res = {s: pooled(runs) for s, runs in per_strategy.items()}
        shuffle = res["shuffle"].p50
        for s, o in res.items():
            name = f"**{s}**" if s == "solv" else s
            print(f"| {n} | {rho:.0%} | {load} | {name} | {o.p50:.2f} s | {pct(o.ttft, 99):.2f} s "
                  f"| {o.hit_rate:.3f} | {o.max_over_mean:.2f} | {o.queue_max_over_mean:.2f} "
                  f"| {shuffle / o.p50:.2f}x |")
        if n == 8 and abs(rho - 0.7) < 1e-9 and load == "chat":
            solv, oracle = res["solv"], res["oracle"]
            last = (f"replicas=8 load=0.7 ttft_p50_speedup_vs_shuffle={shuffle / solv.p50:.2f} "
                    f"hit_rate_vs_oracle={solv.hit_rate / oracle.hit_rate:.2f} "
                    f"max_load_over_mean={solv.max_over_mean:.2f}")
    print(f"simulated in {time.perf_counter() - started:.0f} s")
    if last:
        print(last)


def _simulate_kw(kw: dict) -> Outcome:
    """:func:`simulate` with keyword arguments (a worker process's job)."""
    return simulate(**kw)


def pooled(runs: list[Outcome]) -> Outcome:
    """Several seeds of one cell as one outcome (max/mean load: the mean over the runs)."""
    out = Outcome(ttft=[t for r in runs for t in r.ttft], hits=sum(r.hits for r in runs),
                  queries=sum(r.queries for r in runs), served=[x for r in runs for x in r.served])
    out.runs_max_over_mean = [r.max_over_mean for r in runs]
    out.runs_queue_max_over_mean = [r.queue_max_over_mean for r in runs]
    for r in runs:
        out.reasons.update(r.reasons)
    return out


def pct(xs: list[float], q: int) -> float:
    return statistics.quantiles(xs, n=100, method="inclusive")[q - 1] if len(xs) > 1 else xs[0]


def load_real(path: Path) -> dict[str, dict[str, Cell]]:
    """``bench/routing.py --json`` output: per load and strategy."""
    real: dict[str, dict[str, Cell]] = {}
    for name, r in json.loads(path.read_text()).items():
        load, strategy = name.split("/")
        real.setdefault(load, {})[strategy] = Cell(r["p50"], r["hit_rate"], r.get("engine_ttft", 0.0),
                                                   r.get("placement", "off"))
    return real


if __name__ == "__main__":
    main()
