"""The overdue calculator use-case: profile + the user's figures + payments → full picture.

Used by ``xieshang calc overdue`` (no store) and shaped so the case overview can reuse
:func:`assess` for stored loans: status on the date, projection if nothing is paid, the cost
figures held against the legal lines that apply to the lender type.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from xieshang import clock
from xieshang.engine.cost import CostFigures, LineCheck, check_lines, cost_figures
from xieshang.engine.status import LoanStatus, ProjectionPoint, projection, status_of
from xieshang.engine.terms import CardTerms, LoanTerms, Payment
from xieshang.errors import UserError
from xieshang.money import fmt
from xieshang.services.calculators import (
    Checked,
    check_payments,
    check_rate,
    parse_date,
    parse_payments,
    pick_rate,
)

PROJECTION_DAYS = (30, 90, 180, 365)


@dataclass
class OverdueInput:
    profile: str = "custom"
    principal: str | None = None
    start: str | None = None
    months: int | None = None
    as_of: str | None = None
    method: str | None = None
    rate: str | None = None
    annual_rate: str | None = None
    monthly_rate: str | None = None
    daily_rate: str | None = None
    received: str | None = None
    statement_balance: str | None = None
    statement_date: str | None = None
    due_date: str | None = None
    paid: list[str] = field(default_factory=list)
    overrides: list[str] = field(default_factory=list)
    force: bool = False


@dataclass
class LineInfo:
    id: str
    name_zh: str
    name_en: str
    rate: Decimal
    citation: str
    confidence: str


@dataclass
class Assessment:
    """Everything the faces show about one debt on one date."""

    terms: LoanTerms | CardTerms
    status: LoanStatus
    projection: list[ProjectionPoint]
    cost: CostFigures
    lines: list[LineInfo]
    checks: list[LineCheck]
    profile_id: str
    lender_type: str | None
    warnings: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    @property
    def above_lines(self) -> list[LineCheck]:
        return [c for c in self.checks if c.above]

    def to_json(self) -> dict[str, object]:
        data: dict[str, object] = {
            "profile": self.profile_id,
            "lender_type": self.lender_type,
            "product": "card" if isinstance(self.terms, CardTerms) else "loan",
        }
        data.update(self.status.to_json())
        data["projection"] = [p.to_json() for p in self.projection]
        data["cost"] = self.cost.to_json()
        data["legal_lines"] = [
            {"id": ln.id, "name_zh": ln.name_zh, "name_en": ln.name_en, "annual_rate": str(ln.rate),
             "citation": ln.citation, "confidence": ln.confidence}
            for ln in self.lines
        ]
        data["line_checks"] = [c.to_json() for c in self.checks]
        data["warnings"] = [k for k, _ in self.warnings]
        return data


def _overrides(items: list[str]) -> dict[str, object]:
    out: dict[str, object] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise UserError("error.input.override", value=item)
        out[key.strip()] = value.strip()
    return out


def applicable_lines(lender_type: str | None, on: date) -> list[LineInfo]:
    """The interest lines from the rules data that apply to ``lender_type``."""
    from xieshang.rules import legal_lines

    out: list[LineInfo] = []
    if lender_type is None:  # unknown lender type (custom profile): no line can be said to apply
        return out
    for line in legal_lines(lender_type, on=on):
        out.append(LineInfo(line.id, line.name_zh, line.name_en, line.rate, line.source,
                            str(line.confidence)))
    return out


def assess(terms: LoanTerms | CardTerms, payments: list[Payment], as_of: date, *, profile_id: str,
           lender_type: str | None, days: tuple[int, ...] = PROJECTION_DAYS) -> Assessment:
    status = status_of(terms, payments, as_of)
    excess = [a for a in status.allocations if a.excess > 0]
    if excess:
        a = excess[0]
        raise UserError("error.payment.too_large", date=a.on.isoformat(), amount=fmt(a.amount),
                        payoff=fmt(a.amount - a.excess))
    start = terms.statement_date if isinstance(terms, CardTerms) else terms.start
    lines = applicable_lines(lender_type, start)
    figures = cost_figures(terms, status)
    checks = check_lines(figures, [(ln.id, ln.rate) for ln in lines])
    return Assessment(terms, status, projection(terms, payments, as_of, days), figures, lines, checks,
                      profile_id, lender_type)


def compute_overdue(inp: OverdueInput) -> Assessment:
    """``calc overdue``: build terms from the profile and the user's figures, then :func:`assess`."""
    from xieshang.rules import get_profile

    prof = get_profile(inp.profile)
    as_of = parse_date(inp.as_of) if inp.as_of else clock.today()
    overrides = _overrides(inp.overrides)
    payments = parse_payments(inp.paid)
    checked = Checked()
    terms: LoanTerms | CardTerms
    if prof.product.value == "card":
        if not (inp.statement_balance and inp.statement_date and inp.due_date):
            raise UserError("error.input.card_fields")
        rate = pick_rate(rate=inp.rate, annual=inp.annual_rate, monthly=inp.monthly_rate, daily=inp.daily_rate)
        if rate is not None:
            overrides.setdefault("daily_rate", rate)
        terms = prof.card_terms(statement_balance=inp.statement_balance,
                                statement_date=parse_date(inp.statement_date),
                                due_date=parse_date(inp.due_date), overrides=overrides)
        check_rate(terms.daily_rate, terms.day_count, force=inp.force, checked=checked)
        start = terms.statement_date
    else:
        if inp.principal is None or inp.start is None or inp.months is None:
            raise UserError("error.input.loan_fields")
        rate = pick_rate(rate=inp.rate, annual=inp.annual_rate, monthly=inp.monthly_rate, daily=inp.daily_rate)
        if not 1 <= inp.months <= 600:
            raise UserError("error.term.months", value=inp.months)
        terms = prof.loan_terms(principal=inp.principal, term_months=inp.months, start=parse_date(inp.start),
                                rate=rate, method=inp.method, amount_received=inp.received,
                                overrides=overrides)
        if terms.principal <= 0:
            raise UserError("error.money.not_positive", field="--principal", value=inp.principal)
        check_rate(terms.rate, terms.day_count, force=inp.force, checked=checked)
        start = terms.start
    if as_of < start:
        raise UserError("error.date.before_disbursement", value=as_of.isoformat(), start=start.isoformat())
    check_payments(payments, start, as_of)
    lender_type = prof.lender_type.value if prof.lender_type is not None else None
    result = assess(terms, payments, as_of, profile_id=prof.id, lender_type=lender_type)
    result.warnings = checked.warnings + result.warnings
    if result.above_lines:
        result.warnings.append(("calc.warn_above_line", {}))
    return result
