# Two commands on a fresh machine: `make demo` and `make test`.
# Both create ./.venv themselves (Python 3.11+ needed on PATH as python3).
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
DEMO   ?= demo-output

.PHONY: demo test lint bench clean venv messages

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

# Re-extract the messages wrapped in _() and merge them into the Dutch catalogue; then translate
# the entries marked fuzzy or empty in softa/locale/nl/LC_MESSAGES/softa.po.
messages: venv
	$(BIN)/pybabel extract -F babel.cfg -k _ -k ngettext:1,2 --no-location --omit-header --sort-output -o $(VENV)/softa.pot .
	$(BIN)/pybabel update -i $(VENV)/softa.pot -d softa/locale -D softa --omit-header --no-fuzzy-matching --ignore-obsolete

clean:
	rm -rf $(VENV) $(DEMO) .pytest_cache
