"""The routing decision on plain data: which replica of a model group serves this request.

Two rules, in order:

1. **prefix affinity** — a request with an affinity key (a hash of its conversation prefix) goes to
   the replica ranked first for that key by rendezvous (highest-random-weight) hashing, so every
   proxy replica picks the same one without shared state, and a conversation keeps hitting the
   replica whose KV cache holds its prefix. Loads are bounded ("consistent hashing with bounded
   loads", Mirrokni et al. 2016; HAProxy's ``hash-balance-factor``): a replica takes the request
   only while its load stays within ``load_factor`` x the average; otherwise the next replica in
   the key's ranking that does takes it (again the same on every proxy).
2. **least load** otherwise: the lowest :func:`score`, ties broken by the key's ranking.

Replicas that failed recently (or already failed this very request) are skipped while any other
replica is left.

>>> a, b = {"model_info": {"id": "a"}}, {"model_info": {"id": "b"}}
>>> choose([a, b], {"a": ReplicaLoad(in_flight=5), "b": ReplicaLoad()}, None) is b
True
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

D = TypeVar("D")


@dataclass(frozen=True)
class ReplicaLoad:
    """What is known about one replica's load. ``None`` metrics mean "no fresh scrape"."""

    in_flight: int = 0  # requests this proxy sent there and has not seen finish
    running: float | None = None  # vllm:num_requests_running
    waiting: float | None = None  # vllm:num_requests_waiting
    kv_usage: float | None = None  # vllm:kv_cache_usage_perc, 0..1
    failing: bool = False  # failed recently, or already failed this request

    @property
    def has_metrics(self) -> bool:
        return self.running is not None and self.waiting is not None


@dataclass(frozen=True)
class Policy:
    """Knobs of the decision (``solv.routing`` in the YAML)."""

    affinity: bool = True
    # A replica keeps its keys while its load (this request included) is at most this x the average:
    # at low load a conversation stays put; under load no replica exceeds the average by > 25 %.
    load_factor: float = 1.25
    # ...or when its KV cache is this full (new prefixes would evict the ones we want to keep).
    kv_cache_high: float = 0.95


@dataclass(frozen=True)
class Choice(Generic[D]):
    """A decision and why: ``only``, ``affinity``, ``spill`` (affinity replica overloaded), ``least-load``."""

    deployment: D
    reason: str


def deployment_id(deployment: Any) -> str:
    """``model_info.id`` of a LiteLLM deployment dict (what the router and the tests pass)."""
    return str(deployment["model_info"]["id"])


def score(load: ReplicaLoad, use_metrics: bool = True) -> float:
    """Estimated queue length. Fresh vLLM metrics see every proxy's traffic but lag by up to one
    scrape; our own in-flight count is immediate but sees only this proxy: take the larger.
    Waiting requests count twice: a queue on the replica means it is saturated.
    Without metrics (or with ``use_metrics=False``): the in-flight count alone."""
    if not use_metrics or load.running is None or load.waiting is None:
        return float(load.in_flight)
    return max(float(load.in_flight), load.running + load.waiting) + load.waiting


def rendezvous_rank(ids: Sequence[str], key: str) -> list[str]:
    """``ids`` ordered by highest random weight for ``key``: stable when replicas come and go
    (removing one only moves the keys it held) and identical in every process."""
    def weight(replica: str) -> bytes:
        return hashlib.blake2b(f"{key}\x00{replica}".encode(), digest_size=8).digest()

    return sorted(ids, key=weight, reverse=True)


def decide(deployments: Sequence[D], load: Mapping[str, ReplicaLoad], affinity_key: str | None,
           policy: Policy = Policy(), id_of: Callable[[D], str] = deployment_id) -> Choice[D]:
    """The replica for one request, and the reason. ``load`` may lack replicas (no data: idle)."""
    if not deployments:
        raise ValueError("decide() needs at least one deployment")
    if len(deployments) == 1:
        return Choice(deployments[0], "only")
    by_id = {id_of(d): d for d in deployments}
    loads = {i: load.get(i, ReplicaLoad()) for i in by_id}
    pool = [i for i in by_id if not loads[i].failing] or list(by_id)
    ranking = rendezvous_rank(list(by_id), affinity_key) if affinity_key else list(by_id)
    order = [i for i in ranking if i in pool]
    # One basis for all: a replica without fresh metrics would otherwise look idler than it is.
    metrics = all(loads[i].has_metrics for i in pool)
    scores = {i: score(loads[i], metrics) for i in pool}
    cap = math.ceil(policy.load_factor * (sum(scores.values()) + 1) / len(pool))
    if policy.affinity and affinity_key:
        for replica in order:
            if not _overloaded(scores[replica] + 1 > cap, loads[replica], policy):
                return Choice(by_id[replica], "affinity" if replica == ranking[0] else "spill")
    best = min(order, key=scores.__getitem__)  # min() keeps the first of equals: the ranking breaks ties
    return Choice(by_id[best], "least-load")


def choose(deployments: Sequence[D], load: Mapping[str, ReplicaLoad], affinity_key: str | None,
           policy: Policy = Policy(), id_of: Callable[[D], str] = deployment_id) -> D:
    """The replica for one request (see :func:`decide` for the reason)."""
    return decide(deployments, load, affinity_key, policy, id_of).deployment


def _overloaded(over_cap: bool, load: ReplicaLoad, policy: Policy) -> bool:
    return over_cap or (load.kv_usage is not None and load.kv_usage >= policy.kv_cache_high)
