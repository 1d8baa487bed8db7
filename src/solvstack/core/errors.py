"""The one error type for a bad configuration, and the one formatter of its messages.

Every check of ``litellm_config.yaml`` and ``vllm/*.yaml`` reports :class:`Problem` s (file, YAML
path, message) and raises them together in one :class:`ConfigError`, so a user sees every mistake
of a file in one run. Each line names the file, the YAML path, the bad value and the valid ones:

>>> print(ConfigError([Problem("litellm_config.yaml", "solv.routing.balance_rel_threshold",
...                            "Input should be greater than or equal to 1 (got 0.5)")]))
litellm_config.yaml: solv.routing.balance_rel_threshold: Input should be greater than or equal to 1 (got 0.5)

This module imports nothing of solvstack, so every layer can raise its errors.
"""

from __future__ import annotations

import difflib
import types
import typing
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError

__all__ = ["ConfigError", "Problem", "format_problems", "validation_problems", "yaml_path"]


@dataclass(frozen=True)
class Problem:
    """One mistake: the file it is in, its YAML path there (``solv.routing.kv_cache_high``), what to fix."""

    file: str
    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}: {self.path}: {self.message}" if self.path else f"{self.file}: {self.message}"


class ConfigError(ValueError):
    """A configuration file has bad values; the message names each one and the fix.

    Built from a sentence or from every :class:`Problem` found (``.problems``)."""

    def __init__(self, problems: str | Sequence[Problem]) -> None:
        self.problems: tuple[Problem, ...] = () if isinstance(problems, str) else tuple(problems)
        super().__init__(problems if isinstance(problems, str) else format_problems(self.problems))


def format_problems(problems: Sequence[Problem]) -> str:
    """One line per problem, ``file: yaml.path: message`` (the form compilers and linters use)."""
    return "\n".join(map(str, problems))


def yaml_path(root: str, loc: Sequence[int | str]) -> str:
    """``solv`` + ``("routing", "model_groups", 0)`` -> ``solv.routing.model_groups[0]``.

    >>> yaml_path("", ("gpus",))
    'gpus'
    """
    out = root
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def validation_problems(err: ValidationError, file: str, root: str = "",
                        model: type[BaseModel] | None = None) -> list[Problem]:
    """pydantic's errors as problems: the YAML path, the message without pydantic's ``Value error, ``
    prefix, the bad value (unless the message already quotes it) and, for an unknown key, the valid
    keys of ``model`` at that place (and the closest one)."""
    out = []
    for e in err.errors():
        loc, kind, value = tuple(e["loc"]), e["type"], e.get("input")
        message = str(e["msg"]).removeprefix("Value error, ").removeprefix("Assertion failed, ")
        if kind == "extra_forbidden":
            message = _unknown_key(str(loc[-1]), _keys_at(model, loc[:-1]))
        elif kind != "missing" and not isinstance(value, dict) and repr(value) not in message:
            message += f" (got {value!r})"
        out.append(Problem(file, yaml_path(root, loc), message))
    return out


def _unknown_key(key: str, valid: list[str]) -> str:
    if not valid:
        return "unknown key"
    close = difflib.get_close_matches(key, valid, n=1, cutoff=0.6)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return f"unknown key{hint}; valid keys here: {', '.join(valid)}"


def _keys_at(model: type[BaseModel] | None, loc: Sequence[int | str]) -> list[str]:
    """The field names of the model found by following ``loc`` from ``model`` (nested sections)."""
    for part in loc:
        if model is None or not isinstance(part, str) or part not in model.model_fields:
            return []
        model = _model_in(model.model_fields[part].annotation)
    return sorted(model.model_fields) if model is not None else []


def _model_in(annotation: Any) -> type[BaseModel] | None:
    """``RoutingConfig`` from ``RoutingConfig`` or ``RoutingConfig | None``."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        for arg in typing.get_args(annotation):
            found = _model_in(arg)
            if found is not None:
                return found
    return None
