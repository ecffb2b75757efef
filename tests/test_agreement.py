"""Agreements: the agreed schedule takes over status from its effective date, adherence after
on-time, late, partial and missed payments, status transitions, validation, the budget warning."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from xieshang.engine.schedule import add_months
from xieshang.engine.status import status_of
from xieshang.engine.terms import Component, LoanTerms
from xieshang.errors import UserError
from xieshang.rates import AnnualRate
from xieshang.services.agreements import (
    AgreementInput,
    AgreementRecord,
    WaiverItem,
    add_agreement,
    adherence,
    agreed_payments,
    agreement_report,
    effective_date,
    in_force,
    list_agreements,
    remove_agreement,
    set_status,
)
from xieshang.services.case import (
    LoanFields,
    LoanRecord,
    PaymentRecord,
    PersonInfo,
    add_loan,
    add_payment,
    get_loan,
    init_case,
    loan_payments,
    loan_status,
    loan_terms,
    original_terms,
)
from xieshang.services.prevention import set_budget_line
from xieshang.store.db import Store, open_store

START = date(2025, 1, 10)
TODAY = date(2025, 12, 31)
AGREED = date(2025, 6, 1)  # the loan is overdue by then: nothing was ever paid


@pytest.fixture
def store(store_location: str) -> Store:
    s = open_store(store_location)
    init_case(s, PersonInfo(name="测试"))
    add_loan(s, LoanFields(profile_id="wangshangdai", principal=Decimal("12000.00"), rate=AnnualRate(Decimal("0.12")),
                           term_months=12, start=START), today=TODAY)
    return s


def _agree(store: Store, **kw: object) -> AgreementRecord:
    base: dict[str, object] = dict(loan_id=1, months=6, start=AGREED, monthly=Decimal("1000.00"),
                                   status="agreed-verbally")
    base.update(kw)
    return add_agreement(store, AgreementInput(**base), today=AGREED)  # type: ignore[arg-type]


def test_agreed_schedule_takes_over_status_from_its_start(store: Store) -> None:
    loan = get_loan(store, 1)
    before = loan_status(loan, AGREED)
    assert before.dpd > 100 and before.owed.penalty > 0  # badly overdue under the contract
    rec = _agree(store, waivers=(WaiverItem(Component.PENALTY, before.owed.penalty),))
    loan = get_loan(store, 1)
    assert loan.agreements == (rec,)
    # From the start: a 0 % loan of 6 × 1000, current, not growing.
    after = loan_status(loan, AGREED + timedelta(days=1))
    assert after.dpd == 0 and after.payoff == Decimal("6000.00") and after.growth_per_day == 0
    assert after.next_due_date == add_months(AGREED, 1) and after.next_due_amount == Decimal("1000.00")
    # The day before the start: exactly the contract's figures.
    day = AGREED - timedelta(days=1)
    contract = status_of(original_terms(loan), [], day)
    assert loan_status(loan, day).payoff == contract.payoff
    assert loan_terms(loan, day) == original_terms(loan)
    terms = loan_terms(loan, AGREED)
    assert isinstance(terms, LoanTerms) and terms.principal == Decimal("6000.00") and terms.rate.value == 0


def test_the_overview_follows_the_agreement(store: Store) -> None:
    from xieshang.services.overview import assess_debt

    _agree(store)
    loan = get_loan(store, 1)
    before = assess_debt(loan, AGREED - timedelta(days=1))
    after = assess_debt(loan, AGREED + timedelta(days=40))
    assert before.status is not None and before.status.dpd > 0
    assert after.status is not None and after.status.dpd == 10  # the first agreed instalment is unpaid
    assert after.status.overdue_amount == Decimal("1000.00")


def test_proposed_and_cancelled_agreements_do_not_take_over(store: Store) -> None:
    rec = _agree(store, status="proposed")
    loan = get_loan(store, 1)
    assert in_force(loan, TODAY) is None and effective_date(loan, rec) is None
    assert loan_status(loan, TODAY).dpd > 0
    set_status(store, rec.id, "agreed-verbally", today=TODAY)
    assert loan_status(get_loan(store, 1), TODAY).payoff == Decimal("6000.00")
    set_status(store, rec.id, "cancelled", today=TODAY)
    assert in_force(get_loan(store, 1), TODAY) is None


def test_status_moves_forward_only_and_records_the_confirming_entry(store: Store) -> None:
    rec = _agree(store, status="proposed")
    with pytest.raises(UserError) as err:
        set_status(store, rec.id, "confirmed-in-writing", entry=7, on=AGREED - timedelta(days=1), today=TODAY)
    assert err.value.key == "after.error.before_recorded"
    done = set_status(store, rec.id, "confirmed-in-writing", entry=7, on=date(2025, 6, 5), today=TODAY)
    assert (done.status, done.confirmed_by_entry, done.confirmed_on) == ("confirmed-in-writing", 7, date(2025, 6, 5))
    assert done.agreed_on == date(2025, 6, 5)
    for status, key in (("agreed-verbally", "after.error.backwards"), ("proposed", "after.error.status"),
                        ("bogus", "after.error.status")):
        with pytest.raises(UserError) as err:
            set_status(store, rec.id, status, today=TODAY)
        assert err.value.key == key
    with pytest.raises(UserError) as err:
        set_status(store, rec.id, "agreed-verbally", entry=3, today=TODAY)
    assert err.value.key == "after.error.entry_needs_written"
    set_status(store, rec.id, "cancelled", today=TODAY)
    with pytest.raises(UserError) as err:
        set_status(store, rec.id, "confirmed-in-writing", today=TODAY)
    assert err.value.key == "after.error.cancelled"


def _pay(store: Store, *pays: tuple[date, str]) -> LoanRecord:
    for on, amount in pays:
        add_payment(store, 1, Decimal(amount), on=on, today=TODAY)
    return get_loan(store, 1)


def test_adherence_after_on_time_late_partial_and_missed_payments(store: Store) -> None:
    rec = _agree(store)  # instalments of 1000 due 07-01, 08-01, 09-01, 10-01, 11-01, 12-01
    loan = _pay(store, (date(2025, 7, 1), "1000"),  # 1 on its due date
                (date(2025, 8, 11), "1000"),  # 2 ten days late
                (date(2025, 9, 1), "400"))  # 3 only in part
    adh = adherence(loan, rec, date(2025, 10, 15))
    states = [(i.n, i.state, i.paid, i.days_late) for i in adh.instalments]
    assert states == [
        (1, "on-time", Decimal("1000.00"), 0),
        (2, "late", Decimal("1000.00"), 10),
        (3, "partial", Decimal("400.00"), 44),
        (4, "missed", Decimal("0"), 14),
        (5, "upcoming", Decimal("0"), 0),
        (6, "upcoming", Decimal("0"), 0),
    ]
    assert adh.arrears == Decimal("1600.00") and not adh.kept
    assert adh.paid_total == Decimal("2400.00") and adh.remaining == Decimal("3600.00")
    nxt = adh.next
    assert nxt is not None and (nxt.n, nxt.due) == (5, date(2025, 11, 1))
    # Paying the arrears later turns partial/missed into late, with the completion day.
    loan = _pay(store, (date(2025, 10, 20), "1600"))
    adh = adherence(loan, rec, date(2025, 10, 20))
    assert [(i.state, i.days_late) for i in adh.instalments[2:4]] == [("late", 49), ("late", 19)]
    assert adh.kept
    # The engine agrees: under the agreement the loan is current again.
    assert loan_status(loan, date(2025, 10, 20)).dpd == 0


def test_a_down_payment_starts_the_plan_once_paid(store: Store) -> None:
    rec = _agree(store, down_payment=Decimal("2000.00"), down_payment_due=date(2025, 6, 10))
    loan = _pay(store, (date(2025, 6, 5), "1500"))
    assert effective_date(loan, rec) is None and in_force(loan, TODAY) is None
    assert loan_status(loan, date(2025, 6, 20)).dpd > 0  # the contract still runs
    loan = _pay(store, (date(2025, 6, 12), "1500"))  # completes the down payment two days late, 1000 ahead
    assert effective_date(loan, rec) == date(2025, 6, 12)
    assert [(p.on, p.amount) for p in agreed_payments(loan, rec)] == [(date(2025, 6, 12), Decimal("1000"))]
    assert loan_payments(loan, date(2025, 6, 20)) == agreed_payments(loan, rec)
    s = loan_status(loan, date(2025, 6, 20))
    assert s.dpd == 0 and s.payoff == Decimal("5000.00")
    adh = adherence(loan, rec, date(2025, 7, 2))
    assert [(i.n, i.state) for i in adh.instalments[:2]] == [(0, "late"), (1, "on-time")]
    assert adh.instalments[0].days_late == 2


def test_reduced_rate_derives_the_balance_from_the_monthly_amount(store: Store) -> None:
    rec = _agree(store, months=12, monthly=Decimal("888.49"), rate=AnnualRate(Decimal("0.12")))
    # PV of 888.49 a month at 1 % over 12 months: 888.49 × 11.255077 = 10,000.02 (888.49 is 888.4879 rounded up)
    assert rec.balance == Decimal("10000.02")
    terms = loan_terms(get_loan(store, 1), AGREED)
    assert isinstance(terms, LoanTerms)
    from xieshang.engine.schedule import build_schedule

    assert build_schedule(terms).periods[0].payment == Decimal("888.49")


@pytest.mark.parametrize("kw, key", [
    (dict(monthly=Decimal("1000"), balance=Decimal("9000")), "after.error.inconsistent"),
    (dict(monthly=None), "after.error.monthly_or_balance"),
    (dict(months=0), "error.term.months"),
    (dict(first_due=AGREED), "after.error.first_due"),
    (dict(down_payment=Decimal(100), down_payment_due=date(2025, 7, 5)), "after.error.down_payment_due"),
    (dict(down_payment_due=date(2025, 6, 5)), "after.error.down_payment_due_without_amount"),
    (dict(status="cancelled"), "after.error.status"),
    (dict(confirmed_by_entry=3), "after.error.entry_needs_written"),
    (dict(start=START - timedelta(days=1)), "error.date.before_disbursement"),
    (dict(monthly=Decimal("-5")), "after.error.amount"),
    (dict(waivers=(WaiverItem(Component.FEE, Decimal(1)), WaiverItem(Component.FEE, Decimal(2)))),
     "after.error.waiver_twice"),
])
def test_bad_agreements_are_refused_and_nothing_is_written(store: Store, kw: dict[str, object], key: str) -> None:
    with pytest.raises(UserError) as err:
        _agree(store, **kw)
    assert err.value.key == key
    assert list_agreements(store) == []


def test_unknown_loan_and_removal(store: Store) -> None:
    with pytest.raises(UserError) as err:
        _agree(store, loan_id=9)
    assert err.value.key == "error.case.unknown_loan"
    rec = _agree(store)
    assert remove_agreement(store, rec.id) == rec
    assert get_loan(store, 1).agreements == ()
    with pytest.raises(UserError):
        remove_agreement(store, rec.id)


def test_report_warns_when_the_next_payment_exceeds_the_budget(store: Store) -> None:
    rec = _agree(store)
    report = agreement_report(store, rec.id, date(2025, 6, 15))
    keys = [k for k, _ in report.warnings]
    assert keys == ["not_in_writing", "no_budget"]
    set_budget_line(store, "2025-06", "income", "工资", planned=Decimal("3000"))
    set_budget_line(store, "2025-06", "expense", "房租", planned=Decimal("2500"))
    report = agreement_report(store, rec.id, date(2025, 6, 15))
    assert report.budget_left == Decimal("500.00")  # July has no lines: June's are used
    over = dict(report.warnings)["over_budget"]
    assert over["amount"] == Decimal("1000.00") and over["left"] == Decimal("500.00")
    set_budget_line(store, "2025-07", "income", "工资", planned=Decimal("5000"))
    report = agreement_report(store, rec.id, date(2025, 6, 15))
    assert "over_budget" not in dict(report.warnings) and report.budget_left == Decimal("5000.00")
    data = report.to_json()
    assert data["governing"] is True and data["adherence"]["counts"]["upcoming"] == 6


@settings(max_examples=40)
@given(st.lists(st.tuples(st.integers(0, 200), st.integers(1, 300000)), max_size=8))
def test_adherence_conserves_money(pays: list[tuple[int, int]]) -> None:
    """Whatever is paid, the instalments' paid parts sum to min(paid, total due); states fit."""
    loan = LoanRecord(id=1, lender="L", profile_id="wangshangdai", product="loan", principal=Decimal("12000"),
                      rate=AnnualRate(Decimal("0.12")), term_months=12, start=START,
                      payments=tuple(PaymentRecord(i + 1, 1, AGREED + timedelta(days=d), Decimal(f)/100)
                                     for i, (d, f) in enumerate(pays)))
    rec = AgreementRecord(id=1, loan_id=1, status="agreed-verbally", recorded_on=AGREED, start=AGREED,
                          balance=Decimal("6000"), months=6, first_due=add_months(AGREED, 1), rate=AnnualRate(Decimal(0)),
                          down_payment=Decimal("500"))
    as_of = AGREED + timedelta(days=250)
    adh = adherence(loan, rec, as_of)
    paid = sum((Decimal(f) / 100 for _, f in pays), Decimal(0))
    assert adh.paid_total == min(paid, Decimal("6500"))
    for i in adh.instalments:
        assert Decimal(0) <= i.paid <= i.amount
        assert (i.state in ("on-time", "late")) == (i.paid == i.amount)
        assert i.state != "upcoming" or i.due >= as_of
