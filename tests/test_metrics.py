"""solv's Prometheus series on the real proxy's own /metrics, beside LiteLLM's.

Uses the session proxy (tests/conftest.py) and compares scrapes before and after, so requests sent by
other test modules in the same session do not matter.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import httpx
import pytest
from prometheus_client import CollectorRegistry
from prometheus_client.parser import text_string_to_metric_families

from solvstack.proxy.metrics import SolvMetrics
from solvstack.proxy.requestdata import DecisionRecord, decision_of, deployment_of
from tests.support.backend import RecordingBackend

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def scrape(client: httpx.Client) -> Samples:
    r = client.get("/metrics/")
    assert r.status_code == 200, r.text
    out: Samples = {}
    for family in text_string_to_metric_families(r.text):
        for s in family.samples:
            out[(s.name, frozenset(s.labels.items()))] = s.value
    return out


def total(samples: Samples, name: str, **labels: str) -> float:
    want = set(labels.items())
    return sum(v for (n, lab), v in samples.items() if n == name and want <= lab)


def chat(client: httpx.Client, model: str, text: str) -> httpx.Response:
    r = client.post("/v1/chat/completions", json={"model": model, "messages": [{"role": "user", "content": text}]})
    assert r.status_code == 200, r.text
    return r


def test_metrics_need_a_proxy_key(proxy):
    r = httpx.get(f"{proxy.url}/metrics/", timeout=30)
    assert r.status_code == 401
    assert "require_auth_for_metrics_endpoint" in r.text


def test_decisions_counted_by_level_and_source(client, rec):
    before = scrape(client)
    for _ in range(3):
        chat(client, "qwen", "/think prove that 97 is prime")
    chat(client, "qwen", "/no_think hi")
    after = scrape(client)

    def delta(**labels: str) -> float:
        return total(after, "solv_decisions_total", **labels) - total(before, "solv_decisions_total", **labels)

    assert delta(level="HIGH", source="override", thinking="HIGH", search="off") == 3
    assert delta(level="NO", source="override") == 1
    assert delta() == 4


def test_classifier_latency_histogram_observes_classified_requests(client, rec):
    name = "solv_classifier_latency_seconds_count"
    before = scrape(client)
    r = chat(client, "qwen", "what is the capital of France, and why did it become the capital?")
    after = scrape(client)
    source = r.headers["x-solv-source"]
    assert source in {"local", "cache", "llm", "default"}
    assert total(after, name, source=source) - total(before, name, source=source) == 1
    overrides_before = total(before, name, source="override")
    chat(client, "qwen", "/think go")
    assert total(scrape(client), name, source="override") == overrides_before == 0  # no classifier ran


def test_replica_that_served_is_counted_with_level(client, rec: RecordingBackend):
    labels = {"model_group": "granite", "level": "LOW", "outcome": "success"}
    before = total(scrape(client), "solv_replica_requests_total", **labels)
    chat(client, "granite", "/think low sum 2 and 2")
    after = scrape(client)
    assert total(after, "solv_replica_requests_total", **labels) - before == 1
    served = [lab for (n, lab), v in after.items() if n == "solv_replica_requests_total" and set(labels.items()) <= lab]
    assert dict(served[0])["api_base"].startswith(rec.url.rsplit("/v1", 1)[0])
    assert dict(served[0])["replica"] not in ("", "none")


def test_served_requests_have_latency_and_tokens_without_litellm_callback(client, rec):
    """The shipped config serves /metrics with solv's series only (LiteLLM's callback is opt-in)."""
    before = scrape(client)
    chat(client, "plain", "/no_think hello")
    after = scrape(client)
    assert not any(n.startswith("litellm_request_total_latency") for n, _ in after)  # the callback is off

    def delta(name: str, **labels: str) -> float:
        return total(after, name, **labels) - total(before, name, **labels)

    assert delta("solv_request_latency_seconds_count", model_group="plain") == 1
    assert delta("solv_prompt_tokens_total", model_group="plain") == 5  # the recording backend's usage


def test_failed_requests_counted_by_status(client, rec):
    before = scrape(client)
    r = client.post("/v1/chat/completions",
                    json={"model": "no-such-group", "messages": [{"role": "user", "content": "x"}]})
    assert r.status_code >= 400
    after = scrape(client)
    status = str(r.status_code)
    assert total(after, "solv_failed_requests_total", status=status) - total(before, "solv_failed_requests_total",
                                                                              status=status) == 1


def test_bad_hook_fields_become_bounded_labels():
    m = SolvMetrics(CollectorRegistry())
    m.record_decision(DecisionRecord(level="HIGH", source="local", kind="chat", thinking="HIGH", confidence=0.9,
                                     ms=-1.0, search={"search": 'x"}\n' * 40}))
    sample = next(s for s in m.decisions.collect()[0].samples if s.name == "solv_decisions_total")
    assert len(sample.labels["search"]) <= 64 and "\n" not in sample.labels["search"]
    assert m.classifier_latency.collect()[0].samples[0].value >= 0  # a bad time counts as 0, never raises


@pytest.mark.parametrize(("kwargs", "expect"), [
    ({"standard_logging_object": {"model_group": "g", "model_id": "abc", "api_base": "http://h/v1"}},
     {"model_group": "g", "model_id": "abc", "api_base": "http://h/v1"}),
    ({"model": "g", "litellm_params": {"api_base": "http://h/v1", "model_info": {"id": "abc"},
                                       "metadata": {"model_group": "g", "solv": {"level": "NO"}}}},
     {"model_group": "g", "model_id": "abc", "api_base": "http://h/v1"}),
])
def test_deployment_and_decision_read_from_litellm_kwargs(kwargs, expect):
    assert deployment_of(kwargs) == expect
    decision = decision_of(kwargs)
    assert decision is None or decision.level == "NO"


# --- docs/grafana-dashboard.json asks only for series and labels that exist ---------------------------
DASHBOARD = Path(__file__).resolve().parents[1] / "docs" / "grafana-dashboard.json"
SERIES = re.compile(r"\b((?:solv|litellm)_[a-z_]+)")
GROUPING = re.compile(r"\bby \(([^)]*)\)")
MATCHER = re.compile(r"([a-z_]+)\s*(?:=|!=|=~|!~)\s*\"")


def dashboard_queries() -> list[str]:
    dash = json.loads(DASHBOARD.read_text())
    return [t["expr"] for p in dash["panels"] for t in p["targets"]]


def series_labels(name: str) -> set[str]:
    """The label names a series really has: solv's from SolvMetrics, LiteLLM's from its own table."""
    base = re.sub(r"_(bucket|count|sum|total)$", "", name)
    if base.startswith("solv_"):
        m = SolvMetrics(CollectorRegistry())
        metric = {mt.describe()[0].name: mt for mt in vars(m).values() if hasattr(mt, "describe")}[base]
        return set(metric._labelnames) | {"le"}
    from litellm.types.integrations.prometheus import PrometheusMetricLabels

    return set(PrometheusMetricLabels.get_labels(base)) | {"le"}  # type: ignore[arg-type]


@pytest.mark.parametrize("expr", dashboard_queries())
def test_dashboard_queries_use_real_series_and_labels(expr):
    names = set(SERIES.findall(expr))
    assert names, expr
    used = {lab.strip() for g in GROUPING.findall(expr) for lab in g.split(",")} | set(MATCHER.findall(expr))
    for name in names:
        assert used <= series_labels(name), f"{name} has no label {used - series_labels(name)}"


def test_dashboard_solv_series_appear_on_the_proxy(client, rec):
    chat(client, "qwen", "what is the capital of France, and why did it become the capital?")
    scraped = {n for n, _ in scrape(client)}
    for expr in dashboard_queries():
        for name in SERIES.findall(expr):
            if name.startswith("solv_") and not {"escalations", "fallbacks"} & set(name.split("_")):
                # escalations and fallbacks: tests/test_fallbacks.py
                assert name in scraped or f"{name}_total" in scraped, name
