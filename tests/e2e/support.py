"""What every browser test shares: Debian's Chromium, the real ``xieshang serve`` on a free
loopback port, pages at a given width, and the checks made on every page (no sideways scroll,
every form control labelled). The fixtures built on these live in ``tests/e2e/conftest.py``.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = os.environ.get("XIESHANG_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-dev-shm-usage", "--disable-extensions", "--disable-sync", "--no-first-run",
                 "--disable-component-update", "--disable-default-apps", "--mute-audio"]
START_TIMEOUT_S = 30

#: Every form control that takes input must have an accessible name: a <label for>, a wrapping
#: <label>, aria-label or aria-labelledby naming visible text (what axe's "label" rule checks).
UNLABELLED_JS = """() => {
  const named = el => {
    if ((el.getAttribute('aria-label') || '').trim()) return true;
    const by = el.getAttribute('aria-labelledby');
    if (by && by.split(/\\s+/).some(id => (document.getElementById(id)?.textContent || '').trim())) return true;
    if (el.id && [...document.querySelectorAll('label[for]')].some(
        l => l.htmlFor === el.id && l.textContent.trim())) return true;
    const wrap = el.closest('label');
    return !!(wrap && wrap.textContent.trim());
  };
  return [...document.querySelectorAll('input, select, textarea')]
    .filter(el => !['hidden', 'submit', 'button', 'reset', 'image'].includes(el.type))
    .filter(el => !named(el))
    .map(el => el.outerHTML.slice(0, 120));
}"""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def running_server(tmp_path: Path, env: Mapping[str, str], *, args: tuple[str, ...] = (),
                   ready: str = "/start") -> Iterator[str]:
    """``xieshang serve [args]`` as a real process until the block ends; yields its base URL once
    ``ready`` answers 200 (the test fails with the server's log if it does not start)."""
    port = free_port()
    log_path = tmp_path / "server.log"
    log = log_path.open("w")
    proc = subprocess.Popen([sys.executable, "-m", "xieshang", "serve", *args, "--port", str(port)], env=dict(env),
                            stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            try:
                with urllib.request.urlopen(url + ready, timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                log.close()
                pytest.fail(f"xieshang serve {' '.join(args)} did not start:\n" + log_path.read_text())
            time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def new_page(browser: Any, width: int, *, locale: str = "zh-CN", timeout_ms: int = 15000,
             downloads: bool = False) -> Any:
    ctx = browser.new_context(viewport={"width": width, "height": 800}, locale=locale, accept_downloads=downloads)
    page = ctx.new_page()
    page.set_default_timeout(timeout_ms)
    return page


def no_horizontal_scroll(page: Any) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    viewport = page.evaluate("window.innerWidth")
    assert width <= viewport, f"{page.url} is {width}px wide in a {viewport}px viewport"


def unlabelled(page: Any) -> list[str]:
    """The form controls of the page without an accessible name."""
    return list(page.evaluate(UNLABELLED_JS))
