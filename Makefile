# flowatlas — `make run` opens the app on the demo estate; `make test` runs the tests.
# Both set everything up themselves (virtualenv, packages, a local Neo4j).

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml | sha1sum | cut -c1-12)
PORT   ?= 8501

.PHONY: help run test lint bench install browser neo4j-start neo4j-stop neo4j-status clean

help:
	@echo "make run    - set up, start Neo4j, load the demo estate, open the app on http://127.0.0.1:$(PORT)"
	@echo "make test   - set up and run the whole test suite against a throwaway Neo4j"
	@echo "make bench  - run the benchmarks (see docs/benchmarks.md)"
	@echo "make lint   - ruff"
	@echo "make neo4j-stop - stop the local Neo4j that make run started"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	@rm -f $(VENV)/.installed-* && touch $@

install: $(STAMP)

# Browser tests drive Debian's Chromium; install it when missing and we may.
browser:
	@if [ ! -x /usr/bin/chromium ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing Debian's chromium for the browser tests"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else \
	    echo "note: browser tests need Debian's chromium (sudo apt-get install chromium); they will be skipped"; \
	  fi; \
	fi

run: install
	$(BIN)/flowatlas neo4j start
	$(BIN)/flowatlas init
	$(BIN)/flowatlas demo
	@echo "flowatlas is at http://127.0.0.1:$(PORT) (Ctrl-C stops the app; 'make neo4j-stop' stops Neo4j)"
	$(BIN)/streamlit run app.py --server.address 127.0.0.1 --server.port $(PORT) \
	  --server.headless true --browser.gatherUsageStats false --client.toolbarMode viewer

test: install browser
	$(BIN)/ruff check .
	$(BIN)/pytest

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check . || true

bench: install
	$(BIN)/python -m tests.benchmarks.bench_load
	$(BIN)/python -m tests.benchmarks.bench_inventory
	$(BIN)/python -m tests.benchmarks.bench_sql
	$(BIN)/python -m tests.benchmarks.bench_sql_ingest
	$(BIN)/python -m tests.benchmarks.bench_openapi

neo4j-start: install
	$(BIN)/flowatlas neo4j start
neo4j-stop: install
	$(BIN)/flowatlas neo4j stop
neo4j-status: install
	$(BIN)/flowatlas neo4j status

clean:
	-$(BIN)/flowatlas neo4j stop
	rm -rf $(VENV) .flowatlas .pytest_cache .ruff_cache .hypothesis
