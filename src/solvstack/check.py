"""``solv check``: validate ``litellm_config.yaml``, the ``vllm/*.yaml`` beside it and what is derived
from them, then exit. Nothing starts; every problem of every file is printed in one run.

    solv check [--config litellm_config.yaml]

It checks, as the proxy and ``solv up`` do at start:

- the whole ``solv:`` section and the ``model_list`` keys solv reads (:func:`solvstack.config.parse_solv`);
- every ``vllm/*.yaml`` declaration, alone and together (:func:`solvstack.deployments.load_deployments`);
- each declaration's ``model_list`` entry, printing the exact entry to paste when one is missing or
  drifted (the embedded CPU default's are warnings: ``solv up --model`` picks that model at run time);
- ``compose.gpus.yaml`` (if present) against what ``solv gpus --compose`` generates now.

Exit status 0 when all is well, 2 otherwise.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any, TextIO

import yaml

from solvstack.config import SolvConfig, load_raw, parse_solv
from solvstack.deployments import (
    COMPOSE_FILE,
    DEFAULT_DIR,
    Deployment,
    check_compose,
    deployment_drift,
    model_list_entry,
    scan_deployments,
    unknown_links,
)
from solvstack.errors import ConfigError, Problem


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", type=Path, default=Path("litellm_config.yaml"))


def run(args: argparse.Namespace, out: TextIO | None = None) -> int:
    out = out or sys.stderr
    config: Path = args.config
    try:
        raw = load_raw(config)
    except ConfigError as exc:
        print(exc, file=out)
        return 2
    where = str(config)
    problems: list[Problem] = []
    cfg: SolvConfig | None = None
    try:
        cfg = parse_solv(raw, where)
    except ConfigError as exc:
        problems += exc.problems or [Problem(where, "", str(exc))]
    deployments, found = scan_deployments(config.parent / DEFAULT_DIR)
    problems += found
    compose_path = config.parent / COMPOSE_FILE
    drifted: list[Deployment] = []
    for d in deployments:
        drift = deployment_drift(d, raw, where)
        if drift and d.fallback:  # the embedded default: solv up --model may serve another one
            for p in drift:
                print(f"warning: {p}", file=out)
        elif drift:
            problems += drift
            drifted.append(d)
    problems += unknown_links(deployments, raw, where)
    if compose_path.is_file():
        problems += check_compose(deployments, compose_path)
        for d in deployments:  # the proxy in compose cannot reach 127.0.0.1 of another container
            if d.on_gpu and not d.remote and d not in drifted:
                for p in deployment_drift(d, raw, where, only_compose=True):
                    print(f"warning: {p}", file=out)
    for p in problems:
        print(f"error: {p}", file=out)
    if drifted:
        print(_entries_to_paste(drifted, config, compose=compose_path.is_file()), file=out)
    if problems:
        print(f"{len(problems)} problem{'s' if len(problems) > 1 else ''}; nothing was changed", file=out)
        return 2
    kind = cfg.classifier.kind if cfg is not None else "?"
    print(f"{config}: ok ({len(raw.get('model_list') or [])} model_list entries, {len(deployments)} vllm/ "
          f"declarations, classifier {kind})")
    return 0


def _entries_to_paste(deployments: list[Deployment], config: Path, *, compose: bool) -> str:
    """The model_list entries the declarations want, as YAML to paste over the drifted or missing ones."""
    body: Any = [model_list_entry(d, compose=compose) for d in deployments]
    text = yaml.safe_dump(body, sort_keys=False, width=120)
    where = "their compose services (compose.gpus.yaml)" if compose else "the servers solv up starts"
    return (f"the model_list entries of {config} for these declarations, pointing at {where}:\n"
            + "".join(f"  {line}\n" for line in text.splitlines()))
