"""End to end in a real browser: the real ``xieshang serve`` on a free loopback port against a
temporary store, driven by Playwright through Debian's Chromium (``make deps-browser``; no
browser is downloaded). Screenshots go to ``$XIESHANG_ARTIFACTS`` (default: a temporary folder,
printed). A missing Chromium fails these tests loudly instead of skipping them.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = os.environ.get("XIESHANG_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-dev-shm-usage", "--disable-extensions", "--disable-sync", "--no-first-run",
                 "--disable-component-update", "--disable-default-apps", "--mute-audio"]
START_TIMEOUT_S = 30


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    port = _free_port()
    env = {**os.environ, "XIESHANG_DB": str(tmp_path / "store.sqlite"), "XIESHANG_LANG": "zh_CN"}
    log = (tmp_path / "server.log").open("w")
    proc = subprocess.Popen([sys.executable, "-m", "xieshang", "serve", "--port", str(port)], env=env,
                            stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            try:
                with urllib.request.urlopen(url + "/start", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                log.close()
                pytest.fail("xieshang serve did not start:\n" + (tmp_path / "server.log").read_text())
            time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


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


def _page(browser: Any, width: int) -> Any:
    ctx = browser.new_context(viewport={"width": width, "height": 800}, locale="zh-CN")
    page = ctx.new_page()
    page.set_default_timeout(15000)
    return page


def _no_horizontal_scroll(page: Any) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    viewport = page.evaluate("window.innerWidth")
    assert width <= viewport, f"page is {width}px wide in a {viewport}px viewport"


def test_demo_dashboard_on_a_phone_and_a_desktop(server: str, browser: Any, shots: Path) -> None:
    page = _page(browser, 360)
    page.goto(server + "/")
    assert page.url.endswith("/start")
    page.get_by_role("button", name="载入演示").click()
    page.wait_for_url(server + "/")
    assert page.locator("h1").inner_text().endswith("总览")
    assert page.locator("section.action .action-text").inner_text().strip()
    assert page.locator("article.debt").count() == 4
    assert page.locator("svg.chart").is_visible()
    _no_horizontal_scroll(page)
    page.screenshot(path=str(shots / "dashboard-360.png"), full_page=True)
    page.keyboard.press("Tab")  # keyboard users land on the skip link first
    assert page.evaluate("document.activeElement.className") == "skip"
    page.context.close()

    wide = _page(browser, 1280)
    wide.goto(server + "/")
    _no_horizontal_scroll(wide)
    wide.screenshot(path=str(shots / "dashboard-1280.png"), full_page=True)
    wide.get_by_role("link", name="#1", exact=False).first.click()
    assert wide.locator("svg.chart").is_visible()
    assert wide.locator("ol.timeline li").count() > 0
    wide.screenshot(path=str(shots / "loan-1280.png"), full_page=True)
    wide.context.close()


def test_add_a_loan_with_an_invalid_submission_then_switch_language(server: str, browser: Any,
                                                                      shots: Path) -> None:
    page = _page(browser, 360)
    page.goto(server + "/start")
    page.get_by_label("你的名字").fill("小李")
    page.get_by_role("button", name="开始").click()
    page.wait_for_url("**/guide/situation")
    page.get_by_role("link", name="添加欠款").click()
    page.get_by_label("机构类型").select_option("jiebei")
    principal = page.get_by_label("本金（元）", exact=False)
    principal.wait_for()  # htmx swapped in the loan's fields
    principal.fill("一万块")
    page.get_by_label("期数（月）", exact=False).fill("12")
    page.get_by_label("放款日", exact=False).fill("2025-03-01")
    page.get_by_role("button", name="保存").click()
    error = page.locator("#e-principal")
    error.wait_for()
    assert "一万块" in error.inner_text()
    assert page.locator("#f-principal").get_attribute("aria-invalid") == "true"
    assert page.locator("#f-months").input_value() == "12"  # what was typed is kept
    _no_horizontal_scroll(page)
    page.screenshot(path=str(shots / "loan-form-error-360.png"), full_page=True)
    page.locator("#f-principal").fill("10000")
    page.get_by_role("button", name="保存").click()
    page.wait_for_url("**/guide/situation?added=*")
    assert page.get_by_text("借呗").first.is_visible()
    page.get_by_role("button", name="完成，下一步").click()
    page.wait_for_url("**/guide/overdue")
    assert page.locator("svg.chart").is_visible()
    page.screenshot(path=str(shots / "guide-overdue-360.png"), full_page=True)

    page.get_by_role("link", name="English").click()
    page.wait_for_url("**/guide/overdue")
    assert page.locator("nav.main-nav").get_by_role("link", name="Overview").is_visible()
    assert page.locator("html").get_attribute("lang") == "en"
    page.goto(server + "/loans/1")
    assert page.get_by_role("heading", name="What is owed").is_visible()
    page.screenshot(path=str(shots / "loan-en-360.png"), full_page=True)
    page.get_by_role("link", name="中文").click()
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    page.context.close()
