# Two commands matter: `make run` and `make test`. Both set up .venv themselves.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test lint format chromium eval bench clean

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

test: lint chromium
	$(BIN)/pytest

eval: $(STAMP)
	$(BIN)/python -m tools.eval

# The lint core in process; the Outlook send handler in Chromium; the Gmail compose action; the
# backtest on a generated 200,000-message mbox (a few minutes).
bench: $(STAMP) chromium
	$(BIN)/python -m tools.bench
	$(BIN)/python -m tools.bench_outlook
	$(BIN)/python -m tools.bench_gmail
	$(BIN)/python -m tools.bench_backtest

clean:
	rm -rf $(VENV) build *.egg-info
