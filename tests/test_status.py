"""Hand-checked cases of the loan replay: every figure here can be worked out on paper.

The loan used throughout: 12,000 yuan at 12 % a year (day-count 360), 12 monthly instalments of
等额本金 from 2025-01-15, so each instalment is 1,000 principal plus 1 % of the balance. The penalty
rate is the contract rate × 1.5 = 18 % a year = exactly 0.05 % a day, and compound interest runs at
the penalty rate, so one day of penalty on 1,000 yuan is 0.50 and on 120 yuan of interest 0.06.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest
from benchmarks.naive import naive_stage, naive_status

from xieshang.engine.status import InstalmentState, Stage, loan_status, stage_for
from xieshang.engine.terms import (
    Component,
    LateFeeFrequency,
    LateFeeKind,
    LateFeeRule,
    LoanTerms,
    OverdueRules,
    Payment,
    PenaltyStart,
    RepaymentMethod,
    Waiver,
)
from xieshang.rates import AnnualRate, DailyRate, DayCount

D = Decimal
START = date(2025, 1, 15)
DUE1, DUE2, DUE3 = date(2025, 2, 15), date(2025, 3, 15), date(2025, 4, 15)


def loan(**overdue: object) -> LoanTerms:
    return LoanTerms(D(12000), AnnualRate(D("0.12")), 12, START, method=RepaymentMethod.EQUAL_PRINCIPAL,
                     day_count=DayCount.D360, overdue=OverdueRules(**overdue))  # type: ignore[arg-type]


def agrees_with_oracle(terms: LoanTerms, payments: list[Payment], as_of: date) -> None:
    s = loan_status(terms, payments, as_of)
    n = naive_status(terms, payments, as_of)
    assert (s.dpd, s.stage, s.owed.total, s.owed.penalty, s.owed.compound, s.owed.fees) == (
        n.dpd, n.stage, n.total, n.penalty, n.compound, n.fees)


def test_the_loan() -> None:
    s = loan_status(loan(), [], START)
    assert s.penalty_daily_rate == D("0.0005")
    assert s.compound_daily_rate == D("0.0005")
    assert [(i.principal, i.interest) for i in s.instalments[:2]] == [(D(1000), D(120)), (D(1000), D(110))]
    assert s.owed.total == D(12000) and s.dpd == 0 and s.stage is Stage.CURRENT


def test_due_today_is_not_late() -> None:
    s = loan_status(loan(), [], DUE1)
    assert s.dpd == 0 and s.stage is Stage.CURRENT
    assert s.owed.penalty == 0 and s.owed.compound == 0
    assert s.instalments[0].state is InstalmentState.DUE
    assert s.owed.accrued_interest == D(120)  # the instalment's interest is owed today, not overdue
    assert s.owed.overdue_principal == 0


def test_one_day_overdue() -> None:
    s = loan_status(loan(), [], date(2025, 2, 16))
    assert s.dpd == 1 and s.stage is Stage.M1
    assert s.overdue_since == DUE1
    assert s.owed.overdue_principal == D(1000)
    assert s.owed.overdue_interest == D(120)
    assert s.owed.penalty == D("0.50")  # 1000 × 0.0005 × 1
    assert s.owed.compound == D("0.06")  # 120 × 0.0005 × 1
    assert s.instalments[0].state is InstalmentState.OVERDUE
    agrees_with_oracle(loan(), [], date(2025, 2, 16))


def test_penalty_and_compound_are_linear_in_days() -> None:
    s = loan_status(loan(), [], date(2025, 3, 1))  # 14 days
    assert s.owed.penalty == D("7.00")  # 1000 × 0.0005 × 14
    assert s.owed.compound == D("0.84")  # 120 × 0.0005 × 14
    assert s.dpd == 14
    assert s.growth_per_day == D("4.49")  # 0.50 penalty + 0.06 compound + 110/28 contract interest a day
    agrees_with_oracle(loan(), [], date(2025, 3, 1))


def test_payment_on_the_due_date_is_on_time() -> None:
    s = loan_status(loan(), [Payment(DUE1, D(1120))], date(2025, 2, 20))
    assert s.dpd == 0 and s.stage is Stage.CURRENT
    assert s.owed.penalty == 0 and s.owed.compound == 0 and s.owed.overdue_principal == 0
    assert s.instalments[0].state is InstalmentState.PAID
    assert s.allocations[0].interest == D(120) and s.allocations[0].principal == D(1000)


def test_paid_within_grace_waives_the_pending_penalty() -> None:
    terms = loan(grace_days=3)
    on_grace_end = loan_status(terms, [Payment(date(2025, 2, 18), D(1120))], date(2025, 2, 25))
    assert on_grace_end.owed.penalty == 0 and on_grace_end.owed.compound == 0 and on_grace_end.dpd == 0
    assert on_grace_end.allocations[0].penalty == 0
    # one day later the grace is over: penalty from the day after the due date, 4 days, is owed first
    late = loan_status(terms, [Payment(date(2025, 2, 19), D(1120))], date(2025, 2, 19))
    a = late.allocations[0]
    assert (a.compound, a.penalty) == (D("0.24"), D("2.00"))
    assert a.interest == D(120) and a.principal == D("997.76")
    agrees_with_oracle(terms, [Payment(date(2025, 2, 19), D(1120))], date(2025, 2, 25))


def test_grace_stage_and_penalty_start_modes() -> None:
    within = loan_status(loan(grace_days=3), [], date(2025, 2, 17))
    assert within.dpd == 2 and within.stage is Stage.GRACE
    assert within.owed.penalty == 0  # pending, shown only once the grace is over
    after_due_date = loan_status(loan(grace_days=3), [], date(2025, 2, 19))
    assert after_due_date.dpd == 4 and after_due_date.stage is Stage.M1
    assert after_due_date.owed.penalty == D("2.00")  # 4 days, counted from the due date
    after_grace = loan_status(loan(grace_days=3, penalty_start=PenaltyStart.GRACE_END), [], date(2025, 2, 19))
    assert after_grace.owed.penalty == D("0.50")  # 1 day, counted from the end of the grace
    assert after_grace.owed.compound == D("0.06")


def test_dpd_counts_from_the_oldest_unpaid_instalment() -> None:
    as_of = date(2025, 4, 20)
    s = loan_status(loan(), [], as_of)
    assert s.dpd == 64 and s.stage is Stage.M3  # since 15 Feb
    assert s.owed.overdue_principal == D(3000)
    # penalty: 1000 × 64 days + 1000 × 36 + 1000 × 5 at 0.50 a day per 1000
    assert s.owed.penalty == D("52.50")
    # On 1 Apr: compound 120 × 45 + 110 × 17 days = 3.635 → 3.64, penalty 1000 × (45 + 17) days = 31.00, then the
    # interest of both overdue instalments (230) before any principal: 1264.64 clears the first instalment exactly.
    pay = [Payment(date(2025, 4, 1), D("1264.64"))]
    first_clear = loan_status(loan(), pay, as_of)
    a = first_clear.allocations[0]
    assert (a.compound, a.penalty, a.interest, a.principal) == (D("3.64"), D(31), D(230), D(1000))
    assert first_clear.instalments[0].state is InstalmentState.PAID
    assert first_clear.dpd == 36 and first_clear.overdue_since == DUE2 and first_clear.stage is Stage.M2
    agrees_with_oracle(loan(), pay, as_of)


@pytest.mark.parametrize(
    ("dpd", "grace", "stage"),
    [(0, 0, Stage.CURRENT), (-3, 0, Stage.CURRENT), (1, 0, Stage.M1), (2, 3, Stage.GRACE), (3, 3, Stage.GRACE),
     (4, 3, Stage.M1), (30, 0, Stage.M1), (31, 0, Stage.M2), (60, 0, Stage.M2), (61, 0, Stage.M3),
     (90, 0, Stage.M3), (120, 0, Stage.M4), (150, 0, Stage.M5), (151, 0, Stage.M6), (180, 0, Stage.M6),
     (181, 0, Stage.M6_PLUS), (1000, 5, Stage.M6_PLUS)],
)
def test_stage_buckets(dpd: int, grace: int, stage: Stage) -> None:
    assert stage_for(dpd, grace) is stage
    assert naive_stage(dpd, grace) is stage


def test_allocation_order_fee_compound_penalty_interest_principal() -> None:
    terms = loan(late_fee=LateFeeRule(kind=LateFeeKind.FLAT, amount=D(50)))
    s = loan_status(terms, [Payment(date(2025, 3, 1), D(100))], date(2025, 3, 1))
    a = s.allocations[0]
    assert (a.fee, a.compound, a.penalty, a.interest, a.principal, a.excess) == (
        D(50), D("0.84"), D("7.00"), D("42.16"), D(0), D(0))
    custom = loan(allocation=(Component.PRINCIPAL, Component.INTEREST, Component.PENALTY, Component.COMPOUND,
                              Component.FEE), late_fee=LateFeeRule(kind=LateFeeKind.FLAT, amount=D(50)))
    b = loan_status(custom, [Payment(date(2025, 3, 1), D(1100))], date(2025, 3, 1)).allocations[0]
    assert (b.principal, b.interest, b.penalty, b.compound, b.fee) == (D(1000), D(100), D(0), D(0), D(0))


def test_late_fees_once_and_per_period() -> None:
    as_of = date(2025, 4, 16)  # instalments 1–3 missed
    once = loan_status(loan(late_fee=LateFeeRule(kind=LateFeeKind.FLAT, amount=D(30))), [], as_of)
    assert once.owed.fees == D(90)  # once per overdue instalment, at its grace end
    per = loan_status(loan(late_fee=LateFeeRule(kind=LateFeeKind.FLAT, amount=D(30),
                                                frequency=LateFeeFrequency.PER_PERIOD)), [], as_of)
    assert per.owed.fees == D(60)  # at the due dates of 15 Mar and 15 Apr, while something is overdue
    pct = loan_status(loan(late_fee=LateFeeRule(kind=LateFeeKind.PERCENT, percent=D("0.05"), minimum=D(10),
                                                maximum=D(55))), [], date(2025, 3, 16))
    assert pct.owed.fees == D(55) + D("55.00")  # 5 % of 1120 = 56 → capped at 55; 5 % of 1110 = 55.50 → 55
    for terms in (loan(late_fee=LateFeeRule(kind=LateFeeKind.FLAT, amount=D(30))),
                  loan(late_fee=LateFeeRule(kind=LateFeeKind.FLAT, amount=D(30),
                                            frequency=LateFeeFrequency.PER_PERIOD))):
        agrees_with_oracle(terms, [], as_of)


def test_payoff_closes_with_interest_only_to_the_day() -> None:
    paid = [Payment(DUE1, D(1120))]
    on = date(2025, 3, 1)  # 14 of the 28 days from 15 Feb to 15 Mar
    before = loan_status(loan(), paid, on)
    assert before.owed.accrued_interest == D(55)  # 110 × 14/28
    assert before.payoff == D(11055)
    s = loan_status(loan(), [*paid, Payment(on, D(11055))], date(2025, 6, 1))
    assert s.closed and s.owed.total == 0 and s.dpd == 0 and s.excess == 0
    assert s.allocations[1].interest == D(55) and s.allocations[1].principal == D(11000)
    assert s.instalments[1].interest == D(55)  # later interest cancelled
    assert all(i.interest == 0 for i in s.instalments[2:])
    over = loan_status(loan(), [*paid, Payment(on, D(11100))], on)
    assert over.closed and over.excess == D(45) and over.allocations[1].excess == D(45)
    short = loan_status(loan(), [*paid, Payment(on, D(11054))], on)
    assert not short.closed


def test_pay_ahead_without_payoff_pays_the_next_instalments() -> None:
    s = loan_status(loan(), [Payment(date(2025, 2, 1), D(1500))], date(2025, 2, 20))
    assert s.instalments[0].paid_interest == D(120) and s.instalments[0].paid_principal == D(1000)
    assert s.instalments[1].paid_interest == D(110) and s.instalments[1].paid_principal == D(270)
    assert s.dpd == 0 and not s.closed


def test_waiver_of_penalty() -> None:
    w = [Waiver(date(2025, 3, 1), Component.PENALTY, D("5.00"))]
    s = loan_status(loan(), [], date(2025, 3, 1), waivers=w)
    assert s.owed.penalty == D("2.00") and s.paid_total == 0
    assert s.penalty_charged == D("7.00")
    n = naive_status(loan(), [], date(2025, 3, 1), waivers=w)
    assert n.penalty == D("2.00")


def test_revolving_interest_accrues_daily() -> None:
    terms = LoanTerms(D(10000), DailyRate(D("0.0005")), 3, START, method=RepaymentMethod.REVOLVING)
    s = loan_status(terms, [], date(2025, 1, 25))
    assert s.owed.accrued_interest == D(50)  # 10 days × 5
    s2 = loan_status(terms, [], date(2025, 2, 16))  # first bill of 155 missed by a day
    assert s2.owed.overdue_interest == D(155) and s2.dpd == 1
    assert s2.owed.compound == D("0.12")  # 155 × 0.00075 × 1, rounded
    agrees_with_oracle(terms, [], date(2025, 2, 16))


def test_explicit_penalty_rate_overrides_the_multiplier() -> None:
    terms = replace(loan(), overdue=OverdueRules(penalty_rate=DailyRate(D("0.001")), compound=False))
    s = loan_status(terms, [], date(2025, 2, 25))
    assert s.owed.penalty == D(10)  # 1000 × 0.001 × 10
    assert s.owed.compound == 0
