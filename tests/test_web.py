"""The web app through FastAPI's TestClient: every page in zh_CN and en, inline errors that
save nothing, 404s, the error boundary, the origin check, language switching, export/import."""

from __future__ import annotations

import json
import re
import warnings
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from tests.web_support import field_error

from xieshang import clock
from xieshang.i18n import t
from xieshang.services.case import counts, get_loan, list_loans
from xieshang.services.overview import overview
from xieshang.store.db import Store, open_store
from xieshang.web.app import create_app
from xieshang.web.context import money

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


@pytest.fixture
def store(store_location: str) -> Iterator[Store]:
    st = open_store(store_location)
    yield st
    st.close()


def _snapshot(store: Store) -> Any:
    from xieshang.services.transfer import export_case

    return export_case(store) if counts(store)["person"] else None


LANGS = ("zh_CN", "en")


# ---------------------------------------------------------------------------------------
# Empty store and start
# ---------------------------------------------------------------------------------------


def test_empty_store_offers_the_demo_and_a_new_case(client: TestClient, store: Store) -> None:
    r = client.get("/", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/start"
    for lang in LANGS:
        page = client.get(f"/start?lang={lang}")
        assert page.status_code == 200
        assert t("web.start.demo_button", lang=lang) in page.text
        assert t("web.start.own_button", lang=lang) in page.text
    r = client.post("/start/demo", follow_redirects=False)
    assert r.status_code == 303
    assert counts(store)["loan"] == len(list_loans(store)) > 0


def test_start_own_case_requires_a_name_and_saves_nothing_without(client: TestClient, store: Store) -> None:
    r = client.post("/start/init", data={"name": "  "})
    assert r.status_code == 422
    assert field_error(r.text, "name") is None  # the start page shows its own error block
    assert 'aria-invalid="true"' in r.text
    assert counts(store)["person"] == 0
    r = client.post("/start/init", data={"name": "小李"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/guide/situation"
    assert counts(store)["person"] == 1


# ---------------------------------------------------------------------------------------
# Every page, in both languages
# ---------------------------------------------------------------------------------------

PAGES = ["/", "/loans", "/loans/new", "/loans/new?profile=jiebei", "/loans/new?profile=credit-card", "/loans/1",
         "/loans/2", "/loans/3", "/loans/4", "/loans/1/edit", "/loans/2/edit", "/loans/1/delete",
         "/loans/1/reconcile?lender_says=20000", "/loans/1/reconcile", "/guide", "/guide/situation", "/guide/overdue",
         "/guide/finances", "/guide/plan", "/guide/negotiate", "/guide/after", "/guide/prevent", "/finances", "/plan",
         "/letters", "/records", "/agreements", "/prevention", "/settings"]


@pytest.mark.parametrize("lang", LANGS)
def test_every_page_renders_in_each_language(demo: TestClient, lang: str) -> None:
    nav = t("web.nav.dashboard", lang=lang)
    other = t("web.nav.dashboard", lang="en" if lang == "zh_CN" else "zh_CN")
    for url in PAGES:
        sep = "&" if "?" in url else "?"
        r = demo.get(f"{url}{sep}lang={lang}")
        assert r.status_code == 200, (url, r.status_code)
        assert nav in r.text, url
        assert f">{other}<" not in r.text, url  # the nav is not in the other language
        assert "/static/app.css" in r.text and "/static/htmx.min.js" in r.text
        assert "http://" not in r.text.replace("http://www.w3.org/2000/svg", ""), url  # no external asset


def test_dashboard_shows_the_overview_service_figures(demo: TestClient, store: Store) -> None:
    from html import unescape

    from xieshang.i18n import language_scope

    with language_scope("en"):
        ov = overview(store, clock.today())
        action = ov.action.text()
    html = unescape(demo.get("/?lang=en").text)
    assert money(ov.totals.payoff) in html
    assert money(ov.totals.growth_per_day) in html
    assert action in html
    for d in ov.debts:
        assert f"/loans/{d.loan.id}" in html
        assert d.status is not None and money(d.status.payoff) in html
    assert "<svg" in html and 'role="img"' in html and "<title" in html


def test_loan_page_shows_breakdown_chart_timeline_and_lines(demo: TestClient, store: Store) -> None:
    from xieshang.services.overview import assess_debt

    debt = assess_debt(get_loan(store, 1), clock.today(), days=(365,))
    assert debt.assessment is not None
    html = demo.get("/loans/1?lang=en").text
    assert money(debt.assessment.status.owed.penalty) in html
    assert money(debt.assessment.projection[-1].status.payoff) in html  # the chart's table
    assert "<polyline" in html
    assert t("web.loan.timeline", lang="en") in html
    assert t("calc.not_legal_advice", lang="en") in html


def test_static_assets_are_served_from_the_package(client: TestClient) -> None:
    js = client.get("/static/htmx.min.js")
    assert js.status_code == 200 and "htmx" in js.text[:200]
    css = client.get("/static/app.css")
    assert css.status_code == 200 and "@media" in css.text


# ---------------------------------------------------------------------------------------
# Adding and editing: inline errors, nothing saved on error
# ---------------------------------------------------------------------------------------

GOOD_LOAN = {"profile": "jiebei", "principal": "12000", "months": "12", "start": "2025-01-10", "rate": "14.6%"}


def test_add_loan_through_the_form(demo: TestClient, store: Store) -> None:
    before = counts(store)["loan"]
    r = demo.post("/loans/new", data=GOOD_LOAN, follow_redirects=False)
    assert r.status_code == 303
    new_id = int(r.headers["location"].split("/")[2].split("?")[0])
    loan = get_loan(store, new_id)
    assert counts(store)["loan"] == before + 1
    assert str(loan.principal) == "12000.00" and loan.term_months == 12 and loan.start == date(2025, 1, 10)
    assert demo.get(r.headers["location"]).status_code == 200


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize(("change", "field"), [
    ({"principal": "abc"}, "principal"),
    ({"principal": "-5"}, "principal"),
    ({"principal": "0"}, "principal"),
    ({"months": "0"}, "months"),
    ({"months": "twelve"}, "months"),
    ({"start": "2025-13-01"}, "start"),
    ({"start": (clock.today() + timedelta(days=5)).isoformat()}, "start"),
    ({"rate": "lots"}, "rate"),
    ({"received": "13000"}, "received"),
    ({"contacts": "no-equals-sign"}, "contacts"),
    ({"sets": "no_such_term=3"}, "sets"),
    ({"statement_balance": "100"}, ""),
    ({"principal": ""}, ""),
])
def test_bad_loan_input_shows_an_inline_error_and_saves_nothing(demo: TestClient, store: Store,
                                                                change: dict[str, str], field: str,
                                                                lang: str) -> None:
    before = _snapshot(store)
    data = {**GOOD_LOAN, **change}
    r = demo.post(f"/loans/new?lang={lang}", data=data)
    assert r.status_code == 422
    assert t("web.form.not_saved", lang=lang) in r.text
    if field:
        msg = field_error(r.text, field)
        assert msg, (field, r.text[:2000])
        assert f'id="f-{field}"' in r.text
    else:
        assert re.search(r'<p class="error[^"]*"[^>]*role="alert"', r.text)
    for name, value in data.items():  # what the user typed is kept
        if value and name not in ("profile", "contacts", "sets", "statement_balance"):
            assert f'value="{value}"' in r.text, name
    assert _snapshot(store) == before


def test_inline_error_is_in_the_users_language(demo: TestClient) -> None:
    zh = field_error(demo.post("/loans/new?lang=zh_CN", data={**GOOD_LOAN, "principal": "abc"}).text, "principal")
    en = field_error(demo.post("/loans/new?lang=en", data={**GOOD_LOAN, "principal": "abc"}).text, "principal")
    assert zh and en and zh != en
    assert re.search(r"[\u4e00-\u9fff]", zh) and not re.search(r"[\u4e00-\u9fff]", en.replace("元", "").replace("万", ""))


def test_card_form_checks_the_due_date(demo: TestClient, store: Store) -> None:
    before = _snapshot(store)
    r = demo.post("/loans/new", data={"profile": "credit-card", "statement_balance": "5000",
                                      "statement_date": "2025-05-01", "due_date": "2025-04-20"})
    assert r.status_code == 422 and field_error(r.text, "due_date")
    assert _snapshot(store) == before


def test_no_profile_chosen_is_an_inline_error(demo: TestClient, store: Store) -> None:
    before = _snapshot(store)
    r = demo.post("/loans/new", data={"principal": "100"})
    assert r.status_code == 422 and field_error(r.text, "profile")
    assert _snapshot(store) == before


def test_edit_loan_and_bad_edit_changes_nothing(demo: TestClient, store: Store) -> None:
    page = demo.get("/loans/3/edit").text
    values = dict(re.findall(r'name="(\w+)" type="(?:text|date)" value="([^"]*)"', page))
    assert values["principal"] and values["start"]
    before = _snapshot(store)
    bad = demo.post("/loans/3/edit", data={**values, "principal": ""})
    assert bad.status_code == 422 and field_error(bad.text, "principal")
    assert _snapshot(store) == before
    ok = demo.post("/loans/3/edit", data={**values, "lender": "借呗 (mine)"}, follow_redirects=False)
    assert ok.status_code == 303
    assert get_loan(store, 3).lender == "借呗 (mine)"
    assert get_loan(store, 3).principal == get_loan(store, 3).principal  # unchanged figures stay


def test_remove_loan_asks_then_removes(demo: TestClient, store: Store) -> None:
    assert demo.get("/loans/4/delete").status_code == 200
    n = counts(store)["loan"]
    assert demo.post("/loans/4/delete", follow_redirects=False).status_code == 303
    assert counts(store)["loan"] == n - 1
    assert demo.get("/loans/4").status_code == 404


def test_payments_inline_errors_and_saving(demo: TestClient, store: Store) -> None:
    before = _snapshot(store)
    for data, field in [({"amount": "abc"}, "amount"), ({"amount": ""}, "amount"), ({"amount": "-3"}, "amount"),
                        ({"amount": "10", "date": "2099-01-01"}, "date"), ({"amount": "10", "date": "1999-01-01"}, "date"),
                        ({"amount": "10.001"}, "amount")]:
        r = demo.post("/loans/1/payments", data=data)
        assert r.status_code == 422, data
        assert field_error(r.text, field), (data, field)
    assert _snapshot(store) == before
    n = len(get_loan(store, 1).payments)
    r = demo.post("/loans/1/payments", data={"amount": "100", "channel": "支付宝"}, follow_redirects=False)
    assert r.status_code == 303
    payments = get_loan(store, 1).payments
    assert len(payments) == n + 1
    new = max(payments, key=lambda p: p.id)
    assert str(new.amount) == "100.00" and new.on == clock.today()
    assert demo.post(f"/payments/{new.id}/delete", follow_redirects=False).status_code == 303
    assert len(get_loan(store, 1).payments) == n


def test_lender_figure_and_reconcile(demo: TestClient, store: Store) -> None:
    before = _snapshot(store)
    assert demo.post("/loans/2/lender-figures", data={"amount": "x"}).status_code == 422
    assert _snapshot(store) == before
    assert demo.post("/loans/2/lender-figures", data={"amount": "17000"}, follow_redirects=False).status_code == 303
    assert [str(f.amount) for f in get_loan(store, 2).lender_figures][-1] == "17000.00"
    r = demo.get("/loans/2/reconcile?lang=en", headers={"HX-Request": "true"})
    assert r.status_code == 200 and "<html" not in r.text  # a fragment for htmx
    assert t("overview.reconcile.theirs", lang="en") in r.text and "¥17,000.00" in r.text
    bad = demo.get("/loans/2/reconcile?lender_says=abc", headers={"HX-Request": "true"})
    assert bad.status_code == 422 and 'class="error"' in bad.text


# ---------------------------------------------------------------------------------------
# Not found, errors, origin
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("url", ["/loans/999", "/loans/999/edit", "/loans/999/delete", "/loans/abc", "/nope",
                                 "/guide/nope", "/loans/999/reconcile", "/static/nope.js"])
def test_unknown_ids_and_paths_are_a_404_page(demo: TestClient, url: str) -> None:
    r = demo.get(url + "?lang=en")
    assert r.status_code == 404
    assert t("web.error.not_found", lang="en") in r.text or "Not Found" not in r.text
    assert "Traceback" not in r.text


def test_writes_to_unknown_ids_are_404_and_change_nothing(demo: TestClient, store: Store) -> None:
    before = _snapshot(store)
    assert demo.post("/loans/999/payments", data={"amount": "1"}).status_code == 404
    assert demo.post("/payments/99999/delete").status_code == 404
    assert demo.post("/loans/999/delete").status_code == 404
    assert demo.post("/loans/999/edit", data=GOOD_LOAN).status_code == 404
    assert _snapshot(store) == before


def test_an_unexpected_error_is_a_friendly_page(demo: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    import xieshang.services.overview as ov

    def boom(*_: object, **__: object) -> None:
        raise RuntimeError("bug")

    monkeypatch.setattr(ov, "overview", boom)
    r = demo.get("/?lang=en")
    assert r.status_code == 500
    from html import unescape

    assert t("web.error.unexpected", lang="en") in unescape(r.text) and "RuntimeError" not in r.text
    api = demo.get("/api/status")
    assert api.status_code == 500 and api.json()["error"]["key"] == "web.error.unexpected"


def test_a_post_from_another_site_is_refused(demo: TestClient, store: Store) -> None:
    before = _snapshot(store)
    r = demo.post("/loans/1/payments", data={"amount": "1"}, headers={"Origin": "http://evil.example"})
    assert r.status_code == 403
    assert _snapshot(store) == before
    same = demo.post("/loans/1/payments", data={"amount": "1"}, headers={"Origin": "http://testserver"},
                     follow_redirects=False)
    assert same.status_code == 303


# ---------------------------------------------------------------------------------------
# Language, guide
# ---------------------------------------------------------------------------------------


def test_language_switch_sets_a_cookie_and_goes_back(demo: TestClient) -> None:
    r = demo.get("/lang/en?next=/loans", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/loans"
    assert "xieshang_lang=en" in r.headers["set-cookie"]
    assert t("web.nav.loans", lang="en") in demo.get("/loans").text
    demo.get("/lang/zh_CN?next=/")
    assert t("web.nav.loans", lang="zh_CN") in demo.get("/loans").text
    assert demo.get("/lang/en?next=//evil.example/x", follow_redirects=False).headers["location"] == "/"
    assert demo.get("/lang/en?next=https://evil.example", follow_redirects=False).headers["location"] == "/"


def test_concurrent_requests_keep_their_own_language(demo: TestClient) -> None:
    from concurrent.futures import ThreadPoolExecutor

    def fetch(lang: str) -> tuple[str, str]:
        return lang, demo.get(f"/?lang={lang}").text

    with ThreadPoolExecutor(max_workers=6) as pool:
        results = list(pool.map(fetch, ["en", "zh_CN"] * 6))
    for lang, html in results:
        assert t("web.dash.action", lang=lang) in html


def test_guided_start_is_resumable(client: TestClient, store: Store) -> None:
    client.post("/start/init", data={"name": "小李"})
    steps = client.get("/api/guide").json()
    assert [s["key"] for s in steps] == ["situation", "overdue", "finances", "plan", "negotiate", "after", "prevent"]
    assert steps[0]["current"] and not steps[0]["done"]
    r = client.post("/loans/new", data={**GOOD_LOAN, "from_guide": "1"}, follow_redirects=False)
    assert r.headers["location"].startswith("/guide/situation")
    r = client.post("/guide/situation/done", follow_redirects=False)
    assert r.headers["location"] == "/guide/overdue"
    steps = client.get("/api/guide").json()
    assert steps[0]["done"] and steps[1]["current"]
    assert client.get("/guide").text.count("/guide/overdue") >= 1
    r = client.post("/guide/overdue/done", follow_redirects=False)
    assert r.headers["location"] == "/finances?guide=1"  # the finances step is a page of its own
    steps = client.get("/api/guide").json()
    assert steps[1]["done"] and steps[2]["current"] and not steps[2]["done"]
    assert client.get("/guide/finances", follow_redirects=False).headers["location"] == "/finances?guide=1"


# ---------------------------------------------------------------------------------------
# Settings: export and import
# ---------------------------------------------------------------------------------------


def test_export_then_import_into_another_store(demo: TestClient, store: Store, tmp_path: Path) -> None:
    exported = demo.get("/settings/export")
    assert exported.status_code == 200 and "attachment" in exported.headers["content-disposition"]
    other = open_store(str(tmp_path / "other.sqlite"))
    try:
        c2 = TestClient(create_app(other), raise_server_exceptions=False)
        r = c2.post("/settings/import", files={"file": ("case.json", exported.content, "application/json")},
                    follow_redirects=False)
        assert r.status_code == 303
        assert c2.get("/settings/export").content == exported.content
    finally:
        other.close()


def test_bad_imports_are_refused_with_a_message(demo: TestClient, store: Store) -> None:
    before = _snapshot(store)
    cases = [
        {},  # no file
        {"file": ("x.json", b"not json", "application/json")},
        {"file": ("x.json", json.dumps({"format": "other"}).encode(), "application/json")},
        {"file": ("x.json", b"x" * (5 * 1024 * 1024 + 10), "application/json")},
        {"file": ("case.json", demo.get("/settings/export").content, "application/json")},  # exists, no replace
    ]
    for files in cases:
        r = demo.post("/settings/import?lang=en", files=files or {"file": ("", b"", "application/json")})
        assert r.status_code == 422
        assert field_error(r.text, "file")
    assert _snapshot(store) == before


# ---------------------------------------------------------------------------------------
# JSON API
# ---------------------------------------------------------------------------------------


def test_api_status_is_the_service_json(demo: TestClient, store: Store) -> None:
    from xieshang.i18n import language_scope

    with language_scope("en"):
        expected = overview(store, clock.today()).to_json()
    assert demo.get("/api/status?lang=en").json() == expected


def test_api_loans_crud_and_errors(demo: TestClient, store: Store) -> None:
    r = demo.post("/api/loans", json={**GOOD_LOAN, "principal": 12000})
    assert r.status_code == 201
    new_id = r.json()["id"]
    assert r.json()["principal"] == "12000.00"
    before = _snapshot(store)
    bad = demo.post("/api/loans?lang=en", json={**GOOD_LOAN, "principal": "abc"})
    assert bad.status_code == 422 and "principal" in bad.json()["error"]["fields"]
    bad2 = demo.post("/api/loans", json={**GOOD_LOAN, "start": (clock.today() + timedelta(days=3)).isoformat()})
    assert bad2.status_code == 422 and bad2.json()["error"]["field"] == "start"
    assert demo.post("/api/loans", json={"profile": "nope"}).status_code == 422
    assert demo.post("/api/loans", json={"bogus": 1}).status_code == 422
    assert _snapshot(store) == before
    assert demo.patch(f"/api/loans/{new_id}", json={"months": "24"}).json()["term_months"] == 24
    assert demo.get(f"/api/loans/{new_id}").json()["loan"]["term_months"] == 24
    assert demo.post(f"/api/loans/{new_id}/payments", json={"amount": "50"}).status_code == 201
    assert demo.post(f"/api/loans/{new_id}/payments", json={"amount": "0"}).status_code == 422
    assert demo.post(f"/api/loans/{new_id}/lender-figures", json={"amount": "12500"}).status_code == 201
    assert demo.get(f"/api/loans/{new_id}/reconcile").json()["theirs"] == "12500.00"
    assert demo.get(f"/api/loans/{new_id}/timeline").status_code == 200
    assert demo.delete(f"/api/loans/{new_id}").status_code == 200
    missing = demo.get(f"/api/loans/{new_id}")
    assert missing.status_code == 404 and missing.json()["error"]["key"] == "error.case.unknown_loan"


def test_api_without_a_case_says_so(client: TestClient) -> None:
    r = client.get("/api/status")
    assert r.status_code == 409 and r.json()["error"]["key"] == "error.case.no_case"
    assert client.post("/api/demo").status_code == 200
    assert client.post("/api/demo").status_code == 422  # would replace the case
    assert client.post("/api/demo?reset=true").status_code == 200


def test_openapi_schema_lists_the_api(client: TestClient) -> None:
    schema = client.get("/api/openapi.json").json()
    paths = schema["paths"]
    for p in ("/api/status", "/api/projection", "/api/loans", "/api/loans/{loan_id}", "/api/loans/{loan_id}/payments",
              "/api/loans/{loan_id}/reconcile", "/api/export", "/api/import", "/api/guide"):
        assert p in paths, p
    assert not any(p.startswith("/loans") for p in paths)  # pages are not part of the API schema
    assert client.get("/api/docs").status_code == 200


# ---------------------------------------------------------------------------------------
# Pieces
# ---------------------------------------------------------------------------------------


def test_nice_step_is_round_and_covers_the_span() -> None:
    from decimal import Decimal

    from hypothesis import given
    from hypothesis import strategies as st

    from xieshang.web.charts import nice_step

    @given(st.decimals(min_value=Decimal("0.01"), max_value=Decimal("1e9"), places=2))
    def check(span: Decimal) -> None:
        step = nice_step(span)
        assert step * 4 >= span
        assert step.normalize().as_tuple().digits[0] in (1, 2, 5)
        assert step <= span or span < 1

    check()


def test_line_chart_is_accessible_and_draws_every_point() -> None:
    from decimal import Decimal

    from xieshang.web.charts import Series, line_chart

    svg = line_chart([Series("a", [(0, Decimal(100)), (30, Decimal(150))]),
                      Series("b", [(0, Decimal(90)), (30, Decimal(95))])], title="T<", description="D", x_unit="d")
    assert 'role="img"' in svg and "<title" in svg and "T&lt;" in svg
    assert svg.count("<polyline") == 2 and 'stroke-dasharray' in svg  # second series: dashed, not colour alone


def test_is_loopback() -> None:
    from xieshang.cli.serve import is_loopback

    assert is_loopback("127.0.0.1") and is_loopback("localhost") and is_loopback("::1") and is_loopback("127.0.0.2")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.168.1.5") and not is_loopback("example.org")
