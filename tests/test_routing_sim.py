"""bench/routing_sim.py's invariants: nothing shed, vLLM-like block hashing and eviction, the real
decision inside. Seconds, no servers: the simulator itself is the subject here."""

from __future__ import annotations

import sys
from dataclasses import replace

import pytest

from tests.support.proxy import REPO

sys.path.insert(0, str(REPO / "bench"))
import routing_sim as sim  # noqa: E402

COSTS, SHAPE = sim.Costs(), sim.Shape()


def test_shared_prefix_shares_blocks_and_diverges_after():
    a, b = sim.Prompt(), sim.Prompt()
    for p, own in ((a, 2), (b, 3)):
        p.extend(1, 40)  # the same 40-token system prompt: 2 full blocks, then a partial one
        p.extend(own, 30)
    assert a.blocks[:2] == b.blocks[:2]
    assert a.blocks[2] != b.blocks[2]  # block 3 mixes the system prompt's tail with each own turn
    assert len(a.blocks) == 70 // sim.BLOCK


def test_cache_evicts_least_recently_used_and_keeps_its_size():
    r = sim.Replica(replace(COSTS, cache_blocks=4))
    r.insert((1, 2, 3))
    assert r.cached_tokens((1, 2, 3), 100, touch=True) == 48
    r.insert((7, 8))  # over capacity: block 1 was used longest ago
    assert len(r.cache) == 4 and 1 not in r.cache
    assert r.cached_tokens((1, 2, 3), 100) == 0  # the chain breaks at its first block
    assert r.cached_tokens((7, 8), 32) == 31  # the last token is always computed


@pytest.mark.parametrize("strategy", sim.STRATEGIES)
@pytest.mark.parametrize("load", sim.LOADS)
def test_every_request_is_served_once(strategy, load):
    rate, _ = sim.capacity_rate(COSTS, SHAPE, load, 4, 0.9)
    out = sim.simulate(strategy, load, 4, COSTS, SHAPE, seed=1, rate=rate, n_sessions=20, think_s=1.0)
    per_session = {"chat": SHAPE.turns, "agent": SHAPE.steps, "uniform": 1}[load]
    assert sum(out.served) == len(out.ttft) == 20 * per_session
    assert 0 <= out.hits <= out.queries
    assert min(out.ttft) > 0


def test_solv_runs_the_real_decision_and_keeps_chats_warm():
    rate, _ = sim.capacity_rate(COSTS, SHAPE, "chat", 8, 0.5)
    runs = {s: sim.simulate(s, "chat", 8, COSTS, SHAPE, seed=3, rate=rate, n_sessions=60, think_s=2.0)
            for s in ("shuffle", "solv")}
    assert runs["solv"].reasons["affinity"] > 0  # decide() said why
    assert runs["solv"].hit_rate > 1.5 * runs["shuffle"].hit_rate


def test_deployment_affinity_with_one_key_uses_one_replica():
    out = sim.simulate("deployment_affinity", "uniform", 4, COSTS, SHAPE, seed=2, closed=(4, 2))
    assert sorted(out.served) == [0, 0, 0, 8]


def test_the_committed_real_run_has_every_cell_to_calibrate_on():
    real = sim.load_real(REPO / "bench" / "routing_real.json")
    assert {(load, s) for load in real for s in real[load]} == {(load, s) for load in sim.LOADS
                                                                for s in sim.STRATEGIES if s != "oracle"}
    assert all(c.p50 > 0 and c.engine > 0 and 0 <= c.hit_rate <= 1 for cells in real.values() for c in cells.values())
