"""services/overview against a temporary store built with the case services: flags, the most
urgent action, totals, projection, timeline dates and reconciliation."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest

from xieshang.engine.reconcile import Change
from xieshang.engine.schedule import add_months
from xieshang.engine.status import Stage, status_of
from xieshang.engine.terms import LoanTerms
from xieshang.errors import UserError
from xieshang.i18n import set_language
from xieshang.rates import parse_rate
from xieshang.services import open_case_store
from xieshang.services.case import (
    LoanFields,
    LoanRecord,
    PersonInfo,
    add_lender_figure,
    add_loan,
    get_loan,
    init_case,
    loan_payments,
    loan_terms,
)
from xieshang.services.demo import load_demo
from xieshang.services.overview import (
    DebtOverview,
    assess_debt,
    loan_timeline,
    overview,
    parse_days,
    project,
    reconcile_loan,
)
from xieshang.store.db import Store

AS_OF = date(2025, 6, 15)


@pytest.fixture
def store(store_location: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Store]:
    monkeypatch.setenv("XIESHANG_DB", store_location)
    set_language("zh_CN")
    st = open_case_store()
    init_case(st, PersonInfo(name="测试"))
    yield st
    st.close()
    set_language(None)


def _add(store: Store, *, dpd: int | None = None, due_in: int | None = None, profile: str = "consumer-finance",
         principal: str = "10000", rate: str = "18%", months: int = 12, **overrides: str) -> LoanRecord:
    """A loan whose first instalment fell due ``dpd`` days before AS_OF (unpaid), or falls due in ``due_in``."""
    first_due = AS_OF - timedelta(days=dpd) if dpd is not None else AS_OF + timedelta(days=due_in or 20)
    fields = LoanFields(profile_id=profile, principal=Decimal(principal), rate=parse_rate(rate), term_months=months,
                        start=add_months(first_due, -1), overrides=overrides or None)
    return add_loan(store, fields, today=AS_OF)


def _debt(store: Store, loan_id: int, as_of: date = AS_OF) -> DebtOverview:
    return assess_debt(get_loan(store, loan_id), as_of)


def _kinds(debt: DebtOverview) -> set[str]:
    return {f.kind for f in debt.flags}


# -- flags ------------------------------------------------------------------------------------


def test_in_grace_flag_and_it_wins_the_action(store: Store) -> None:
    graced = _add(store, dpd=2, profile="bank-consumer-loan", principal="3000", grace_days="3")
    big = _add(store, dpd=40, principal="50000")
    debt = _debt(store, graced.id)
    assert debt.status is not None and debt.status.stage is Stage.GRACE
    flag = debt.flag("in_grace")
    assert flag is not None and flag.level == "urgent"
    assert flag.on == AS_OF - timedelta(days=2) + timedelta(days=3)
    assert flag.params["amount"] == debt.status.overdue_amount
    result = overview(store, AS_OF)
    growth = {d.loan.id: d.status.growth_per_day for d in result.debts if d.status}
    assert growth[big.id] > growth[graced.id]  # the other debt grows faster, grace still comes first
    assert result.action.rule == "pay_in_grace"
    assert result.action.loan_id == graced.id
    assert "宽限期" in result.action.text()


def test_past_grace_flags_the_credit_report(store: Store) -> None:
    loan = _add(store, dpd=5, profile="bank-consumer-loan", grace_days="3")
    debt = _debt(store, loan.id)
    assert "in_grace" not in _kinds(debt)
    flag = debt.flag("credit_report_soon")
    assert flag is not None and flag.on == AS_OF - timedelta(days=5) + timedelta(days=31)


def test_lender_figure_that_differs(store: Store) -> None:
    loan = _add(store, due_in=20)
    terms = loan_terms(loan)
    seen = AS_OF - timedelta(days=3)
    ours = status_of(terms, [], seen).payoff
    add_lender_figure(store, loan.id, ours + Decimal("50.00"), on=seen, today=AS_OF)
    debt = _debt(store, loan.id)
    flag = debt.flag("lender_differs")
    assert flag is not None
    assert flag.params["difference"] == Decimal("50.00") and flag.params["ours"] == ours
    result = overview(store, AS_OF)
    assert result.action.rule == "lender_differs" and result.action.loan_id == loan.id
    # a later figure within ¥1 of ours replaces it: no flag
    add_lender_figure(store, loan.id, status_of(terms, [], AS_OF).payoff + Decimal("0.80"), on=AS_OF, today=AS_OF)
    assert "lender_differs" not in _kinds(_debt(store, loan.id))
    # an overview before the figures were stated does not see them
    assert _debt(store, loan.id, seen - timedelta(days=1)).lender_check is None


def test_line_exceeded_for_a_consumer_finance_loan_at_40_percent(store: Store) -> None:
    dear = _add(store, due_in=20, rate="40%")
    fair = _add(store, due_in=25, rate="18%")
    flag = _debt(store, dear.id).flag("above_line")
    assert flag is not None
    assert flag.params["line_id"] == "cash-loan-36"  # the highest line exceeded leads
    assert set(flag.params["lines"]) == {"cash-loan-36", "financial-24"}
    assert flag.source and "141" in flag.source
    assert "above_line" not in _kinds(_debt(store, fair.id))
    result = overview(store, AS_OF)
    assert result.action.rule == "above_line" and result.action.loan_id == dear.id


def test_milestone_soon_picks_the_debt_nearest_a_line(store: Store) -> None:
    near = _add(store, dpd=80, principal="2000")
    fast = _add(store, dpd=40, principal="60000")
    debt = _debt(store, near.id)
    since = AS_OF - timedelta(days=80)
    np_flag = debt.flag("non_performing_soon")
    assert np_flag is not None and np_flag.on == since + timedelta(days=91)
    steps = {f.params["step"]: f.on for f in debt.flags if f.kind == "milestone_soon"}
    assert steps == {"acceleration-lawsuit": since + timedelta(days=91)}  # within 15 days; not non-performing
    assert not [f for f in _debt(store, fast.id).flags if f.kind in ("milestone_soon", "non_performing_soon")]
    result = overview(store, AS_OF)
    assert result.action.rule == "milestone_soon" and result.action.loan_id == near.id


def test_fastest_growing_overdue_debt(store: Store) -> None:
    small = _add(store, dpd=45, principal="8000")
    large = _add(store, dpd=40, principal="30000")
    result = overview(store, AS_OF)
    assert result.action.rule == "fastest_growing"
    assert result.action.loan_id == large.id
    by_id = {d.loan.id: d for d in result.debts}
    assert by_id[large.id].status.growth_per_day > by_id[small.id].status.growth_per_day  # type: ignore[union-attr]


def test_due_soon_and_all_current(store: Store) -> None:
    soon = _add(store, due_in=2)
    result = overview(store, AS_OF)
    assert result.action.rule == "due_soon" and result.action.loan_id == soon.id
    later = overview(store, AS_OF - timedelta(days=10))
    assert later.action.rule == "all_current"


def test_empty_case_and_not_started(store: Store) -> None:
    assert overview(store, AS_OF).action.rule == "no_debts"
    loan = _add(store, due_in=20)
    assert loan.start is not None
    early = overview(store, loan.start - timedelta(days=1))
    assert early.debts[0].problem is not None and early.debts[0].status is None
    assert early.totals.debts == 0 and early.totals.payoff == 0


# -- totals and projection -----------------------------------------------------------------------


def test_totals_are_the_sum_of_the_debts(store: Store) -> None:
    store.close()
    demo_store = open_case_store()
    load_demo(demo_store, reset=True, today=AS_OF)
    result = overview(demo_store, AS_OF)
    statuses = [d.status for d in result.debts if d.status is not None]
    assert len(statuses) == 4
    assert result.totals.payoff == sum(s.payoff for s in statuses)
    assert result.totals.overdue_amount == sum(s.overdue_amount for s in statuses)
    assert result.totals.growth_per_day == sum(s.growth_per_day for s in statuses)
    assert result.totals.overdue_debts == 3
    horizon = add_months(AS_OF, 1)
    assert result.totals.next_month_due == sum(s.next_due_amount for s in statuses
                                               if s.next_due_date and s.next_due_date <= horizon)
    data: dict[str, Any] = result.to_json()
    assert set(data) == {"as_of", "debts", "totals", "action"}
    assert {"id", "lender", "payoff", "growth_per_day", "dpd", "stage", "next_due_date", "next_due_amount",
            "flags", "lender_figure"} <= set(data["debts"][0])
    # the demo's 网商贷 has a lender figure 1.5 % above ours
    assert "lender_differs" in {f.kind for f in result.debts[0].flags}
    demo_store.close()


def test_projection_grows_with_the_days(store: Store) -> None:
    _add(store, dpd=40, principal="20000")
    _add(store, dpd=10, principal="5000", rate="0.05%/日")
    _add(store, due_in=10)
    result = project(store, AS_OF, (30, 90, 180, 365))
    totals = [total for _, _, total in result.totals()]
    assert result.today_total < totals[0] < totals[1] < totals[2] < totals[3]
    for i, (_, on, total) in enumerate(result.totals()):
        assert on == AS_OF + timedelta(days=result.days[i])
        assert total == sum(d.points[i].status.payoff for d in result.debts)
    data: dict[str, Any] = result.to_json()
    assert [t["days"] for t in data["totals"]] == [30, 90, 180, 365]


def test_parse_days() -> None:
    assert parse_days(None) == (30, 90, 180, 365)
    assert parse_days("365, 30，30") == (30, 365)
    for bad in ("0", "abc", "30,-5", "99999", "1.5"):
        with pytest.raises(UserError) as exc:
            parse_days(bad)
        assert exc.value.key == "overview.error.bad_days"


# -- timeline -----------------------------------------------------------------------------------


def test_timeline_dates_are_overdue_since_plus_threshold(store: Store) -> None:
    loan = _add(store, dpd=40)
    tl = loan_timeline(store, loan.id, AS_OF)
    since = AS_OF - timedelta(days=40)
    assert tl.basis == "overdue" and tl.status.overdue_since == since
    assert [e.step.key for e in tl.entries][:1] and tl.entries
    for e in tl.entries:
        assert e.on == since + timedelta(days=e.step.dpd)
        assert e.passed == (e.step.dpd <= 40)
        assert e.days == (e.on - AS_OF).days
        assert e.step.source
    assert any(e.passed for e in tl.entries) and any(not e.passed for e in tl.entries)


def test_timeline_of_a_current_loan_counts_from_the_next_due_date(store: Store) -> None:
    loan = _add(store, due_in=12)
    tl = loan_timeline(store, loan.id, AS_OF)
    assert tl.basis == "if_missed" and tl.base_date == AS_OF + timedelta(days=12)
    assert all(not e.passed and e.on == tl.base_date + timedelta(days=e.step.dpd) for e in tl.entries)


def test_card_timeline_has_the_sourced_criminal_threshold(store: Store) -> None:
    card = add_loan(store, LoanFields(profile_id="credit-card", statement_balance=Decimal("15000"),
                                      statement_date=AS_OF - timedelta(days=120),
                                      due_date=AS_OF - timedelta(days=100)), today=AS_OF)
    loan = _add(store, dpd=40)
    card_keys = {e.step.key: e for e in loan_timeline(store, card.id, AS_OF).entries}
    assert "malicious-overdraft" in card_keys
    assert card_keys["malicious-overdraft"].step.confidence == "V"
    assert "malicious-overdraft" not in {e.step.key for e in loan_timeline(store, loan.id, AS_OF).entries}


def test_timeline_unknown_loan(store: Store) -> None:
    with pytest.raises(UserError) as exc:
        loan_timeline(store, 999, AS_OF)
    assert exc.value.key == "error.case.unknown_loan"


# -- reconcile ----------------------------------------------------------------------------------


def test_reconcile_names_the_penalty_multiplier(store: Store) -> None:
    loan = _add(store, dpd=40, penalty_multiplier="1.3")
    terms = loan_terms(loan)
    assert isinstance(terms, LoanTerms) and terms.overdue.penalty_multiplier == Decimal("1.3")
    lender = replace(terms, overdue=replace(terms.overdue, penalty_multiplier=Decimal("1.5")))
    theirs = status_of(lender, loan_payments(loan), AS_OF).payoff
    rec = reconcile_loan(store, loan.id, lender_says=theirs, on=AS_OF, today=AS_OF)
    r = rec.result
    assert r.difference > 1
    assert r.best is not None and r.best.changes == (Change("penalty_multiplier", "1.3", "1.5"),)
    assert r.explained and not rec.recorded
    keys = [k for k, _ in rec.asks]
    assert keys == ["itemised", "confirm"]
    data: dict[str, Any] = rec.to_json()
    assert {"date", "theirs", "ours", "difference", "components", "explanations", "remainder", "summary",
            "ask"} <= set(data)
    assert data["components"][-1]["component"] == "total"
    assert "1.5" in data["summary"]


def test_reconcile_uses_the_latest_recorded_figure(store: Store) -> None:
    loan = _add(store, dpd=20)
    ours = status_of(loan_terms(loan), [], AS_OF - timedelta(days=1)).payoff
    add_lender_figure(store, loan.id, Decimal("100.00"), on=AS_OF - timedelta(days=5), today=AS_OF)
    add_lender_figure(store, loan.id, ours + Decimal("1234.56"), on=AS_OF - timedelta(days=1), today=AS_OF)
    rec = reconcile_loan(store, loan.id, today=AS_OF)
    assert rec.recorded and rec.result.on == AS_OF - timedelta(days=1)
    assert rec.result.theirs == ours + Decimal("1234.56")
    assert rec.result.remainder > 1 and rec.asks[-1][0] == "unknown_fee"


def test_reconcile_bad_input(store: Store) -> None:
    loan = _add(store, dpd=20)
    cases: list[tuple[dict[str, Any], str]] = [
        ({}, "overview.error.no_lender_figure"),
        ({"lender_says": Decimal("-1")}, "error.money.negative"),
        ({"lender_says": Decimal("10"), "on": AS_OF + timedelta(days=1)}, "error.date.in_future"),
        ({"lender_says": Decimal("10"), "on": date(2000, 1, 1)}, "error.date.before_disbursement"),
    ]
    for kwargs, key in cases:
        with pytest.raises(UserError) as exc:
            reconcile_loan(store, loan.id, today=AS_OF, **kwargs)
        assert exc.value.key == key


def test_custom_profile_has_no_lender_type(store: Store) -> None:
    first_due = AS_OF - timedelta(days=20)
    fields = LoanFields(profile_id="custom", principal=Decimal("10000"), rate=parse_rate("40%"), term_months=12,
                        start=add_months(first_due, -1),
                        overrides={"method": "equal-installment", "day_count": "360", "interest_basis": "monthly",
                                   "penalty_multiplier": "1.5", "grace_days": "0", "compound": "true",
                                   "late_fee": "none"})
    loan = add_loan(store, fields, today=AS_OF)
    debt = _debt(store, loan.id)
    assert debt.status is not None and debt.status.dpd == 20
    # no line is claimed without knowing the lender type (the private-lending lines would mislead)
    assert _kinds(debt) == {"lender_type_unknown"}
    with pytest.raises(UserError) as exc:
        loan_timeline(store, loan.id, AS_OF)
    assert exc.value.key == "overview.error.lender_type_unknown"
