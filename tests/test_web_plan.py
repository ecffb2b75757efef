"""The finances page, the plan builder and their JSON API through FastAPI's TestClient: pages in
zh_CN and en, inline errors that save nothing, the live what-if that saves nothing, saving the
plan for the letters, lenders' answers, the guide's state, and the API on the same services."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from decimal import Decimal
from html import escape
from pathlib import Path
from typing import Any

import pytest

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from tests.web_support import field_error

from xieshang import clock
from xieshang.i18n import t
from xieshang.services.finances import get_finances
from xieshang.services.plan import list_offers, plan_case, saved_plan
from xieshang.store.db import Store, open_store
from xieshang.web.context import money

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

LANGS = ("zh_CN", "en")


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    st = open_store(str(tmp_path / "s.sqlite"))
    yield st
    st.close()


def _state(store: Store) -> Any:
    """Everything the finances and plan pages may write."""
    sp = saved_plan(store)
    return get_finances(store), [r.to_json() for r in list_offers(store)], None if sp is None else sp.to_json()


# ---------------------------------------------------------------------------------------
# Finances
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("lang", LANGS)
def test_finances_page_shows_capacity_and_the_protected_minimums_source(demo: TestClient, store: Store,
                                                                         lang: str) -> None:

    from xieshang.planner.reference import reference

    fin = get_finances(store)
    assert fin is not None
    html = demo.get(f"/finances?lang={lang}").text
    assert t("webplan.fin.title", lang=lang) in html
    assert money(fin.capacity(clock.today())) in html
    assert money(fin.protected) in html
    assert escape(reference().source_of("living_minimum_per_person").source[:60]) in html
    assert 'value="工资 salary"' in html and 'id="f-income_name_2"' in html  # two incomes and a blank row
    for cat in ("housing", "food", "other"):
        assert t(f"plan.fin.cat.{cat}", lang=lang) in html
    assert 'for="f-dependents"' in html and 'for="f-savings"' in html and 'for="f-protected_minimum"' in html


def test_finances_form_saves_through_the_service(demo: TestClient, store: Store) -> None:
    data = {"income_name_0": "工资", "income_amount_0": "7,000", "income_freq_0": "monthly",
            "income_stab_0": "stable", "income_name_1": "", "income_amount_1": "",
            "expense_housing": "2000", "expense_food": "1.2万", "dependents": "2", "savings": "3000",
            "protected_minimum": "", "obligations": "还亲戚=500"}
    r = demo.post("/finances", data=data, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/finances?saved=1")
    fin = get_finances(store)
    assert fin is not None
    assert [(i.name, i.amount) for i in fin.incomes] == [("工资", Decimal("7000.00"))]
    assert fin.expenses == {"housing": Decimal("2000.00"), "food": Decimal("12000.00")}
    assert fin.dependents == 2 and fin.savings == Decimal("3000.00") and fin.protected_minimum is None
    assert [(o.name, o.amount) for o in fin.obligations] == [("还亲戚", Decimal("500.00"))]
    page = demo.get(r.headers["location"]).text
    assert t("plan.fin.saved") in page


@pytest.mark.parametrize("lang", LANGS)
def test_bad_finances_show_inline_errors_in_the_users_language_and_save_nothing(demo: TestClient, store: Store,
                                                                               lang: str) -> None:
    before = _state(store)
    data = {"income_name_0": "工资", "income_amount_0": "很多", "expense_food": "-5", "dependents": "两",
            "savings": "1.234", "assets": "电动车 1500"}
    r = demo.post(f"/finances?lang={lang}", data=data)
    assert r.status_code == 422
    html = r.text
    assert t("web.form.not_saved", lang=lang) in html
    assert "很多" in (field_error(html, "income_amount_0") or "")
    assert t("plan.fin.cat.food", lang=lang) in (field_error(html, "expense_food") or "")
    assert "两" in (field_error(html, "dependents") or "")
    assert field_error(html, "savings") and field_error(html, "assets")
    assert field_error(html, "expense_housing") is None
    if lang == "en":
        assert "must be a whole number" in (field_error(html, "dependents") or "")
    assert 'value="很多"' in html  # what was typed stays in the form
    assert _state(store) == before


def test_finances_page_needs_a_case(client: TestClient) -> None:
    r = client.get("/finances", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/start"


# ---------------------------------------------------------------------------------------
# Plan builder
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("lang", LANGS)
def test_plan_page_shows_the_plan_the_table_the_charts_and_each_lenders_options(demo: TestClient, store: Store,
                                                                               lang: str) -> None:
    result = plan_case(store)
    best = result.optimal
    assert best is not None and best.feasible
    html = demo.get(f"/plan?lang={lang}").text
    for o in ("cost", "time", "monthly", "credit"):
        assert f'name="objective" value="{o}"' in html
        assert t(f"plan.objective.{o}", lang=lang) in html
    assert money(best.total_paid) in html
    assert html.count('<svg class="chart') == 2  # debt unpaid vs plan; optimizer vs baselines
    for name in ("optimal", "avalanche", "snowball", "collector", "pro_rata"):
        assert t(f"plan.strategy.{name}", lang=lang) in html
    assert 'class="schedule"' in html
    for lid, label in result.labels:
        assert f'id="lender-{lid}"' in html and label in html
        assert f'action="/plan/offers/{lid}"' in html
        assert f'value="{lid}:settlement"' in html  # a what-if refusal per lender
    assert t("webplan.save", lang=lang) in html
    card = html[html.index('id="lender-2"'):html.index('id="lender-3"')]  # the card: typical options with sources
    assert t("webplan.kind.interest-freeze", lang=lang) in card and t("plan.opt.typical", lang=lang) in card
    assert t("webplan.months_list", lang=lang, months="12/24/36/60") in card and "cn_rules.md" in card
    assert 'hx-get="/plan/result"' in html and 'hx-target="#plan-result"' in html


def test_whatif_updates_only_the_result_and_saves_nothing(demo: TestClient, store: Store) -> None:
    before = _state(store)
    r = demo.get("/plan/result?income=20000&objective=time", headers={"HX-Request": "true"})
    assert r.status_code == 200
    html = r.text
    assert html.lstrip().startswith("<div") and 'id="plan-result"' in html and "<html" not in html
    assert t("webplan.whatif_active") in html
    assert 'name="income" value="20000"' in html  # the save form carries the what-if
    assert t("plan.objective.time") in html
    # a lender's refusal in the what-if takes that option out of the plan
    r = demo.get("/plan/result?refuse=1:settlement&refuse=2:settlement", headers={"HX-Request": "true"})
    assert r.status_code == 200 and 'name="refuse" value="1:settlement"' in r.text
    from xieshang.services.plan import WhatIf

    refused = plan_case(store, whatif=WhatIf(refuse=((1, "settlement"), (2, "settlement"))))
    assert all(p.option.value != "settlement" for p in refused.proposals if p.loan_id in (1, 2))
    assert refused.optimal is not None and money(refused.optimal.total_paid) in r.text
    assert _state(store) == before


def test_an_infeasible_whatif_shows_the_shortfall_smallest_changes_and_triage(demo: TestClient,
                                                                             store: Store) -> None:
    from xieshang.services.plan import WhatIf

    result = plan_case(store, whatif=WhatIf(income=Decimal("5000")))
    assert not result.feasible and result.shortfall > 0
    html = demo.get("/plan?income=5000&lang=en").text
    assert t("webplan.infeasible_badge", lang="en") in html
    assert t("plan.infeasible", lang="en", shortfall=money(result.shortfall)) in html
    assert t("plan.triage.title", lang="en") in html
    assert 'id="save-plan"' not in html  # nothing to save


def test_bad_whatif_input_is_an_inline_error(demo: TestClient, store: Store) -> None:
    before = _state(store)
    r = demo.get("/plan/result?income=abc&lang=en", headers={"HX-Request": "true"})
    assert r.status_code == 422
    assert t("webplan.whatif_invalid", lang="en") in r.text and "abc" in r.text
    page = demo.get("/plan?income=abc&lump_sum=-3")
    assert field_error(page.text, "income") and field_error(page.text, "lump_sum")
    assert _state(store) == before


def test_save_plan_for_the_letters_and_the_guide_shows_it_done(demo: TestClient, store: Store) -> None:
    steps = {s["key"]: s for s in demo.get("/api/guide").json()}
    assert steps["finances"]["done"] and not steps["plan"]["done"]  # the demo has finances
    assert steps["plan"]["url"] == "/plan?guide=1" and steps["plan"]["built"]
    r = demo.post("/plan/save", data={"objective": "cost", "months": "60"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/plan?saved=1")
    saved = saved_plan(store)
    assert saved is not None and saved.objective == "cost" and saved.proposals
    assert t("webplan.saved") in demo.get(r.headers["location"]).text
    page = demo.get("/plan/saved").text
    assert len(saved.proposals) == page.count("<li><strong>")
    steps = {s["key"]: s for s in demo.get("/api/guide").json()}
    assert steps["plan"]["done"]
    assert "✓" in demo.get("/guide").text


def test_saving_a_bad_request_saves_nothing(demo: TestClient, store: Store) -> None:
    before = _state(store)
    r = demo.post("/plan/save", data={"objective": "cheapest", "months": "60"})
    assert r.status_code == 422 and field_error(r.text, "objective")
    r = demo.post("/plan/save", data={"objective": "cost", "income": "100"})  # nothing fits: nothing to save
    assert r.status_code == 422
    assert _state(store) == before


def test_record_an_offer_a_refusal_and_forget(demo: TestClient, store: Store) -> None:
    before = _state(store)
    r = demo.post("/plan/offers/1?lang=en", data={"kind": "instalment", "months": "abc", "waive": "2", "down": "x"})
    assert r.status_code == 422
    assert field_error(r.text, "o1-months") and field_error(r.text, "o1-waive") and field_error(r.text, "o1-down")
    assert t("web.form.not_saved", lang="en") in r.text
    r = demo.post("/plan/offers/1", data={"kind": "bribe"})
    assert r.status_code == 422 and field_error(r.text, "o1-kind")
    assert _state(store) == before
    assert demo.post("/plan/offers/999", data={"kind": "instalment"}).status_code == 404

    r = demo.post("/plan/offers/1", data={"kind": "instalment", "months": "24", "waive": "50%"},
                  follow_redirects=False)
    assert r.status_code == 303
    rec = list_offers(store)[0]
    assert rec.offer.months == 24 and rec.offer.waiver_share == Decimal("0.5") and not rec.offer.refused
    r = demo.post("/plan/refusals/2", data={"kind": "settlement", "note": "客服说不行"}, follow_redirects=False)
    assert r.status_code == 303
    html = demo.get("/plan?lang=zh_CN").text
    assert "客服说不行" in html and t("webplan.answer_refused") in html
    assert 'value="2:settlement"' not in html  # a refused kind is no longer a what-if choice
    assert demo.post("/plan/forget/2/settlement", follow_redirects=False).status_code == 303
    assert [r.loan_id for r in list_offers(store)] == [1]


# ---------------------------------------------------------------------------------------
# JSON API
# ---------------------------------------------------------------------------------------


def test_api_finances_get_and_put(client: TestClient, store: Store) -> None:
    client.post("/api/case", json={"name": "小李"})
    r = client.get("/api/finances")
    assert r.status_code == 404 and r.json()["error"]["key"] == "plan.error.no_finances"
    r = client.put("/api/finances", json={"incomes": [{"name": "工资", "amount": 9000}],
                                          "expenses": {"housing": "2000", "food": 1500}, "dependents": 1})
    assert r.status_code == 200
    doc = r.json()
    assert doc["income_monthly"] == "9000.00" and doc["expenses"] == {"food": "1500.00", "housing": "2000.00"}
    assert doc["protected_minimum_source"]["set_by_user"] is False
    r = client.put("/api/finances", json={"savings": "5000"})  # only what is given changes
    assert r.json()["savings"] == "5000.00" and r.json()["income_monthly"] == "9000.00"
    before = _state(store)
    for bad in ({"savings": "abc"}, {"expenses": {"yachts": 1}}, {"dependents": 99},
                {"incomes": [{"name": "x", "amount": "1", "frequency": "hourly"}]}):
        r = client.put("/api/finances?lang=en", json=bad)
        assert r.status_code == 422, bad
        assert r.json()["error"]["message"]
    assert _state(store) == before
    assert client.get("/api/finances").json() == client.put("/api/finances", json={}).json()


def test_api_plan_whatif_save_show_and_answers(demo: TestClient, store: Store) -> None:
    r = demo.post("/api/plan", json={"objective": "cost"})
    assert r.status_code == 200
    doc = r.json()
    assert doc["feasible"] and doc["strategies"][0]["name"] == "optimal"
    assert demo.post("/api/plan", json={"objective": "cheapest"}).status_code == 422
    assert demo.get("/api/plan").status_code == 404
    before = _state(store)
    r = demo.post("/api/plan/whatif", json={"income": "5000", "refuse": [{"loan_id": 1, "kind": "settlement"}]})
    assert r.status_code == 200
    w = r.json()
    assert not w["feasible"] and Decimal(w["shortfall"]) > 0 and w["triage"]
    assert w["whatif"] == {"income": "5000", "spending": None, "lump_sum": None, "refuse": ["1:settlement"]}
    assert demo.post("/api/plan/whatif", json={"income": "x"}).status_code == 422
    assert demo.post("/api/plan/whatif", json={"refuse": [{"loan_id": 99, "kind": "settlement"}]}).status_code == 404
    assert _state(store) == before
    r = demo.post("/api/plan/save", json={"objective": "time"})
    assert r.status_code == 200 and r.json()["objective"] == "time"
    assert demo.get("/api/plan").json() == r.json()
    opts = demo.get("/api/plan/options").json()["loans"]
    assert {o["loan_id"] for o in opts} == {1, 2, 3, 4}
    r = demo.post("/api/plan/offers", json={"loan_id": 3, "kind": "instalment", "months": 12, "interest": "stops"})
    assert r.status_code == 201 and r.json()["interest"] == "stops"
    r = demo.post("/api/plan/refusals", json={"loan_id": 3, "kind": "settlement"})
    assert r.status_code == 201 and r.json()["refused"]
    assert len(demo.get("/api/plan/offers").json()) == 2
    assert demo.post("/api/plan/offers", json={"loan_id": 3, "kind": "instalment", "waive": "3"}).status_code == 422
    assert demo.post("/api/plan/offers", json={"loan_id": 77, "kind": "instalment"}).status_code == 404
    assert demo.delete("/api/plan/offers/3/settlement").json() == {"removed": 1}
    assert demo.delete("/api/plan/offers/3/bogus").status_code == 422
    assert len(list_offers(store)) == 1


def test_the_schema_documents_the_plan_api(client: TestClient) -> None:
    schema = client.get("/api/openapi.json").json()
    paths = schema["paths"]
    for path in ("/api/finances", "/api/plan", "/api/plan/whatif", "/api/plan/save", "/api/plan/options",
                 "/api/plan/offers", "/api/plan/refusals", "/api/plan/offers/{loan_id}/{kind}"):
        assert path in paths, path
    assert {"get", "put"} <= set(paths["/api/finances"])
    assert "FinancesOut" in schema["components"]["schemas"] and "PlanOut" in schema["components"]["schemas"]
    assert "/finances" not in paths and "/plan/result" not in paths  # pages stay out of the API schema


@pytest.mark.parametrize("lang", LANGS)
def test_a_new_case_is_sent_to_its_finances_first(client: TestClient, store: Store, lang: str) -> None:
    client.post("/start/init", data={"name": "小李"})
    html = client.get(f"/plan?lang={lang}").text
    assert t("webplan.need_finances_title", lang=lang) in html
    assert t("webplan.error.no_finances", lang=lang).split("\"")[0] in html and "xieshang finances set" not in html
    assert 'href="/finances' in html
    page = client.get(f"/finances?lang={lang}&guide=1").text
    assert t("webplan.fin.none_yet", lang=lang) in page and 'class="steps"' in page
    assert 'action="/guide/finances/done"' in page
    # a what-if income is enough to try a plan before anything is entered (no debts yet here)
    r = client.get(f"/plan/result?income=8000&lang={lang}", headers={"HX-Request": "true"})
    assert t("webplan.error.no_loans", lang=lang) in r.text
    assert get_finances(store) is None
