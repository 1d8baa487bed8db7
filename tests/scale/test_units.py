"""Worker count rule, worker environment and solv.shared_cache settings (no processes started)."""

from __future__ import annotations

import pytest

from solvstack.core.config import ConfigError, SharedCacheConfig, parse_solv
from solvstack.ops.proxyproc import MAX_WORKERS, default_workers, usable_cores, worker_env
from solvstack.proxy.sharedcache import redis_link


def test_default_workers_is_one_per_core_capped(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("SOLV_PROXY_WORKERS", raising=False)
    assert default_workers() == min(usable_cores(), MAX_WORKERS) >= 1
    monkeypatch.setenv("SOLV_PROXY_WORKERS", "3")
    assert default_workers() == 3


@pytest.mark.parametrize("bad", ["0", "two", "-1"])
def test_bad_worker_count_names_the_value(monkeypatch: pytest.MonkeyPatch, bad: str):
    monkeypatch.setenv("SOLV_PROXY_WORKERS", bad)
    with pytest.raises(ValueError, match=f"SOLV_PROXY_WORKERS='{bad}'"):
        default_workers()


def test_several_workers_get_a_metrics_folder(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR", raising=False)
    assert "PROMETHEUS_MULTIPROC_DIR" not in worker_env(1)
    assert worker_env(2)["PROMETHEUS_MULTIPROC_DIR"]
    assert worker_env(2, {"PROMETHEUS_MULTIPROC_DIR": "/x"})["PROMETHEUS_MULTIPROC_DIR"] == "/x"


def test_shared_cache_settings_fail_at_start_naming_the_value():
    with pytest.raises(ConfigError, match=r"solv.shared_cache.redis.*'yes'"):
        parse_solv({"solv": {"shared_cache": {"redis": "yes"}}})
    with pytest.raises(ConfigError, match=r"solv.shared_cache.timeout_s"):
        parse_solv({"solv": {"shared_cache": {"timeout_s": 0}}})


def test_no_redis_in_the_environment_means_process_memory(monkeypatch: pytest.MonkeyPatch):
    for name in ("REDIS_HOST", "REDIS_URL"):
        monkeypatch.delenv(name, raising=False)
    redis_link.cache_clear()
    assert redis_link(SharedCacheConfig()) is None
    monkeypatch.setenv("REDIS_HOST", "127.0.0.1")
    assert redis_link(SharedCacheConfig(redis="off")) is None
    redis_link.cache_clear()
