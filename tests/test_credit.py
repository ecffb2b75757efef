"""Credit report: checks and entries, free checks, expectations with the 5-year rule, disputes."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from xieshang.engine.schedule import build_schedule
from xieshang.engine.terms import LoanTerms
from xieshang.errors import UserError
from xieshang.rates import AnnualRate
from xieshang.rules import credit_reporting_rules
from xieshang.services.case import (
    LoanFields,
    PersonInfo,
    add_loan,
    add_payment,
    get_loan,
    init_case,
    original_terms,
)
from xieshang.services.credit import (
    add_check,
    add_entry,
    dispute_candidates,
    expectations,
    free_checks,
    list_checks,
    mark_disputed,
    status_codes,
)
from xieshang.store.db import Store, open_store

D = Decimal
START = date(2025, 1, 10)
TODAY = date(2026, 6, 30)


@pytest.fixture
def store(store_location: str) -> Store:
    s = open_store(store_location)
    init_case(s, PersonInfo(name="测试"))
    for _ in range(3):
        add_loan(s, LoanFields(profile_id="wangshangdai", principal=D("6000.00"), rate=AnnualRate(D("0.12")),
                               term_months=6, start=START), today=TODAY)
    return s


def _schedule(store: Store, loan_id: int) -> list[tuple[date, D]]:
    terms = original_terms(get_loan(store, loan_id))
    assert isinstance(terms, LoanTerms)
    return [(p.due_date, p.payment) for p in build_schedule(terms).periods]


def test_codes_come_from_the_rules_data() -> None:
    codes = {c for c, _, _ in status_codes()}
    assert {"N", "1", "7", "C", "M", "B", "#"} <= codes
    rule = next(r for r in credit_reporting_rules() if r.id == "status-codes")
    assert len(codes) == len(rule.items)


def test_free_checks_two_a_year() -> None:
    from xieshang.services.credit import CreditCheck

    def check(i: int, on: date, free: bool = True) -> CreditCheck:
        return CreditCheck(i, on, "app", free)

    f = free_checks([], TODAY)
    assert (f.per_year, f.left, f.next_free) == (2, 2, TODAY)
    f = free_checks([check(1, date(2025, 12, 1)), check(2, date(2026, 2, 1)), check(3, date(2026, 3, 1), False)],
                    TODAY)
    assert (f.used_this_year, f.left, f.next_free) == (1, 1, TODAY)
    f = free_checks([check(1, date(2026, 1, 5)), check(2, date(2026, 5, 1))], TODAY)
    assert (f.left, f.next_free, f.last_check) == (0, date(2027, 1, 1), date(2026, 5, 1))
    assert "第17条" in f.source


def test_expectations_apply_the_five_year_rule(store: Store) -> None:
    sched = _schedule(store, 1)
    # Loan 1: paid on time throughout → settled, never overdue.
    for on, amount in sched:
        add_payment(store, 1, amount, on=on, today=TODAY)
    # Loan 2: nothing until 2025-05-20, then everything owed that day → the overdue ends 2025-05-20.
    from xieshang.services.case import loan_status

    owed = loan_status(get_loan(store, 2), date(2025, 5, 20)).overdue_amount
    add_payment(store, 2, owed, on=date(2025, 5, 20), today=TODAY)
    # Loan 3: never paid → overdue now.
    early = {e.loan_id: e for e in expectations(store, today=date(2025, 6, 1))}
    assert early[2].state == "overdue-ended" and early[2].overdue_ended == date(2025, 5, 20)
    assert early[2].delete_after == date(2030, 5, 20)  # 5 years from the day the overdue ended
    assert "第16条" in early[2].source
    for on, amount in sched[4:]:  # then on time to the end: settled, the overdue still ended on 05-20
        add_payment(store, 2, amount, on=on, today=TODAY)
    exp = {e.loan_id: e for e in expectations(store, today=TODAY)}
    assert exp[1].state == "settled" and exp[1].overdue_ended is None and exp[1].should_show == "C"
    assert exp[1].settled_on == sched[-1][0] and exp[1].delete_after is None
    assert exp[2].state == "settled" and exp[2].overdue_ended == date(2025, 5, 20)
    assert exp[2].delete_after == date(2030, 5, 20)
    assert exp[3].state == "overdue" and exp[3].delete_after is None


def test_discrepancies_make_dispute_candidates(store: Store) -> None:
    sched = _schedule(store, 1)
    for on, amount in sched[:3]:
        add_payment(store, 1, amount, on=on, today=TODAY)
    check = add_check(store, on=date(2025, 4, 20), channel="征信中心网站", today=TODAY)
    # Loan 1 was paid on time, yet the report says "1" with an amount: two discrepancies.
    e1 = add_entry(store, check.id, account="", loan_id=1, status_code="1", overdue=D("1035.29"),
                   reported_on=date(2025, 4, 15), classification="关注")
    # Loan 2: nothing paid since 2025-02-10: 69 days overdue on 04-20 → code 3; the report says 3 and
    # our overdue amount: no discrepancy.
    from xieshang.services.case import loan_status

    ours = loan_status(get_loan(store, 2), date(2025, 4, 20))
    assert ours.dpd == 69
    add_entry(store, check.id, account="网商贷", loan_id=2, status_code="3", overdue=ours.overdue_amount)
    # Loan 3: same situation, but the report says 5 (121–150 days).
    add_entry(store, check.id, account="网商贷", loan_id=3, status_code="5", overdue=ours.overdue_amount)
    found = {c.loan_id: c for c in dispute_candidates(store, today=TODAY)}
    assert set(found) == {1, 3}
    kinds1 = [d.kind for d in found[1].discrepancies]
    assert kinds1 == ["reported_overdue_but_current", "overdue_amount_differs"]
    assert found[1].on == date(2025, 4, 15) and found[1].our_dpd == 0 and found[1].entry.id == e1.id
    assert found[1].entry.classification == "special-mention"
    assert [(d.kind, d.reported) for d in found[3].discrepancies] == [("overdue_band_differs", "5")]
    assert found[3].discrepancies[0].ours == "3 (69)"
    assert found[1].reply_days == 20 and found[1].reply_due is None
    filed = mark_disputed(store, e1.id, on=date(2025, 4, 25), today=TODAY)
    assert filed.disputed_on == date(2025, 4, 25)
    again = {c.loan_id: c for c in dispute_candidates(store, today=TODAY)}
    assert again[1].reply_due == date(2025, 5, 15)
    assert again[1].to_json()["discrepancies"][0]["kind"] == "reported_overdue_but_current"


def test_not_shown_settled_after_the_reporting_lag(store: Store) -> None:
    sched = _schedule(store, 1)
    for on, amount in sched:
        add_payment(store, 1, amount, on=on, today=TODAY)
    settled = sched[-1][0]
    early = add_check(store, on=settled.replace(day=20), channel="app", today=TODAY)
    add_entry(store, early.id, account="x", loan_id=1, status_code="N")
    assert dispute_candidates(store, today=TODAY) == []  # too soon to expect "C"
    late = add_check(store, on=date(2025, 10, 1), channel="app", today=TODAY)
    add_entry(store, late.id, account="x", loan_id=1, status_code="N")
    (cand,) = dispute_candidates(store, today=TODAY)
    assert [d.kind for d in cand.discrepancies] == ["not_shown_settled"]


def test_bad_entries_are_refused(store: Store) -> None:
    check = add_check(store, on=date(2026, 1, 1), channel="app", today=TODAY)
    for kw, key in ((dict(status_code="X"), "after.error.status_code"),
                    (dict(classification="很好"), "after.error.classification"),
                    (dict(overdue=D(-1)), "error.money.negative"),
                    (dict(loan_id=99), "error.case.unknown_loan"),
                    (dict(account=""), "after.error.account"),
                    (dict(reported_on=date(2026, 2, 1)), "after.error.reported_after_check")):
        args: dict[str, object] = dict(account="acct", status_code="N")
        args.update(kw)
        with pytest.raises(UserError) as err:
            add_entry(store, check.id, **args)  # type: ignore[arg-type]
        assert err.value.key == key
    with pytest.raises(UserError) as err:
        add_entry(store, 42, account="a", status_code="N")
    assert err.value.key == "after.error.unknown_check"
    with pytest.raises(UserError) as err:
        add_check(store, on=date(2026, 7, 1), channel="app", today=TODAY)
    assert err.value.key == "error.date.in_future"
    assert [len(c.entries) for c in list_checks(store)] == [0]
