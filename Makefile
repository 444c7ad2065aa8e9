# `make demo` and `make test` work from a fresh clone with only Python and make:
# both create .venv when missing and install the project (editable) with its test extras.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.zoo-installed
PYTEST_ARGS ?=
# Test processes: one per core. Most tests are single-threaded Python and graph tracing,
# so two cores run the suite in about half the time. TEST_WORKERS=0 runs it in one process.
TEST_WORKERS ?= auto

# TensorFlow's C++ INFO lines drown the output a person wants to read. The demo and the zoo command
# quiet TensorFlow's import themselves (no cuInit lines on a machine without a GPU), unless this is set.
QUIET_TF := TF_CPP_MIN_LOG_LEVEL=$${TF_CPP_MIN_LOG_LEVEL:-2}

.PHONY: demo test bench install clean

install: $(STAMP)

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): $(BIN)/python setup.cfg pyproject.toml
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install -e '.[test,demo,tools]'
	touch $@

demo: $(STAMP)
	$(BIN)/python examples/demo.py --out demo_predictions.png

test: $(STAMP)
	$(QUIET_TF) $(BIN)/python -m pytest -n $(TEST_WORKERS) --dist worksteal $(PYTEST_ARGS)

# Not part of `test` (about a quarter of an hour); `make test` runs each bench script in smoke mode.
bench: $(STAMP)
	$(QUIET_TF) $(BIN)/python bench/run_all.py

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache
