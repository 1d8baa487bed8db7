"""The routing decision on plain data: which replica of a model group serves this request.

Two rules, in order:

1. **affinity** — a request with an affinity key (the client's session id, else a hash of its
   conversation prefix; see :mod:`.affinity`) goes to the replica ranked first for that key by
   rendezvous (highest-random-weight) hashing, so every proxy replica picks the same one without
   shared state, and a conversation keeps hitting the replica whose KV cache holds its prefix.
   It stays there unless that replica is *overloaded*, judged the way SGLang's cache-aware router
   judges imbalance: its load exceeds the least-loaded replica's by more than
   ``balance_abs_threshold`` requests **and** by more than ``balance_rel_threshold`` times. Then
   the next replica in the key's ranking that is not overloaded takes it (the same on every proxy,
   and that replica warms up for the key too). A full KV cache (``kv_cache_high``) also counts.
   The first request of a conversation the client did not name (no session id, no answer yet:
   nothing of it is cached, and it may be a one-off) uses ``new_conversation_abs_threshold``.
2. **least load** otherwise: the lowest :func:`score`, ties broken by the key's ranking.

A request is never refused: some replica always takes it (the least loaded is never overloaded).
Replicas that failed recently (or already failed this very request) are skipped while any other
replica is left.

>>> a, b = {"model_info": {"id": "a"}}, {"model_info": {"id": "b"}}
>>> choose([a, b], {"a": ReplicaLoad(in_flight=5), "b": ReplicaLoad()}, None) is b
True
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

D = TypeVar("D")


@dataclass(frozen=True)
class ReplicaLoad:
    """What is known about one replica's load. ``None`` metrics mean "no fresh scrape"."""

    in_flight: int = 0  # requests this proxy sent there and has not seen finish
    unseen: int = 0  # ...of which sent too recently to show in the metrics sample (vLLM's gauges lag)
    finished: int = 0  # this proxy's requests the sample still counts that have finished since
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
    # A key's replica is overloaded (and the request spills) only when its load exceeds the least
    # loaded replica's by more than this many requests...
    balance_abs_threshold: float = 8.0
    # ...and is more than this many times the least loaded one's (SGLang: both must hold).
    balance_rel_threshold: float = 1.5
    # ...or when its KV cache is this full (new prefixes would evict the ones we want to keep).
    kv_cache_high: float = 0.95
    # An anonymous conversation's first request (no session id, no history: nothing cached yet, and
    # maybe a one-off) spills by this absolute threshold instead (with the same relative one).
    new_conversation_abs_threshold: float = 1.0
    # Place a conversation's first request by load and remember it (see :func:`place`), instead of
    # on its rendezvous replica: among this many of the key's top-ranked replicas (0: all of them).
    placement: bool = False
    placement_candidates: int = 0


@dataclass(frozen=True)
class Choice(Generic[D]):
    """A decision and why: ``only``, ``affinity``, ``spill`` (affinity replica overloaded), ``least-load``."""

    deployment: D
    reason: str


def deployment_id(deployment: Any) -> str:
    """``model_info.id`` of a LiteLLM deployment dict (what the router and the tests pass)."""
    return str(deployment["model_info"]["id"])


def score(load: ReplicaLoad, use_metrics: bool = True) -> float:
    """Estimated queue length. Fresh vLLM metrics see every proxy's traffic but lag (a scrape
    interval, plus vLLM's own gauge delay): move the sample forward by this proxy's own events since
    (add the requests it sent, take off the ones that finished), and never go below this proxy's
    own in-flight count.
    Waiting requests count twice: a queue on the replica means it is saturated.
    Without metrics (or with ``use_metrics=False``): the in-flight count alone."""
    if not use_metrics or load.running is None or load.waiting is None:
        return float(load.in_flight)
    sampled = max(0.0, load.running + load.waiting + load.unseen - load.finished)
    return max(float(load.in_flight), sampled) + load.waiting


def overloaded(load: float, least: float, policy: Policy, new: bool = False) -> bool:
    """SGLang's imbalance test for one replica against the least-loaded one: both thresholds
    (``new``: a conversation's first request, with the tighter absolute threshold)."""
    absolute = policy.new_conversation_abs_threshold if new else policy.balance_abs_threshold
    return load - least > absolute and load > policy.balance_rel_threshold * least


def rendezvous_rank(ids: Sequence[str], key: str) -> list[str]:
    """``ids`` ordered by highest random weight for ``key``: stable when replicas come and go
    (removing one only moves the keys it held) and identical in every process."""
    def weight(replica: str) -> bytes:
        return hashlib.blake2b(f"{key}\x00{replica}".encode(), digest_size=8).digest()

    return sorted(ids, key=weight, reverse=True)


def decide(deployments: Sequence[D], load: Mapping[str, ReplicaLoad], affinity_key: str | None,
           policy: Policy = Policy(), id_of: Callable[[D], str] = deployment_id, new: bool = False,
           remembered: str | None = None) -> Choice[D]:
    """The replica for one request, and the reason. ``load`` may lack replicas (no data: idle).
    ``new``: an anonymous conversation's first request (no earlier turn cached anywhere).
    ``remembered``: the replica this conversation's last request went to (:mod:`.placement`); it
    comes first, ahead of the key's rendezvous ranking, and is left by the same spill rule."""
    if len(deployments) == 1:
        return Choice(deployments[0], "only")
    by_id, loads, pool, scores = _field(deployments, load, id_of, "decide")
    ranking = rendezvous_rank(list(by_id), affinity_key) if affinity_key else list(by_id)
    if remembered in by_id:
        ranking = [remembered] + [i for i in ranking if i != remembered]
    order = [i for i in ranking if i in pool]
    least = min(scores.values())
    if policy.affinity and affinity_key:
        for replica in order:
            if not overloaded(scores[replica], least, policy, new) and not _kv_full(loads[replica], policy):
                return Choice(by_id[replica], "affinity" if replica == ranking[0] else "spill")
    best = min(order, key=scores.__getitem__)  # min() keeps the first of equals: the ranking breaks ties
    return Choice(by_id[best], "least-load")


def place(deployments: Sequence[D], load: Mapping[str, ReplicaLoad], affinity_key: str | None,
          conversations: Mapping[str, int], policy: Policy = Policy(),
          id_of: Callable[[D], str] = deployment_id) -> Choice[D]:
    """Where a conversation's first request goes (reason ``placed``): the candidate holding the
    fewest live ``conversations`` (:class:`.placement.Placements` counts them), among the key's
    ``policy.placement_candidates`` top-ranked replicas (0: all) that are not overloaded against
    the least loaded (the new-conversation thresholds) nor KV-full; ties go to the shorter queue,
    then the ranking. At moderate load queues are 0-1 deep everywhere and say little; the
    conversations already placed predict each replica's work."""
    if len(deployments) == 1:
        return Choice(deployments[0], "only")
    by_id, loads, pool, scores = _field(deployments, load, id_of, "place")
    ranking = rendezvous_rank(pool, affinity_key) if affinity_key else pool
    k = policy.placement_candidates
    candidates = ranking[:k] if k > 0 else ranking
    least = min(scores.values())
    fit = [i for i in candidates if not overloaded(scores[i], least, policy, new=True)
           and not _kv_full(loads[i], policy)]
    if not fit:  # every candidate is busy: the least loaded of all (never refused)
        fit = [min(ranking, key=scores.__getitem__)]
    rank = {i: n for n, i in enumerate(ranking)}
    best = min(fit, key=lambda i: (conversations.get(i, 0), scores[i], rank[i]))
    return Choice(by_id[best], "placed")


def _field(deployments: Sequence[D], load: Mapping[str, ReplicaLoad], id_of: Callable[[D], str],
           caller: str) -> tuple[dict[str, D], dict[str, ReplicaLoad], list[str], dict[str, float]]:
    """The replicas by id, their loads, the pool (the healthy ones, else all) and the pool's scores."""
    if not deployments:
        raise ValueError(f"{caller}() needs at least one deployment")
    by_id = {id_of(d): d for d in deployments}
    loads = {i: load.get(i, ReplicaLoad()) for i in by_id}
    pool = [i for i in by_id if not loads[i].failing] or list(by_id)
    # One basis for all: a replica without fresh metrics would otherwise look idler than it is.
    metrics = all(loads[i].has_metrics for i in pool)
    return by_id, loads, pool, {i: score(loads[i], metrics) for i in pool}


def choose(deployments: Sequence[D], load: Mapping[str, ReplicaLoad], affinity_key: str | None,
           policy: Policy = Policy(), id_of: Callable[[D], str] = deployment_id) -> D:
    """The replica for one request (see :func:`decide` for the reason)."""
    return decide(deployments, load, affinity_key, policy, id_of).deployment


def _kv_full(load: ReplicaLoad, policy: Policy) -> bool:
    return load.kv_usage is not None and load.kv_usage >= policy.kv_cache_high
