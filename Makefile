# revops-nb: every target sets up .venv itself when needed.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
LOCK := requirements.lock
# Resolve for every platform (markers), at the oldest supported Python, keeping current pins.
LOCK_CMD = $(BIN)/uv pip compile pyproject.toml --extra dev --universal --python-version 3.11 \
	--custom-compile-command "make lock" --quiet -o $(LOCK)
PYTEST_ARGS ?= -n 2

.DEFAULT_GOAL := help
.PHONY: help setup lock lock-upgrade report test test-fast lab lint format bench sample clean

help:  ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml $(LOCK)
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c $(LOCK) -e '.[dev]'
	@touch $(STAMP)

setup: $(STAMP)  ## Create .venv and install the package with the exact versions of requirements.lock

lock: $(STAMP)  ## Re-resolve requirements.lock after changing pyproject.toml (keeps unchanged pins)
	$(LOCK_CMD)

lock-upgrade: $(STAMP)  ## Move every pin in requirements.lock to the newest version pyproject.toml allows
	$(LOCK_CMD) --upgrade

report: $(STAMP)  ## Render every report on the configured data (the embedded sample by default)
	$(BIN)/revops-nb run

test: $(STAMP)  ## Run every test (unit, notebooks, end-to-end, browser)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

test-fast: $(STAMP)  ## Run the tests not marked slow
	$(BIN)/python -m pytest -m "not slow" $(PYTEST_ARGS)

lab: $(STAMP)  ## Open JupyterLab on notebooks/ in the project environment
	$(BIN)/jupyter lab --notebook-dir=notebooks

lint: $(STAMP)  ## ruff check and format check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)  ## Apply ruff fixes and formatting
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: $(STAMP)  ## Run every benchmark in benchmarks/ and print its table
	@for b in benchmarks/bench_*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

sample: $(STAMP)  ## Write the sample tables and a data.yaml to sample_data/
	$(BIN)/revops-nb sample --out sample_data

clean:  ## Remove .venv and rendered reports
	rm -rf $(VENV) reports/*/ reports/index.html
