# Quick start: `make demo` and `make test`. Only Python >= 3.11 and make are needed.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-dev
DEMO_STAMP := $(VENV)/.installed-demo
# -qq: pip still prints errors, but not setuptools' notice about editable installs on every fresh clone.
PIP := $(BIN)/python -m pip install -qq

.PHONY: test lint demo sandbox bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(PIP) -e '.[dev]'
	touch $@ $(DEMO_STAMP)

# The demo needs the sandbox and charts extras only, not the test and lint tools.
$(DEMO_STAMP): pyproject.toml | $(BIN)/python
	$(PIP) -e '.[sandbox,charts]'
	touch $@

test: $(STAMP)
	$(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check bot tests bench scripts
	$(BIN)/ruff format --check bot tests bench scripts
	$(BIN)/mypy
	$(BIN)/lint-imports

demo: $(DEMO_STAMP)
	$(BIN)/analytics-bot demo

sandbox: $(DEMO_STAMP)
	$(BIN)/python -m bot sandbox --demo

bench: $(STAMP)
	$(BIN)/python bench/sandbox_overview.py
	$(BIN)/python bench/http_cost.py
	$(BIN)/python bench/latency.py
	$(BIN)/python bench/latency.py --sharing off
	$(BIN)/python bench/burst.py
	$(BIN)/python bench/charts.py
	$(BIN)/python bench/chaos.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
