"""Cost check: a loan's annualised cost, held against interest lines given by the caller.

Three figures (decimal fractions per year):

* ``contract_apr`` — the APR by IRR of the contract's own cash flows (money actually received,
  every scheduled payment and fee), the figure PBOC announcement 2021 No. 3 requires lenders to
  disclose; for a card, the daily rate × 365;
* ``effective_annual_rate`` — the same cost compounded, (1 + periodic)^12 − 1;
* ``overdue_rate`` — the annualised cost of being overdue now: what the debt grows by per day
  (contract interest + penalty + compound interest) × 365, plus late fees charged so far spread
  over the days past due, all over the principal still owed.

The lines themselves (24 %, 36 %, 4 × LPR, which applies to which lender type) are rules data;
this module only compares numbers, so it stays pure.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from xieshang.engine.status import LoanStatus
from xieshang.engine.terms import CardTerms, LoanTerms
from xieshang.errors import UserError

DAYS_PER_YEAR = Decimal(365)


@dataclass(frozen=True, slots=True)
class CostFigures:
    contract_apr: Decimal | None
    effective_annual_rate: Decimal | None
    overdue_rate: Decimal | None

    def to_json(self) -> dict[str, str | None]:
        def r(x: Decimal | None) -> str | None:
            return None if x is None else str(x.quantize(Decimal("0.000001")))

        return {
            "contract_apr": r(self.contract_apr),
            "effective_annual_rate": r(self.effective_annual_rate),
            "overdue_rate": r(self.overdue_rate),
        }


@dataclass(frozen=True, slots=True)
class LineCheck:
    """One figure against one line: ``above`` is True when the figure exceeds the line."""

    line_id: str
    line_rate: Decimal
    figure: str  # "contract_apr" | "overdue_rate"
    value: Decimal
    above: bool

    def to_json(self) -> dict[str, object]:
        return {
            "line": self.line_id,
            "line_rate": str(self.line_rate),
            "figure": self.figure,
            "value": str(self.value.quantize(Decimal("0.000001"))),
            "above": self.above,
        }


def cost_figures(terms: LoanTerms | CardTerms, status: LoanStatus) -> CostFigures:
    if isinstance(terms, CardTerms):
        annual = terms.daily_rate.daily(terms.day_count).value * DAYS_PER_YEAR
        apr: Decimal | None = annual
        eff: Decimal | None = (1 + annual / 12) ** 12 - 1
    else:
        from xieshang.engine.apr import contract_apr
        from xieshang.engine.schedule import build_schedule

        try:
            res = contract_apr(terms, build_schedule(terms))
            apr, eff = res.apr, res.effective_annual_rate
        except UserError:  # an IRR that does not exist is reported as unknown, not a crash
            apr = eff = None
    principal = status.owed.principal
    overdue: Decimal | None = None
    if principal > 0 and not status.closed:
        per_year = status.growth_per_day * DAYS_PER_YEAR
        if status.dpd > 0 and status.fees_charged > 0:
            per_year += status.fees_charged * DAYS_PER_YEAR / status.dpd
        overdue = per_year / principal
    return CostFigures(contract_apr=apr, effective_annual_rate=eff, overdue_rate=overdue)


def check_lines(figures: CostFigures, lines: Sequence[tuple[str, Decimal]]) -> list[LineCheck]:
    """Compare the contract APR and the overdue rate with each ``(line_id, annual_rate)``."""
    out: list[LineCheck] = []
    for line_id, rate in lines:
        for name, value in (("contract_apr", figures.contract_apr), ("overdue_rate", figures.overdue_rate)):
            if value is None:
                continue
            out.append(LineCheck(line_id, rate, name, value, value > rate))
    return out


def above_any(checks: Sequence[LineCheck]) -> bool:
    return any(c.above for c in checks)


__all__ = ["CostFigures", "LineCheck", "above_any", "check_lines", "cost_figures"]
