"""solv.routing: strict, every bad value named with the fix; a bad value stops the real proxy at start."""

from __future__ import annotations

import pytest

from solvstack.core.config import ConfigError, parse_solv
from solvstack.core.routing.config import RoutingConfig
from solvstack.ops.proxyproc import ProxyFailed
from tests.support.backend import RecordingBackend
from tests.support.proxy import deployment, start_proxy, write_variant


def raw(routing: dict, groups: tuple[str, ...] = ("qwen",)) -> dict:
    return {"model_list": [{"model_name": g} for g in groups], "solv": {"routing": routing}}


def test_defaults():
    cfg = parse_solv({"model_list": []}).routing
    assert cfg == RoutingConfig()
    assert (cfg.affinity, cfg.balance_abs_threshold, cfg.balance_rel_threshold) == (True, 8.0, 1.5)
    assert (cfg.scrape_interval_s, cfg.stale_after_s, cfg.metrics_lag_s) == (1.0, 5.0, 0.0)


@pytest.mark.parametrize(("routing", "needle"), [
    ({"load_factor": 1.25}, "solv.routing.load_factor: unknown key; valid keys here: affinity, balance_abs_threshold"),
    ({"balance_rel_treshold": 2}, "unknown key (did you mean 'balance_rel_threshold'?)"),
    ({"balance_rel_threshold": 0.5},
     "solv.routing.balance_rel_threshold: Input should be greater than or equal to 1 (got 0.5)"),
    ({"balance_abs_threshold": -1}, "solv.routing.balance_abs_threshold"),
    ({"metrics_lag_s": 60}, "solv.routing.metrics_lag_s"),
    ({"kv_cache_high": 1.5}, "solv.routing.kv_cache_high"),
    ({"scrape_interval_s": 2, "stale_after_s": 1}, "stale_after_s (1.0) must be larger than scrape_interval_s"),
    ({"model_groups": ["qwen", "qwne"]},
     "solv.routing.model_groups[1]: 'qwne' is not a model_name in model_list (qwen); fix the name"),
])
def test_bad_values_are_named(routing, needle):
    with pytest.raises(ConfigError) as err:
        parse_solv(raw(routing), "cfg.yaml")
    assert "cfg.yaml: " in str(err.value) and needle in str(err.value), str(err.value)
    assert "Value error" not in str(err.value)


def test_every_bad_value_of_the_section_in_one_error():
    with pytest.raises(ConfigError) as err:
        parse_solv(raw({"balance_rel_threshold": 0.5, "kv_cache_high": 2, "model_groups": ["x"]}), "cfg.yaml")
    assert [p.path for p in err.value.problems] == [
        "solv.routing.model_groups[0]", "solv.routing.balance_rel_threshold", "solv.routing.kv_cache_high"]


def test_the_real_proxy_refuses_to_start_with_a_bad_value(tmp_path):
    with RecordingBackend() as b:
        cfg = write_variant(tmp_path, [deployment("m", b.url)], solv={"routing": {"balance_rel_threshold": -1}})
        with pytest.raises(ProxyFailed, match="solv.routing.balance_rel_threshold"):
            start_proxy(cfg)
