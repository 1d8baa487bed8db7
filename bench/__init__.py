"""Benchmarks: run from the repo root as modules, ``.venv/bin/python -m bench.overhead`` (README, "Tests and
benchmarks"); they reach the test stand-ins in ``tests.support`` as packages, with no ``sys.path`` edits."""
