# perps-desktop: the two commands a new user types are `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
ARGS ?=
PYTEST_ARGS ?=
# pytest-xdist workers: 2 for the whole suite (CI has 2 cores and the tests mostly wait on sockets
# and subprocesses); none when PYTEST_ARGS picks tests (`make test PYTEST_ARGS=tests/unit/test_logs.py`
# starts no workers). `--dist loadgroup` keeps an `xdist_group` (e.g. the PyInstaller build) on one worker.
PYTEST_WORKERS ?= $(if $(PYTEST_ARGS),0,2)

.PHONY: venv run test bench lint package clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Reinstall only when pyproject.toml is newer than the stamp.
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $@

venv: $(STAMP)

run: $(STAMP)
	$(BIN)/perps-desktop gui $(ARGS)

test: lint
	QT_QPA_PLATFORM=$${QT_QPA_PLATFORM:-offscreen} $(BIN)/python -m pytest -q -n $(PYTEST_WORKERS) --dist loadgroup $(PYTEST_ARGS)

bench: $(STAMP)
	QT_QPA_PLATFORM=$${QT_QPA_PLATFORM:-offscreen} $(BIN)/perps-desktop bench $(ARGS)

lint: $(STAMP)
	$(BIN)/ruff check perps_desktop tests
	$(BIN)/lint-imports
	$(BIN)/mypy

package: $(STAMP)
	$(BIN)/pyinstaller --noconfirm --clean build.spec

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .ruff_cache .mypy_cache
