"""What the benchmarks share: percentiles and interleaved rounds (drift hits every variant alike)."""

from __future__ import annotations

import statistics
from collections.abc import Callable, Sequence


def pct(xs: list[float], q: int) -> float:
    """The q-th percentile (1..99) of ``xs``."""
    return statistics.quantiles(xs, n=100, method="inclusive")[q - 1] if len(xs) > 1 else xs[0]


def interleaved(names: Sequence[str], rounds: int,
                run: Callable[[str], tuple[list[float], float]]) -> dict[str, tuple[list[float], list[float]]]:
    """Run each variant once per round, reversing the order every other round.

    ``run(name)`` returns (latencies, throughput); the result maps each name to all its latencies and
    its per-round throughputs.
    """
    results: dict[str, tuple[list[float], list[float]]] = {n: ([], []) for n in names}
    for r in range(rounds):
        for name in (names if r % 2 == 0 else list(reversed(names))):
            lat, per_s = run(name)
            results[name][0].extend(lat)
            results[name][1].append(per_s)
    return results
