# `make demo` and `make test` work from a fresh clone with only Python and make: both create .venv
# when missing and install the project (editable). `make demo` installs only what the demo needs
# (the package and the demo extra); `make test` adds the test and tools extras (PyTorch, transformers...).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.zoo-installed
DEMO_STAMP := $(VENV)/.zoo-demo
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

# Until 0.1.0 the distribution was named `zoo` (an unrelated project's name on the package index);
# an older .venv drops that install so that one distribution, keras-zoo, owns the `zoo` command.
DROP_OLD_NAME := $(BIN)/python -m pip uninstall --quiet --yes zoo 2>/dev/null || true

$(STAMP): $(BIN)/python setup.cfg pyproject.toml
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(DROP_OLD_NAME)
	$(BIN)/python -m pip install -e '.[test,demo,tools]'
	touch $@ $(DEMO_STAMP)

$(DEMO_STAMP): $(BIN)/python setup.cfg pyproject.toml
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(DROP_OLD_NAME)
	$(BIN)/python -m pip install -e '.[demo]'
	touch $@

demo: $(DEMO_STAMP)
	$(BIN)/python examples/demo.py --out demo_predictions.png

test: $(STAMP)
	$(QUIET_TF) $(BIN)/python -m pytest -n $(TEST_WORKERS) --dist worksteal $(PYTEST_ARGS)

# Not part of `test` (about a quarter of an hour); `make test` runs each bench script in smoke mode.
bench: $(STAMP)
	$(QUIET_TF) $(BIN)/python bench/run_all.py

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache
