"""The contractual schedule: published vectors, an independent oracle (numpy-financial), properties.

numpy-financial works in float; it is used only as an oracle and its results are rounded to the fen
before being compared with the engine's Decimal figures.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import numpy_financial as npf
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from xieshang.engine.schedule import add_months, build_schedule, due_dates
from xieshang.engine.terms import FirstPeriod, InterestBasis, LoanTerms, RepaymentMethod
from xieshang.money import FEN
from xieshang.rates import AnnualRate, DailyRate, DayCount, MonthlyRate

D = Decimal
EI, EP, IF, RV = (RepaymentMethod.EQUAL_INSTALLMENT, RepaymentMethod.EQUAL_PRINCIPAL,
                  RepaymentMethod.INTEREST_FIRST, RepaymentMethod.REVOLVING)


def fen(x: float) -> Decimal:
    """A float oracle figure rounded half-up to the fen (via its shortest repr)."""
    return D(repr(x)).quantize(FEN, rounding="ROUND_HALF_UP")


def test_equal_installment_10000_at_12_percent_for_12_months() -> None:
    s = build_schedule(LoanTerms(D(10000), AnnualRate(D("0.12")), 12, date(2025, 1, 15)))
    first = s.periods[0]
    assert first.due_date == date(2025, 2, 15)
    assert first.payment == D("888.49")
    assert first.interest == D("100.00")
    assert first.principal == D("788.49")
    assert first.balance == D("9211.51")
    assert all(p.payment == D("888.49") for p in s.periods[:-1])
    last = s.periods[-1]
    assert last.payment == D("888.47")  # the last instalment clears the rounding drift
    assert last.balance == 0
    assert s.total_payment == D("10661.86")
    assert s.total_interest == D("661.86")
    assert s.total_fees == 0


def test_equal_installment_agrees_with_numpy_financial() -> None:
    s = build_schedule(LoanTerms(D(10000), AnnualRate(D("0.12")), 12, date(2025, 1, 15)))
    assert s.periods[0].payment == fen(float(npf.pmt(0.01, 12, -10000)))
    for k, period in enumerate(s.periods, start=1):
        assert period.interest == fen(float(npf.ipmt(0.01, k, 12, -10000))), k


@pytest.mark.parametrize(
    ("principal", "annual", "months"),
    [(5000, "0.18", 6), (20000, "0.146", 24), (123456, "0.0435", 60), (800, "0.36", 3)],
)
def test_first_payment_and_interest_match_numpy_financial(principal: int, annual: str, months: int) -> None:
    s = build_schedule(LoanTerms(D(principal), AnnualRate(D(annual)), months, date(2025, 3, 5)))
    r = float(annual) / 12
    assert s.periods[0].payment == fen(float(npf.pmt(r, months, -principal)))
    assert s.periods[0].interest == fen(float(npf.ipmt(r, 1, months, -principal)))


def test_excel_pmt_example() -> None:
    # Microsoft's PMT documentation: PMT(8%/12, 10, 10000) = ($1,037.03)
    s = build_schedule(LoanTerms(D(10000), AnnualRate(D("0.08")), 10, date(2025, 1, 1)))
    assert s.periods[0].payment == D("1037.03")


@pytest.mark.parametrize(
    ("annual", "years", "monthly_payment"),
    [("0.049", 30, "5307.27"), ("0.049", 20, "6544.44"), ("0.0588", 30, "5918.57"), ("0.0588", 20, "7095.25")],
)
def test_chinese_mortgage_equal_installment(annual: str, years: int, monthly_payment: str) -> None:
    # The widely quoted 等额本息 figures for a 100万 loan (e.g. 100万, 4.9%, 30年 → 月供 5307.27).
    s = build_schedule(LoanTerms(D(1_000_000), AnnualRate(D(annual)), years * 12, date(2025, 1, 15)))
    assert s.periods[0].payment == D(monthly_payment)
    assert s.periods[0].interest == (D(1_000_000) * D(annual) / 12).quantize(FEN)  # 4.9% → 4083.33
    assert s.periods[-1].balance == 0


def test_chinese_mortgage_equal_principal() -> None:
    # 等额本金, 100万, 4.9%, 30年: 首月 6861.11, then 11.34 less each month; total interest by the formula
    # P·r·(n+1)/2 = 737,041.67 (each month's interest is rounded to the fen, so the sum may drift by < 1 yuan).
    s = build_schedule(LoanTerms(D(1_000_000), AnnualRate(D("0.049")), 360, date(2025, 1, 15), method=EP))
    assert s.periods[0].payment == D("6861.11")
    assert s.periods[0].principal == D("2777.78")
    assert s.periods[0].interest == D("4083.33")
    assert s.periods[0].payment - s.periods[1].payment == D("11.34")
    formula = D(1_000_000) * D("0.049") / 12 * 361 / 2
    assert abs(s.total_interest - formula) < 1
    assert sum(p.principal for p in s.periods) == D(1_000_000)


def test_equal_principal_small() -> None:
    s = build_schedule(LoanTerms(D(12000), AnnualRate(D("0.12")), 12, date(2025, 1, 15), method=EP))
    assert [p.principal for p in s.periods] == [D(1000)] * 12
    assert s.periods[0].payment == D("1120.00")
    assert [p.interest for p in s.periods] == [D(10 * k) for k in range(12, 0, -1)]
    assert s.total_interest == D("780.00")  # 10 × (12 + 11 + … + 1)


def test_interest_first() -> None:
    s = build_schedule(LoanTerms(D(10000), AnnualRate(D("0.12")), 6, date(2025, 1, 15), method=IF))
    assert [p.interest for p in s.periods] == [D("100.00")] * 6
    assert [p.principal for p in s.periods] == [D(0)] * 5 + [D(10000)]
    assert s.periods[-1].payment == D("10100.00")
    assert s.total_interest == D("600.00")
    assert [p.balance for p in s.periods] == [D(10000)] * 5 + [D(0)]


def test_revolving_is_daily_interest_on_the_balance() -> None:
    s = build_schedule(LoanTerms(D(10000), DailyRate(D("0.0005")), 3, date(2025, 1, 15), method=RV))
    # 31, 28 and 31 days at 5 yuan a day
    assert [p.interest for p in s.periods] == [D("155.00"), D("140.00"), D("155.00")]
    assert [p.principal for p in s.periods] == [D(0), D(0), D(10000)]


def test_month_end_clamping() -> None:
    terms = LoanTerms(D(3000), AnnualRate(D("0.12")), 4, date(2025, 1, 31))
    assert due_dates(terms) == [date(2025, 2, 28), date(2025, 3, 31), date(2025, 4, 30), date(2025, 5, 31)]
    leap = LoanTerms(D(3000), AnnualRate(D("0.12")), 2, date(2024, 1, 31))
    assert due_dates(leap) == [date(2024, 2, 29), date(2024, 3, 31)]
    assert add_months(date(2025, 12, 31), 2) == date(2026, 2, 28)
    assert add_months(date(2025, 3, 31), -1) == date(2025, 2, 28)


def test_first_period_actual_days() -> None:
    # Disbursed 15 Jan, first due 1 Mar: 45 days. Charged for its actual days: 10000 × 12% × 45/360.
    base = dict(principal=D(10000), rate=AnnualRate(D("0.12")), term_months=6, start=date(2025, 1, 15),
                first_due=date(2025, 3, 1), day_count=DayCount.D360)
    actual = build_schedule(LoanTerms(**base, first_period=FirstPeriod.ACTUAL_DAYS))  # type: ignore[arg-type]
    full = build_schedule(LoanTerms(**base, first_period=FirstPeriod.FULL_MONTH))  # type: ignore[arg-type]
    assert actual.periods[0].interest == D("150.00")
    assert full.periods[0].interest == D("100.00")
    assert [p.due_date for p in actual.periods][:3] == [date(2025, 3, 1), date(2025, 4, 1), date(2025, 5, 1)]
    # the level payment still clears the balance: the last payment differs by rounding only
    assert actual.periods[-1].balance == 0
    assert abs(actual.periods[-1].payment - actual.periods[0].payment) <= D("0.06")
    assert actual.periods[0].payment > full.periods[0].payment


def test_actual_days_basis() -> None:
    s = build_schedule(LoanTerms(D(10000), AnnualRate(D("0.12")), 3, date(2025, 1, 15), method=IF,
                                 interest_basis=InterestBasis.ACTUAL_DAYS, day_count=DayCount.D360))
    assert [p.interest for p in s.periods] == [D("103.33"), D("93.33"), D("103.33")]  # 31, 28, 31 days


def test_zero_rate_and_monthly_rate() -> None:
    s = build_schedule(LoanTerms(D(1000), AnnualRate(D(0)), 3, date(2025, 1, 15)))
    assert [p.payment for p in s.periods] == [D("333.33"), D("333.33"), D("333.34")]
    m = build_schedule(LoanTerms(D(10000), MonthlyRate(D("0.01")), 12, date(2025, 1, 15)))
    assert m.periods[0].payment == D("888.49")


def test_periodic_fee_is_shown_separately() -> None:
    s = build_schedule(LoanTerms(D(10000), AnnualRate(D("0.12")), 12, date(2025, 1, 15), periodic_fee=D("12.5")))
    assert all(p.fee == D("12.50") for p in s.periods)
    assert s.periods[0].payment == D("888.49")
    assert s.total_fees == D("150.00")
    assert s.to_json()["total_fees"] == "150.00"


_methods = st.sampled_from(list(RepaymentMethod))
_rates = st.one_of(
    st.decimals(min_value=D(0), max_value=D("0.36"), places=4).map(AnnualRate),
    st.decimals(min_value=D(0), max_value=D("0.001"), places=5).map(DailyRate),
)


@settings(max_examples=150, deadline=None)
@given(
    principal=st.decimals(min_value=D(100), max_value=D(500000), places=2),
    rate=_rates,
    months=st.integers(1, 60),
    method=_methods,
    start=st.dates(min_value=date(2020, 1, 1), max_value=date(2030, 12, 31)),
    day_count=st.sampled_from(list(DayCount)),
    first_period=st.sampled_from(list(FirstPeriod)),
    basis=st.sampled_from(list(InterestBasis)),
    extra_days=st.integers(-10, 20),
)
def test_schedule_properties(principal: Decimal, rate: AnnualRate | DailyRate, months: int, method: RepaymentMethod,
                             start: date, day_count: DayCount, first_period: FirstPeriod, basis: InterestBasis,
                             extra_days: int) -> None:
    from datetime import timedelta

    first_due = add_months(start, 1) + timedelta(days=extra_days)
    terms = LoanTerms(principal, rate, months, start, method=method, day_count=day_count,
                      first_period=first_period, interest_basis=basis, first_due=first_due)
    s = build_schedule(terms)
    assert len(s.periods) == months
    assert sum(p.principal for p in s.periods) == principal
    assert all(p.balance >= 0 and p.principal >= 0 and p.interest >= 0 for p in s.periods)
    assert s.periods[-1].balance == 0
    balance = principal
    prev = start
    for p in s.periods:
        balance -= p.principal
        assert p.balance == balance
        assert p.payment == p.principal + p.interest
        assert p.start == prev < p.due_date
        assert p.interest == p.interest.quantize(FEN) and p.principal == p.principal.quantize(FEN)
        prev = p.due_date
    if method is EI and months > 1 and all(p.principal > 0 for p in s.periods[:-1]):
        assert len({p.payment for p in s.periods[:-1]}) == 1
