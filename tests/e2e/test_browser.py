"""End to end in a real browser: the real ``xieshang serve`` on a free loopback port against a
temporary store, driven by Playwright through Debian's Chromium (``make deps-browser``; no
browser is downloaded). Screenshots go to ``$XIESHANG_ARTIFACTS`` (default: a temporary folder,
printed). A missing Chromium fails these tests loudly instead of skipping them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.e2e.support import new_page, no_horizontal_scroll


def test_demo_dashboard_on_a_phone_and_a_desktop(server: str, browser: Any, shots: Path) -> None:
    page = new_page(browser, 360)
    page.goto(server + "/")
    assert page.url.endswith("/start")
    page.get_by_role("button", name="载入演示").click()
    page.wait_for_url(server + "/")
    assert page.locator("h1").inner_text().endswith("总览")
    assert page.locator("section.action .action-text").inner_text().strip()
    assert page.locator("article.debt").count() == 4
    assert page.locator("svg.chart").is_visible()
    no_horizontal_scroll(page)
    page.screenshot(path=str(shots / "dashboard-360.png"), full_page=True)
    page.keyboard.press("Tab")  # keyboard users land on the skip link first
    assert page.evaluate("document.activeElement.className") == "skip"
    page.context.close()

    wide = new_page(browser, 1280)
    wide.goto(server + "/")
    no_horizontal_scroll(wide)
    wide.screenshot(path=str(shots / "dashboard-1280.png"), full_page=True)
    wide.get_by_role("link", name="#1", exact=False).first.click()
    assert wide.locator("svg.chart").is_visible()
    assert wide.locator("ol.timeline li").count() > 0
    wide.screenshot(path=str(shots / "loan-1280.png"), full_page=True)
    wide.context.close()


def test_add_a_loan_with_an_invalid_submission_then_switch_language(server: str, browser: Any,
                                                                      shots: Path) -> None:
    page = new_page(browser, 360)
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
    no_horizontal_scroll(page)
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
