"""The contractual repayment schedule (还款计划表) of an instalment loan.

Given :class:`~xieshang.engine.terms.LoanTerms`, :func:`build_schedule` returns one row per
monthly instalment: due date, payment, principal, interest, fee and the balance after it.

Conventions (each a field of the terms, so a lender profile can change it):

* due dates fall monthly on the day of ``first_due`` (default: one month after ``start``),
  clamped to the month's end (31 Jan → 28/29 Feb → 31 Mar);
* ``InterestBasis.MONTHLY``: one period's rate is the monthly rate (annual/12, or the quoted
  monthly rate, or daily × days-in-year/12); a first period that is not one whole month is charged
  for its actual days when ``first_period`` is ``ACTUAL_DAYS``;
* ``InterestBasis.ACTUAL_DAYS``: interest = balance × daily rate × actual days in the period;
* the level payment of 等额本息 solves the balance to zero over the periods' own rates (the
  annuity formula when all periods are equal), is rounded with the loan's rounding policy, and the
  last period clears whatever balance is left;
* each period's interest is rounded with the loan's rounding policy (default half-up to the fen).
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from xieshang.engine.terms import FirstPeriod, InterestBasis, LoanTerms, RepaymentMethod
from xieshang.money import ZERO, fmt
from xieshang.rates import accrual_factor

ONE = Decimal(1)


def add_months(anchor: date, months: int, day: int | None = None) -> date:
    """``anchor`` moved by ``months`` calendar months, on ``day`` (default anchor's), clamped."""
    total = anchor.year * 12 + (anchor.month - 1) + months
    year, month = divmod(total, 12)
    month += 1
    want = anchor.day if day is None else day
    return date(year, month, min(want, calendar.monthrange(year, month)[1]))


def due_dates(terms: LoanTerms, count: int | None = None) -> list[date]:
    """The first ``count`` (default: the term's) monthly due dates."""
    n = terms.term_months if count is None else count
    if terms.first_due is None:  # monthly on the disbursement day, clamped to each month's end
        return [add_months(terms.start, k + 1, terms.start.day) for k in range(n)]
    first = terms.first_due
    return [add_months(first, k, first.day) for k in range(n)]


@dataclass(frozen=True, slots=True)
class SchedulePeriod:
    n: int
    start: date  # the day interest for this period starts counting
    due_date: date
    payment: Decimal  # principal + interest (fees shown separately)
    principal: Decimal
    interest: Decimal
    fee: Decimal
    balance: Decimal  # principal still owed after this period

    def to_json(self) -> dict[str, object]:
        return {
            "n": self.n,
            "due_date": self.due_date.isoformat(),
            "payment": fmt(self.payment),
            "principal": fmt(self.principal),
            "interest": fmt(self.interest),
            "fee": fmt(self.fee),
            "balance": fmt(self.balance),
        }


@dataclass(frozen=True, slots=True)
class Schedule:
    terms: LoanTerms
    periods: tuple[SchedulePeriod, ...]

    @property
    def total_payment(self) -> Decimal:
        return sum((p.payment for p in self.periods), ZERO)

    @property
    def total_interest(self) -> Decimal:
        return sum((p.interest for p in self.periods), ZERO)

    @property
    def total_fees(self) -> Decimal:
        return sum((p.fee for p in self.periods), ZERO)

    def to_json(self) -> dict[str, object]:
        return {
            "method": self.terms.method.value,
            "principal": fmt(self.terms.principal),
            "periods": [p.to_json() for p in self.periods],
            "total_payment": fmt(self.total_payment),
            "total_interest": fmt(self.total_interest),
            "total_fees": fmt(self.total_fees),
        }


def period_factors(terms: LoanTerms, dates: list[date]) -> list[Decimal]:
    """The interest factor (fraction of the balance) of each period, unrounded."""
    factors: list[Decimal] = []
    prev = terms.start
    basis = InterestBasis.ACTUAL_DAYS if terms.method is RepaymentMethod.REVOLVING else terms.interest_basis
    monthly = terms.rate.monthly(terms.day_count).value
    regular_first = add_months(terms.start, 1)
    for k, due in enumerate(dates):
        if basis is InterestBasis.ACTUAL_DAYS:
            factors.append(accrual_factor(terms.rate, prev, due, terms.day_count))
        elif k == 0 and terms.first_period is FirstPeriod.ACTUAL_DAYS and due != regular_first:
            factors.append(accrual_factor(terms.rate, prev, due, terms.day_count))
        else:
            factors.append(monthly)
        prev = due
    return factors


def level_payment(principal: Decimal, factors: list[Decimal]) -> Decimal:
    """The unrounded level payment that brings ``principal`` to zero over periods of ``factors``.

    Balance after the last period: P·Π(1+f) − A·Σ_k Π_{i>k}(1+f_i) = 0. With equal factors this is
    the annuity formula A = P·f(1+f)^n / ((1+f)^n − 1); with no interest it is P / n.
    """
    if all(f == 0 for f in factors):
        return principal / len(factors)
    growth_after = ONE  # Π_{i>k}(1+f_i), built from the back
    weight_sum = ZERO
    for f in reversed(factors):
        weight_sum += growth_after
        growth_after *= ONE + f
    return principal * growth_after / weight_sum


def build_schedule(terms: LoanTerms) -> Schedule:
    """The contractual schedule of ``terms`` (see the module docstring for the conventions)."""
    dates = due_dates(terms)
    factors = period_factors(terms, dates)
    rnd = terms.rounding
    n = len(dates)
    balance = terms.principal
    fee = rnd(terms.periodic_fee)
    periods: list[SchedulePeriod] = []

    if terms.method is RepaymentMethod.EQUAL_INSTALLMENT:
        payment = rnd(level_payment(terms.principal, factors))
    equal_principal = rnd(terms.principal / n)

    prev = terms.start
    for k in range(n):
        interest = rnd(balance * factors[k])
        last = k == n - 1
        if terms.method is RepaymentMethod.EQUAL_INSTALLMENT:
            principal = balance if last else min(balance, max(ZERO, payment - interest))
        elif terms.method is RepaymentMethod.EQUAL_PRINCIPAL:
            principal = balance if last else min(balance, equal_principal)
        else:  # INTEREST_FIRST and REVOLVING: principal at maturity
            principal = balance if last else ZERO
        balance -= principal
        periods.append(
            SchedulePeriod(
                n=k + 1,
                start=prev,
                due_date=dates[k],
                payment=principal + interest,
                principal=principal,
                interest=interest,
                fee=fee,
                balance=balance,
            )
        )
        prev = dates[k]
    return Schedule(terms=terms, periods=tuple(periods))
