"""Scale-out of the gateway: one proxy vs one proxy with N workers vs N replicas behind nginx, same run.

    .venv/bin/python -m bench.scale [--requests 600] [--concurrency 32] [--rounds 3] [--replicas 2]

One fake OpenAI backend (its own process, answers at once) behind every variant, the repo's config
(shipped callbacks) for every proxy, Redis configured for all of them (the scale-out recipe of
docs/operations.md; Debian's redis-server on a free port), and Debian's nginx with the shipped
``nginx/solv-lb.conf`` in front of the replicas. Variants:

- ``one``: one proxy, one worker (what the gateway did before);
- ``workers``: one proxy with ``--replicas`` workers (``solv up`` and the container's default);
- ``nginx``: ``--replicas`` proxies of one worker each behind nginx (the compose ``scale`` profile).

Rounds alternate the variants so drift hits all. Prints RPS and p50/p99 of each and, last, the
ratios to ``one``. The load generator and the backend run on the same machine and take their share
of its cores: on a 2-core box, the ceiling of any ratio is well under 2.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from tests.scale.services import Nginx, RedisServer
from tests.support.proxy import MASTER_KEY, REPO, deployment, free_port, write_variant

from bench.common import interleaved, pct
from bench.overhead import load
from solvstack.ops.proxyproc import ProxyProcess


def start(cfg: Path, env: dict[str, str], workers: int, name: str) -> ProxyProcess:
    p = ProxyProcess(cfg, free_port(), env={"LITELLM_MASTER_KEY": MASTER_KEY, "PYTHONPATH": str(REPO / "src"), **env},
                     log_path=cfg.parent / f"proxy-{name}.log", workers=workers).start()
    p.wait_ready(240)
    return p


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--requests", type=int, default=600)
    ap.add_argument("--concurrency", type=int, default=32)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--replicas", type=int, default=2, help="workers of `workers`, proxies behind nginx")
    args = ap.parse_args()
    port = free_port()
    backend = subprocess.Popen([sys.executable, "-m", "tests.support.backend", str(port)], cwd=REPO,
                               stdout=subprocess.PIPE)
    assert backend.stdout is not None
    api_base = backend.stdout.readline().decode().strip()
    procs: list[ProxyProcess] = []
    with tempfile.TemporaryDirectory() as tmp, RedisServer() as redis:
        cfg = write_variant(Path(tmp), [deployment("m", api_base, "qwen3")])
        try:
            one = start(cfg, redis.env, 1, "one")
            workers = start(cfg, redis.env, args.replicas, "workers")
            replicas = [start(cfg, redis.env, 1, f"r{i}") for i in range(args.replicas)]
            procs = [one, workers, *replicas]
            with Nginx([p.port for p in replicas]) as lb:
                urls = {"one": one.url, "workers": workers.url, "nginx": lb.url}
                for url in urls.values():  # warm-up: pools, first-request imports in every process
                    asyncio.run(load(url, 30 * args.replicas, args.concurrency))
                results = interleaved(list(urls), args.rounds,
                                      lambda name: asyncio.run(load(urls[name], args.requests, args.concurrency)))
        finally:
            for p in procs:
                p.stop()
            backend.terminate()
    base = statistics.mean(results["one"][1])
    for name, (lat, rps) in results.items():
        print(f"{name:8s} n={len(lat)} p50={pct(lat, 50):.1f}ms p99={pct(lat, 99):.1f}ms "
              f"rps={statistics.mean(rps):.1f} (rounds {' '.join(f'{x:.0f}' for x in rps)})")
    print(" ".join(f"{name}_rps_ratio={statistics.mean(rps) / base:.2f}" for name, (_, rps) in results.items()
                   if name != "one") + f" replicas={args.replicas}")


if __name__ == "__main__":
    main()
