# Two commands on a fresh machine: `make demo` and `make test`.
# Both create ./.venv themselves (Python 3.11+ needed on PATH as python3).
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
DEMO   ?= demo-output

.PHONY: demo test lint bench clean venv

$(BIN)/softa: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(BIN)/softa

venv: $(BIN)/softa

demo: venv
	$(BIN)/python -m samples.demo --out $(DEMO)

test: venv
	$(BIN)/python -m pytest -q -n 2

lint: venv
	$(BIN)/ruff check .
	$(BIN)/mypy

bench: venv
	$(BIN)/python benchmarks/bench_scan.py

clean:
	rm -rf $(VENV) $(DEMO) .pytest_cache
