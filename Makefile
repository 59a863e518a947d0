# Two entry points: `make run [PROJECT=path]` and `make test`.
# Both set up .venv/ at the project root (and the system packages they need).

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PROJECT ?= .
STAMP := $(VENV)/.installed

.PHONY: run test lint format setup system-deps bench clean

run: setup
	$(BIN)/aiide $(PROJECT)

test: setup system-deps
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	./scripts/ci-docker.sh
	$(BIN)/pytest $(PYTEST_ARGS)

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: setup
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: setup
	$(BIN)/python bench/startup.py
	$(BIN)/python bench/sandbox.py

setup: $(STAMP)

$(STAMP): pyproject.toml
	@command -v git >/dev/null || ./scripts/system-deps.sh git
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

# Packages the test suite drives for real (tmux for the terminal tests, git);
# scripts/ci-docker.sh adds a Docker engine and the offline sandbox image.
system-deps:
	@./scripts/system-deps.sh tmux git

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .ruff_cache
