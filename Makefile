# The two set-up commands: `make run` and `make test`. Both create .venv and
# install what they need; nothing has to be installed by hand first.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DEPS_HASH := $(shell sha1sum pyproject.toml | cut -c1-12)
RUN_STAMP := $(VENV)/.run-$(DEPS_HASH)
TEST_STAMP := $(VENV)/.test-$(DEPS_HASH)
PIP := $(BIN)/pip install --quiet --disable-pip-version-check

.PHONY: run test unit lint typecheck imports pytest bench redis-server clean

$(BIN)/python:
	@$(PYTHON) -m venv $(VENV)

$(RUN_STAMP): pyproject.toml | $(BIN)/python
	@$(PIP) -e .
	@touch $@

$(TEST_STAMP): pyproject.toml | $(BIN)/python
	@$(PIP) -e '.[test]'
	@touch $@ $(RUN_STAMP)

## make run: the local console on the embedded store (no Redis, no tokens, no network)
run: $(RUN_STAMP)
	@$(BIN)/opsbot shell

## make test: lints, then the whole suite against a redis-server it starts itself
test: $(TEST_STAMP) redis-server lint
	@$(BIN)/pytest

## make unit: the unit layer alone (rules on in-memory fakes): no redis-server, no emulators, no ASGI app
unit: $(TEST_STAMP)
	@# The adapters' tests hold no unit test (tests/conftest.py); not even collecting them spares their imports.
	@$(BIN)/pytest -n auto -m unit tests/bot tests/contracts --ignore=tests/bot/stores --ignore=tests/bot/clients

lint: $(TEST_STAMP)
	@$(BIN)/ruff check bot handlers tests
	@$(BIN)/ruff format --check bot handlers tests
	@$(BIN)/mypy
	@$(BIN)/lint-imports
	@$(BIN)/hadolint Dockerfile

## make bench: ingest and Slack-ack throughput against baselines measured in the same run
bench: $(TEST_STAMP) redis-server
	@$(BIN)/python -m tests.bench

# The suite starts its own redis-server on a free port; make sure one exists.
redis-server:
	@if ! command -v redis-server >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing redis-server (Debian package)"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null; \
	  else \
	    echo "make test needs a redis-server binary on PATH: install it (Debian/Ubuntu: sudo apt-get install redis-server; macOS: brew install redis)"; \
	    exit 1; \
	  fi; \
	fi

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .import_linter_cache
