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

.PHONY: run test unit lint typecheck imports pytest bench redis-server alerting-servers clean

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
test: $(TEST_STAMP) redis-server alerting-servers lint
	@# Two at a time: most of the suite waits on servers and processes, not on the CPU.
	@$(BIN)/pytest -n 2

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
bench: $(TEST_STAMP) redis-server alerting-servers
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

# The alert tests run a real Prometheus and Alertmanager (tests/alerting_servers.py). Debian's
# packages ship systemd units and init scripts whose postinst would start both daemons on their
# default ports (9090, 9093); a policy-rc.d that answers 101 ("action forbidden") keeps them
# stopped. Docker's Debian images already carry one; elsewhere one is put in place for the
# install only. --no-install-recommends skips prometheus-node-exporter, another daemon.
ALERTING_BINARIES := prometheus prometheus-alertmanager
alerting-servers:
	@missing=""; for binary in $(ALERTING_BINARIES); do command -v $$binary >/dev/null 2>&1 || missing="$$missing $$binary"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing$$missing (Debian packages, services left stopped)"; \
	    own_policy=""; \
	    if [ ! -e /usr/sbin/policy-rc.d ]; then \
	      printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod 755 /usr/sbin/policy-rc.d && own_policy=1; \
	    fi; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends$$missing >/dev/null; \
	    status=$$?; \
	    if [ -n "$$own_policy" ]; then rm -f /usr/sbin/policy-rc.d; fi; \
	    exit $$status; \
	  else \
	    echo "make test needs prometheus and prometheus-alertmanager on PATH: install them (Debian/Ubuntu: sudo apt-get install --no-install-recommends prometheus prometheus-alertmanager, then sudo systemctl disable --now prometheus prometheus-alertmanager; macOS: brew install prometheus alertmanager, with alertmanager linked as prometheus-alertmanager)"; \
	    exit 1; \
	  fi; \
	fi

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .import_linter_cache
