"""The decision carried in ``metadata["solv"]`` through the copies LiteLLM makes of a request."""

from __future__ import annotations

import copy
import dataclasses
import json
import pickle

from solvstack.proxy.requestdata import DecisionRecord, decision_of, put_decision, put_family

DECISION = DecisionRecord(level="HIGH", source="local", kind="chat", thinking="HIGH", confidence=0.91, ms=0.3,
                          search={"search": "off"}, escalated_from="small")


def carried() -> dict:
    data: dict = {"metadata": {}}
    put_decision(data, DECISION)
    return data


def test_every_copy_reads_back_the_same_decision():
    data = carried()
    copies = [data, copy.deepcopy(data), pickle.loads(pickle.dumps(data)), json.loads(json.dumps(data)),
              {"metadata": {"solv": dict(data["metadata"]["solv"])}},
              {"litellm_params": {"metadata": copy.deepcopy(data["metadata"])}}]
    for c in copies:
        assert decision_of(c) == DECISION


def test_family_reaches_the_record_and_the_strings_every_holder_shares():
    data = carried()
    router_kwargs = {"metadata": {**data["metadata"]}}  # the router's shallow copy shares metadata["solv"]
    put_family(router_kwargs, "qwen3")
    for holder in (router_kwargs, data, json.loads(json.dumps(data))):
        found = decision_of(holder)
        assert found == dataclasses.replace(DECISION, family="qwen3")
        assert found.headers()["x-solv-family"] == "qwen3"
    assert data["metadata"]["solv"]["family"] == "qwen3"


def test_strings_edited_without_put_family_are_not_hidden_by_a_stale_record():
    data = json.loads(json.dumps(carried()))  # a plain dict: what any client-shaped copy is
    data["metadata"]["solv"]["level"] = "NO"
    found = decision_of(data)
    assert found is not None and found.level == "NO"


def test_a_deep_copy_is_independent_of_the_original():
    data = carried()
    copied = copy.deepcopy(data)
    put_family(copied, "granite")
    copied["metadata"]["solv"]["level"] = "NO"
    assert data["metadata"]["solv"].get("family") is None and data["metadata"]["solv"]["level"] == "HIGH"
    assert decision_of(data) == DECISION
    found = decision_of(copied)
    assert found is not None and found.family == "granite"
