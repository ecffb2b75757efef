"""The agreements journey in a real browser at 360 px: the real ``xieshang serve`` on a free
loopback port against a temporary store, Playwright driving Debian's Chromium (no browser
download): load the demo, record an agreement (a bad submission first: the error is inline and
the typed values kept), see its schedule, download the calendar and read it with icalendar.
Screenshots go to ``$XIESHANG_ARTIFACTS`` (default: a temporary folder) like test_browser.py.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from tests.e2e.support import no_horizontal_scroll

from xieshang import clock
from xieshang.engine.schedule import add_months


def test_add_an_agreement_and_download_the_calendar(server: str, browser: Any, shots: Path, tmp_path: Path) -> None:
    from icalendar import Calendar

    ctx = browser.new_context(viewport={"width": 360, "height": 800}, locale="zh-CN", accept_downloads=True)
    page = ctx.new_page()
    page.set_default_timeout(15000)
    page.goto(server + "/start")
    page.get_by_role("button", name="载入演示").click()
    page.wait_for_url(server + "/")
    page.locator("nav.main-nav").get_by_role("link", name="协议和提醒").click()
    page.wait_for_url("**/agreements")
    assert page.locator("h1").inner_text() == "协议和提醒"
    # The demo case already asked the card's bank for an instalment plan, and has a task to chase it.
    (asked,) = page.locator("article.agreement").all()
    assert "招商银行信用卡" in asked.inner_text() and "已提议" in asked.inner_text()
    asked_id = int((asked.get_attribute("id") or "").removeprefix("agreement-"))
    assert page.locator("#due").get_by_text("致电95555询问分期申请结果").first.is_visible()

    form = page.locator("#agreement-form")
    form.get_by_label("借款").select_option(label="#4 微众银行 微粒贷")
    form.get_by_label("状态").select_option("confirmed-in-writing")
    form.get_by_label("期数", exact=False).fill("6")
    form.get_by_role("button", name="保存协商").click()  # neither monthly nor balance: refused inline
    error = page.locator("#e-ag-monthly")
    error.wait_for()
    assert "每期金额" in error.inner_text()
    assert page.locator("#f-ag-monthly").get_attribute("aria-invalid") == "true"
    assert page.locator("#f-ag-months").input_value() == "6"  # what was typed is kept
    no_horizontal_scroll(page)
    page.screenshot(path=str(shots / "agreement-form-error-360.png"), full_page=True)

    page.locator("#f-ag-monthly").fill("700")
    page.locator("#agreement-form").get_by_role("button", name="保存协商").click()
    page.wait_for_url("**/agreements?added=*")
    m = re.search(r"[?&]added=(\d+)", page.url)
    assert m is not None
    added = int(m.group(1))
    assert added != asked_id
    card = page.locator(f"#agreement-{added}")
    assert "微粒贷" in card.inner_text() and "书面确认" in card.inner_text()
    card.locator("summary").first.click()  # the agreed schedule, one row per payment, state in words
    assert card.locator("table.adherence tbody tr").count() == 6
    assert "待还" in card.locator("table.adherence").inner_text()
    # Its first payment is a month away (28-31 days): the due list shows it even beyond its 30 days.
    first = page.locator("#due li", has_text="协商第 1 期").first
    assert first.is_visible()
    away = (add_months(clock.today(), 1) - clock.today()).days
    assert (f"下一笔，{away} 天后" in first.inner_text()) is (away > 30)
    no_horizontal_scroll(page)
    page.screenshot(path=str(shots / "agreements-360.png"), full_page=True)

    with page.expect_download() as info:
        page.get_by_role("button", name="下载日历文件").click()
    download = info.value
    assert download.suggested_filename.startswith("xieshang-") and download.suggested_filename.endswith(".ics")
    saved = tmp_path / download.suggested_filename
    download.save_as(str(saved))
    cal = Calendar.from_ical(saved.read_bytes())
    uids = [str(e["UID"]) for e in cal.walk("VEVENT")]
    mine = f"agreement-{added}-"
    assert [f"{mine}{n}@xieshang.local" for n in range(1, 7)] == [u for u in uids if u.startswith(mine)]
    assert f"agreement-{asked_id}-follow-up@xieshang.local" in uids  # chase the demo's proposal
    ctx.close()
