"""The agreements and reminders, credit report and prevention pages and their JSON API, through
FastAPI's TestClient on a real store (SQLite and PostgreSQL): pages in zh_CN and en on the demo case (its proposed
instalment plan and follow-up task, plus a written demo agreement), forms whose bad input shows an inline error and saves nothing, the calendar read
back by icalendar, the afford check equal to the service's figures, and the API."""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from xieshang import clock
from xieshang.i18n import t
from xieshang.services.agreements import agreement_report, demo_agreement, list_agreements
from xieshang.services.case import write_case
from xieshang.services.credit import credit_overview
from xieshang.services.demo import demo_case, load_demo
from xieshang.services.prevention import afford, budget, emergency_fund, month_of
from xieshang.services.reminders import due_items, list_tasks
from xieshang.store.db import Store, open_store
from xieshang.store.models_after import (
    AgreementRow,
    BudgetLineRow,
    CreditCheckRow,
    CreditEntryRow,
    EmergencyFundRow,
    TaskRow,
)
from xieshang.web.app import create_app
from xieshang.web.context import money, pct

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

LANGS = ("zh_CN", "en")
ROWS = (AgreementRow, TaskRow, CreditCheckRow, CreditEntryRow, BudgetLineRow, EmergencyFundRow)


@pytest.fixture
def store(store_location: str) -> Iterator[Store]:
    """A new store on each back-end (SQLite, PostgreSQL; see conftest.py)."""
    st = open_store(store_location)
    yield st
    st.close()


@pytest.fixture
def client(store: Store) -> TestClient:
    return TestClient(create_app(store), raise_server_exceptions=False)


@pytest.fixture
def demo(store: Store, client: TestClient) -> TestClient:
    """The demo case (with its proposed plan on the card and its task) plus the demo agreement (written,
    interest stopped, 12 months) on 网商贷."""
    load_demo(store)
    demo_agreement(store, 1)
    return client


def written_id(store: Store) -> int:
    """The id of the written demo agreement (on 网商贷), looked up rather than assumed."""
    (rec,) = list_agreements(store, 1)
    return rec.id


def proposal(store: Store) -> int:
    """The id of the demo case's own proposed plan (on the card)."""
    (rec,) = list_agreements(store, 2)
    assert rec.status == "proposed"
    return rec.id


def rows(store: Store) -> dict[str, int]:
    from sqlalchemy import func, select

    with store.transaction() as s:
        return {m.__tablename__: int(s.scalar(select(func.count()).select_from(m)) or 0) for m in ROWS}


def field_error(html: str, fid: str) -> str | None:
    """The inline error shown under the input with id ``f-<fid>`` (None when it has none)."""
    m = re.search(rf'<p class="error" id="e-{re.escape(fid)}"[^>]*>(.*?)</p>', html, re.S)
    return None if m is None else re.sub(r"<[^>]+>", "", m.group(1)).replace("⚠", "").strip()


def no_raw_keys(html: str) -> None:
    """Every text went through the catalogs: no message key leaks onto the page."""
    leaked = re.findall(r"\b(?:web_after|after|web)\.[a-z_]+\.[a-z_.-]+", re.sub(r"<[^>]+>", " ", html))
    assert not leaked, leaked[:5]


# ---------------------------------------------------------------------------------------
# Pages
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("lang", LANGS)
def test_pages_render_the_demo_in_each_language(demo: TestClient, store: Store, lang: str) -> None:
    ag = demo.get(f"/agreements?lang={lang}")
    assert ag.status_code == 200
    assert t("web_after.agreements.title", lang=lang) in ag.text
    wid = written_id(store)
    report = agreement_report(store, wid)
    assert t("after.status.confirmed-in-writing", lang=lang) in ag.text
    assert money(report.agreement.balance) in ag.text
    assert t("after.state.upcoming", lang=lang) in ag.text  # the adherence table, in words
    assert f'role="img" aria-labelledby="agreement-{wid}-chart-t agreement-{wid}-chart-d"' in ag.text  # agreed vs paid
    assert t("web_after.chart.title", lang=lang, id=wid) in ag.text
    # The demo case's own proposed plan on the card, and its task to chase the bank's answer.
    asked = agreement_report(store, proposal(store))
    assert f'id="agreement-{asked.agreement.id}"' in ag.text and t("after.status.proposed", lang=lang) in ag.text
    assert money(asked.agreement.balance) in ag.text
    (task,) = list_tasks(store)
    assert task.title in ag.text and f'action="/tasks/{task.id}/done"' in ag.text
    assert money(report.adherence.remaining) in ag.text
    assert 'href="/agreements/calendar.ics' in ag.text or 'action="/agreements/calendar.ics"' in ag.text
    for item in due_items(store, days=30):
        assert item.on.isoformat() in ag.text
    no_raw_keys(ag.text)

    cr = demo.get(f"/credit?lang={lang}")
    assert cr.status_code == 200
    ov = credit_overview(store)
    assert t("web_after.credit.free_title", lang=lang) in cr.text
    assert f"{ov.free.left} / {ov.free.per_year}" in cr.text
    assert ov.free.source in cr.text
    assert len(ov.expectations) == 4 and all(f'href="/loans/{x.loan_id}"' in cr.text for x in ov.expectations)
    no_raw_keys(cr.text)

    pv = demo.get(f"/prevention?lang={lang}")
    assert pv.status_code == 200
    for key in ("web_after.fund.title", "web_after.afford.title", "web_after.autopay.title"):
        assert t(key, lang=lang) in pv.text
    assert '<progress id="fund-progress"' in pv.text
    no_raw_keys(pv.text)


def test_nav_and_guide_link_the_pages(demo: TestClient, store: Store) -> None:
    page = demo.get("/")
    for url in ("/agreements", "/credit", "/prevention"):
        assert f'href="{url}"' in page.text
    nav = demo.get("/agreements")
    assert 'href="/agreements" aria-current="page"' in nav.text
    guide = demo.get("/guide")
    assert 'href="/prevention?guide=1"' in guide.text
    assert 'href="/agreements?guide=1"' in guide.text and 'href="/credit"' in guide.text  # 协商之后's other pages
    here = demo.get("/agreements?guide=1")
    assert re.search(r'<li class="step[^"]* here">\s*<a href="/records\?guide=1" aria-current="step"', here.text)
    # From the guide, the page shows the steps with this one marked, and the way on.
    step = demo.get("/prevention?guide=1")
    assert 'aria-current="step"' in step.text and 'action="/guide/prevent/done"' in step.text
    assert 'aria-current="step"' not in demo.get("/prevention").text
    # The step is done once its data exists: here, a budget.
    api = {s["key"]: s for s in demo.get("/api/guide").json()}
    assert not api["prevent"]["done"] and api["after"]["done"]  # the demo agreement is recorded
    # A form posted from the guide stays in it: the error page and the page after saving show the steps.
    bad = demo.post("/prevention/budget?guide=1", data={"category": "房租", "planned": "x"})
    assert bad.status_code == 422 and 'aria-current="step"' in bad.text
    assert 'action="/prevention/budget?guide=1#budget"' in bad.text
    ok = demo.post("/prevention/budget?guide=1", data={"category": "房租", "planned": "2000"}, follow_redirects=False)
    assert ok.headers["location"].startswith("/prevention?guide=1&")
    assert {s["key"]: s for s in demo.get("/api/guide").json()}["prevent"]["done"]


def test_pages_without_a_case_go_to_the_start(client: TestClient) -> None:
    for url in ("/agreements", "/credit", "/prevention"):
        r = client.get(url, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == "/start"
    assert client.get("/api/agreements").status_code == 409


# ---------------------------------------------------------------------------------------
# Agreements and tasks
# ---------------------------------------------------------------------------------------


GOOD = {"loan": "4", "status": "agreed-verbally", "months": "6", "monthly": "700", "waive_penalty": "12.50",
        "note": "电话里同意"}


@pytest.mark.parametrize(("data", "fid", "needle"), [
    ({**GOOD, "loan": ""}, "ag-loan", None),
    ({**GOOD, "months": "六"}, "ag-months", "六"),
    ({**GOOD, "monthly": "abc"}, "ag-monthly", "abc"),
    ({**GOOD, "monthly": ""}, "ag-monthly", None),  # the service: monthly or balance
    ({**GOOD, "monthly": "700", "balance": "99999"}, "ag-monthly", None),  # inconsistent
    ({**GOOD, "start": "2026-13-01"}, "ag-start", "2026-13-01"),
    ({**GOOD, "first_due": "2000-01-01"}, "ag-first_due", None),
    ({**GOOD, "rate": "很多"}, "ag-rate", "很多"),
    ({**GOOD, "down_payment_date": "2030-01-01"}, "ag-down_payment", None),  # a date without an amount
    ({**GOOD, "waive_fee": "-5"}, "ag-waive_fee", None),
])
def test_bad_agreement_shows_an_inline_error_and_saves_nothing(demo: TestClient, store: Store,
                                                               data: dict[str, str], fid: str,
                                                               needle: str | None) -> None:
    before = rows(store)
    r = demo.post("/agreements", data=data)
    assert r.status_code == 422
    err = field_error(r.text, fid)
    assert err, f"no inline error for {fid}"
    if needle:
        assert needle in err
    assert "--" not in err  # the page's words, not the CLI's flags
    assert t("web.form.not_saved") in r.text
    assert f'value="{data["months"]}"' in r.text  # what was typed is kept
    assert rows(store) == before


def test_inline_error_in_english(demo: TestClient) -> None:
    r = demo.post("/agreements?lang=en", data={**GOOD, "monthly": ""})
    assert field_error(r.text, "ag-monthly") == t("web_after.error.monthly_or_balance", lang="en")


def test_add_agreement_then_status_and_remove(demo: TestClient, store: Store) -> None:
    r = demo.post("/agreements", data=GOOD, follow_redirects=False)
    assert r.status_code == 303
    new = list_agreements(store, 4)
    assert len(new) == 1
    rec = new[0]
    assert rec.status == "agreed-verbally" and rec.months == 6 and rec.monthly == Decimal("700.00")
    assert rec.balance == Decimal("4200.00") and rec.waived_total == Decimal("12.50")
    assert r.headers["location"] == f"/agreements?added={rec.id}#agreement-{rec.id}"
    page = demo.get(r.headers["location"])
    assert f'id="agreement-{rec.id}"' in page.text and t("web_after.agreements.added", id=rec.id) in page.text
    assert t("after.warning.not_in_writing") in page.text
    # The agreement now drives what is due: its instalments are in the list and the calendar.
    assert any(i.uid.startswith(f"agreement-{rec.id}-") for i in due_items(store, days=60))

    bad = demo.post(f"/agreements/{rec.id}/status", data={"status": "confirmed-in-writing", "date": "2099-01-01"})
    assert bad.status_code == 422 and field_error(bad.text, f"st{rec.id}-status")
    assert list_agreements(store, 4)[0].status == "agreed-verbally"
    ok = demo.post(f"/agreements/{rec.id}/status", data={"status": "confirmed-in-writing"}, follow_redirects=False)
    assert ok.status_code == 303
    assert list_agreements(store, 4)[0].status == "confirmed-in-writing"
    back = demo.post(f"/agreements/{rec.id}/status", data={"status": "agreed-verbally"})
    assert back.status_code == 422 and list_agreements(store, 4)[0].status == "confirmed-in-writing"

    assert demo.post(f"/agreements/{rec.id}/delete", follow_redirects=False).status_code == 303
    assert list_agreements(store, 4) == []
    assert demo.post(f"/agreements/{rec.id}/delete").status_code == 404
    assert demo.post("/agreements/999/status", data={"status": "cancelled"}).status_code == 404


def test_tasks_add_bad_and_done(demo: TestClient, store: Store) -> None:
    before = rows(store)
    bad = demo.post("/tasks", data={"title": "", "date": "明天"})
    assert bad.status_code == 422
    assert field_error(bad.text, "task-title") and field_error(bad.text, "task-date")
    assert rows(store) == before
    due = (clock.today() + timedelta(days=5)).isoformat()
    ok = demo.post("/tasks", data={"title": "寄协商信", "date": due, "kind": "letter", "loan": "1"},
                   follow_redirects=False)
    assert ok.status_code == 303
    demo_tasks = [x for x in list_tasks(store) if x.title != "寄协商信"]  # the demo case's own follow-up call
    (task,) = [x for x in list_tasks(store) if x.title == "寄协商信"]
    assert task.kind == "letter" and task.loan_id == 1
    page = demo.get("/agreements")
    assert "寄协商信" in page.text and f'action="/tasks/{task.id}/done"' in page.text
    assert demo.post(f"/tasks/{task.id}/done", follow_redirects=False).status_code == 303
    assert list_tasks(store) == demo_tasks
    assert demo.post(f"/tasks/{task.id}/done").status_code == 400  # already done: said, not crashed
    assert demo.post("/tasks/999/done").status_code == 404


def test_calendar_download_parses_with_icalendar(demo: TestClient, store: Store) -> None:
    from icalendar import Calendar

    r = demo.get("/agreements/calendar.ics?days=400&alarm_days=2")
    assert r.status_code == 200
    assert r.headers["content-type"] == "text/calendar; charset=utf-8"
    assert r.headers["content-disposition"].startswith("attachment;") and ".ics" in r.headers["content-disposition"]
    cal = Calendar.from_ical(r.content)
    events = list(cal.walk("VEVENT"))
    today = clock.today()
    expected = [i for i in due_items(store, days=400, today=today) if i.on >= today]
    assert [str(e["UID"]) for e in events] == [f"{i.uid}@xieshang.local" for i in expected]
    wid = written_id(store)
    report = agreement_report(store, wid)
    agreed = [i for i in report.adherence.instalments if i.state == "upcoming" and i.due <= today + timedelta(400)]
    assert {f"agreement-{wid}-{i.n}@xieshang.local" for i in agreed} <= {str(e["UID"]) for e in events}
    first = next(e for e in events if str(e["UID"]) == f"agreement-{wid}-{agreed[0].n}@xieshang.local")
    assert first.decoded("DTSTART") == agreed[0].due
    alarm = first.walk("VALARM")[0]
    assert alarm.decoded("TRIGGER") == -timedelta(days=2)
    # The same file from the API; bad options are refused, not a 500.
    assert demo.get("/api/calendar.ics?days=400&alarm_days=2").content.count(b"BEGIN:VEVENT") == len(events)
    assert demo.get("/agreements/calendar.ics?days=abc").status_code == 400
    assert demo.get("/api/calendar.ics?alarm_days=99").status_code == 422


# ---------------------------------------------------------------------------------------
# Credit report
# ---------------------------------------------------------------------------------------


def test_credit_checks_entries_and_the_dispute_link(demo: TestClient, store: Store) -> None:
    from urllib.parse import parse_qs, urlsplit

    before = rows(store)
    bad = demo.post("/credit/checks", data={"channel": "", "date": "2099-01-01", "free": "1"})
    assert bad.status_code == 422 and field_error(bad.text, "chk-channel")
    future = demo.post("/credit/checks", data={"channel": "银行App", "date": "2099-01-01", "free": "1"})
    assert future.status_code == 422 and field_error(future.text, "chk-date")
    assert rows(store) == before
    ok = demo.post("/credit/checks", data={"channel": "银行App", "free": "1"}, follow_redirects=False)
    assert ok.status_code == 303
    (check,) = credit_overview(store).checks

    before = rows(store)
    for data, fid in (({"check": str(check.id), "loan": "2", "status_code": "Q"}, "ent-status_code"),
                      ({"check": str(check.id), "loan": "2", "status_code": "3", "overdue": "x"}, "ent-overdue"),
                      ({"check": "", "loan": "2", "status_code": "3"}, "ent-check"),
                      ({"check": str(check.id), "status_code": "3"}, "ent-account")):
        r = demo.post("/credit/entries", data=data)
        assert r.status_code == 422 and field_error(r.text, fid), fid
    assert rows(store) == before
    # The card is ~100 days overdue (band 4); the report says 3 and the wrong amount.
    r = demo.post("/credit/entries", data={"check": str(check.id), "loan": "2", "status_code": "3",
                                            "overdue": "5000", "overdue_months": "3"}, follow_redirects=False)
    assert r.status_code == 303
    (cand,) = credit_overview(store).disputes
    page = demo.get("/credit")
    link = re.search(r'href="(/letters\?[^"]+)"', page.text)
    assert link is not None
    query = parse_qs(urlsplit(link.group(1).replace("&amp;", "&")).query)
    assert query["kind"] == ["credit-dispute"] and query["loan"] == ["2"]
    assert query["credit_entry"] == [str(cand.entry.id)]
    assert t("web_after.credit.make_letter") in page.text
    # The letters page opens on that letter with the entry and what is wrong filled in.
    letter = demo.get(link.group(1).replace("&amp;", "&"))
    assert letter.status_code == 200
    assert re.search(r'<option value="credit-dispute" selected', letter.text)
    assert f'value="{query["entry"][0]}"' in letter.text and query["wrong"][0] in letter.text
    for d in cand.discrepancies:
        assert t(f"after.credit.discrepancy.{d.kind}", reported=d.reported, ours=d.ours) in page.text
    # Filing the dispute: the reply deadline appears.
    assert demo.post(f"/credit/entries/{cand.entry.id}/dispute", data={"date": "2099-01-01"}).status_code == 422
    assert demo.post(f"/credit/entries/{cand.entry.id}/dispute", data={}, follow_redirects=False).status_code == 303
    (cand,) = credit_overview(store).disputes
    assert cand.reply_due is not None and cand.reply_due.isoformat() in demo.get("/credit").text
    assert demo.post("/credit/entries/999/dispute", data={}).status_code == 404


# ---------------------------------------------------------------------------------------
# Prevention
# ---------------------------------------------------------------------------------------


def test_budget_lines_and_the_fund(demo: TestClient, store: Store) -> None:
    month = month_of(clock.today())
    before = rows(store)
    for data, fid in (({"category": "房租", "planned": "两千"}, "bud-planned"),
                      ({"category": "", "planned": "2000"}, "bud-category"),
                      ({"category": "房租"}, "bud-planned"),
                      ({"category": "房租", "planned": "2000", "month": "2026-13"}, "bud-month")):
        r = demo.post("/prevention/budget", data=data)
        assert r.status_code == 422 and field_error(r.text, fid), fid
    assert rows(store) == before
    assert demo.post("/prevention/budget", data={"category": "工资", "kind": "income", "planned": "8000"},
                     follow_redirects=False).status_code == 303
    assert demo.post("/prevention/budget", data={"category": "房租", "planned": "2000", "actual": "2300"},
                     follow_redirects=False).status_code == 303
    b = budget(store, month)
    assert b.income == Decimal("8000.00") and b.spending == Decimal("2000.00")
    page = demo.get("/prevention")
    assert money(b.left) in page.text and t("web_after.prevention.overspent") in page.text
    assert demo.post("/prevention/budget/remove", data={"month": month, "kind": "expense", "category": "房租"},
                     follow_redirects=False).status_code == 303
    assert budget(store, month).spending == 0
    assert demo.post("/prevention/budget/remove", data={"month": month, "kind": "expense",
                                                        "category": "房租"}).status_code == 400

    before = rows(store)
    for data, fid in (({"saved": "x"}, "fund-saved"), ({}, "fund-target"),
                      ({"target": "1000", "fund_months": "3"}, "fund-target"), ({"fund_months": "99"}, "fund-fund_months")):
        r = demo.post("/prevention/fund", data=data)
        assert r.status_code == 422 and field_error(r.text, fid), fid
    assert rows(store) == before
    assert demo.post("/prevention/fund", data={"target": "12000", "saved": "3000"},
                     follow_redirects=False).status_code == 303
    fund = emergency_fund(store)
    assert (fund.target, fund.saved) == (Decimal("12000.00"), Decimal("3000.00"))
    assert '<progress id="fund-progress" max="100" value="25">' in demo.get("/prevention").text


def _afford_figures(html: str) -> dict[str, str]:
    out = {}
    for name in ("payment", "share", "apr", "dti"):
        m = re.search(rf'id="afford-{name}">(.*?)</dd>', html, re.S)
        assert m is not None, name
        out[name] = m.group(1).strip()
    return out


def test_afford_numbers_are_the_services(demo: TestClient, store: Store) -> None:
    query = {"amount": "20000", "apr": "18%", "months": "24", "income": "9000", "upfront_fee": "300"}
    page = demo.get("/prevention/afford", params=query)
    assert page.status_code == 200
    report = afford(Decimal("20000"), Decimal("0.18"), 24, income=Decimal("9000"), upfront_fee=Decimal("300"),
                    store=store)
    r = report.result
    assert _afford_figures(page.text) == {"payment": money(r.monthly_outlay), "share": pct(r.share),
                                          "apr": pct(r.apr.apr),
                                          "dti": f"{pct(r.dti_before)} → {pct(r.dti_after)}"}
    assert report.existing_source == "case" and money(r.existing) in page.text
    for check, fact in zip(r.checks, report.thresholds, strict=True):
        assert fact.title_zh in page.text and fact.source in page.text
        word = t("web_after.afford.above") if check.above else t("web_after.afford.below")
        assert f"{'⚠' if check.above else '✓'} {word}" in page.text  # not by colour alone
    # htmx gets the fragment only; a rate written per day is its annual equivalent.
    frag = demo.get("/prevention/afford", params={**query, "apr": "日息万五"}, headers={"HX-Request": "true"})
    assert frag.status_code == 200 and "<html" not in frag.text and 'id="afford-result"' in frag.text
    daily = afford(Decimal("20000"), Decimal("0.1825"), 24, income=Decimal("9000"), upfront_fee=Decimal("300"),
                   store=store)
    assert _afford_figures(frag.text)["payment"] == money(daily.result.monthly_outlay)
    # Bad input: inline, in place.
    bad = demo.get("/prevention/afford", params={"amount": "-1", "apr": "", "months": "x"},
                   headers={"HX-Request": "true"})
    assert bad.status_code == 422
    assert field_error(bad.text, "aff-apr") and field_error(bad.text, "aff-months")
    # Without an income typed, the case's (finances, else budget) is used, and said so.
    no_income = demo.get("/prevention/afford", params={"amount": "1000", "apr": "10%", "months": "12"})
    assert no_income.status_code == 200
    own = afford(Decimal("1000"), Decimal("0.10"), 12, store=store)
    assert own.income_source != "input" and money(own.result.income) in no_income.text
    assert t(f"after.afford.source.{own.income_source}") in no_income.text


def test_afford_without_any_income_asks_for_it(client: TestClient, store: Store) -> None:
    from xieshang.services.case import PersonInfo, init_case

    init_case(store, PersonInfo(name="小李"))
    r = client.get("/prevention/afford", params={"amount": "1000", "apr": "10%", "months": "12"})
    assert r.status_code == 422
    assert field_error(r.text, "aff-income") == t("web_after.error.need_income")
    assert client.post("/api/afford", json={"amount": 1000, "apr": "10%", "months": 12}).json()["error"][
        "field"] == "income"


# ---------------------------------------------------------------------------------------
# JSON API
# ---------------------------------------------------------------------------------------


def test_api_agreements_due_tasks(demo: TestClient, store: Store) -> None:
    listed = demo.get("/api/agreements").json()
    assert listed == [agreement_report(store, a.id).to_json() for a in list_agreements(store)]
    assert [(a["agreement"]["loan_id"], a["agreement"]["status"]) for a in listed] == [
        (2, "proposed"), (1, "confirmed-in-writing")]  # the demo case's proposal, then the fixture's agreement
    wid = written_id(store)
    assert demo.get(f"/api/agreements/{wid}").json() == agreement_report(store, wid).to_json()
    assert demo.get("/api/agreements/99").status_code == 404
    before = rows(store)
    bad = demo.post("/api/agreements", json={"loan": 4, "months": 6})
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "monthly"
    assert demo.post("/api/agreements", json={"loan": 4, "months": "x", "monthly": 700}).json()["error"]["fields"]
    assert demo.post("/api/agreements", json={"loan": 99, "months": 6, "monthly": 700}).status_code == 404
    assert demo.post("/api/agreements", json={"loan": 4, "months": 6, "extra": 1}).status_code == 422
    assert rows(store) == before
    made = demo.post("/api/agreements", json={"loan": 4, "months": 6, "monthly": 700, "status": "agreed-verbally"})
    assert made.status_code == 201
    rec = made.json()
    assert rec["balance"] == "4200.00" and rec["loan_id"] == 4
    assert demo.post(f"/api/agreements/{rec['id']}/status",
                     json={"status": "confirmed-in-writing"}).json()["status"] == "confirmed-in-writing"
    assert demo.delete(f"/api/agreements/{rec['id']}").json()["id"] == rec["id"]
    assert demo.get("/api/due?days=60").json() == [i.to_json() for i in due_items(store, days=60)]
    assert demo.get("/api/due?days=-1").status_code == 422
    demo_tasks = [x.id for x in list_tasks(store)]  # the demo case's follow-up call, due in a few days
    task = demo.post("/api/tasks", json={"title": "跟进", "date": clock.today().isoformat(), "kind": "follow-up"})
    assert task.status_code == 201
    assert [x["id"] for x in demo.get("/api/tasks").json()] == [task.json()["id"], *demo_tasks]  # by due date
    assert demo.post(f"/api/tasks/{task.json()['id']}/done").json()["done_on"] == clock.today().isoformat()
    assert demo.post("/api/tasks", json={"title": "x", "date": "tomorrow"}).json()["error"]["field"] == "date"
    assert demo.post("/api/tasks", json={"title": "x", "date": "2026-01-01", "kind": "nap"}).json()["error"][
        "field"] == "kind"


def test_api_credit_and_prevention(demo: TestClient, store: Store) -> None:
    assert demo.get("/api/credit").json() == credit_overview(store).to_json()
    assert {c["code"] for c in demo.get("/api/credit/codes").json()} >= {"N", "C", "1", "7"}
    check = demo.post("/api/credit/checks", json={"channel": "征信中心网站"})
    assert check.status_code == 201 and check.json()["free"] is True
    entry = demo.post("/api/credit/entries", json={"check": check.json()["id"], "loan": 2, "status_code": "3",
                                                   "overdue": "5000"})
    assert entry.status_code == 201
    cands = demo.get("/api/credit").json()["dispute_candidates"]
    assert [c["entry"]["id"] for c in cands] == [entry.json()["id"]]
    assert demo.post("/api/credit/entries", json={"check": 999, "status_code": "N", "account": "x"}).status_code == 404
    assert demo.post(f"/api/credit/entries/{entry.json()['id']}/dispute", json={}).json()["disputed_on"]

    assert demo.put("/api/budget/lines", json={"category": "工资", "kind": "income", "planned": 9000}).status_code == 200
    assert demo.put("/api/budget/lines", json={"category": "x", "planned": "abc"}).json()["error"]["field"] == "planned"
    assert demo.get("/api/budget").json() == budget(store, month_of(clock.today())).to_json()
    assert demo.delete("/api/budget/lines", params={"category": "工资", "kind": "income"}).status_code == 200
    assert demo.delete("/api/budget/lines", params={"category": "工资", "kind": "income"}).status_code == 422
    assert demo.post("/api/emergency-fund", json={"saved": 500}).json()["saved"] == "500.00"
    assert demo.get("/api/emergency-fund").json() == emergency_fund(store).to_json()

    body: dict[str, Any] = {"amount": 20000, "apr": "18%", "months": 24, "income": 9000, "debts": "1000"}
    got = demo.post("/api/afford?lang=en", json=body)
    assert got.status_code == 200
    want = afford(Decimal("20000"), Decimal("0.18"), 24, income=Decimal("9000"), existing=Decimal("1000"),
                  store=store).to_json("en")
    assert got.json() == want
    assert demo.post("/api/afford", json={**body, "months": 0}).json()["error"]["field"] == "months"
    assert len(demo.get("/api/autopay").json()) >= 1


def test_openapi_schema_lists_the_after_api(client: TestClient) -> None:
    paths = client.get("/api/openapi.json").json()["paths"]
    for path in ("/api/agreements", "/api/agreements/{agreement_id}", "/api/due", "/api/tasks", "/api/calendar.ics",
                 "/api/credit", "/api/credit/entries", "/api/budget", "/api/budget/lines", "/api/emergency-fund",
                 "/api/afford", "/api/autopay"):
        assert path in paths, path
    assert "text/calendar" in paths["/api/calendar.ics"]["get"]["responses"]["200"]["content"]
    assert "/agreements" not in paths and "/prevention" not in paths  # pages are not in the API schema


def test_after_progress_matches_the_services(store: Store) -> None:
    """The guide's cheap existence checks agree with what the services would say."""
    from xieshang.services.after_progress import after_progress
    from xieshang.services.prevention import set_budget_line

    write_case(store, *demo_case(), replace_existing=False)  # the demo's loans, without its proposed plan
    today = date(2026, 5, 10)
    assert after_progress(store, today) == set()
    set_budget_line(store, "2026-06", "expense", "房租", planned=Decimal(2000))  # a later month: not this one's
    assert after_progress(store, today) == set() and budget(store, "2026-05").source_month is None
    set_budget_line(store, "2026-04", "expense", "房租", planned=Decimal(2000))  # an earlier one carries over
    assert after_progress(store, today) == {"prevention"} and budget(store, "2026-05").source_month == "2026-04"
    demo_agreement(store, 1)
    assert after_progress(store, today) == {"prevention", "agreement"}


def test_after_progress_counts_the_fund(store: Store) -> None:
    from xieshang.services.after_progress import after_progress
    from xieshang.services.prevention import set_emergency_fund

    write_case(store, *demo_case(), replace_existing=False)
    set_emergency_fund(store, target=Decimal(5000))
    assert after_progress(store) == {"prevention"} and emergency_fund(store).updated_on is not None
    load_demo(store, reset=True)  # the whole demo: its proposed plan counts as an agreement recorded
    assert after_progress(store) == {"agreement"}
