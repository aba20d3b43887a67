# make run: install, migrate, seed, serve with gunicorn + gevent.  make test: the whole suite.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= 5000
export PORT

.PHONY: run test lint format clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed pyproject.toml
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

run: $(VENV)/.installed
	$(BIN)/flask --app wsgi db upgrade
	$(BIN)/flask --app wsgi seed-demo
	@echo "Serving on http://127.0.0.1:$(PORT)  (Ctrl-C stops)"
	$(BIN)/gunicorn --config gunicorn.conf.py wsgi:app

# Mozilla's ical.js (Thunderbird's parser) reads our calendars in the tests; needs Node.
tests/icaljs/node_modules/.installed: tests/icaljs/package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
	  npm ci --prefix tests/icaljs --no-audit --no-fund --loglevel=error && touch $@; \
	else echo "npm not found: the ical.js checks will be skipped (apt-get install nodejs npm)"; fi

test: $(VENV)/.installed-test tests/icaljs/node_modules/.installed
	$(BIN)/ruff check mlc_events tests bench
	$(BIN)/pytest $(PYTEST_ARGS)

lint: $(VENV)/.installed-test
	$(BIN)/ruff check mlc_events tests bench
	$(BIN)/ruff format --check mlc_events tests bench

format: $(VENV)/.installed-test
	$(BIN)/ruff format mlc_events tests bench
	$(BIN)/ruff check --fix mlc_events tests bench

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
