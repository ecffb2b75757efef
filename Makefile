# xieshang — the two commands a newcomer needs: `make run` and `make test`.
# Everything else (virtualenv, pinned dependencies) is set up on the way.

PY     ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
LOCK   := requirements.lock

.PHONY: install run test test-fast lint bench lock clean

install: $(STAMP)

$(STAMP): pyproject.toml $(LOCK)
	@test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check --upgrade "pip>=24"
	$(BIN)/python -m pip install -q --disable-pip-version-check -r $(LOCK)
	$(BIN)/python -m pip install -q --disable-pip-version-check --no-deps --no-build-isolation -e .
	@touch $(STAMP)

## The main job: the borrower's overview. A fresh store gets the demo case first.
run: install
	$(BIN)/xieshang demo --if-empty
	$(BIN)/xieshang status

## The whole suite: lint, type check, unit, property and end-to-end tests.
test: install lint
	$(BIN)/python -m pytest -n 2 -q

test-fast: install
	$(BIN)/python -m pytest -n 2 -q -x

lint: install
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/mypy

bench: install
	$(BIN)/python -m benchmarks

## Regenerate the lock file from the ranges in pyproject.toml (needs the registries).
lock:
	rm -rf .lockvenv && $(PY) -m venv .lockvenv
	.lockvenv/bin/pip install -q --upgrade pip && .lockvenv/bin/pip install -q -e ".[dev]" setuptools wheel
	.lockvenv/bin/pip freeze --all --exclude-editable | grep -vE "^(xieshang|pip)==" > $(LOCK)
	rm -rf .lockvenv

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis build src/*.egg-info
