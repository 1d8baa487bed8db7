"""A proxy told to stop (SIGTERM) drains: streams that finish within ``solv.drain_s`` finish; one still
running after it ends with an error event the client can act on, and the process exits.

Real proxy on the repo's config, a recording backend whose stream takes ~10 s (one word every 0.25 s).
The scale tests (tests/scale/test_replicas.py) check the other half behind nginx: short streams on a
stopping replica complete, and no request through the load balancer is lost.
"""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path

from tests.support.backend import Behaviour, RecordingBackend
from tests.support.proxy import deployment, proxy_client, start_proxy, write_variant

WORDS = " ".join(f"w{i}" for i in range(40))
DRAIN_S = 1.5


def test_sigterm_ends_a_long_stream_with_an_error_event_after_drain_s(tmp_path: Path) -> None:
    with RecordingBackend("slow") as backend:
        backend.behaviour = Behaviour(content=WORDS, chunk_delay_s=0.25)
        cfg = write_variant(tmp_path, [deployment("qwen", backend.url, "qwen3")], solv={"drain_s": DRAIN_S})
        proxy = start_proxy(cfg)
        try:
            assert proxy.proc is not None
            events: list[dict] = []
            at_signal = None
            body = {"model": "qwen", "stream": True, "messages": [{"role": "user", "content": "/no_think count"}]}
            with proxy_client(proxy, timeout=30) as client, \
                    client.stream("POST", "/v1/chat/completions", json=body) as r:
                assert r.status_code == 200
                for line in r.iter_lines():
                    if not line.startswith("data: "):
                        continue
                    events.append({"done": True} if line == "data: [DONE]" else json.loads(line[6:]))
                    if len(events) == 3 and at_signal is None:
                        os.kill(proxy.proc.pid, signal.SIGTERM)  # what `docker compose stop` sends
                        at_signal = len(events)
            assert at_signal is not None
            error = events[-1].get("error")
            assert error is not None, events[-3:]
            assert "stopping" in error["message"] and "retry the request" in error["message"]
            assert error["code"] == "503"
            assert {"done": True} not in events
            words = "".join(e["choices"][0]["delta"].get("content") or "" for e in events if e.get("choices"))
            assert WORDS.startswith(words.strip()) and len(words.split()) < 40  # what came, came unchanged
            assert len(events) - 1 > at_signal, "the stream was cut at the signal instead of draining"
            assert proxy.proc.wait(20) is not None, "the proxy did not exit after draining"
            assert "open streams have 1.5 s to finish" in proxy.log_tail(200)
        finally:
            proxy.stop()
