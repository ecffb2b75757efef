"""Properties of the loan replay, and the engine against the day-by-day oracle (benchmarks/naive.py).

The oracle accrues exact fractions one day at a time, so it decides exactly-half-a-fen amounts
exactly. The engine keeps exact numerators per day-count denominator and divides only when posting,
so it must agree to the fen for any rate. One oracle comparison draws rates with terminating daily
factors (round figures, where half-fen ties are common); the other draws arbitrary annual, monthly
and daily rates, explicit annual penalty rates and the ACTUAL day-count (leap years included).
"""

from __future__ import annotations

import os
import random
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

import pytest
from benchmarks.corpus import history_case
from benchmarks.naive import NaiveStatus, naive_status
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from xieshang.engine.schedule import build_schedule
from xieshang.engine.status import LoanStatus, loan_status
from xieshang.engine.terms import (
    DEFAULT_ALLOCATION,
    Component,
    CompoundBase,
    LateFeeFrequency,
    LateFeeKind,
    LateFeeRule,
    LoanTerms,
    OverdueRules,
    Payment,
    PenaltyStart,
    RateChange,
    RepaymentMethod,
    Waiver,
)
from xieshang.rates import AnnualRate, DailyRate, DayCount, MonthlyRate, Rate

D = Decimal
SCALE = int(os.environ.get("XIESHANG_EXAMPLES", "1"))  # deeper runs: XIESHANG_EXAMPLES=10
FEN = D("0.01")
START = date(2023, 11, 20)  # histories cross a year end and 29 Feb 2024
OTHER_ALLOCATION = (Component.PRINCIPAL, Component.INTEREST, Component.FEE, Component.PENALTY, Component.COMPOUND)

# Annual rates whose daily factors (÷ basis, × 1, 1.3 or 1.5) are terminating decimals.
EXACT_ANNUAL = {
    DayCount.D360: ["0.18", "0.36", "0.072", "0.144", "0.09", "0"],
    DayCount.D365: ["0.1825", "0.0365", "0.073", "0.365", "0"],
}
EXACT_DAILY = ["0.0002", "0.0003", "0.00035", "0.0005", "0.001"]


@dataclass(frozen=True)
class Case:
    terms: LoanTerms
    payments: list[Payment]
    as_of: date
    waivers: list[Waiver]
    rate_changes: list[RateChange]


@st.composite
def late_fees(draw: st.DrawFn) -> LateFeeRule:
    kind = draw(st.sampled_from(list(LateFeeKind)))
    freq = draw(st.sampled_from(list(LateFeeFrequency)))
    if kind is LateFeeKind.FLAT:
        return LateFeeRule(kind=kind, amount=draw(st.sampled_from([D(10), D("25.5"), D(50)])), frequency=freq)
    if kind is LateFeeKind.PERCENT:
        return LateFeeRule(kind=kind, percent=draw(st.sampled_from([D("0.05"), D("0.013")])),
                           minimum=draw(st.sampled_from([D(0), D(10)])),
                           maximum=draw(st.sampled_from([None, D(40)])), frequency=freq)
    return LateFeeRule()


@st.composite
def exact_rates(draw: st.DrawFn, day_count: DayCount) -> tuple[Rate, st.SearchStrategy[Rate]]:
    """A contract rate with terminating daily factors, and a strategy for rates it may change to."""
    if day_count is DayCount.ACTUAL or draw(st.booleans()):
        daily = st.sampled_from(EXACT_DAILY).map(lambda v: DailyRate(D(v)))
        return draw(daily), daily
    annual = st.sampled_from(EXACT_ANNUAL[day_count]).map(lambda v: AnnualRate(D(v)))
    return draw(annual), annual


@st.composite
def cases(draw: st.DrawFn, exact: bool = True, with_extras: bool = True) -> Case:
    day_count = draw(st.sampled_from(list(DayCount)))
    if exact:
        rate, change_to = draw(exact_rates(day_count))
    else:
        change_to = st.one_of(
            st.decimals(min_value=D("0.01"), max_value=D("0.36"), places=4).map(AnnualRate),
            st.decimals(min_value=D("0.001"), max_value=D("0.03"), places=4).map(MonthlyRate),
            st.decimals(min_value=D("0.00001"), max_value=D("0.001"), places=5).map(DailyRate),
        )
        rate = draw(change_to)
    months = draw(st.integers(1, 8))
    rules = OverdueRules(
        penalty_multiplier=draw(st.sampled_from([D(1), D("1.3"), D("1.5")])),
        penalty_rate=draw(st.sampled_from([None, None, DailyRate(D("0.0005")), DailyRate(D("0.001"))]
                                          + ([] if exact else [AnnualRate(D("0.2235")), AnnualRate(D("0.366"))]))),
        penalty_start=draw(st.sampled_from(list(PenaltyStart))),
        grace_days=draw(st.integers(0, 5)),
        compound=draw(st.booleans()),
        compound_rate=draw(st.sampled_from([None, None, DailyRate(D("0.0002"))])),
        compound_base=draw(st.sampled_from(list(CompoundBase))),
        late_fee=draw(late_fees()),
        allocation=draw(st.sampled_from([DEFAULT_ALLOCATION, DEFAULT_ALLOCATION, OTHER_ALLOCATION])),
        tolerance=draw(st.sampled_from([D(0), D(0), D(1)])),
    )
    terms = LoanTerms(
        principal=draw(st.decimals(min_value=D(100), max_value=D(30000), places=2)),
        rate=rate,
        term_months=months,
        start=START,
        method=draw(st.sampled_from(list(RepaymentMethod))),
        day_count=day_count,
        periodic_fee=draw(st.sampled_from([D(0), D(0), D("5.5")])),
        overdue=rules,
    )
    horizon = months * 31 + 120
    small = st.decimals(min_value=D("0.01"), max_value=D(2000), places=2)
    amounts = st.one_of(small, small, small, st.decimals(min_value=D(2000), max_value=D(40000), places=2))
    offsets = st.integers(0, horizon)
    payments = [Payment(START + timedelta(days=o), a) for o, a in
                draw(st.lists(st.tuples(offsets, amounts), max_size=8))]
    waivers: list[Waiver] = []
    rate_changes: list[RateChange] = []
    if with_extras:
        waivers = [Waiver(START + timedelta(days=o), c, a) for o, c, a in draw(st.lists(
            st.tuples(offsets, st.sampled_from(list(Component)), st.decimals(min_value=D(0), max_value=D(500),
                                                                               places=2)), max_size=2))]
        rate_changes = [RateChange(START + timedelta(days=o), r)
                        for o, r in draw(st.lists(st.tuples(offsets, change_to), max_size=1))]
    if draw(st.booleans()):
        as_of = START + timedelta(days=draw(st.integers(0, horizon)))
    else:  # near a due date: due today, within grace, just past it
        due = draw(st.sampled_from([p.due_date for p in build_schedule(terms).periods]))
        as_of = due + timedelta(days=draw(st.integers(0, 7)))
    return Case(terms, payments, as_of, waivers, rate_changes)


def owed(s: LoanStatus) -> dict[str, Decimal]:
    o = s.owed
    return {"overdue_principal": o.overdue_principal, "not_due_principal": o.not_due_principal,
            "overdue_interest": o.overdue_interest, "accrued_interest": o.accrued_interest,
            "penalty": o.penalty, "compound": o.compound, "fees": o.fees}


def assert_same(s: LoanStatus, n: NaiveStatus) -> None:
    assert owed(s) == n.owed()
    assert (s.dpd, s.stage, s.closed) == (n.dpd, n.stage, n.closed)
    assert (s.excess, s.paid_total) == (n.excess, n.paid_total)
    assert [(a.on, a.amount, a.fee, a.compound, a.penalty, a.interest, a.principal, a.excess)
            for a in s.allocations] == [
        (a.on, a.amount, a.fee, a.compound, a.penalty, a.interest, a.principal, a.excess) for a in n.allocations]


def status(c: Case, payments: list[Payment] | None = None, as_of: date | None = None,
           waivers: list[Waiver] | None = None) -> LoanStatus:
    return loan_status(c.terms, c.payments if payments is None else payments, as_of or c.as_of,
                       c.waivers if waivers is None else waivers, c.rate_changes)


# -- the engine against the oracle -----------------------------------------------------------------

@settings(max_examples=300 * SCALE, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases())
def test_engine_equals_the_day_by_day_oracle(c: Case) -> None:
    assert_same(status(c), naive_status(c.terms, c.payments, c.as_of, c.waivers, c.rate_changes))


@settings(max_examples=200 * SCALE, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases(exact=False))
def test_engine_equals_the_oracle_for_any_rate(c: Case) -> None:
    assert_same(status(c), naive_status(c.terms, c.payments, c.as_of, c.waivers, c.rate_changes))


@pytest.mark.parametrize("seed", range(4))
def test_engine_equals_the_oracle_on_seeded_long_histories(seed: int) -> None:
    # Benchmark-corpus loans: 12 instalments of on-time, late, partial and missed payments.
    rng = random.Random(seed)
    for _ in range(15):
        case = history_case(rng, 12)
        s = loan_status(case.terms, case.payments, case.as_of)
        assert_same(s, naive_status(case.terms, case.payments, case.as_of))


# -- money and order -----------------------------------------------------------------------------------

@settings(max_examples=200 * SCALE, deadline=None)
@given(cases())
def test_allocation_conserves_money_to_the_fen(c: Case) -> None:
    s = status(c)
    for a in s.allocations:
        assert a.fee + a.compound + a.penalty + a.interest + a.principal + a.excess == a.amount
        assert min(a.fee, a.compound, a.penalty, a.interest, a.principal, a.excess) >= 0
        assert a.amount == a.amount.quantize(FEN) and a.principal == a.principal.quantize(FEN)
    assert sum((a.amount for a in s.allocations), D(0)) == s.paid_total
    assert sum((a.excess for a in s.allocations), D(0)) == s.excess
    # principal paid + principal still owed == the loan
    assert sum((a.principal for a in s.allocations), D(0)) + s.owed.principal + sum(
        (w.amount for w in c.waivers if w.component is Component.PRINCIPAL), D(0)) >= c.terms.principal
    if not c.waivers:
        assert sum((a.principal for a in s.allocations), D(0)) + s.owed.principal == c.terms.principal


@settings(max_examples=150 * SCALE, deadline=None)
@given(cases(), st.randoms(use_true_random=False))
def test_insertion_order_does_not_matter(c: Case, rnd: random.Random) -> None:
    # explicit sequence numbers order same-day payments; the order they were entered in is irrelevant
    ordered = [Payment(p.on, p.amount, seq=i) for i, p in enumerate(c.payments)]
    shuffled = ordered[:]
    rnd.shuffle(shuffled)
    a = loan_status(c.terms, ordered, c.as_of, c.waivers, c.rate_changes)
    b = loan_status(c.terms, shuffled, c.as_of, c.waivers, c.rate_changes)
    assert a.to_json() == b.to_json()


@settings(max_examples=150 * SCALE, deadline=None)
@given(cases(with_extras=False), st.integers(0, 400), st.decimals(min_value=D(1), max_value=D(5000), places=2))
def test_a_back_dated_payment_is_the_same_as_one_entered_in_order(c: Case, offset: int, amount: Decimal) -> None:
    late_entry = Payment(START + timedelta(days=offset), amount, seq=1)  # after any other payment that day
    in_order = sorted([*c.payments, late_entry], key=lambda p: (p.on, p.seq))
    back_dated = [*c.payments, late_entry]
    assert status(c, in_order).to_json() == status(c, back_dated).to_json()


# -- accrual ---------------------------------------------------------------------------------------

@settings(max_examples=150 * SCALE, deadline=None)
@given(cases(with_extras=False), st.integers(0, 400), st.integers(0, 400))
def test_with_no_payments_the_amount_owed_never_decreases(c: Case, a: int, b: int) -> None:
    early, late = sorted((START + timedelta(days=a), START + timedelta(days=b)))
    s1 = loan_status(c.terms, [], early)
    s2 = loan_status(c.terms, [], late)
    assert s1.owed.total <= s2.owed.total
    assert s1.dpd <= s2.dpd
    assert s1.owed.penalty <= s2.owed.penalty and s1.owed.fees <= s2.owed.fees


@settings(max_examples=150 * SCALE, deadline=None)
@given(cases(with_extras=False), st.integers(0, 500))
def test_splitting_an_accrual_interval_changes_nothing_beyond_rounding(c: Case, split_after: int) -> None:
    # A zero waiver is a posting event that changes no balance: it only rounds the accrued penalty and
    # compound interest. Put it after the last payment and compare with the status computed directly.
    last = max([START, *(p.on for p in c.payments)])
    split = last + timedelta(days=split_after)
    assume(split <= c.as_of)
    direct = status(c)
    split_status = status(c, waivers=[Waiver(split, Component.PENALTY, D(0))])
    d, s = owed(direct), owed(split_status)
    for k in d:
        assert abs(d[k] - s[k]) <= (FEN if k in ("penalty", "compound") else 0), k
    assert (direct.dpd, direct.stage, direct.closed) == (split_status.dpd, split_status.stage, split_status.closed)


@settings(max_examples=100 * SCALE, deadline=None)
@given(cases(with_extras=False))
def test_status_balances_are_never_negative(c: Case) -> None:
    s = status(c)
    assert all(v >= 0 for v in owed(s).values())
    assert s.dpd >= 0 and s.excess >= 0
    for i in s.instalments:
        assert 0 <= i.paid_principal <= i.principal and 0 <= i.paid_interest <= i.interest
    sched = build_schedule(c.terms)
    assert s.maturity == sched.periods[-1].due_date


# -- regressions: half-fen ties and ACTUAL day-count of an annual penalty rate -----------------------

def test_exactly_half_a_fen_rounds_half_up() -> None:
    terms = LoanTerms(D(3600), AnnualRate(D("0.149")), 12, date(2025, 1, 15),
                      method=RepaymentMethod.EQUAL_PRINCIPAL, day_count=DayCount.D360,
                      overdue=OverdueRules(compound=False))
    s = loan_status(terms, [], date(2025, 2, 19))  # first instalment (300 principal) 4 days overdue
    assert s.owed.overdue_principal == D(300)
    assert naive_status(terms, [], date(2025, 2, 19)).penalty == D("0.75")
    assert s.owed.penalty == D("0.75")


def test_annual_penalty_rate_on_actual_days_in_a_leap_year() -> None:
    terms = LoanTerms(D(10000), DailyRate(D("0.0005")), 3, date(2024, 1, 10),
                      method=RepaymentMethod.INTEREST_FIRST, day_count=DayCount.ACTUAL,
                      overdue=OverdueRules(penalty_rate=AnnualRate(D("0.366")), compound=False))
    # 10,000 principal due 10 Apr 2024, unpaid; 265 nights to 31 Dec 2024 at 36.6 % / 366 = 0.1 % a day
    s = loan_status(terms, [], date(2024, 12, 31))
    assert naive_status(terms, [], date(2024, 12, 31)).penalty == D("2650.00")
    assert s.owed.penalty == D("2650.00")


def test_revolving_interest_paid_ahead_is_posted_first() -> None:
    # 1 day on 100 at 0.035 %/day = 0.035 accrued; a 0.04 payment pays the posted 0.04, leaving nothing
    # (not −0.005), so a second payment of 0.01 the same day is all principal, never a negative interest part.
    terms = LoanTerms(D(100), DailyRate(D("0.00035")), 1, START, method=RepaymentMethod.REVOLVING,
                      day_count=DayCount.ACTUAL, overdue=OverdueRules(compound=False))
    pays = [Payment(START + timedelta(days=1), D("0.04")), Payment(START + timedelta(days=1), D("0.01"), seq=1)]
    s = loan_status(terms, pays, START + timedelta(days=30))
    assert [(a.interest, a.principal) for a in s.allocations] == [(D("0.04"), D(0)), (D(0), D("0.01"))]
    assert s.owed.not_due_principal == D("99.99")
    assert_same(s, naive_status(terms, pays, START + timedelta(days=30)))
