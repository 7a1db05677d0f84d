# Two commands matter: `make run` and `make test`. Both set up .venv themselves.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test lint format chromium redis eval bench image-test clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/draftlint serve --dev --host $(HOST) --port $(PORT)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# tests/browser drive Debian's Chromium through Playwright; install it when it is missing.
chromium:
	command -v chromium >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium)

# tests/shared_state and tools/bench_serve.py start redis-server processes of their own.
redis:
	command -v redis-server >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends redis-server)

test: lint chromium redis
	$(BIN)/pytest

eval: $(STAMP)
	$(BIN)/python -m tools.eval

# The lint core in process; the server through gunicorn (worker settings, slow look-ups, two
# replicas on PostgreSQL and Redis); the Outlook send handler in Chromium; the Gmail compose
# action; the backtest on a generated 200,000-message mbox (a few minutes).
bench: $(STAMP) chromium redis
	$(BIN)/python -m tools.bench
	$(BIN)/python -m tools.bench_serve
	$(BIN)/python -m tools.bench_outlook
	$(BIN)/python -m tools.bench_gmail
	$(BIN)/python -m tools.bench_backtest

# The container image built and run read-only (deploy/tests): podman, on a Python base made from
# Debian packages (no container registry is needed); installs podman and mmdebstrap when missing.
CONTAINER_BASE ?= localhost/python-debian:bookworm
image-test: $(STAMP)
	command -v podman >/dev/null && command -v mmdebstrap >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends podman mmdebstrap runc uidmap)
	podman image exists $(CONTAINER_BASE) || deploy/debian-python-base.sh $(CONTAINER_BASE)
	TEST_CONTAINER_IMAGE="podman --runtime runc" TEST_CONTAINER_BASE=$(CONTAINER_BASE) \
	TEST_CONTAINER_FLAGS="--ulimit nofile=20000:20000 --ulimit nproc=4096:4096" \
	$(BIN)/pytest deploy/tests

clean:
	rm -rf $(VENV) build *.egg-info
