"""Typed interest rates: annual, monthly and daily, and the day-count that links them.

A rate is a decimal fraction (``0.12`` = 12 %) with a *period* in its type, so a daily rate
can never be used where an annual one is meant. Every conversion between periods names its
day-count basis (360, 365 or actual), because that is where lenders differ: Chinese banks
traditionally divide an annual rate by 360, internet lenders quote a daily rate directly.

:func:`parse_rate` reads what people type (``12%``, ``0.12``, ``月息1%``, ``0.05%/日``,
``日息万五``) and :func:`accrual_factor` gives the exact fraction of a rate earned between two
dates, in closed form, so accrual never loops over days.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from enum import StrEnum

from xieshang.errors import UserError

ONE = Decimal(1)
HUNDRED = Decimal(100)


class DayCount(StrEnum):
    """Days in a year used to turn an annual (or monthly) rate into a daily one."""

    D360 = "360"
    D365 = "365"
    ACTUAL = "actual"  # 365 or 366, the year's real length

    @classmethod
    def parse(cls, value: str | int | DayCount) -> DayCount:
        if isinstance(value, DayCount):
            return value
        text = str(value).strip().lower()
        aliases = {"360": cls.D360, "365": cls.D365, "actual": cls.ACTUAL, "act": cls.ACTUAL,
                   "actual/actual": cls.ACTUAL, "act/act": cls.ACTUAL}
        if text not in aliases:
            raise UserError("error.rate.day_count", value=str(value))
        return aliases[text]

    def days_in_year(self, year: int | None = None) -> Decimal:
        """360 or 365; for ACTUAL the length of ``year`` (365 when no year is given)."""
        if self is DayCount.D360:
            return Decimal(360)
        if self is DayCount.D365:
            return Decimal(365)
        if year is not None and calendar.isleap(year):
            return Decimal(366)
        return Decimal(365)


class Period(StrEnum):
    YEAR = "annual"
    MONTH = "monthly"
    DAY = "daily"


@dataclass(frozen=True, slots=True)
class Rate:
    """A rate as a decimal fraction per period. Use the subclasses, never this directly."""

    value: Decimal
    period: Period = Period.YEAR

    def __post_init__(self) -> None:
        if not isinstance(self.value, Decimal):
            raise TypeError("rates are Decimal fractions")

    # -- conversions; each names its day-count -------------------------------------------
    def annual(self, day_count: DayCount = DayCount.D365) -> AnnualRate:
        """The nominal annual rate (simple, not compounded)."""
        if self.period is Period.YEAR:
            return AnnualRate(self.value)
        if self.period is Period.MONTH:
            return AnnualRate(self.value * 12)
        return AnnualRate(self.value * day_count.days_in_year())

    def monthly(self, day_count: DayCount = DayCount.D365) -> MonthlyRate:
        if self.period is Period.MONTH:
            return MonthlyRate(self.value)
        return MonthlyRate(self.annual(day_count).value / 12)

    def daily(self, day_count: DayCount = DayCount.D365, year: int | None = None) -> DailyRate:
        if self.period is Period.DAY:
            return DailyRate(self.value)
        return DailyRate(self.annual(day_count).value / day_count.days_in_year(year))

    def scaled(self, factor: Decimal) -> Rate:
        """The same kind of rate times ``factor`` (e.g. penalty = contract rate × 1.5)."""
        return type(self)(self.value * factor)

    def percent(self, places: int = 4) -> str:
        """``0.12`` → ``'12%'``, keeping up to ``places`` decimals of the percentage."""
        pct = (self.value * HUNDRED).quantize(Decimal(1).scaleb(-places)).normalize()
        text = format(pct, "f")
        return f"{text}%"

    def describe(self) -> str:
        return f"{self.percent()}/{ {'annual': 'yr', 'monthly': 'mo', 'daily': 'day'}[self.period.value] }"


@dataclass(frozen=True, slots=True)
class AnnualRate(Rate):
    period: Period = Period.YEAR


@dataclass(frozen=True, slots=True)
class MonthlyRate(Rate):
    period: Period = Period.MONTH


@dataclass(frozen=True, slots=True)
class DailyRate(Rate):
    period: Period = Period.DAY


def make_rate(value: Decimal, period: Period | str) -> Rate:
    p = Period(period)
    return {Period.YEAR: AnnualRate, Period.MONTH: MonthlyRate, Period.DAY: DailyRate}[p](value)


def accrual_factor(rate: Rate, start: date, end: date, day_count: DayCount) -> Decimal:
    """Fraction of principal earned from ``start`` to ``end`` (end − start days), exactly.

    A daily rate earns ``rate × days``. An annual or monthly rate earns ``annual / basis`` a day;
    with the ACTUAL basis the interval is split at each 1 January so that leap years count 366.
    Closed form: the cost is per year boundary crossed, never per day.
    """
    days = (end - start).days
    if days <= 0:
        return Decimal(0)
    if rate.period is Period.DAY:
        return rate.value * days
    annual = rate.annual(day_count).value
    if day_count is not DayCount.ACTUAL:
        return annual * days / day_count.days_in_year()
    total = Decimal(0)
    cursor = start
    while cursor < end:
        boundary = date(cursor.year + 1, 1, 1)
        stop = min(boundary, end)
        total += annual * (stop - cursor).days / day_count.days_in_year(cursor.year)
        cursor = stop
    return total


# ---------------------------------------------------------------------------------------
# Parsing what people type
# ---------------------------------------------------------------------------------------

_CN_DIGITS = {"零": "0", "一": "1", "二": "2", "两": "2", "三": "3", "四": "4", "五": "5", "六": "6",
              "七": "7", "八": "8", "九": "9", "点": "."}

_DAILY_MARKERS = ("日息", "日利率", "日利息", "每日", "/日", "/天", "每天", "/day", "per day", "a day", "daily", "/d")
_MONTHLY_MARKERS = ("月息", "月利率", "月利息", "每月", "/月", "/month", "per month", "a month", "monthly", "/mo")
_ANNUAL_MARKERS = ("年化", "年利率", "年息", "每年", "/年", "/year", "per year", "a year", "annual", "p.a.",
                   "apr", "/yr")

_NUMBER = re.compile(r"[0-9]+(?:\.[0-9]+)?|\.[0-9]+")


def _cn_number(text: str) -> str:
    return "".join(_CN_DIGITS.get(ch, ch) for ch in text)


def parse_rate(text: str, default_period: Period = Period.YEAR) -> Rate:
    """Read a rate as typed: ``12%``, ``0.12``, ``月息1%``, ``0.05%/日``, ``日息万五``, ``万分之3.5``.

    Without a period marker the ``default_period`` applies (annual unless the caller asks for a
    daily or monthly field). ``%`` means percent; ``万X`` / ``万分之X`` means X per ten thousand;
    a bare number below 1 is a fraction (``0.12``), one of 1 or more a percentage (``18`` = 18 %).
    """
    raw = text
    s = text.strip().lower().replace("％", "%").replace(" ", "")
    if not s:
        raise UserError("error.rate.unparseable", value=raw)
    period = default_period
    for markers, p in ((_DAILY_MARKERS, Period.DAY), (_MONTHLY_MARKERS, Period.MONTH),
                       (_ANNUAL_MARKERS, Period.YEAR)):
        for marker in markers:
            m = marker.replace(" ", "")
            if m in s:
                period = p
                s = s.replace(m, "")
    for filler in ("利率", "利息", "息", "rate", "=", ":", "："):
        s = s.replace(filler, "")
    if s.startswith("-"):
        raise UserError("error.rate.negative", value=raw)
    value: Decimal
    try:
        if "万分之" in s or s.startswith("万"):
            num = _cn_number(s.replace("万分之", "").replace("万", ""))
            if not _NUMBER.fullmatch(num):
                raise UserError("error.rate.unparseable", value=raw)
            value = Decimal(num) / Decimal(10000)
            if default_period is Period.YEAR and period is Period.YEAR and not any(
                mk in raw for mk in _ANNUAL_MARKERS
            ):
                # 万X with no period is how daily rates are quoted (日息万五).
                period = Period.DAY
        elif "千分之" in s:
            num = _cn_number(s.replace("千分之", ""))
            if not _NUMBER.fullmatch(num):
                raise UserError("error.rate.unparseable", value=raw)
            value = Decimal(num) / Decimal(1000)
        elif s.endswith("%"):
            num = s[:-1]
            if not _NUMBER.fullmatch(num):
                raise UserError("error.rate.unparseable", value=raw)
            value = Decimal(num) / HUNDRED
        else:
            if not _NUMBER.fullmatch(s):
                raise UserError("error.rate.unparseable", value=raw)
            value = Decimal(s)
            if value >= 1:
                value = value / HUNDRED
    except InvalidOperation as exc:  # pragma: no cover - guarded by the regexes
        raise UserError("error.rate.unparseable", value=raw) from exc
    return make_rate(value, period)
