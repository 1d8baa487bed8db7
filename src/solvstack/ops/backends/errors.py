"""Errors of the embedded backend; each message says what to do about it.

EmbeddedError
├── VllmNotInstalled     no vLLM venv: run scripts/setup-vllm-cpu.sh or set SOLV_VLLM_PYTHON
├── ModelPrepareFailed   converting / assembling a model folder failed (stderr tail inside)
├── ProcessExited        a child (vLLM, litellm) exited; names its log file and shows its tail
└── StartupTimeout       a child did not answer its health URL in time; names its log file
"""

from __future__ import annotations


class EmbeddedError(RuntimeError):
    """Base of every error raised by ``solvstack.ops.backends``."""


class VllmNotInstalled(EmbeddedError):
    """No Python interpreter with vLLM was found."""


class ModelPrepareFailed(EmbeddedError):
    """Preparing a model folder (GGUF assembly, dequantization, tokenizer) failed."""


class ProcessExited(EmbeddedError):
    """A managed child process exited while it should have been serving."""


class StartupTimeout(EmbeddedError):
    """A managed child process did not become healthy within the time allowed."""
