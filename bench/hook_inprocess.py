"""CPU cost of solv's callback per chat request, in-process (no HTTP, no proxy noise).

    .venv/bin/python -m bench.hook_inprocess [--requests 3000]

Calls every hook LiteLLM calls on solv's one callback (``plugins/solv.py``) for a non-streamed chat
request to a one-replica group, in request order: pre-call (decide, local classifier), deployment
filter, deployment hook (a Qwen3 switch), success hook, response headers, success event (metrics,
in-flight). Prints the CPU time per request of the thinking hook alone and of the whole callback.
`bench/overhead.py` measures the same through real proxies, where run-to-run
noise on a 2-core machine (about ±8 % RPS) is larger than this cost.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time
from pathlib import Path

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

from solvstack.proxy.plugin import build_solv  # noqa: E402

PROMPTS = ["hi there!", "what is 17 * 23?", "prove that sqrt(2) is irrational",
           "who won the match yesterday?", "write a haiku about autumn",
           "fix this python: for i in range(10) print(i)"]


async def run(n: int) -> tuple[float, float]:
    config = Path(__file__).resolve().parents[1] / "litellm_config.yaml"
    solv = build_solv(config)
    hook = solv.thinking
    deployment = {"model_name": "m", "model_info": {"id": "r0", "solv_thinking": "qwen3"},
                  "litellm_params": {"model": "hosted_vllm/m", "api_base": "http://127.0.0.1:9/v1"}}
    usage = {"prompt_tokens": 12, "completion_tokens": 30, "completion_tokens_details": {"reasoning_tokens": 8}}

    def body(i: int) -> dict:
        return {"model": "m", "messages": [{"role": "user", "content": f"{PROMPTS[i % 6]} #{i}"}],
                "metadata": {}, "litellm_call_id": f"c{i}"}

    start = time.process_time()
    for i in range(n):
        out = await hook.async_pre_call_hook(None, None, body(i), "acompletion")
        assert isinstance(out, dict)
        meta = {**out["metadata"], "model_info": deployment["model_info"]}
        await hook.async_pre_call_deployment_hook({"model": "hosted_vllm/m", "metadata": meta}, None)
        await hook.async_post_call_response_headers_hook(out, None, None)
    hook_ms = (time.process_time() - start) / n * 1000

    start = time.process_time()
    for i in range(n):
        out = await solv.async_pre_call_hook(None, None, body(i), "acompletion")
        assert isinstance(out, dict)
        [chosen] = await solv.async_filter_deployments("m", [deployment], out["messages"], out)
        kwargs = {"model": "hosted_vllm/m", "metadata": {**out["metadata"], "model_info": chosen["model_info"]},
                  "litellm_call_id": out["litellm_call_id"]}
        await solv.async_pre_call_deployment_hook(kwargs, None)
        await solv.async_post_call_success_hook(out, None, None)
        await solv.async_post_call_response_headers_hook(out, None, None, None, {"model_id": "r0"})
        event = {**kwargs, "standard_logging_object": {"model_group": "m", "model_id": "r0",
                                                       "api_base": "http://127.0.0.1:9/v1"}}
        await solv.async_log_success_event(event, {"usage": usage}, 0.0, 0.05)
    solv_ms = (time.process_time() - start) / n * 1000
    await solv.routing.scraper.stop()
    return hook_ms, solv_ms


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--requests", type=int, default=3000)
    args = ap.parse_args()
    hook_ms, solv_ms = asyncio.run(run(args.requests))
    print(f"hook_cpu_ms_per_request={hook_ms:.3f} solv_callback_cpu_ms_per_request={solv_ms:.3f}")


if __name__ == "__main__":
    main()
