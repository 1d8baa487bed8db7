"""What LOW saves: the same prompts at LOW / HIGH / NO through the real proxy to a real vLLM CPU server.

    .venv/bin/python -m bench.thinking [--prompts 6] [--rounds 2] [--max-tokens 160] [--low-budget 32]

One vLLM CPU server serves the embedded SmolLM2 exactly as `make up` does (its template opens a
``<think>`` block when ``enable_thinking`` is true, vLLM's qwen3 reasoning parser enforces
``thinking_token_budget``). The proxy declares it as a ``qwen3``-family model group with a LOW budget of
``--low-budget`` tokens and none for HIGH, so the three levels are what a Qwen3 deployment gets:
LOW = thinking on + budget, HIGH = thinking on, NO = thinking off. Levels alternate within each round
(order reversed every other round), all in the same run; answers are streamed.

SmolLM2-135M does not reason: its "thinking" is text in a think block, and it stops at random. So the
requests carry ``ignore_eos`` (``--no-ignore-eos`` turns it off): the model keeps writing, as a reasoning
model that thinks long would. This measures the mechanism (how many tokens are spent thinking, how long
until the answer starts), not the quality of any reasoning.

Prints per level: reasoning tokens, time to the first answer token ("time to answer"; at HIGH the think
block may fill max_tokens, then there is no answer and its total time is the lower bound), total time;
then the ratios LOW/HIGH and NO/HIGH, and one ``key=value`` line. Times are wall-clock on a shared CPU
(tok/s shows how busy it was); the token counts do not depend on load.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from tests.support.proxy import MASTER_KEY, free_port, start_proxy, write_variant

from bench.common import pct
from solvstack.ops.backends.catalog import DEFAULT_MODEL, get_model
from solvstack.ops.backends.model import prepare_in_venv
from solvstack.ops.backends.server import BackendSpec, VllmServer, find_vllm_python

PROMPTS = [
    "Why is the sky blue?",
    "How many days are there in a leap year, and why?",
    "What is 17 times 23?",
    "Explain what a hash table is.",
    "Should I use a list or a set to check membership in Python?",
    "A train leaves at 3 pm and travels 120 km at 60 km/h. When does it arrive?",
    "What causes the seasons on Earth?",
    "Write a haiku about autumn.",
]
LEVELS = {"LOW": "/think low ", "HIGH": "/think high ", "NO": "/no_think "}


@dataclass
class Runs:
    reasoning: list[int] = field(default_factory=list)
    completion: list[int] = field(default_factory=list)
    to_answer: list[float] = field(default_factory=list)  # requests that got an answer
    waited: list[float] = field(default_factory=list)  # total time of those that did not (think block to the end)
    total: list[float] = field(default_factory=list)


def one(client: httpx.Client, level: str, prompt: str, args: argparse.Namespace, runs: Runs) -> None:
    body: dict[str, Any] = {"model": "think", "max_tokens": args.max_tokens, "temperature": 0, "stream": True,
                            "stream_options": {"include_usage": True},
                            "messages": [{"role": "user", "content": LEVELS[level] + prompt}]}
    if args.ignore_eos:
        body["ignore_eos"] = True
    started = time.perf_counter()
    first_answer: float | None = None
    usage: dict[str, Any] = {}
    with client.stream("POST", "/v1/chat/completions", json=body) as r:
        r.raise_for_status()
        assert r.headers["x-solv-thinking"] == level, r.headers
        for line in r.iter_lines():
            if not line.startswith("data: ") or line == "data: [DONE]":
                continue
            chunk = json.loads(line[6:])
            usage = chunk.get("usage") or usage
            delta = (chunk.get("choices") or [{}])[0].get("delta") or {}
            if first_answer is None and (delta.get("content") or "").strip():
                first_answer = time.perf_counter() - started
    total = time.perf_counter() - started
    runs.total.append(total)
    runs.reasoning.append(int((usage.get("completion_tokens_details") or {}).get("reasoning_tokens") or 0))
    runs.completion.append(int(usage.get("completion_tokens") or 0))
    if first_answer is None:
        runs.waited.append(total)
    else:
        runs.to_answer.append(first_answer)


def start_server(logs: Path) -> VllmServer:
    python = find_vllm_python()
    model = get_model(DEFAULT_MODEL)
    model_dir = prepare_in_venv(model.name, python=python, echo=lambda line: None)
    server = VllmServer(BackendSpec.cpu(model_dir, served_name=model.served_name, port=free_port(),
                                        args=model.vllm_args), python=python, log_path=logs / "vllm.log")
    server.start()
    print(f"{server.name} healthy after {server.wait_healthy(900):.0f} s", flush=True)
    return server


def report(results: dict[str, Runs], args: argparse.Namespace) -> None:
    def mean(xs: list[float] | list[int]) -> float:
        return statistics.fmean(xs) if xs else float("nan")

    def answer_time(r: Runs) -> tuple[float, str]:
        # a request without an answer waited at least its whole time for one
        return pct(r.to_answer + r.waited, 50), ">=" if r.waited else ""

    print(f"\nper level ({len(results['LOW'].total)} requests each, max_tokens {args.max_tokens}, "
          f"LOW budget {args.low_budget}, HIGH no budget, ignore_eos {args.ignore_eos})")
    print(f"{'level':6} {'reasoning tok':>14} {'completion tok':>15} {'time to answer p50':>19} "
          f"{'no answer':>10} {'total p50':>10} {'tok/s':>6}")
    for level, r in results.items():
        t, mark = answer_time(r)
        print(f"{level:6} {mean(r.reasoning):14.1f} {mean(r.completion):15.1f} {mark + f'{t:.2f} s':>19} "
              f"{len(r.waited):>10} {pct(r.total, 50):9.2f}s {sum(r.completion) / sum(r.total):6.1f}")
    low, high, no = results["LOW"], results["HIGH"], results["NO"]
    ratios = {
        "reasoning_tokens_low_over_high": mean(low.reasoning) / max(mean(high.reasoning), 1e-9),
        "time_to_answer_low_over_high": answer_time(low)[0] / answer_time(high)[0],
        "total_time_low_over_high": pct(low.total, 50) / pct(high.total, 50),
        "reasoning_tokens_no_over_high": mean(no.reasoning) / max(mean(high.reasoning), 1e-9),
        "time_to_answer_no_over_high": answer_time(no)[0] / answer_time(high)[0],
    }
    print("\nratios (same run):")
    for key, value in ratios.items():
        print(f"  {key:32} {value:.3f}")
    print("\nSmolLM2-135M does not really reason: this measures vLLM's budget mechanism through the proxy "
          "(tokens spent in the think block, time until the answer starts), not reasoning quality.")
    print(" ".join(f"{k}={v:.3f}" for k, v in ratios.items()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--prompts", type=int, default=6, help=f"how many of the {len(PROMPTS)} prompts")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--max-tokens", type=int, default=160)
    parser.add_argument("--low-budget", type=int, default=32)
    parser.add_argument("--no-ignore-eos", dest="ignore_eos", action="store_false")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="solv-bench-thinking-") as tmp:
        work = Path(tmp)
        server = start_server(work)
        try:
            entry = {"model_name": "think",
                     "litellm_params": {"model": f"hosted_vllm/{server.spec.served_name}", "api_base": server.base_url,
                                        "api_key": "none", "timeout": 600},
                     "model_info": {"solv_thinking": "qwen3", "solv_thinking_budget": {"LOW": args.low_budget}}}
            proxy = start_proxy(write_variant(work / "proxy", [entry]))
            try:
                results = {level: Runs() for level in LEVELS}
                order = list(LEVELS)
                with httpx.Client(base_url=proxy.url, headers={"Authorization": f"Bearer {MASTER_KEY}"},
                                  timeout=600) as client:
                    one(client, "NO", "hello", args, Runs())  # warm-up, not counted
                    for rnd in range(args.rounds):
                        for prompt in PROMPTS[: args.prompts]:
                            for level in (order if rnd % 2 == 0 else order[::-1]):
                                one(client, level, prompt, args, results[level])
                        print(f"round {rnd + 1}/{args.rounds} done", flush=True)
                report(results, args)
            finally:
                proxy.stop()
        finally:
            server.stop()


if __name__ == "__main__":
    main()
