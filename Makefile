# The two commands of the README: `make run` and `make test`. Everything else is a step they depend on.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000
# PostgreSQL used by the test suite (the same tests also run on SQLite). Override or unset as needed.
TEST_DATABASE_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
export HOST PORT

.PHONY: run test test-fast lint format bench install install-test translations vendor chromium clean

run: install translations vendor  ## Install, migrate, load the demo catalog, serve with gunicorn + gevent
	VENV=$(VENV) ./scripts/run.sh

test: install-test translations vendor chromium  ## Everything: unit, integration (SQLite + PostgreSQL), end-to-end
	TEST_DATABASE_URL=$(TEST_DATABASE_URL) $(BIN)/pytest $(PYTEST_ARGS)

test-fast: install-test translations  ## Without the browser tests
	TEST_DATABASE_URL=$(TEST_DATABASE_URL) $(BIN)/pytest -m "not e2e" $(PYTEST_ARGS)

lint: install-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install-test
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[localstripe]'
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[test,localstripe]'
	touch $@

translations: install  ## Compile translations/*/LC_MESSAGES/messages.po
	$(BIN)/pybabel compile --use-fuzzy -d translations >/dev/null

messages: install  ## Refresh the catalog of strings to translate after changing templates or code
	$(BIN)/pybabel extract --no-wrap -F babel.cfg -k _l -k lazy_gettext --ignore-dirs=".venv node_modules tests migrations scripts bench" -o translations/messages.pot .
	$(BIN)/pybabel update --no-wrap -i translations/messages.pot -d translations

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

vendor: node_modules/.installed  ## Copy browser libraries from their npm packages into static/vendor/ (no CDN)
	mkdir -p static/vendor
	cp node_modules/socket.io-client/dist/socket.io.min.js static/vendor/socket.io.min.js
	cp node_modules/chart.js/dist/chart.umd.min.js static/vendor/chart.umd.min.js

chromium:  ## Debian's Chromium for the end-to-end tests (Playwright's own download cannot work offline)
	@command -v chromium >/dev/null || ($(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq chromium)

bench: install-test
	@ls bench/*.py >/dev/null 2>&1 && for b in bench/*.py; do $(BIN)/python $$b; done || echo "no benchmarks yet"

clean:
	rm -rf $(VENV) node_modules static/vendor .pytest_cache .ruff_cache
	find translations -name '*.mo' -delete
