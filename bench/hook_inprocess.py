"""CPU cost of the solv thinking hook per chat request, in-process (no HTTP, no proxy noise).

    .venv/bin/python -m bench.hook_inprocess [--requests 3000]

Runs the three entry points LiteLLM calls per chat request (pre-call hook with the local classifier,
deployment hook applying a Qwen3 switch, response-headers hook) on the repo's config and prints the
mean time per request. `bench/overhead.py` measures the same through real proxies, where run-to-run
noise on a 2-core machine (about ±8 % RPS) is larger than this cost.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time
from pathlib import Path

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

from solvstack.plugin import build_hook  # noqa: E402

PROMPTS = ["hi there!", "what is 17 * 23?", "prove that sqrt(2) is irrational",
           "who won the match yesterday?", "write a haiku about autumn",
           "fix this python: for i in range(10) print(i)"]


async def run(n: int) -> float:
    hook = build_hook(Path(__file__).resolve().parents[1] / "litellm_config.yaml")
    start = time.perf_counter()
    for i in range(n):
        data = {"model": "m", "messages": [{"role": "user", "content": f"{PROMPTS[i % 6]} #{i}"}], "metadata": {}}
        out = await hook.async_pre_call_hook(None, None, data, "acompletion")
        assert isinstance(out, dict)
        meta = {**out["metadata"], "model_info": {"solv_thinking": "qwen3"}}
        await hook.async_pre_call_deployment_hook({"model": "hosted_vllm/m", "metadata": meta}, None)
        await hook.async_post_call_response_headers_hook(out, None, None)
    return (time.perf_counter() - start) / n * 1000


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--requests", type=int, default=3000)
    args = ap.parse_args()
    print(f"hook_ms_per_request={asyncio.run(run(args.requests)):.3f}")


if __name__ == "__main__":
    main()
