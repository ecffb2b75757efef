"""Can I afford this loan? The payment, its share of income, debt-to-income, the real APR.

Pure: no files, no rules import. The thresholds come in as :class:`Threshold` values (the service
reads them from ``rules/data/planning/affordability.toml`` with their sources).

* The payment of an amortising loan (``flat=False``) is the 等额本息 level payment of the engine's
  schedule at the quoted annual rate (annual / 12 a month), rounded to the fen; the last instalment
  clears the balance.
* A *flat* quote (``flat=True``, e.g. 分期手续费 "月费率0.5%" or "年化6%" charged on the original
  amount for the whole term) means interest = amount × rate × months / 12, spread evenly.
* The real APR is the IRR of the money received (amount − upfront fee) against every payment and
  monthly fee, × 12 (PBOC 2021 No. 3), via :func:`xieshang.engine.apr.apr_from_flows` (each instalment as it is).
* Share of income = (payment + monthly fee) / monthly income; debt-to-income before/after = the
  monthly debt payments without/with this loan / monthly income.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from xieshang.engine.apr import AprResult, apr_from_flows
from xieshang.engine.schedule import add_months, build_schedule
from xieshang.engine.terms import LoanTerms
from xieshang.errors import UserError
from xieshang.money import DEFAULT_ROUNDING, ZERO, Rounding, fmt
from xieshang.rates import AnnualRate

#: Schedules here only need month lengths, not real dates: any fixed start will do.
_NOMINAL_START = date(2001, 1, 1)
MEASURES = ("payment-share", "dti")


@dataclass(frozen=True, slots=True)
class Threshold:
    """A line to hold a figure against: ``measure`` is ``payment-share`` or ``dti``."""

    id: str
    measure: str
    level: str  # "caution" | "limit"
    limit: Decimal  # a fraction, e.g. 0.5


@dataclass(frozen=True, slots=True)
class ThresholdCheck:
    threshold: Threshold
    value: Decimal

    @property
    def above(self) -> bool:
        return self.value > self.threshold.limit


@dataclass(frozen=True, slots=True)
class Affordability:
    amount: Decimal
    annual_rate: Decimal
    months: int
    flat: bool
    upfront_fee: Decimal
    monthly_fee: Decimal
    payment: Decimal  # the monthly instalment (principal + interest), fee apart
    last_payment: Decimal
    total_paid: Decimal  # every instalment, fee and the upfront fee
    total_cost: Decimal  # total_paid − amount
    apr: AprResult
    income: Decimal
    existing: Decimal  # monthly debt payments before this loan
    share: Decimal  # (payment + monthly fee) / income
    dti_before: Decimal
    dti_after: Decimal
    checks: tuple[ThresholdCheck, ...]

    @property
    def monthly_outlay(self) -> Decimal:
        return self.payment + self.monthly_fee

    def to_json(self) -> dict[str, object]:
        def frac(x: Decimal) -> str:
            return str(x.quantize(Decimal("0.000001")))

        return {
            "amount": fmt(self.amount), "annual_rate": str(self.annual_rate), "months": self.months,
            "flat": self.flat, "upfront_fee": fmt(self.upfront_fee), "monthly_fee": fmt(self.monthly_fee),
            "payment": fmt(self.payment), "last_payment": fmt(self.last_payment),
            "monthly_outlay": fmt(self.monthly_outlay), "total_paid": fmt(self.total_paid),
            "total_cost": fmt(self.total_cost), "apr": frac(self.apr.apr),
            "effective_annual_rate": frac(self.apr.effective_annual_rate), "income": fmt(self.income),
            "existing_payments": fmt(self.existing), "share_of_income": frac(self.share),
            "dti_before": frac(self.dti_before), "dti_after": frac(self.dti_after),
            "checks": [{"id": c.threshold.id, "measure": c.threshold.measure, "level": c.threshold.level,
                        "limit": str(c.threshold.limit), "value": frac(c.value), "above": c.above}
                       for c in self.checks],
        }


def instalments(amount: Decimal, annual_rate: Decimal, months: int, *, flat: bool = False,
                rounding: Rounding = DEFAULT_ROUNDING) -> list[Decimal]:
    """The monthly instalments (principal + interest) of the loan, in order."""
    if flat:
        interest = amount * annual_rate * months / 12
        level = rounding((amount + interest) / months)
        total = rounding(amount + interest)
        return [level] * (months - 1) + [total - level * (months - 1)]
    terms = LoanTerms(principal=amount, rate=AnnualRate(annual_rate), term_months=months, start=_NOMINAL_START,
                      rounding=rounding)
    return [p.payment for p in build_schedule(terms).periods]


def affordability(amount: Decimal, annual_rate: Decimal, months: int, income: Decimal, existing: Decimal,
                  thresholds: tuple[Threshold, ...] = (), *, flat: bool = False, upfront_fee: Decimal = ZERO,
                  monthly_fee: Decimal = ZERO, rounding: Rounding = DEFAULT_ROUNDING) -> Affordability:
    """The figures of borrowing ``amount`` at ``annual_rate`` over ``months`` for this income."""
    if amount <= 0:
        raise UserError("error.money.not_positive", field="--amount", value=fmt(amount))
    if income <= 0:
        raise UserError("error.money.not_positive", field="--income", value=fmt(income))
    if annual_rate < 0:
        raise UserError("error.rate.negative", value=str(annual_rate))
    if existing < 0 or upfront_fee < 0 or monthly_fee < 0:
        raise UserError("error.money.negative", field="fee/debts", value=fmt(min(existing, upfront_fee, monthly_fee)))
    if upfront_fee >= amount:
        raise UserError("error.money.not_positive", field="--amount − --upfront-fee", value=fmt(amount - upfront_fee))
    if isinstance(months, bool) or not 1 <= months <= 600:
        raise UserError("error.term.months", value=str(months))
    pays = instalments(amount, annual_rate, months, flat=flat, rounding=rounding)
    payment = pays[0]
    total = sum(pays, ZERO) + monthly_fee * months + upfront_fee
    flows = [(_NOMINAL_START, upfront_fee - amount)]
    flows += [(add_months(_NOMINAL_START, k + 1), p + monthly_fee) for k, p in enumerate(pays)]
    apr = apr_from_flows(flows)  # every instalment as it is (the last one clears the rounding)
    share = (payment + monthly_fee) / income
    before = existing / income
    after = (existing + payment + monthly_fee) / income
    checks = tuple(ThresholdCheck(t, share if t.measure == "payment-share" else after) for t in thresholds)
    return Affordability(amount, annual_rate, months, flat, upfront_fee, monthly_fee, payment, pays[-1], total,
                         total - amount, apr, income, existing, share, before, after, checks)
