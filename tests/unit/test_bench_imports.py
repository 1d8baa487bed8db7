"""Every benchmark imports as a module of the repo (``python -m bench.<name>`` from the repo root), so a
renamed helper breaks here, in seconds, not on the next benchmark run."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"
BENCHES = sorted(p.stem for p in BENCH.glob("*.py") if p.stem not in ("__init__", "common"))


@pytest.mark.parametrize("name", BENCHES)
def test_benchmark_imports_and_has_a_main(name: str) -> None:
    module = importlib.import_module(f"bench.{name}")
    assert callable(getattr(module, "main", None)), f"bench/{name}.py has no main()"
