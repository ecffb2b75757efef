# xieshang — the two commands a newcomer needs: `make run` and `make test`.
# Everything else (virtualenv, pinned dependencies) is set up on the way.

PY     ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
LOCK   := requirements.lock

.PHONY: install run test test-dates test-fast lint bench lock clean deps-documents deps-browser deps-server

install: deps-documents deps-browser deps-server $(STAMP)

$(STAMP): pyproject.toml $(LOCK)
	@test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check --upgrade "pip>=24"
	$(BIN)/python -m pip install -q --disable-pip-version-check -r $(LOCK)
	$(BIN)/python -m pip install -q --disable-pip-version-check --no-deps --no-build-isolation -e .
	@touch $(STAMP)

## System packages for the PDF/DOCX letters (only those missing; needs apt-get, root or sudo):
## CJK fonts embedded in the PDFs, pango for WeasyPrint, poppler-utils (pdftotext/pdftoppm) and
## LibreOffice Writer, which the tests use to check that the DOCX files open in a real client.
DOC_DEBS := fonts-noto-cjk libpango-1.0-0 libpangoft2-1.0-0 poppler-utils libreoffice-writer-nogui

deps-documents:
	@sh scripts/apt-need deps-documents "PDF/DOCX letters need them" $(DOC_DEBS)

## Debian's Chromium for the web app's browser tests (tests/e2e, Playwright with executable_path;
## no browser is downloaded) and CJK fonts for its screenshots. Only what is missing is installed.
BROWSER_DEBS := chromium fonts-noto-cjk

deps-browser:
	@sh scripts/apt-need deps-browser "the browser tests fail without Chromium" $(BROWSER_DEBS)

## PostgreSQL from Debian's packages for the tests on the server database: tests/conftest.py starts a
## throwaway server per test worker (initdb + pg_ctl, unix socket in a temporary folder, no TCP port,
## as the postgres user when run as root) and stops it when the run ends, also on failure.
SERVER_DEBS := postgresql

deps-server:
	@sh scripts/apt-need deps-server "the PostgreSQL tests are skipped without it, and fail under CI" $(SERVER_DEBS)

## The main job: the web app on http://127.0.0.1:8000/ (a free port if 8000 is taken; the URL is
## printed), after the borrower's overview in the terminal when there is a case. An empty store:
## the start page offers the demo. Nothing prompts, so it also runs without a terminal. Ctrl+C stops.
run: install
	@$(BIN)/xieshang status 2>/dev/null || true
	$(BIN)/xieshang serve

## The whole suite: lint, type check, unit, property and end-to-end tests; then the date-sensitive
## tests again under awkward fixed days (scripts/test-dates: month ends, 29 February, 31 December,
## the eve of a daylight-saving change), so the suite passes whatever day it runs.
test: install lint
	$(BIN)/python -m pytest -n 2 -q
	sh scripts/test-dates $(BIN)/python -n 2

test-dates: install
	sh scripts/test-dates $(BIN)/python -n 2

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
