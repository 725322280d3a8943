# make run  - set up, migrate, seed demo content on SQLite, serve the hall on http://127.0.0.1:5000
# make test - set up with developer tools and run the whole suite
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 5000

.PHONY: run test setup setup-dev translations i18n lint bench-search clean

run: setup translations
	$(BIN)/gongkai db upgrade
	$(BIN)/gongkai demo --if-empty
	$(BIN)/gongkai run --host $(HOST) --port $(PORT)

test: setup-dev translations
	$(BIN)/python -m pytest $(PYTEST_ARGS)

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.stamp-run: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e .
	touch $@

$(VENV)/.stamp-dev: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[dev]'
	touch $@ $(VENV)/.stamp-run

setup: $(VENV)/.stamp-run
setup-dev: $(VENV)/.stamp-dev

# Compiled catalogs are build output: made from the .po files on every set-up.
translations: setup
	$(BIN)/pybabel -q compile -d hall/translations -D messages

# After changing user-visible text: extract the Chinese msgids and merge them into the catalogs.
i18n: setup-dev
	$(BIN)/pybabel -q extract -F babel.cfg -k _l -o hall/translations/messages.pot .
	$(BIN)/pybabel -q update -i hall/translations/messages.pot -d hall/translations -l en

lint: setup-dev
	$(BIN)/ruff check .
	$(BIN)/mypy

bench-search: setup-dev translations
	$(BIN)/python bench/search.py

clean:
	rm -rf $(VENV) instance/*.sqlite3*
