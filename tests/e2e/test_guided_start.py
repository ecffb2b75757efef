"""The first-time journey in a real browser, from an empty store: the start page, the guided
start, two debts added with the profiles' defaults (a 网商贷 loan and a credit card), then the
dashboard showing both with what is owed, equal to the JSON API's figures.

Run at 360 px and 1280 px in zh_CN and once in English, against the real ``xieshang serve`` on
a free loopback port (Debian's Chromium through Playwright, as in ``test_browser.py``). On
every page visited: ``<html lang>`` matches, no horizontal scrolling, and every form control
has an accessible name (an axe-like check in the page). The start form and the guide's main
action are used with the keyboard only. Screenshots go to ``$XIESHANG_ARTIFACTS/screenshots``.
"""

from __future__ import annotations

import json
import urllib.request
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from tests.e2e.support import UNLABELLED_JS

from xieshang import clock
from xieshang.i18n import t

HTML_LANG = {"zh_CN": "zh-CN", "en": "en"}

class Journey:
    """One browser page in one language and width, with the checks made on every page."""

    def __init__(self, browser: Any, server: str, shots: Path, lang: str, width: int) -> None:
        self.server, self.shots, self.lang, self.width = server, shots, lang, width
        self.ctx = browser.new_context(viewport={"width": width, "height": 800},
                                       locale="en-US" if lang == "en" else "zh-CN")
        self.page = self.ctx.new_page()
        self.page.set_default_timeout(15000)
        self.visited: list[str] = []

    def text(self, key: str, **params: Any) -> str:
        return t(key, lang=self.lang, **params)

    def check(self, name: str) -> None:
        """``<html lang>``, no sideways scrolling, every control labelled; then a screenshot."""
        page = self.page
        page.wait_for_load_state()
        assert page.locator("html").get_attribute("lang") == HTML_LANG[self.lang], page.url
        assert page.locator("nav.lang a").count() >= 1, f"no language switch on {page.url}"
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= page.evaluate("window.innerWidth"), f"{page.url} is {width}px wide"
        unlabelled = page.evaluate(UNLABELLED_JS)
        assert not unlabelled, f"controls without a label on {page.url}: {unlabelled}"
        self.visited.append(page.url)
        page.screenshot(path=str(self.shots / f"journey-{self.lang}-{self.width}-{name}.png"), full_page=True)

    def tab_to(self, selector: str, *, limit: int = 40) -> None:
        """Press Tab until the element matching ``selector`` has the focus (keyboard only)."""
        target = self.page.locator(selector).first
        target.wait_for()
        for _ in range(limit):
            self.page.keyboard.press("Tab")
            if target.evaluate("el => el === document.activeElement"):
                return
        pytest.fail(f"{selector} not reached with {limit} Tabs on {self.page.url}")

    def add_debt(self, profile: str, fields: dict[str, str], *, keyboard: bool) -> None:
        """From the guide's first step: add a debt with the profile's defaults (no rate given)."""
        page = self.page
        if keyboard:  # the step's main action, reached and activated with the keyboard
            self.tab_to("main a.button.primary")
            page.keyboard.press("Enter")
        else:
            page.locator("main a.button[href^='/loans/new']").click()
        page.wait_for_url("**/loans/new?from_guide=1")
        page.locator("#f-profile").select_option(profile)
        page.locator("#f-rate").wait_for()  # htmx swapped in the product's fields
        assert page.locator("#f-rate").input_value() == ""  # the profile's typical rate is used
        for name, value in fields.items():
            page.locator(f"#f-{name}").fill(value)
        self.check(f"add-{profile}")
        page.get_by_role("button", name=self.text("web.form.save")).click()
        page.wait_for_url("**/guide/situation?added=*")
        assert page.get_by_role("status").inner_text().strip().endswith(self.text("web.loans.added"))


def _journey(browser: Any, server: str, shots: Path, lang: str, width: int) -> None:
    j = Journey(browser, server, shots, lang, width)
    page = j.page
    page.goto(f"{server}/?lang={lang}")  # the link someone would be given; the cookie is not set yet
    assert page.url.endswith("/start") or "/start?" in page.url
    assert page.locator("h1").inner_text() == j.text("web.start.title")
    j.check("start")

    # The start form, keyboard only: Tab to the name, type it, Tab to "Start", Enter.
    j.tab_to("#name")
    page.keyboard.type("小李" if lang == "zh_CN" else "Li")
    j.tab_to(f"button:has-text('{j.text('web.start.own_button')}')")
    page.keyboard.press("Enter")
    page.wait_for_url("**/guide/situation")
    assert page.get_by_role("heading", level=1).inner_text().endswith(j.text("web.guide.step.situation"))
    j.check("guide-situation")

    today = clock.today()
    j.add_debt("wangshangdai", {"principal": "20000", "months": "12",
                                "start": (today - timedelta(days=200)).isoformat()}, keyboard=True)
    statement = today - timedelta(days=50)
    j.add_debt("credit-card", {"statement_balance": "8,000", "statement_date": statement.isoformat(),
                               "due_date": (statement + timedelta(days=20)).isoformat()}, keyboard=False)
    listed = page.locator("main ul.plain li")
    assert listed.count() == 2
    assert "#1" in listed.nth(0).inner_text() and "#2" in listed.nth(1).inner_text()
    j.check("guide-two-debts")

    page.get_by_role("button", name=j.text("web.guide.next")).click()
    page.wait_for_url("**/guide/overdue")
    assert page.locator("svg.chart").first.is_visible()
    j.check("guide-overdue")

    # The dashboard: both debts, each with what is owed today, equal to the API's figures.
    page.locator("nav.main-nav").get_by_role("link", name=j.text("web.nav.dashboard")).click()
    page.wait_for_url(server + "/")
    j.check("dashboard")
    with urllib.request.urlopen(f"{server}/api/status?lang={lang}", timeout=10) as r:
        status = json.load(r)
    assert [d["profile"] for d in status["debts"]] == ["wangshangdai", "credit-card"]
    cards = page.locator("article.debt")
    assert cards.count() == 2
    for i, debt in enumerate(status["debts"]):
        owed = Decimal(debt["payoff"])
        assert owed > 0 and debt["dpd"] > 0  # both are overdue by these dates
        card = cards.nth(i)
        assert card.locator("dd.num.big").inner_text().strip() == f"¥{owed:,.2f}"
        assert card.get_by_text(j.text("web.dash.payoff")).is_visible()
    total = Decimal(status["totals"]["payoff"])
    assert page.locator("dl.totals dd.num.big").first.inner_text().strip() == f"¥{total:,.2f}"
    assert page.locator("section.action .action-text").inner_text().strip()  # the one urgent action
    assert len(j.visited) >= 7
    j.ctx.close()


@pytest.mark.parametrize(("lang", "width"), [("zh_CN", 360), ("zh_CN", 1280), ("en", 360)],
                         ids=["zh_CN-360", "zh_CN-1280", "en-360"])
def test_guided_start_with_two_debts_to_the_dashboard(server: str, browser: Any, shots: Path,
                                                      lang: str, width: int) -> None:
    _journey(browser, server, shots, lang, width)
