"""``solv.gc`` in the real proxy: the shipped default freezes start-up objects and collects the young
generation far less often than Python's defaults; ``gc: {freeze: false, young_threshold: null}`` leaves
the collector as Python has it. Read from the proxy's own ``/metrics`` (prometheus_client's
``python_gc_*`` series), before and after the same requests.
"""

from __future__ import annotations

import re
from pathlib import Path

import httpx

from tests.support.backend import RecordingBackend
from tests.support.proxy import deployment, proxy_client, start_proxy, write_variant
from tests.test_metrics import Samples, scrape, total

REQUESTS = 200


def young_collections_per_request(client: httpx.Client) -> float:
    before = scrape(client)
    for i in range(REQUESTS):
        body = {"model": "qwen", "messages": [{"role": "user", "content": f"/no_think hi #{i}"}]}
        assert client.post("/v1/chat/completions", json=body).status_code == 200
    after = scrape(client)
    return (young(after) - young(before)) / REQUESTS


def young(samples: Samples) -> float:
    return total(samples, "python_gc_collections_total", generation="0")


def test_the_shipped_default_collects_far_less_often_than_python(tmp_path: Path) -> None:
    with RecordingBackend("gc") as backend:
        models = [deployment("qwen", backend.url, "qwen3")]
        shipped = start_proxy(write_variant(tmp_path / "shipped", models))
        python = start_proxy(write_variant(tmp_path / "python", models,
                                           solv={"gc": {"freeze": False, "young_threshold": None}}))
        try:
            with proxy_client(shipped) as a, proxy_client(python) as b:
                tuned, default = young_collections_per_request(a), young_collections_per_request(b)
            shipped_log, python_log = shipped.log_path.read_text(), python.log_path.read_text()
        finally:
            shipped.stop()
            python.stop()
    frozen = re.search(r"solv gc: froze (\d+) start-up objects; young collections every 5000 ", shipped_log)
    assert frozen and int(frozen[1]) > 10_000, shipped_log[-2000:]  # LiteLLM alone leaves far more
    assert "froze 0 start-up objects; young collections every 700 " in python_log
    # 5000 allocations between young collections instead of 700: about 7x fewer, whatever a request costs
    assert default > 0.02, f"Python's defaults: {default:.3f} young collections per request (expected some)"
    assert tuned < default / 3, f"tuned {tuned:.3f} vs Python's {default:.3f} young collections per request"
