"""The plan journey in a real browser: build a plan and change a what-if, at 360 px and 1280 px.

The real ``xieshang serve`` on a free loopback port against a temporary store, Playwright driving
Debian's Chromium (fixtures of test_browser.py). The what-if must update the plan and the chart
without a full page load (a marker set on ``window`` survives it) and store nothing until
"save this plan". Screenshots go to ``$XIESHANG_ARTIFACTS`` like the other browser tests.
"""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path
from typing import Any

from tests.e2e.support import new_page as _page
from tests.e2e.support import no_horizontal_scroll as _no_horizontal_scroll


def _saved_plan(server: str) -> int:
    try:
        with urllib.request.urlopen(server + "/api/plan", timeout=10) as r:
            return int(r.status) if json.load(r).get("proposals") else 0
    except urllib.error.HTTPError as exc:
        return exc.code


def _unlabelled(page: Any) -> list[str]:
    """Form controls without an accessible name (a label, aria-label or aria-labelledby)."""
    return list(page.evaluate("""() => [...document.querySelectorAll(
        'input:not([type=hidden]), select, textarea, button')].filter(el =>
        !(el.labels && el.labels.length) && !el.getAttribute('aria-label') && !el.getAttribute('aria-labelledby')
        && !(el.tagName === 'BUTTON' && el.textContent.trim())).map(el => el.outerHTML.slice(0, 80))"""))


def _load_demo(page: Any, server: str) -> None:
    page.goto(server + "/")
    page.get_by_role("button", name="载入演示").click()
    page.wait_for_url(server + "/")


def test_build_a_plan_and_change_a_whatif_on_a_phone(server: str, browser: Any, shots: Path) -> None:
    page = _page(browser, 360)
    _load_demo(page, server)
    # finances first: a bad amount is refused next to its field, the typed text kept, nothing saved
    page.get_by_role("link", name="经济状况").first.click()
    page.wait_for_url("**/finances")
    capacity = page.locator("#capacity").inner_text()
    assert _unlabelled(page) == []
    page.get_by_label("可动用存款（元）").fill("很多")
    page.get_by_role("button", name="保存").click()
    error = page.locator("#e-savings")
    error.wait_for()
    assert "很多" in error.inner_text()
    assert page.get_by_label("可动用存款（元）").get_attribute("aria-invalid") == "true"
    assert page.locator("#capacity").inner_text() == capacity
    _no_horizontal_scroll(page)
    page.screenshot(path=str(shots / "finances-error-360.png"), full_page=True)
    page.get_by_role("link", name="还款计划").first.click()
    page.wait_for_url("**/plan")
    assert page.locator("#plan-status .badge.ok").is_visible()  # the demo's plan fits
    total_before = page.locator("#plan-total").inner_text()
    assert _unlabelled(page) == []
    assert page.locator("#plan-result svg.chart").count() == 2
    _no_horizontal_scroll(page)
    page.screenshot(path=str(shots / "plan-360.png"), full_page=True)

    page.evaluate("window.__noReload = true")
    page.get_by_label("月收入（元）").fill("5000")  # too little: no plan fits
    page.locator("#plan-result .infeasible").wait_for()
    assert "每月缺口" in page.locator("#plan-status").inner_text()
    assert page.locator("#save-plan").count() == 0
    assert page.evaluate("window.__noReload") is True  # updated in place, not reloaded
    _no_horizontal_scroll(page)
    page.screenshot(path=str(shots / "plan-whatif-infeasible-360.png"), full_page=True)

    page.get_by_label("月收入（元）").fill("30000")
    page.locator("#plan-status .badge.ok").wait_for()
    assert page.locator(".whatif-note").is_visible()
    assert page.locator("#plan-total").inner_text() != ""
    assert page.evaluate("window.__noReload") is True
    assert _saved_plan(server) == 404  # the what-ifs stored nothing
    page.get_by_role("link", name="清除试算").click()
    page.wait_for_url("**/plan")
    assert page.locator("#plan-total").inner_text() == total_before
    page.get_by_role("button", name="保存这个计划").click()
    page.wait_for_url("**/plan?saved=1*")
    assert page.locator("#saved").is_visible()
    assert _saved_plan(server) == 200
    page.context.close()


def test_change_a_lenders_answer_and_the_objective_on_a_desktop(server: str, browser: Any, shots: Path) -> None:
    page = _page(browser, 1280)
    _load_demo(page, server)
    page.goto(server + "/plan?lang=en")
    assert page.locator("h1").inner_text() == "Repayment plan"
    page.evaluate("window.__noReload = true")
    first = page.locator("#plan-result .proposals").inner_text()
    # what if lender #1 refuses the settlement the plan asks of it (ticked with the keyboard)
    page.locator("#whatif details summary").click()
    page.locator("input[name=refuse][value='1:settlement']").focus()
    page.keyboard.press("Space")
    page.locator(".whatif-note").wait_for()
    assert page.locator("#plan-result input[name=refuse][value='1:settlement']").count() == 1
    assert page.locator("#plan-result .proposals").inner_text() != first
    page.locator("input[name=objective][value=time]").check()
    page.get_by_text("The plan (goal: debt-free soonest)", exact=False).wait_for()
    assert page.evaluate("window.__noReload") is True
    _no_horizontal_scroll(page)
    page.screenshot(path=str(shots / "plan-whatif-1280.png"), full_page=True)
    assert _saved_plan(server) == 404

    # record the lender's actual refusal: the page reloads with it and the plan no longer offers it
    page.goto(server + "/plan?lang=en")
    card = page.locator("#lender-1")
    card.get_by_text("Record the lender's answer").click()
    card.locator("select[name=kind]").select_option("settlement")
    card.get_by_role("button", name="Record refusal").click()
    page.wait_for_url("**/plan?refused=1*")
    assert page.locator("#lender-1 .answers").inner_text().count("refused") == 1
    assert page.locator("input[name=refuse][value='1:settlement']").count() == 0
    page.context.close()
