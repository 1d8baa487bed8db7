"""bench/routing_sim.py's invariants: nothing shed, vLLM-like block hashing and eviction, the real
decision inside. Seconds, no servers: the simulator itself is the subject here."""

from __future__ import annotations

from dataclasses import replace

import pytest
from bench import routing_sim as sim

from solvstack.core.routing.choice import Policy
from tests.support.proxy import REPO

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
    # the last token is always computed, and hits come in whole blocks (vLLM's get_computed_blocks):
    # a prompt of exactly two cached blocks recomputes the second
    assert r.cached_tokens((7, 8), 32) == 16
    assert r.cached_tokens((7, 8), 33) == 32


def test_cpu_sized_blocks_share_only_whole_128_token_blocks():
    """vLLM's CPU backend uses 128-token KV blocks: a shared prefix of 200 tokens is one cached block,
    and a step caches only the blocks it completed."""
    r = sim.Replica(replace(COSTS, block=128))
    a, b = sim.Prompt(), sim.Prompt()
    for p, own in ((a, 2), (b, 3)):
        p.extend(1, 200)
        p.extend(own, 100)
    r.insert(a.blocks[:16])  # a's first 256 tokens
    assert r.cached_tokens(tuple(b.blocks), b.total) == 128  # 200 shared tokens: one whole block
    r2 = sim.Replica(replace(COSTS, block=128))
    r2.waiting.append(sim.Request("s", tuple(a.blocks), a.total, 2, 0.0, lambda t: None))
    r2.step(0.0)
    assert len(r2.cache) == (300 // 128) * (128 // sim.BLOCK)  # 2 whole blocks of 300 computed tokens


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
    cells = {(load, s) for load in real for s in real[load]}
    assert cells >= {(load, s) for load in sim.LOADS for s in sim.STRATEGIES if s != "oracle"}
    assert cells <= {(load, s) for load in sim.LOADS for s in sim.REAL_STRATEGIES}
    assert {real[load]["solv"].placement for load in real} <= {"on", "off"}
    assert all(c.p50 > 0 and c.engine > 0 and 0 <= c.hit_rate <= 1 for cells in real.values() for c in cells.values())


def test_agent_loops_grow_by_their_tool_outputs_and_fit_the_replicas_context():
    """The agent load as Cline / Roo send it: after two steps the loop's own history outweighs the
    shared system prompt, and the longest loop still fits bench/routing.py's --max-model-len 4096."""
    loops = sim.sessions("agent", SHAPE, 200, "t", iter(range(1, 10**6)))
    for _, turns in loops:
        own = sum(n for segs in turns for _, n in segs) - SHAPE.agent_system
        assert sum(n for _, n in turns[0]) + sum(n for segs in turns[1:] for _, n in segs) < 4096 - 8
        assert len(turns) == SHAPE.steps
    shares = sorted(1 - SHAPE.agent_system / sum(n for segs in turns for _, n in segs) for _, turns in loops)
    assert shares[len(shares) // 2] > 0.5  # the median loop's last request: mostly its own history
    assert own > 0


def test_agent_outputs_are_the_same_for_every_strategy_of_a_round():
    assert sim.agent_steps("round-a1", 4) == sim.agent_steps("round-a1", 4)
    sizes = {n for r in range(50) for _, n in sim.agent_steps(f"{r}-a0", 4)}
    assert min(sizes) >= 150 and max(sizes) <= 800 and len(sizes) > 20


def test_the_proxy_forwards_one_request_at_a_time():
    costs = replace(COSTS, proxy_s=0.1, overhead=0.0)
    out = sim.simulate("shuffle", "uniform", 4, costs, SHAPE, seed=1, closed=(4, 1))
    waits = sorted(t - e for t, e in zip(out.ttft, out.engine, strict=True))
    each = 0.1 * SHAPE.uniform / 1000  # the proxy's CPU per request, in proportion to its size
    assert waits == pytest.approx([each, 2 * each, 3 * each, 4 * each])  # queued behind each other in the proxy


def test_shared_cores_slow_a_replica_only_while_the_others_are_busy():
    shared = replace(COSTS, contention=0.5)
    runs = {(s, c): sim.simulate(s, "uniform", 2, costs, SHAPE, seed=1, closed=(2, 1))
            for s in ("least-busy", "deployment_affinity") for c, costs in (("shared", shared), ("own", COSTS))}
    # one request on each replica, both busy at once: each step 1.5x as long
    assert max(runs[("least-busy", "shared")].engine) == pytest.approx(1.5 * max(runs[("least-busy", "own")].engine))
    # both on one replica, the other idle: no slowdown
    assert runs[("deployment_affinity", "shared")].engine == pytest.approx(runs[("deployment_affinity", "own")].engine)


def test_a_replicas_load_is_its_work_in_engine_steps():
    """max_load_over_mean counts what the load axis counts (work), per replica: one API key puts all
    work on one of 4 replicas (4.0), and the queue measure is kept beside it."""
    out = sim.simulate("deployment_affinity", "uniform", 4, COSTS, SHAPE, seed=2, closed=(4, 2))
    assert sorted(x > 0 for x in out.load) == [False, False, False, True]
    assert out.max_over_mean == pytest.approx(4.0)
    assert out.queue_max_over_mean == pytest.approx(4.0)
    one = sim.simulate("shuffle", "uniform", 1, COSTS, SHAPE, seed=1, closed=(1, 1))
    assert one.load[0] > one.engine[0]  # busy from receiving it past its first token


def test_the_oracle_spreads_new_chats_instead_of_piling_them_on_the_first_replica():
    """Sessions far apart find every queue empty and nothing of their own prompt cached: ties go to
    the emptier cache, then at random, so the oracle stays an upper bound on hit rate."""
    rate, _ = sim.capacity_rate(COSTS, SHAPE, "chat", 8, 0.1)
    runs = {s: sim.simulate(s, "chat", 8, replace(COSTS, cache_blocks=256), SHAPE, seed=4, rate=rate,
                            n_sessions=40, think_s=1.0) for s in ("oracle", "solv")}
    assert sum(1 for n in runs["oracle"].served if n) >= 6
    assert runs["oracle"].hit_rate >= 0.95 * runs["solv"].hit_rate


def test_placement_spreads_chats_and_needs_one_memory_across_proxies():
    """Placing each new chat on the replica holding the fewest (and remembering it) spreads the work
    that hashing scatters at random, at the same hit rate; two proxies with separate memories send
    later turns where the other never placed them."""
    rate, _ = sim.capacity_rate(COSTS, SHAPE, "chat", 8, 0.7)
    on = Policy(placement=True)

    def runs(policy: Policy, proxies: int = 1, shared: bool = True) -> list[sim.Outcome]:
        return [sim.simulate("solv", "chat", 8, COSTS, SHAPE, seed=s, rate=rate, n_sessions=120, think_s=2.0,
                             policy=policy, proxies=proxies, shared_memory=shared) for s in range(3)]

    hashed, placed = runs(Policy()), runs(on)
    mean = lambda outs, f: sum(f(o) for o in outs) / len(outs)  # noqa: E731
    assert mean(placed, lambda o: o.max_over_mean) < mean(hashed, lambda o: o.max_over_mean)
    assert mean(placed, lambda o: o.hit_rate) >= 0.95 * mean(hashed, lambda o: o.hit_rate)
    assert all(o.reasons["placed"] == 120 for o in placed)
    shared, separate = runs(on, proxies=2), runs(on, proxies=2, shared=False)
    assert mean(shared, lambda o: o.hit_rate) > mean(separate, lambda o: o.hit_rate)


def test_the_real_benchmark_runs_solv_placed_and_hashed_and_litellm_without_solv_routing(tmp_path):
    """bench/routing.py: ``solv`` places first requests (one proxy process keeps the memory, as
    LiteLLM's affinity options keep their pins), ``solv-hash`` is the stateless hash, and LiteLLM's
    options run with solv's routing off."""
    from types import SimpleNamespace

    import yaml
    from bench import routing as real_bench

    servers = [SimpleNamespace(spec=SimpleNamespace(served_name="m"), base_url=f"http://127.0.0.1:{9000 + i}/v1")
               for i in range(2)]
    routing = {s: yaml.safe_load(real_bench.strategy_config(s, servers, tmp_path, {}).read_text())["solv"]["routing"]
               for s in real_bench.STRATEGIES}
    assert routing["solv"]["placement"] == "on" and routing["solv"].get("enabled", True)
    assert routing["solv-hash"]["placement"] == "off" and routing["solv-hash"].get("enabled", True)
    assert all(routing[s]["enabled"] is False for s in real_bench.LITELLM)
