"""Decision time on IDE-sized request bodies (20k+ tokens of context), in-process.

    .venv/bin/python -m bench.decision [--rounds 200]

Bodies in the clients' shapes (tests/support/client_bodies.py), scaled up: a Cline loop 30 steps deep
with 80 kB files in its tool results, a Continue chat with a 90 kB pasted file, a native tool loop with
20 test-output results, an Open WebUI title task over a long chat. For each: p50 / p99 of
:func:`solvstack.core.decide.decide` (the whole request read, the local classifier on the human's words), and
beside it, in the same run, what the proxy did before this decision layer: the local classifier on the
whole last user message. Last line: ``decide_p50_ms=<worst kind> ratio_vs_last_message=<x>``.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time

from tests.support import client_bodies as cb

from solvstack.core.classify.base import Conversation
from solvstack.core.classify.local import LocalClassifier
from solvstack.core.decide import decide
from solvstack.core.messages import text_of

FILE = cb.SECRET_CODE * 300  # ~80 kB, ~20k tokens


def bodies() -> dict[str, dict]:
    cline = cb.cline_tool_result("Fix the failing test in tests/test_tokens.py", "read_file for 'src/acme/tokens.py'",
                                 FILE)
    for _ in range(29):
        cline["messages"] += cline["messages"][-2:]
    loop = cb.native_loop("upgrade to the latest numpy and fix what breaks", 20)
    history = "\n".join(f"USER: question {i} about tokens\nASSISTANT: {cb.SECRET_CODE}" for i in range(60))
    return {"cline_30_steps": cline, "continue_90kB_paste": cb.continue_chat_with_code(
                "why does rotation fail for new tenants?" + "\n" + FILE),
            "native_loop_20": loop, "owui_title_long": cb.owui_title(history)}


def p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def main(rounds: int) -> None:
    clf = LocalClassifier()
    worst, ratios = 0.0, []
    for name, body in bodies().items():
        size = len(str(body))
        new, old = [], []
        last = text_of(next(m for m in reversed(body["messages"]) if m["role"] == "user")["content"])
        for _ in range(rounds):  # interleaved, so drift hits both
            start = time.perf_counter()
            await decide(body, None, clf)
            new.append((time.perf_counter() - start) * 1000)
            start = time.perf_counter()
            clf.predict(Conversation(last))
            old.append((time.perf_counter() - start) * 1000)
        n50, o50 = statistics.median(new), statistics.median(old)
        worst = max(worst, n50)
        ratios.append(n50 / o50)
        print(f"{name:<22} {size / 1000:7.0f} kB  decide p50 {n50:6.3f} ms  p99 {p(new, 0.99):6.3f} ms   "
              f"last-message classify p50 {o50:6.3f} ms  ratio {n50 / o50:5.2f}")
    print(f"decide_p50_ms={worst:.3f} ratio_vs_last_message={max(ratios):.2f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=200)
    asyncio.run(main(parser.parse_args().rounds))
