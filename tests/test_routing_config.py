"""solv.routing: strict, every bad value named with the fix; a bad value stops the real proxy at start."""

from __future__ import annotations

import pytest

from solvstack.config import ConfigError
from solvstack.proxyproc import ProxyFailed
from solvstack.routing.config import RoutingConfig, parse_routing
from tests.support.backend import RecordingBackend
from tests.support.proxy import deployment, start_proxy, write_variant


def raw(routing: dict, groups: tuple[str, ...] = ("qwen",)) -> dict:
    return {"model_list": [{"model_name": g} for g in groups], "solv": {"routing": routing}}


def test_defaults():
    cfg = parse_routing({"model_list": []})
    assert cfg == RoutingConfig()
    assert (cfg.affinity, cfg.load_factor, cfg.scrape_interval_s, cfg.stale_after_s) == (True, 1.25, 1.0, 5.0)


@pytest.mark.parametrize(("routing", "needle"), [
    ({"max_imbalance": 3}, "solv.routing.max_imbalance: Extra inputs are not permitted"),
    ({"load_factor": 0.5}, "solv.routing.load_factor: Input should be greater than or equal to 1 (got 0.5)"),
    ({"kv_cache_high": 1.5}, "solv.routing.kv_cache_high"),
    ({"scrape_interval_s": 2, "stale_after_s": 1}, "stale_after_s (1.0) must be larger than scrape_interval_s"),
    ({"model_groups": ["qwne"]}, "names 'qwne', which is not a model_name in model_list (qwen)"),
])
def test_bad_values_are_named(routing, needle):
    with pytest.raises(ConfigError) as err:
        parse_routing(raw(routing), "cfg.yaml")
    assert "cfg.yaml" in str(err.value) and needle in str(err.value), str(err.value)


def test_the_real_proxy_refuses_to_start_with_a_bad_value(tmp_path):
    with RecordingBackend() as b:
        cfg = write_variant(tmp_path, [deployment("m", b.url)], solv={"routing": {"load_factor": -1}})
        with pytest.raises(ProxyFailed, match="solv.routing.load_factor"):
            start_proxy(cfg)
