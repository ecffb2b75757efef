"""Credit-card replay: hand-checked figures for the rules in engine/card.py."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal as D

from hypothesis import given, settings
from hypothesis import strategies as st

from xieshang.engine.card import card_status
from xieshang.engine.status import Stage, status_of
from xieshang.engine.terms import CardInterestMode, CardTerms, Payment
from xieshang.rates import DailyRate

RATE = DailyRate(D("0.0005"))


def card(**kw: object) -> CardTerms:
    base: dict[str, object] = {
        "statement_balance": D("20000"),
        "statement_date": date(2025, 6, 5),
        "due_date": date(2025, 6, 25),
        "daily_rate": RATE,
    }
    base.update(kw)
    return CardTerms(**base)  # type: ignore[arg-type]


def test_paid_in_full_by_due_date_costs_nothing() -> None:
    s = card_status(card(), [Payment(date(2025, 6, 25), D("20000"))], date(2025, 9, 1))
    assert s.closed and s.owed.total == 0 and s.dpd == 0


def test_paid_in_full_within_grace_costs_nothing() -> None:
    s = card_status(card(), [Payment(date(2025, 6, 28), D("20000"))], date(2025, 7, 10))
    assert s.closed and s.owed.total == 0 and s.fees_charged == 0


def test_unpaid_minimum_full_statement_interest_and_late_fee() -> None:
    s = card_status(card(), [], date(2025, 6, 29))
    # grace of 3 days ends 06-28; interest from the statement date on the whole balance:
    assert s.owed.interest == D("20000") * RATE.value * 24  # 06-05 → 06-29
    # 违约金: 5 % of the unpaid minimum (10 % of 20000 = 2000) = 100 (≥ the ¥10 floor)
    assert s.owed.fees == D("100.00")
    assert s.dpd == 4 and s.stage is Stage.M1


def test_grace_days_show_as_grace_stage() -> None:
    s = card_status(card(), [], date(2025, 6, 27))
    assert s.dpd == 2 and s.stage is Stage.GRACE
    assert s.owed.fees == 0  # not charged until grace is over


def test_minimum_paid_keeps_account_current_but_interest_runs() -> None:
    s = card_status(card(), [Payment(date(2025, 6, 25), D("2000"))], date(2025, 7, 1))
    assert s.dpd == 0
    assert s.owed.fees == 0
    # full-statement interest: 20000 from 06-05 to 06-25 (20 days), then 18000 to 07-01 (6 days)
    assert s.owed.interest == D("20000") * RATE.value * 20 + D("18000") * RATE.value * 6


def test_unpaid_only_mode_charges_less_than_full_statement() -> None:
    pays = [Payment(date(2025, 6, 25), D("15000"))]
    full = card_status(card(), pays, date(2025, 7, 1))
    part = card_status(card(interest_mode=CardInterestMode.UNPAID_ONLY), pays, date(2025, 7, 1))
    assert part.owed.interest < full.owed.interest
    # unpaid-only: 5000 from the statement date to 07-01 (26 days)
    assert part.owed.interest == D("5000") * RATE.value * 26


def test_tolerance_counts_tiny_remainder_as_paid() -> None:
    s = card_status(card(), [Payment(date(2025, 6, 25), D("19995"))], date(2025, 7, 1))
    # the interest-free period holds (no interest back to the statement date), no 违约金, current;
    # the ¥5 left only bears interest after the grace period ends (06-28 → 07-01)
    assert s.owed.interest == (D("5") * RATE.value * 3).quantize(D("0.01"))
    assert s.dpd == 0 and s.owed.fees == 0


def test_monthly_billing_compounds_interest_but_never_fees() -> None:
    s = card_status(card(), [], date(2025, 8, 4))
    assert s.owed.compound > 0
    # per day now: (principal + interest billed on 07-05, i.e. 20000 × 0.05 % × 30 days = 300) × rate;
    # the 违约金 charged so far (s.owed.fees > 0) is not in the interest-bearing base
    assert s.owed.fees > 0
    assert s.growth_per_day == ((D("20000") + D("300")) * RATE.value).quantize(D("0.01"))
    assert len(s.instalments) == 2  # minimums of the June and July statements (August bills on 08-05)


def test_100_days_overdue_is_m4() -> None:
    s = card_status(card(), [], date(2025, 6, 25) + timedelta(days=100))
    assert s.dpd == 100 and s.stage is Stage.M4


def test_status_of_dispatches_cards() -> None:
    assert status_of(card(), [], date(2025, 7, 1)).extra.get("product") == "card"


@settings(max_examples=60, deadline=None)
@given(
    days=st.lists(st.integers(min_value=0, max_value=400), max_size=6),
    amounts=st.lists(st.integers(min_value=1, max_value=300000), max_size=6),
    horizon=st.integers(min_value=1, max_value=500),
)
def test_card_allocation_conserves_money_and_owed_never_negative(days: list[int], amounts: list[int],
                                                                  horizon: int) -> None:
    pays = [Payment(date(2025, 6, 5) + timedelta(days=d), D(a) / 100) for d, a in zip(days, amounts, strict=False)]
    as_of = date(2025, 6, 5) + timedelta(days=horizon)
    s = card_status(card(), pays, as_of)
    for a in s.allocations:
        assert a.allocated + a.excess == a.amount
        assert a.excess >= 0
    o = s.owed
    for v in (o.overdue_principal, o.not_due_principal, o.interest, o.compound, o.fees):
        assert v >= 0


@settings(max_examples=40, deadline=None)
@given(a=st.integers(min_value=1, max_value=600), b=st.integers(min_value=1, max_value=600))
def test_card_owed_never_decreases_without_payments(a: int, b: int) -> None:
    lo, hi = sorted((a, b))
    start = date(2025, 6, 5)
    t = card()
    assert card_status(t, [], start + timedelta(days=lo)).owed.total <= \
        card_status(t, [], start + timedelta(days=hi)).owed.total
