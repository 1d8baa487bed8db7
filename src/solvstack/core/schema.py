"""Building blocks of the typed config tree (:mod:`solvstack.core.config` and its sections).

Sections name things defined elsewhere in ``litellm_config.yaml``: model groups (``model_list``) and
search tools (``search_tools``). Those names are checked while the section is validated, from the
:class:`Refs` passed as pydantic's validation context, so a wrong name is reported with its YAML path
beside every other mistake of the file. Without a context (a section built in code) they are not checked.

>>> from pydantic import TypeAdapter
>>> TypeAdapter(ModelGroup).validate_python("qwen3-8b", context=Refs(("qwen3-8b",), {}))
'qwen3-8b'
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, ValidationInfo


class Strict(BaseModel):
    """A section: unknown keys are errors, values are read-only."""

    model_config = ConfigDict(extra="forbid", frozen=True)


@dataclass(frozen=True)
class Refs:
    """What the file defines for its ``solv:`` section to name."""

    model_names: tuple[str, ...]  # model_list[*].model_name
    search_tools: Mapping[str, str] = field(default_factory=dict)  # search_tool_name -> search_provider

    @classmethod
    def of(cls, raw: Mapping[str, Any]) -> Refs:
        models = [m for m in raw.get("model_list") or [] if isinstance(m, dict)]
        tools = [t for t in raw.get("search_tools") or [] if isinstance(t, dict)]
        return cls(tuple(sorted({str(m.get("model_name")) for m in models})),
                   {str(t.get("search_tool_name")): str((t.get("litellm_params") or {}).get("search_provider", ""))
                    for t in tools})


def refs(info: ValidationInfo) -> Refs | None:
    return info.context if isinstance(info.context, Refs) else None


def _model_group(name: str, info: ValidationInfo) -> str:
    known = refs(info)
    if known is not None and name not in known.model_names:
        raise ValueError(f"{name!r} is not a model_name in model_list ({', '.join(known.model_names) or 'none'}); "
                         "fix the name or add that model group")
    return name


# A model_name of model_list (a model group clients can ask for).
ModelGroup = Annotated[str, AfterValidator(_model_group)]
