"""The pure routing decision, on plain data: affinity, spill, least load, failures, staleness."""

from __future__ import annotations

from collections import Counter

import pytest

from solvstack.core.routing.affinity import affinity_key, is_new_conversation
from solvstack.core.routing.choice import Policy, ReplicaLoad, choose, decide, place, rendezvous_rank, score
from solvstack.core.routing.inflight import InFlight
from solvstack.core.routing.placement import Placements

A, B, C = ({"model_info": {"id": i}, "litellm_params": {"api_base": f"http://{i}:8000/v1"}} for i in "abc")
IDLE = ReplicaLoad(running=0, waiting=0)


def ids(xs: list[dict]) -> list[str]:
    return [x["model_info"]["id"] for x in xs]


def key_for(target: str, pool: list[str] = ["a", "b"]) -> str:  # noqa: B006 - read only
    """An affinity key whose rendezvous winner among ``pool`` is ``target``."""
    return next(k for k in (f"k{i}" for i in range(1000)) if rendezvous_rank(pool, k)[0] == target)


def test_single_deployment_is_returned_as_is():
    assert decide([A], {}, "k").reason == "only"


def test_empty_list_is_a_clear_error():
    with pytest.raises(ValueError, match="at least one deployment"):
        decide([], {}, None)


def test_same_key_same_replica_and_every_process_agrees():
    key = "conversation-1"
    first = choose([A, B, C], {}, key)
    assert all(choose([A, B, C], {}, key) is first for _ in range(20))
    assert choose([C, B, A], {}, key) is first  # order of the router's list does not matter
    assert rendezvous_rank(["a", "b", "c"], key) == rendezvous_rank(["c", "a", "b"], key)


def test_keys_spread_over_replicas():
    counts = Counter(ids([choose([A, B, C], {}, f"session-{i}") for i in range(300)]))
    assert set(counts) == {"a", "b", "c"}
    assert min(counts.values()) > 60  # about 100 each


def test_removing_a_replica_moves_only_its_keys():
    keys = [f"s{i}" for i in range(200)]
    before = {k: ids([choose([A, B, C], {}, k)])[0] for k in keys}
    after = {k: ids([choose([A, B], {}, k)])[0] for k in keys}
    assert all(after[k] == before[k] for k in keys if before[k] != "c")


def test_affinity_holds_under_small_imbalance():
    key = key_for("a")
    load = {"a": ReplicaLoad(running=1, waiting=0), "b": IDLE}
    choice = decide([A, B], load, key)
    assert ids([choice.deployment]) == ["a"] and choice.reason == "affinity"


def test_affinity_spills_when_its_replica_is_overloaded():
    key = key_for("a")
    load = {"a": ReplicaLoad(running=6, waiting=2), "b": IDLE}  # score 10 vs 0: over both thresholds
    choice = decide([A, B], load, key)
    assert ids([choice.deployment]) == ["b"] and choice.reason == "spill"


def test_spill_goes_to_the_keys_second_replica_so_proxies_agree():
    pool = ["a", "b", "c"]
    key = next(k for k in (f"k{i}" for i in range(1000)) if rendezvous_rank(pool, k)[:2] == ["a", "c"])
    load = {"a": ReplicaLoad(running=8, waiting=4), "b": IDLE, "c": ReplicaLoad(running=1, waiting=0)}
    assert ids([choose([A, B, C], load, key)]) == ["c"]


def test_full_kv_cache_counts_as_overloaded():
    key = key_for("a")
    load = {"a": ReplicaLoad(running=0, waiting=0, kv_usage=0.97), "b": ReplicaLoad(running=1, waiting=0)}
    assert ids([choose([A, B], load, key)]) == ["b"]
    assert ids([choose([A, B], load, key, Policy(kv_cache_high=0.99))]) == ["a"]


def test_without_key_least_load_wins():
    load = {"a": ReplicaLoad(running=3, waiting=0), "b": ReplicaLoad(running=1, waiting=0)}
    choice = decide([A, B], load, None)
    assert ids([choice.deployment]) == ["b"] and choice.reason == "least-load"


def test_affinity_off_routes_by_load_only():
    key = key_for("a")
    load = {"a": ReplicaLoad(running=1, waiting=0), "b": IDLE}
    assert ids([choose([A, B], load, key, Policy(affinity=False))]) == ["b"]


def test_waiting_counts_more_than_running():
    assert score(ReplicaLoad(running=2, waiting=2)) > score(ReplicaLoad(running=4, waiting=0))


def test_in_flight_counts_when_metrics_lag():
    # metrics still say idle, but this proxy just sent 3 requests there
    assert score(ReplicaLoad(in_flight=3, running=0, waiting=0)) == 3
    # another proxy's 4 show in the sample; our 2 sent after it do not yet: both count
    assert score(ReplicaLoad(in_flight=2, unseen=2, running=4, waiting=0)) == 6
    # the sample already saw our requests (sent before it): not counted twice
    assert score(ReplicaLoad(in_flight=2, unseen=0, running=4, waiting=0)) == 4


def test_stale_metrics_degrade_to_least_in_flight():
    # b has no fresh metrics: everyone is compared by in-flight counts, never an error
    load = {"a": ReplicaLoad(in_flight=2, running=0, waiting=0), "b": ReplicaLoad(in_flight=0)}
    assert ids([choose([A, B], load, None)]) == ["b"]
    load = {"a": ReplicaLoad(in_flight=0, running=9, waiting=9), "b": ReplicaLoad(in_flight=1)}
    assert ids([choose([A, B], load, None)]) == ["a"]  # a's metrics are not used against b's lack of them


def test_no_load_data_at_all_is_fine():
    assert choose([A, B], {}, None) in (A, B)
    assert choose([A, B], {}, "k") is choose([A, B], {}, "k")


def test_failing_replica_is_skipped_while_another_is_left():
    key = key_for("a")
    load = {"a": ReplicaLoad(failing=True), "b": ReplicaLoad(running=5, waiting=5)}
    assert decide([A, B], load, key).reason == "spill"  # b is not this key's own replica
    both = {"a": ReplicaLoad(failing=True), "b": ReplicaLoad(failing=True)}
    assert ids([choose([A, B], both, key)]) == ["a"]  # all failing: still an answer, affinity kept


@pytest.mark.parametrize("messages", [
    [{"role": "user", "content": "q1"}],
    [{"role": "user", "content": "q1"}, {"role": "assistant", "content": "a1"}, {"role": "user", "content": "q2"}],
])
def test_affinity_key_is_the_conversation_prefix(messages):
    sys_msg = {"role": "system", "content": "You are terse."}
    assert affinity_key("m", [sys_msg, *messages]) == affinity_key("m", [sys_msg, {"role": "user", "content": "q1"}])


def test_affinity_key_differs_by_system_prompt_first_turn_and_group():
    base = affinity_key("m", [{"role": "system", "content": "s"}, {"role": "user", "content": "q"}])
    assert base != affinity_key("m", [{"role": "system", "content": "t"}, {"role": "user", "content": "q"}])
    assert base != affinity_key("m", [{"role": "system", "content": "s"}, {"role": "user", "content": "r"}])
    assert base != affinity_key("n", [{"role": "system", "content": "s"}, {"role": "user", "content": "q"}])
    assert affinity_key("m", [{"role": "system", "content": "s"}]) is None
    assert affinity_key("m", None) is None


def test_inflight_counts_retries_once_and_expires():
    now = [0.0]
    f = InFlight(ttl_s=10, clock=lambda: now[0])
    f.begin("c1", "a")
    f.begin("c1", "b")  # the retry moved it
    assert (f.count("a"), f.count("b")) == (0, 1)
    f.end("c1", "a")  # late failure event of the first attempt: ignored
    assert f.count("b") == 1
    f.end("c1", "b")
    f.end("c1", "b")  # a second event for the same call: no double decrement
    assert f.count("b") == 0
    f.begin("c2", "a")
    now[0] = 11.0
    f.begin("c3", "b")  # c2 never finished: dropped after ttl
    assert (f.count("a"), f.count("b")) == (0, 1)


@pytest.mark.parametrize(("a", "b", "reason"), [
    (1, 0, "affinity"),    # low load: a chat stays put
    (8, 0, "affinity"),    # 8 more than the idle replica: not more than balance_abs_threshold (8)
    (9, 0, "spill"),       # 9 more, and more than 1.5x: both thresholds crossed
    (60, 40, "affinity"),  # busy GPUs: 20 more, but 1.5x 40 is 60: within the relative bound
    (70, 40, "spill"),
])
def test_spill_needs_both_the_absolute_and_the_relative_threshold(a, b, reason):
    key = key_for("a")
    load = {"a": ReplicaLoad(in_flight=a), "b": ReplicaLoad(in_flight=b)}
    assert decide([A, B], load, key).reason == reason
    assert decide([A, B], load, key, Policy(balance_abs_threshold=100)).reason == "affinity"


def test_relative_threshold_alone_keeps_affinity_on_busy_replicas():
    key = key_for("a")
    load = {"a": ReplicaLoad(in_flight=70), "b": ReplicaLoad(in_flight=40)}
    assert decide([A, B], load, key).reason == "spill"
    assert decide([A, B], load, key, Policy(balance_rel_threshold=2)).reason == "affinity"


def test_every_request_gets_a_replica_however_loaded():
    # never shed: even when every replica is busy, full or failing, one is chosen
    busy = ReplicaLoad(running=500, waiting=400, kv_usage=1.0)
    for key in (None, "k1", "k2"):
        assert decide([A, B, C], {"a": busy, "b": busy, "c": busy}, key).deployment in (A, B, C)
    failing = ReplicaLoad(failing=True, running=9, waiting=9)
    assert decide([A, B], {"a": failing, "b": failing}, "k").deployment in (A, B)


def test_inflight_counts_requests_sent_after_a_moment():
    now = [0.0]
    f = InFlight(clock=lambda: now[0])
    f.begin("c1", "a")
    now[0] = 2.0
    f.begin("c2", "a")
    f.begin("c3", "b")
    assert (f.count_since("a", 1.0), f.count_since("b", 1.0), f.count_since("a", -1.0)) == (1, 1, 2)
    f.end("c2")
    assert f.count_since("a", 1.0) == 0


def test_a_new_conversation_spills_sooner_than_a_warm_one():
    key = key_for("a")
    load = {"a": ReplicaLoad(in_flight=2), "b": ReplicaLoad(in_flight=0)}
    assert decide([A, B], load, key).reason == "affinity"  # its history is on a: worth a short wait
    assert decide([A, B], load, key, new=True).reason == "spill"  # nothing cached yet: go where it is quiet
    assert decide([A, B], load, key, Policy(new_conversation_abs_threshold=4), new=True).reason == "affinity"


@pytest.mark.parametrize(("messages", "new"), [
    ([{"role": "system", "content": "s"}, {"role": "user", "content": "q"}], True),
    ([{"role": "user", "content": "q"}, {"role": "assistant", "content": "a"}, {"role": "user", "content": "r"}],
     False),
    ([{"role": "user", "content": "q"}, {"role": "tool", "content": "42"}], False),
    (None, True),
])
def test_new_conversation_is_one_without_an_answer_yet(messages, new):
    assert is_new_conversation(messages) is new


def test_a_stale_sample_moves_forward_by_our_own_events():
    # the sample counted 5 running; 3 of ours finished since and 1 was sent since
    assert score(ReplicaLoad(in_flight=3, unseen=1, finished=3, running=5, waiting=0)) == 3
    assert score(ReplicaLoad(in_flight=0, unseen=0, finished=9, running=5, waiting=0)) == 0  # never negative


def test_inflight_knows_what_finished_after_a_sample():
    now = [0.0]
    f = InFlight(clock=lambda: now[0])
    f.begin("c1", "a")
    f.begin("c2", "a")
    now[0] = 2.0
    f.end("c1")  # in flight at t=1, finished after it
    f.begin("c3", "a")
    now[0] = 3.0
    f.end("c3")  # began after t=1: the sample at t=1 never counted it
    assert (f.finished_since("a", 1.0), f.finished_since("b", 1.0)) == (1, 0)  # c1 only: c3 began after t=1
    assert (f.finished_since("a", 2.5), f.finished_since("a", 3.5)) == (1, 0)  # c3 was running at t=2.5


# -- placement: a conversation's first request by load, remembered for its later turns ----------------
D = {"model_info": {"id": "d"}, "litellm_params": {"api_base": "http://d:8000/v1"}}


def test_placement_goes_to_the_candidate_holding_fewest_conversations():
    key = "new-chat"
    everyone = ["a", "b", "c", "d"]
    top = rendezvous_rank(everyone, key)
    held = {top[0]: 5, top[1]: 1, top[2]: 0, top[3]: 0}
    choice = place([A, B, C, D], {}, key, held, Policy(placement_candidates=2))
    assert ids([choice.deployment]) == [top[1]] and choice.reason == "placed"  # the emptier of its top two
    choice = place([A, B, C, D], {}, key, held, Policy(placement_candidates=0))
    assert ids([choice.deployment]) == [top[2]]  # all candidates: an empty one, the first in the ranking


def test_placement_skips_a_busy_or_failing_candidate_and_never_refuses():
    key = key_for("a", ["a", "b", "c"])
    load = {"a": ReplicaLoad(in_flight=3), "b": ReplicaLoad(), "c": ReplicaLoad(failing=True)}
    # a holds no conversation but has a queue (> new_conversation_abs_threshold above the least): skipped
    assert ids([place([A, B, C], load, key, {"b": 4}, Policy(placement_candidates=0)).deployment]) == ["b"]
    busy = ReplicaLoad(running=50, waiting=50, kv_usage=1.0)
    assert place([A, B], {"a": busy, "b": busy}, key, {}).deployment in (A, B)


def test_a_remembered_replica_comes_first_and_spills_by_the_same_rule():
    key = key_for("a")
    assert decide([A, B], {}, key, remembered="b").deployment is B  # not the hash's choice: where it was placed
    assert decide([A, B], {}, key, remembered="b").reason == "affinity"
    load = {"a": ReplicaLoad(in_flight=0), "b": ReplicaLoad(in_flight=20)}
    assert decide([A, B], load, key, remembered="b").reason == "spill"
    assert decide([A, B], {}, key, remembered="gone").deployment is A  # a replica no longer in the group


def test_placements_remember_count_evict_and_expire():
    now = [0.0]
    m = Placements(size=3, ttl_s=10, clock=lambda: now[0])
    for key, replica in (("k1", "a"), ("k2", "a"), ("k3", "b")):
        m.put(key, replica)
    assert (m.get("k1"), m.count("a"), m.count("b")) == ("a", 2, 1)
    m.put("k1", "b")  # spilled: its newest turn is on b now
    assert (m.get("k1"), m.count("a"), m.count("b")) == ("b", 1, 2)
    m.put("k4", "c")  # over size: k2 was used longest ago
    assert m.get("k2") is None and m.count("a") == 0 and len(m) == 3
    now[0] = 10.5
    assert m.get("k1") is None and m.counts() == Counter()  # idle longer than ttl_s: forgotten


def test_placements_reject_a_memory_that_holds_nothing():
    with pytest.raises(ValueError, match="size >= 1"):
        Placements(size=0)
