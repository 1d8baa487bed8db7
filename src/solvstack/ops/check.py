"""``solv check``: validate ``litellm_config.yaml``, the ``vllm/*.yaml`` beside it and what is derived
from them, then exit. Nothing starts; every problem of every file is printed in one run.

    solv check [--config litellm_config.yaml]

It checks, as the proxy and ``solv up`` do at start:

- the whole ``solv:`` section and the ``model_list`` keys solv reads (:func:`solvstack.core.config.parse_solv`);
- every ``vllm/*.yaml`` declaration, alone and together (:func:`solvstack.ops.deployments.load_deployments`);
- each declaration's ``model_list`` entry, printing the exact entry to paste when one is missing or
  drifted (the embedded CPU default's are warnings: ``solv up --model`` picks that model at run time);
- ``compose.gpus.yaml`` (if present) against what ``solv gpus --compose`` generates now.

Exit status 0 when all is well, 2 otherwise.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

import yaml

from solvstack.core.config import SolvConfig, load_raw, parse_solv
from solvstack.core.errors import ConfigError, Problem
from solvstack.ops.deployments import (
    COMPOSE_FILE,
    DEFAULT_DIR,
    Deployment,
    check_compose,
    deployment_drift,
    model_list_entry,
    scan_deployments,
    unknown_links,
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", type=Path, default=Path("litellm_config.yaml"))


@dataclass
class Report:
    """What ``solv check`` found: errors, warnings, and the model_list entries that would fix drift."""

    config: Path
    cfg: SolvConfig | None = None
    deployments: list[Deployment] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    to_paste: list[dict[str, Any]] = field(default_factory=list)  # model_list entries for drifted declarations
    compose: bool = False  # compose.gpus.yaml exists: entries at the services' addresses


def check(config: Path, raw: dict[str, Any]) -> Report:
    """Every check of ``config`` (already loaded as ``raw``) and the files beside it."""
    where = str(config)
    report = Report(config, compose=(config.parent / COMPOSE_FILE).is_file())
    try:
        report.cfg = parse_solv(raw, where)
    except ConfigError as exc:
        report.problems += exc.problems or [Problem(where, "", str(exc))]
    report.deployments, found = scan_deployments(config.parent / DEFAULT_DIR)
    report.problems += found
    for d in report.deployments:
        drift = deployment_drift(d, raw, where)
        if d.fallback:  # the embedded default: solv up --model may serve another model
            report.warnings += drift
        elif drift:
            report.problems += drift
            report.to_paste.append(model_list_entry(d, compose=report.compose))
        elif report.compose and d.on_gpu and not d.remote:  # a proxy in compose cannot reach 127.0.0.1
            report.warnings += deployment_drift(d, raw, where, only_compose=True)
    report.problems += unknown_links(report.deployments, raw, where)
    if report.compose:
        report.problems += check_compose(report.deployments, config.parent / COMPOSE_FILE)
    return report


def run(args: argparse.Namespace, out: TextIO | None = None) -> int:
    out = out or sys.stderr
    config: Path = args.config
    try:
        raw = load_raw(config)
    except ConfigError as exc:
        print(exc, file=out)
        return 2
    report = check(config, raw)
    for p in report.warnings:
        print(f"warning: {p}", file=out)
    for p in report.problems:
        print(f"error: {p}", file=out)
    if report.to_paste:
        where = f"their compose services ({COMPOSE_FILE})" if report.compose else "the servers solv up starts"
        text = yaml.safe_dump(report.to_paste, sort_keys=False, width=120)
        print(f"the model_list entries of {config} for these declarations, pointing at {where}:\n"
              + "".join(f"  {line}\n" for line in text.splitlines()), file=out)
    if report.problems:
        print(f"{len(report.problems)} problem{'s' if len(report.problems) > 1 else ''}", file=out)
        return 2
    kind = report.cfg.classifier.kind if report.cfg is not None else "?"
    print(f"{config}: ok ({len(raw.get('model_list') or [])} model_list entries, {len(report.deployments)} "
          f"vllm/ declarations, classifier {kind})")
    return 0
