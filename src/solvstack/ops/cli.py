"""The `solv` command line. Each subcommand lives in its own module, imported only when used."""

from __future__ import annotations

import argparse
import importlib
import sys

# subcommand -> (module, help). Each module exposes `add_arguments(parser)` and `run(args) -> int`.
COMMANDS: dict[str, tuple[str, str]] = {
    "up": ("solvstack.ops.up", "set up and run the whole stack (vLLM per GPU, or the embedded CPU default)"),
    "classify": ("solvstack.ops.classify", "print the thinking decision for a prompt or a JSONL file"),
    "eval": ("solvstack.ops.evaluate", "accuracy, confusion matrix and latency on a labeled JSONL file"),
    "gpus": ("solvstack.ops.gpus", "list NVIDIA GPUs (index, UUID, memory, utilization) via NVML"),
    "check": ("solvstack.ops.check", "validate litellm_config.yaml and vllm/ deployments, then exit"),
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="solv", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    argv = sys.argv[1:] if argv is None else argv
    wanted = argv[0] if argv and argv[0] in COMMANDS else None
    for name, (module, help_text) in COMMANDS.items():
        p = sub.add_parser(name, help=help_text)
        if name == wanted:  # import only the module that runs: `solv classify` must start fast
            importlib.import_module(module).add_arguments(p)
    args = parser.parse_args(argv)
    return int(importlib.import_module(COMMANDS[args.command][0]).run(args))


if __name__ == "__main__":
    raise SystemExit(main())
