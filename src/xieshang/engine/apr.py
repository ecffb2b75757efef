"""The true cost of a loan as an annual rate, from the cash flows actually exchanged.

PBOC announcement 2021 No. 3 (中国人民银行公告〔2021〕第3号) requires lenders to disclose an
annualised rate computed by IRR over the money the borrower really receives and really pays,
fees included: the *periodic* IRR times the number of periods in a year (a nominal rate, not
compounded). That is :attr:`AprResult.apr`; :attr:`AprResult.effective_annual_rate` is the same
cost compounded, ``(1 + periodic)^k − 1``.

Sign convention of every cash flow here: the money the lender pays out (what the borrower
receives) is **negative**, every repayment and fee the borrower pays is **positive**. The IRR
does not change if all signs are flipped, so either convention gives the same rates.

No I/O: plain functions on Decimal.
"""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, localcontext
from typing import Literal, Protocol

from xieshang.engine import finance
from xieshang.engine.terms import LoanTerms
from xieshang.errors import UserError

__all__ = [
    "AprResult",
    "PeriodLike",
    "ScheduleLike",
    "apr_from_flows",
    "apr_from_installments",
    "contract_apr",
    "month_offsets",
]

MONTHS_PER_YEAR = 12
MAX_MONTHS = 600
_ONE = Decimal(1)
_TWELVE = Decimal(MONTHS_PER_YEAR)

Method = Literal["irr", "xirr"]


@dataclass(frozen=True, slots=True)
class AprResult:
    """Annualised cost of a loan. All rates are decimal fractions (``0.12`` = 12 %).

    * ``periodic_rate``: IRR per period (per month here);
    * ``apr``: ``periodic_rate × periods_per_year``, the nominal annual rate lenders must disclose;
    * ``effective_annual_rate``: ``(1 + periodic_rate)^periods_per_year − 1``, compounded;
    * ``method``: ``"irr"`` when the flows fall on a monthly grid (periodic IRR), ``"xirr"`` when
      they do not (Actual/365 dated IRR, then converted; see :func:`apr_from_flows`).
    """

    periodic_rate: Decimal
    periods_per_year: int
    apr: Decimal
    effective_annual_rate: Decimal
    method: Method = "irr"


class PeriodLike(Protocol):
    """What :func:`contract_apr` needs of one schedule period (``SchedulePeriod`` fits)."""

    @property
    def n(self) -> int: ...

    @property
    def due_date(self) -> date: ...

    @property
    def payment(self) -> Decimal: ...

    @property
    def fee(self) -> Decimal: ...


class ScheduleLike(Protocol):
    """What :func:`contract_apr` needs of a schedule (``engine.schedule.Schedule`` fits)."""

    @property
    def periods(self) -> Sequence[PeriodLike]: ...


def _monthly_result(periodic: Decimal, method: Method = "irr") -> AprResult:
    with localcontext() as ctx:
        ctx.prec = max(ctx.prec, finance.WORKING_PRECISION)
        apr = periodic * _TWELVE
        effective = (_ONE + periodic) ** MONTHS_PER_YEAR - _ONE
    return AprResult(
        periodic_rate=+periodic,
        periods_per_year=MONTHS_PER_YEAR,
        apr=+apr,
        effective_annual_rate=+effective,
        method=method,
    )


def apr_from_installments(
    received: Decimal, payment: Decimal, months: int, periodic_fee: Decimal = Decimal(0)
) -> AprResult:
    """APR of a loan paid back in ``months`` level monthly instalments.

    ``received`` is the money actually received (after any amount deducted up front);
    ``payment`` the monthly instalment and ``periodic_fee`` any fee charged with each instalment.
    """
    if isinstance(months, bool) or not isinstance(months, int) or not 1 <= months <= MAX_MONTHS:
        raise UserError("error.term.months", value=str(months))
    if received <= 0:
        raise UserError("error.money.not_positive", field="received", value=str(received))
    if payment <= 0:
        raise UserError("error.money.not_positive", field="payment", value=str(payment))
    if periodic_fee < 0:
        raise UserError("error.money.negative", field="periodic_fee", value=str(periodic_fee))
    periodic = finance.rate(months, payment + periodic_fee, -received)
    return _monthly_result(periodic)


def _add_months(start: date, months: int) -> date:
    """``start`` plus whole calendar months, the day clamped to the month's end (1-31 → 2-28)."""
    total = start.month - 1 + months
    year, month = start.year + total // 12, total % 12 + 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


def _is_month_end(d: date) -> bool:
    return d.day == calendar.monthrange(d.year, d.month)[1]


def month_offsets(dates: Sequence[date]) -> list[int] | None:
    """Whole months from the first date to each date, or ``None`` if any date is off that grid.

    A date is on the grid when it is the first date plus k calendar months on the same day of
    month (clamped to the month's end when the month is shorter, 1-31 → 2-28 → 3-31), or when
    the first date and it are both the last day of their months (end-of-month schedules).
    ``dates`` must be sorted.
    """
    if not dates:
        return None
    first = dates[0]
    offsets: list[int] = []
    for d in dates:
        k = (d.year - first.year) * 12 + (d.month - first.month)
        if k < 0:
            return None
        on_grid = d == _add_months(first, k) or (_is_month_end(first) and _is_month_end(d))
        if not on_grid:
            return None
        offsets.append(k)
    return offsets


def apr_from_flows(flows: Sequence[tuple[date, Decimal]]) -> AprResult:
    """APR of dated cash flows (borrowed money negative, repayments positive, or all reversed).

    * Flows on a monthly grid (see :func:`month_offsets`; same-day flows are added together,
      months without a flow count as zero): the monthly IRR, ``apr = IRR × 12``, method ``irr``.
    * Any other dates: the Actual/365 XIRR is the effective annual rate; the periodic (monthly)
      rate is its monthly equivalent ``(1 + XIRR)^(1/12) − 1`` and ``apr`` is that × 12, i.e.
      the nominal annual rate compounded monthly with the same effective cost. Method ``xirr``.

    In both cases ``effective_annual_rate = (1 + periodic_rate)^12 − 1``.
    """
    if not flows:
        raise UserError("error.flow.no_sign_change")
    merged: dict[date, Decimal] = {}
    for on, amount in flows:
        merged[on] = merged.get(on, Decimal(0)) + amount
    dates = sorted(merged)
    amounts = [merged[d] for d in dates]
    if not (any(a > 0 for a in amounts) and any(a < 0 for a in amounts)):
        raise UserError("error.flow.no_sign_change")
    offsets = month_offsets(dates)
    if offsets is not None:
        values = [Decimal(0)] * (offsets[-1] + 1)
        for k, amount in zip(offsets, amounts, strict=True):
            values[k] += amount
        return _monthly_result(finance.irr(values))
    annual = finance.xirr(amounts, dates)
    with localcontext() as ctx:
        ctx.prec = max(ctx.prec, finance.WORKING_PRECISION)
        periodic = (_ONE + annual) ** (_ONE / _TWELVE) - _ONE
    return _monthly_result(periodic, "xirr")


def contract_apr(terms: LoanTerms, schedule: ScheduleLike) -> AprResult:
    """APR of a contract from its repayment schedule.

    Cash flows: at ``terms.start`` the borrower receives ``terms.received − terms.upfront_fees``
    (negative, money from the lender); period ``n`` of the schedule brings ``payment + fee``
    (positive) at month ``n``. The IRR is taken over the schedule's own monthly periods (period
    number n is t = n months), which is how the disclosed APR is computed even when the first
    period is not exactly one month long.
    """
    net = terms.received - terms.upfront_fees
    if net <= 0:
        raise UserError("error.money.not_positive", field="received", value=str(net))
    periods = list(schedule.periods)
    if not periods:
        raise UserError("error.flow.no_sign_change")
    last = max(p.n for p in periods)
    if min(p.n for p in periods) < 1:
        raise ValueError("schedule periods are numbered from 1")
    values = [Decimal(0)] * (last + 1)
    values[0] = -net
    for p in periods:
        values[p.n] += p.payment + p.fee
    return _monthly_result(finance.irr(values))
