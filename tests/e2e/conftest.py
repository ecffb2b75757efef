"""Fixtures of the browser tests: the real server on an empty temporary store, Debian's Chromium
(a missing Chromium fails these tests loudly instead of skipping them), and the screenshot folder
(``$XIESHANG_ARTIFACTS``, default a temporary folder, printed)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.e2e.support import CHROMIUM, CHROMIUM_ARGS, running_server


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    """The real ``xieshang serve`` on an empty temporary store, in Chinese by default."""
    env = {**os.environ, "XIESHANG_DB": str(tmp_path / "store.sqlite"), "XIESHANG_LANG": "zh_CN"}
    with running_server(tmp_path, env) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: run `make deps-browser` (Debian's chromium package). "
                    "The browser tests do not skip.")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = Path(os.environ.get("XIESHANG_ARTIFACTS") or tmp_path_factory.mktemp("screens")) / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    print(f"screenshots in {folder}")
    return folder
