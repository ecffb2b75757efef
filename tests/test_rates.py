"""Typed rates: parsing, conversions that name their day-count, and exact accrual factors."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from xieshang.errors import UserError
from xieshang.rates import (
    AnnualRate,
    DailyRate,
    DayCount,
    MonthlyRate,
    Period,
    accrual_factor,
    parse_rate,
)


@pytest.mark.parametrize(
    ("text", "value", "period"),
    [
        ("12%", "0.12", Period.YEAR),
        ("0.12", "0.12", Period.YEAR),
        ("18", "0.18", Period.YEAR),
        ("年化 24%", "0.24", Period.YEAR),
        ("月息1%", "0.01", Period.MONTH),
        ("0.05%/日", "0.0005", Period.DAY),
        ("日息万五", "0.0005", Period.DAY),
        ("万分之3.5", "0.00035", Period.DAY),
        ("日息万三点五", "0.00035", Period.DAY),
        ("1%/month", "0.01", Period.MONTH),
        ("0.05%/day", "0.0005", Period.DAY),
        ("0.05％/天", "0.0005", Period.DAY),
        ("千分之五", "0.005", Period.YEAR),
    ],
)
def test_parse_rate(text: str, value: str, period: Period) -> None:
    rate = parse_rate(text)
    assert rate.value == Decimal(value)
    assert rate.period is period


def test_parse_rate_default_period() -> None:
    assert parse_rate("0.05%", default_period=Period.DAY).period is Period.DAY
    assert parse_rate("1%", default_period=Period.MONTH) == MonthlyRate(Decimal("0.01"))


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("-12%", "error.rate.negative"),
        ("-0.05%/日", "error.rate.negative"),
        ("abc", "error.rate.unparseable"),
        ("", "error.rate.unparseable"),
        ("12%%", "error.rate.unparseable"),
        ("万五块", "error.rate.unparseable"),
        ("1.2.3", "error.rate.unparseable"),
    ],
)
def test_parse_rate_refuses(text: str, key: str) -> None:
    with pytest.raises(UserError) as info:
        parse_rate(text)
    assert info.value.key == key


def test_conversions_name_their_day_count() -> None:
    daily = DailyRate(Decimal("0.0005"))
    assert daily.annual(DayCount.D360).value == Decimal("0.18")
    assert daily.annual(DayCount.D365).value == Decimal("0.1825")
    assert AnnualRate(Decimal("0.18")).daily(DayCount.D360).value == Decimal("0.0005")
    assert AnnualRate(Decimal("0.1825")).daily(DayCount.D365).value == Decimal("0.0005")
    assert AnnualRate(Decimal("0.12")).monthly().value == Decimal("0.01")
    assert MonthlyRate(Decimal("0.01")).annual().value == Decimal("0.12")
    assert MonthlyRate(Decimal("0.015")).daily(DayCount.D360).value == Decimal("0.0005")
    # ACTUAL: a leap year has 366 days
    assert AnnualRate(Decimal("0.366")).daily(DayCount.ACTUAL, 2024).value == Decimal("0.001")
    assert AnnualRate(Decimal("0.365")).daily(DayCount.ACTUAL, 2025).value == Decimal("0.001")


def test_rate_is_typed_and_scaled() -> None:
    with pytest.raises(TypeError):
        AnnualRate(0.12)  # type: ignore[arg-type]
    assert AnnualRate(Decimal("0.12")).scaled(Decimal("1.5")) == AnnualRate(Decimal("0.180"))
    assert AnnualRate(Decimal("0.12")).percent() == "12%"
    assert DailyRate(Decimal("0.0005")).percent() == "0.05%"


def test_day_count_parse() -> None:
    assert DayCount.parse("act/act") is DayCount.ACTUAL
    assert DayCount.parse(360) is DayCount.D360
    with pytest.raises(UserError):
        DayCount.parse("364")


def test_accrual_factor_actual_across_a_leap_year_boundary() -> None:
    rate = AnnualRate(Decimal("0.12"))
    # 2023-12-01 → 2024-03-01: 31 days of a 365-day year, 60 days (Jan + 29 Feb) of a 366-day year
    got = accrual_factor(rate, date(2023, 12, 1), date(2024, 3, 1), DayCount.ACTUAL)
    exact = Fraction(12, 100) * (Fraction(31, 365) + Fraction(60, 366))
    assert abs(Fraction(got) - exact) < Fraction(1, 10**30)
    # New Year's Eve 2024 is a 366-day year's night, New Year's Day 2025 a 365-day year's
    got = accrual_factor(rate, date(2024, 12, 31), date(2025, 1, 2), DayCount.ACTUAL)
    assert abs(Fraction(got) - Fraction(12, 100) * (Fraction(1, 366) + Fraction(1, 365))) < Fraction(1, 10**30)
    # D360 / D365 ignore leap years
    assert accrual_factor(rate, date(2024, 2, 1), date(2024, 3, 1), DayCount.D360) == Decimal("0.12") * 29 / 360


def test_accrual_factor_daily_and_empty() -> None:
    d = DailyRate(Decimal("0.0005"))
    assert accrual_factor(d, date(2024, 1, 1), date(2024, 1, 31), DayCount.ACTUAL) == Decimal("0.015")
    assert accrual_factor(d, date(2024, 1, 31), date(2024, 1, 1), DayCount.D360) == 0


@given(
    start=st.dates(min_value=date(2000, 1, 1), max_value=date(2040, 1, 1)),
    a=st.integers(0, 1200),
    b=st.integers(0, 1200),
)
def test_accrual_factor_is_additive(start: date, a: int, b: int) -> None:
    rate = AnnualRate(Decimal("0.149"))
    mid, end = start + timedelta(days=a), start + timedelta(days=a + b)
    for dc in DayCount:
        whole = accrual_factor(rate, start, end, dc)
        parts = accrual_factor(rate, start, mid, dc) + accrual_factor(rate, mid, end, dc)
        assert abs(whole - parts) < Decimal("1e-28")
