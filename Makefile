# Panel: `make run` to use it, `make test` to check it.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8501

.PHONY: run test test-sqlite test-pg test-fast lint db clean bench

$(BIN)/python:
	$(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e ".[test,postgres]"
	touch $@

# axe-core for the accessibility checks in the browser tests (pinned in package-lock.json).
node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

db: $(VENV)/.installed
	$(BIN)/panel migrate
	$(BIN)/panel demo-data --if-empty

run: db
	$(BIN)/streamlit run app.py --server.port $(PORT) --server.headless true \
		--browser.gatherUsageStats false

# The whole suite on each engine; test-pg starts a throwaway PostgreSQL (docs/postgresql.md).
test: test-sqlite test-pg

# Each engine: everything but the browser, then the browser journeys, each on two workers. Outside
# the browser a file stays on one worker, so its module fixtures and printed totals hold; browser
# tests have no module fixtures and go one by one, so the long ones (every page for each role)
# spread. One journey keeps about one core busy (Chromium, the server and the test take turns).
PYTEST := $(BIN)/pytest -q -p no:cacheprovider -n 2
test-sqlite: $(VENV)/.installed node_modules/.installed
	PANEL_TEST_ENGINE=sqlite $(PYTEST) --dist loadfile -m "not browser"
	PANEL_TEST_ENGINE=sqlite $(PYTEST) --dist load -m browser

test-pg: $(VENV)/.installed node_modules/.installed
	PANEL_TEST_ENGINE=postgresql $(PYTEST) --dist loadfile -m "not browser"
	PANEL_TEST_ENGINE=postgresql $(PYTEST) --dist load -m browser

test-fast: $(VENV)/.installed
	$(BIN)/pytest -q -m "not browser"

# The benchmark (bench/run.py, issue #8): writes bench/results.md. Not part of `make test`.
# QUICK=1 runs a fast subset.
bench: $(VENV)/.installed
	QUICK=$(QUICK) PYTHONPATH=. $(BIN)/python -m bench.run

lint: $(VENV)/.installed
	$(BIN)/ruff check .

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
