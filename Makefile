# The two commands a new machine needs: `make run` (the product) and `make test` (the checks).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
TEST_POSTGRES_URL ?= postgresql://postgres@127.0.0.1:5432/test
export TEST_POSTGRES_URL

.PHONY: run test install install-test services redis browser audio node lint words bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

install: $(VENV)/.installed

install-test: $(VENV)/.installed-test

## run: install into .venv, migrate, seed the demo shop on first start, serve on 127.0.0.1:8000
run: install
	$(BIN)/salesagent serve

## services: the PostgreSQL server the tests use answers at TEST_POSTGRES_URL; on this machine
## .ci/postgres.sh installs Debian's server when missing, starts it, makes the role and database
services:
	@bash .ci/postgres.sh

## redis: Debian's redis-server, which the fault tests start on a port of their own and restart
## (apt-get installs it when it is missing)
redis:
	@command -v redis-server >/dev/null || { \
	  echo "installing Debian's redis-server for the fault tests"; \
	  $(SUDO) apt-get update -qq && \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server; }
	@command -v redis-server >/dev/null || { \
	  echo "redis-server is required by tests/salesagent/test_faults.py" >&2; exit 1; }

## lint: ruff, mypy, the import contracts (lint-imports), ESLint over the browser scripts
lint: install-test node_modules/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports
	npx --no-install eslint .

## words: add the message ids new code uses to every language's catalogue (README "Words"),
## empty until translated: tests/agent/words fails until each has its text
words: install
	$(BIN)/pybabel extract
	$(BIN)/pybabel update
	rm agent/words/messages.pot

## node: Node.js and npm for ESLint (apt-get installs Debian's when they are missing)
node:
	@{ command -v node && command -v npm; } >/dev/null || { \
	  echo "installing Debian's nodejs and npm for ESLint"; \
	  $(SUDO) apt-get update -qq && \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm; }
	@{ command -v node && command -v npm; } >/dev/null || { \
	  echo "Node.js and npm are required by make lint (ESLint)" >&2; exit 1; }

node_modules/.installed: package.json package-lock.json | node
	npm ci --silent --no-audit --no-fund
	touch $@

## browser: Debian's chromium for the widget tests (apt-get installs it when it is missing)
SUDO := $(shell [ "$$(id -u)" = 0 ] || command -v sudo)
browser:
	@test -x /usr/bin/chromium || { \
	  echo "installing Debian's chromium for the widget browser tests"; \
	  $(SUDO) apt-get update -qq && \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; }
	@test -x /usr/bin/chromium || { \
	  echo "Debian's chromium (/usr/bin/chromium) is required by the widget tests" >&2; exit 1; }

## audio: Debian's espeak-ng and ffmpeg, which make the voice tests' speech (apt-get installs them)
audio:
	@{ command -v espeak-ng && command -v ffmpeg; } >/dev/null || { \
	  echo "installing Debian's espeak-ng and ffmpeg for the voice tests"; \
	  $(SUDO) apt-get update -qq && \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq espeak-ng ffmpeg; }
	@{ command -v espeak-ng && command -v ffmpeg; } >/dev/null || { \
	  echo "espeak-ng and ffmpeg are required by the voice tests" >&2; exit 1; }

## test: install what the tests need, check the services, lint, type-check and run the tests
test: install-test services redis browser audio lint
	$(BIN)/pytest

bench: install
	$(BIN)/python bench/turn_latency.py

clean:
	rm -rf $(VENV) node_modules salesagent.db salesagent.db-* .pytest_cache .mypy_cache .ruff_cache .import_linter_cache
