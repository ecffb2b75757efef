"""Money parsing and rounding: what people type, and rounding that is always explicit."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from xieshang.errors import UserError
from xieshang.money import DEFAULT_ROUNDING, Rounding, fmt, fmt_display, parse_money, round_money


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1,234.56", "1234.56"),
        ("1234.5元", "1234.50"),
        ("¥1234", "1234.00"),
        ("￥1,000", "1000.00"),
        ("1.2万", "12000.00"),
        ("0.5万元", "5000.00"),
        ("  88 块 ", "88.00"),
        ("3k", "3000.00"),
        (".5", "0.50"),
        ("1，000", "1000.00"),  # full-width comma
        ("人民币200", "200.00"),
        ("1.2345万", "12345.00"),
    ],
)
def test_parse_money_accepts_what_people_type(text: str, expected: str) -> None:
    value = parse_money(text)
    assert value == Decimal(expected)
    assert str(value) == expected  # always exactly two places


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("-5", "error.money.negative"),
        ("−5", "error.money.negative"),  # the typographic minus
        ("abc", "error.money.unparseable"),
        ("1.234", "error.money.too_precise"),
        ("1e5", "error.money.unparseable"),
        ("", "error.money.unparseable"),
        ("12..3", "error.money.unparseable"),
        ("1.2345678万", "error.money.too_precise"),  # 12,345.678
    ],
)
def test_parse_money_refuses(text: str, key: str) -> None:
    with pytest.raises(UserError) as info:
        parse_money(text)
    assert info.value.key == key


def test_negative_allowed_only_when_asked() -> None:
    assert parse_money("-5", allow_negative=True) == Decimal("-5.00")


def test_decimal_and_int_inputs() -> None:
    assert parse_money(Decimal("12.3")) == Decimal("12.30")
    assert parse_money(7) == Decimal("7.00")
    with pytest.raises(UserError) as info:
        parse_money(Decimal("NaN"))
    assert info.value.key == "error.money.unparseable"
    with pytest.raises(UserError):
        parse_money(Decimal("0.001"))


@given(st.decimals(min_value=0, max_value=10**9, places=2, allow_nan=False, allow_infinity=False))
def test_parse_money_round_trips_its_own_format(value: Decimal) -> None:
    assert parse_money(fmt(value)) == value
    assert parse_money(fmt_display(value)) == value


@pytest.mark.parametrize(
    ("mode", "amount", "expected"),
    [
        ("half-up", "2.345", "2.35"),
        ("half-up", "-2.345", "-2.35"),
        ("half-even", "2.345", "2.34"),
        ("half-even", "2.355", "2.36"),
        ("down", "1.239", "1.23"),
        ("down", "-1.239", "-1.23"),
        ("up", "1.231", "1.24"),
        ("floor", "-1.231", "-1.24"),
        ("ceiling", "1.231", "1.24"),
        ("ceiling", "-1.239", "-1.23"),
    ],
)
def test_rounding_modes(mode: str, amount: str, expected: str) -> None:
    assert round_money(Decimal(amount), Rounding(2, mode)) == Decimal(expected)


def test_rounding_places_and_default() -> None:
    assert Rounding(0, "half-up")(Decimal("2.5")) == Decimal(3)
    assert Rounding(4)(Decimal("0.00005")) == Decimal("0.0001")
    assert Rounding(2, "half-up") == DEFAULT_ROUNDING
    assert round_money(Decimal("0.005")) == Decimal("0.01")
    with pytest.raises(ValueError):
        Rounding(2, "bankers")
    with pytest.raises(ValueError):
        Rounding(9)


def test_formatting() -> None:
    assert fmt(Decimal("1234.5")) == "1234.50"
    assert fmt_display(Decimal("1234567.891")) == "1,234,567.89"
