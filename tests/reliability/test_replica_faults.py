"""Kill one of two replicas under 32 concurrent clients and bring it back: nothing is lost.

Two deployments of one model group, each a recording backend in a process of its own. Mid-run one
is killed with SIGKILL (its open connections die with it), later started again on the same port.
The repo's retry and cooldown settings (``num_retries``, ``allowed_fails``) and its routing filter
(``solv.routing``) carry the load; only ``cooldown_time`` is shortened so the replica's return fits
into a test.

Asserted: every non-streaming request succeeds; every stream either completes or ends with an
error event (none hangs: a client read timeout would fail it, none ends silently truncated); the
fault was felt (some requests were retried); the returned replica serves again.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from solvstack.ops.proxyproc import ProxyProcess
from tests.reliability.conftest import scale
from tests.reliability.load import Load, Outcome
from tests.reliability.replica import Replica
from tests.support.proxy import MASTER_KEY, deployment, repo_config, start_proxy, write_variant

COOLDOWN_S = 3
CLIENTS = 32


@dataclass
class Pair:
    proxy: ProxyProcess
    a: Replica
    b: Replica


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pair]:
    with Replica("a", delay_s=0.02) as a, Replica("b", delay_s=0.02) as b:
        models = [deployment("m", a.url, "qwen3"), deployment("m", b.url, "qwen3")]
        cfg = write_variant(tmp_path_factory.mktemp("replicas"), models, router_settings={"cooldown_time": COOLDOWN_S})
        proxy = start_proxy(cfg)
        try:
            yield Pair(proxy, a, b)
        finally:
            proxy.stop()


def served_by(o: Outcome) -> str:
    return o.content.removeprefix("served by ")


async def kill_and_return(pair: Pair, per_phase: int) -> Load:
    load = Load(pair.proxy.url, MASTER_KEY, "m", clients=CLIENTS)
    task = asyncio.create_task(load.run())
    try:
        load.phase = "both"
        await load.wait_for(per_phase, phase="both")
        load.phase = "a-down"
        pair.a.kill()
        await load.wait_for(per_phase, phase="a-down")
        await asyncio.to_thread(pair.a.start)
        load.phase = "a-back"
        # LiteLLM's cooldown (COOLDOWN_S) and the routing filter's failure_cooldown_s keep it out a while
        await load.wait_until(lambda outs: sum(o.phase == "a-back" and served_by(o) == "a" for o in outs) >= 5,
                              "the returned replica serves again", timeout=120)
        await load.wait_for(per_phase, phase="a-back")
    finally:
        load.stop()
        await task
    return load


def test_router_settings_are_the_repos() -> None:
    """The test runs on the shipped retry policy (only cooldown_time is shortened)."""
    cfg = repo_config()
    assert cfg["litellm_settings"]["num_retries"] >= 1 and cfg["router_settings"]["allowed_fails"] >= 1


def test_kill_one_replica_and_bring_it_back(pair: Pair) -> None:
    per_phase = max(CLIENTS, int(64 * scale()))
    load = asyncio.run(kill_and_return(pair, per_phase))
    outcomes = load.outcomes
    lost = [o for o in outcomes if not o.stream and not o.ok]
    assert lost == [], f"{len(lost)} of {len(outcomes)} lost, e.g. {lost[:3]}"
    streams = [o for o in outcomes if o.stream]
    assert streams and all(o.status == 200 and o.end in ("complete", "errored") for o in streams), \
        [o for o in streams if o.end not in ("complete", "errored")][:3]
    assert all(o.content == f"served by {served_by(o)}" for o in outcomes if o.end in ("", "complete"))
    assert sum(o.retries for o in outcomes) >= 1, "no request was retried: the kill was not felt"
    assert {served_by(o) for o in outcomes if o.phase == "both"} == {"a", "b"}
    assert sum(served_by(o) == "a" for o in outcomes if o.phase == "a-back") >= 5, "the returned replica got no traffic"
    print(f"\nreplica kill: {len(outcomes)} requests ({len(streams)} streamed), lost 0, "
          f"retried {sum(1 for o in outcomes if o.retries)}, "
          f"streams errored {sum(1 for o in streams if o.end == 'errored')}")
