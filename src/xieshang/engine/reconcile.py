"""Why the lender's figure differs from ours: a search over documented rule variations.

A lender's app or statement says a debt is ¥X on a date; our replay of the contract says ¥Y.
:func:`reconcile` recomputes the debt on that date under a fixed, documented set of *rule
variations* (the usual places where a lender's practice departs from what the borrower entered),
each alone and every pair of them from different groups, and ranks the variations by how close
their payoff comes to the lender's figure (smallest absolute difference; ties: fewer changes,
then the order below). What is left over is reported as an unexplained remainder.

Variations of an instalment / revolving loan (:class:`LoanTerms`), by group:

* ``penalty_multiplier`` — penalty interest at ×1.3, ×1.5 or ×2.0 of the contract rate (each one
  that differs from the loan's; an explicit penalty rate counts as differing);
* ``penalty_start`` — penalty from the due date vs only after the grace days (grace days > 0 only);
* ``compound`` — compound interest off, on overdue interest, or on interest and penalty;
* ``late_fee`` — no late fee vs a late fee: the loan's kind with the other frequency, or, when the
  loan has none, 5 % of the overdue instalment once / every period (the kind lenders use);
* ``day_count`` — 360 vs 365 days a year;
* ``rate_quote`` — an annual (or monthly) contract rate quoted as a daily rate = annual/360 and
  charged for actual days, or a daily rate turned into annual = daily × 360 (× 365) charged monthly.

Credit-card accounts (:class:`CardTerms`): ``interest_mode`` (full statement vs unpaid part),
``compound_monthly`` on/off, ``interest_from`` (statement date vs due date), ``late_fee`` (none vs
5 %, at least ¥10), ``day_count``.

Pure computation: every variation is ``dataclasses.replace`` on the frozen terms, then the engine's
own replay. A change that does not move the payoff (e.g. the day count of a daily rate) is dropped,
and so is a pair that does no better than one of its parts alone.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from itertools import combinations
from typing import Any

from xieshang.engine.status import LoanStatus, Owed, status_of
from xieshang.engine.terms import (
    CardInterestMode,
    CardTerms,
    CompoundBase,
    InterestBasis,
    LateFeeFrequency,
    LateFeeKind,
    LateFeeRule,
    LoanTerms,
    OverdueRules,
    Payment,
    PenaltyStart,
)
from xieshang.money import fmt
from xieshang.rates import AnnualRate, DailyRate, DayCount, Period

#: Differences up to this much are "the same figure" (rounding, a day's accrual on small debts).
DEFAULT_TOLERANCE = Decimal("1.00")
PENALTY_MULTIPLIERS = (Decimal("1.3"), Decimal("1.5"), Decimal("2.0"))
LOAN_LATE_FEE_PERCENT = Decimal("0.05")
CARD_LATE_FEE = LateFeeRule(kind=LateFeeKind.PERCENT, percent=Decimal("0.05"), minimum=Decimal(10))

Terms = LoanTerms | CardTerms


@dataclass(frozen=True, slots=True)
class Change:
    """One rule changed from ours to what the lender may use. Values are language-neutral tokens
    (``"1.5"``, ``"grace-end"``, ``"percent:0.05:once"``, ``"365"`` …); the faces word them."""

    field: str
    ours: str
    theirs: str

    def to_json(self) -> dict[str, str]:
        return {"field": self.field, "ours": self.ours, "theirs": self.theirs}


@dataclass(frozen=True, slots=True)
class _Single:
    change: Change
    apply: Callable[[Terms], Terms]


@dataclass(frozen=True, slots=True)
class Explanation:
    """Our computation with ``changes`` applied, and how far it still is from the lender's figure."""

    changes: tuple[Change, ...]
    owed: Owed
    remainder: Decimal  # theirs − this payoff

    @property
    def payoff(self) -> Decimal:
        return self.owed.total

    def to_json(self) -> dict[str, object]:
        return {
            "changes": [c.to_json() for c in self.changes],
            "payoff": fmt(self.payoff),
            "owed": self.owed.to_json(),
            "remainder": fmt(self.remainder),
        }


@dataclass(frozen=True, slots=True)
class Reconciliation:
    on: date
    theirs: Decimal
    ours: LoanStatus
    explanations: tuple[Explanation, ...]  # only those closer than ours, best first
    tried: int  # how many variations were computed
    tolerance: Decimal = DEFAULT_TOLERANCE

    @property
    def difference(self) -> Decimal:
        """Theirs − ours (positive: the lender asks for more)."""
        return self.theirs - self.ours.payoff

    @property
    def agrees(self) -> bool:
        return abs(self.difference) <= self.tolerance

    @property
    def best(self) -> Explanation | None:
        return self.explanations[0] if self.explanations else None

    @property
    def explained(self) -> bool:
        """A variation reproduces the lender's figure within the tolerance."""
        return self.best is not None and abs(self.best.remainder) <= self.tolerance

    @property
    def remainder(self) -> Decimal:
        """What neither our figure nor the best variation accounts for (theirs − best)."""
        if self.agrees:
            return self.difference
        return self.best.remainder if self.best is not None else self.difference


# ---------------------------------------------------------------------------------------
# The variations
# ---------------------------------------------------------------------------------------


def fee_token(rule: LateFeeRule) -> str:
    """``none`` | ``flat:50.00:once`` | ``percent:0.05:per-period`` (minimum/maximum not shown)."""
    if rule.kind is LateFeeKind.NONE:
        return "none"
    value = fmt(rule.amount) if rule.kind is LateFeeKind.FLAT else format(rule.percent.normalize(), "f")
    return f"{rule.kind.value}:{value}:{rule.frequency.value}"


def _on_rules(change: Callable[[OverdueRules], OverdueRules]) -> Callable[[Terms], Terms]:
    def apply(terms: Terms) -> Terms:
        assert isinstance(terms, LoanTerms)
        return replace(terms, overdue=change(terms.overdue))

    return apply


def _set(**fields: Any) -> Callable[[Terms], Terms]:
    def apply(terms: Terms) -> Terms:
        return replace(terms, **fields)

    return apply


def _set_rules(**fields: Any) -> Callable[[Terms], Terms]:
    return _on_rules(lambda rules: replace(rules, **fields))


def _compound_token(rules: OverdueRules) -> str:
    return rules.compound_base.value if rules.compound else "off"


def _loan_singles(terms: LoanTerms) -> list[_Single]:
    o = terms.overdue
    out: list[_Single] = []
    ours_pen = format(o.penalty_multiplier.normalize(), "f") if o.penalty_rate is None else (
        "rate:" + o.penalty_rate.describe())
    for m in PENALTY_MULTIPLIERS:
        if o.penalty_rate is None and o.penalty_multiplier == m:
            continue
        out.append(_Single(Change("penalty_multiplier", ours_pen, format(m.normalize(), "f")),
                           _set_rules(penalty_multiplier=m, penalty_rate=None)))
    if o.grace_days > 0:
        other = PenaltyStart.GRACE_END if o.penalty_start is PenaltyStart.DUE_DATE else PenaltyStart.DUE_DATE
        out.append(_Single(Change("penalty_start", o.penalty_start.value, other.value),
                           _set_rules(penalty_start=other)))
    ours_cmp = _compound_token(o)
    for token in ("off", CompoundBase.INTEREST.value, CompoundBase.INTEREST_AND_PENALTY.value):
        if token == ours_cmp:
            continue
        if token == "off":
            out.append(_Single(Change("compound", ours_cmp, token), _set_rules(compound=False)))
        else:
            out.append(_Single(Change("compound", ours_cmp, token),
                               _set_rules(compound=True, compound_base=CompoundBase(token))))
    fee = o.late_fee
    fees: list[LateFeeRule]
    if fee.kind is LateFeeKind.NONE:
        fees = [LateFeeRule(kind=LateFeeKind.PERCENT, percent=LOAN_LATE_FEE_PERCENT, frequency=freq)
                for freq in (LateFeeFrequency.ONCE, LateFeeFrequency.PER_PERIOD)]
    else:
        other_freq = (LateFeeFrequency.PER_PERIOD if fee.frequency is LateFeeFrequency.ONCE
                      else LateFeeFrequency.ONCE)
        fees = [LateFeeRule(), replace(fee, frequency=other_freq)]
    for rule in fees:
        out.append(_Single(Change("late_fee", fee_token(fee), fee_token(rule)), _set_rules(late_fee=rule)))
    for dc in (DayCount.D360, DayCount.D365):
        if terms.day_count is not dc:
            out.append(_Single(Change("day_count", terms.day_count.value, dc.value), _set(day_count=dc)))
    rate = terms.rate
    if rate.period is Period.DAY:
        for basis in (360, 365):
            annual = AnnualRate(rate.value * basis)
            dc = DayCount.D360 if basis == 360 else DayCount.D365
            out.append(_Single(Change("rate_quote", "daily", f"annual-{basis}"),
                               _set(rate=annual, day_count=dc, interest_basis=InterestBasis.MONTHLY)))
    else:
        daily = DailyRate(rate.annual(DayCount.D360).value / 360)
        out.append(_Single(Change("rate_quote", rate.period.value, "daily-360"),
                           _set(rate=daily, interest_basis=InterestBasis.ACTUAL_DAYS)))
    return out


def _card_singles(terms: CardTerms) -> list[_Single]:
    out: list[_Single] = []
    other_mode = (CardInterestMode.UNPAID_ONLY if terms.interest_mode is CardInterestMode.FULL_STATEMENT
                  else CardInterestMode.FULL_STATEMENT)
    out.append(_Single(Change("interest_mode", terms.interest_mode.value, other_mode.value),
                       _set(interest_mode=other_mode)))
    out.append(_Single(Change("compound_monthly", str(terms.compound_monthly).lower(),
                              str(not terms.compound_monthly).lower()),
                       _set(compound_monthly=not terms.compound_monthly)))
    start = terms.interest_from or terms.statement_date
    if start != terms.due_date:
        out.append(_Single(Change("interest_from", "statement-date" if start == terms.statement_date
                                  else start.isoformat(), "due-date"), _set(interest_from=terms.due_date)))
    if start != terms.statement_date:
        out.append(_Single(Change("interest_from", start.isoformat(), "statement-date"),
                           _set(interest_from=None)))
    fee_alt = LateFeeRule() if terms.late_fee.kind is not LateFeeKind.NONE else CARD_LATE_FEE
    out.append(_Single(Change("late_fee", fee_token(terms.late_fee), fee_token(fee_alt)), _set(late_fee=fee_alt)))
    for dc in (DayCount.D360, DayCount.D365):
        if terms.day_count is not dc:
            out.append(_Single(Change("day_count", terms.day_count.value, dc.value), _set(day_count=dc)))
    return out


def single_variations(terms: Terms) -> list[tuple[Change, Terms]]:
    """Each documented variation alone, as (the change, the varied terms)."""
    singles = _card_singles(terms) if isinstance(terms, CardTerms) else _loan_singles(terms)
    return [(s.change, s.apply(terms)) for s in singles]


def variations(terms: Terms, *, pairs: bool = True) -> list[tuple[tuple[Change, ...], Terms]]:
    """Every single variation, then every pair of singles from different groups, in a fixed order."""
    singles = _card_singles(terms) if isinstance(terms, CardTerms) else _loan_singles(terms)
    out: list[tuple[tuple[Change, ...], Terms]] = [((s.change,), s.apply(terms)) for s in singles]
    if pairs:
        for a, b in combinations(singles, 2):
            if a.change.field == b.change.field:
                continue
            out.append(((a.change, b.change), b.apply(a.apply(terms))))
    return out


# ---------------------------------------------------------------------------------------
# Reconciliation
# ---------------------------------------------------------------------------------------


def reconcile(terms: Terms, payments: Sequence[Payment], on: date, theirs: Decimal, *,
              tolerance: Decimal = DEFAULT_TOLERANCE, limit: int = 5) -> Reconciliation:
    """Our payoff on ``on`` against the lender's ``theirs``, with the variations that come closer.

    Payments after ``on`` are ignored. ``explanations`` holds at most ``limit`` variations, each
    closer to ``theirs`` than our own figure, best first.
    """
    known = [p for p in payments if p.on <= on]
    ours = status_of(terms, known, on)
    base_gap = abs(theirs - ours.payoff)
    singles_payoff: dict[tuple[str, str], Decimal] = {}
    found: list[tuple[Decimal, int, int, Explanation]] = []
    tried = 0
    for index, (changes, varied) in enumerate(variations(terms)):
        tried += 1
        status = status_of(varied, known, on)
        payoff = status.payoff
        if len(changes) == 1:
            singles_payoff[(changes[0].field, changes[0].theirs)] = payoff
            if payoff == ours.payoff:
                continue  # the change does nothing here
        else:
            parts = [singles_payoff.get((c.field, c.theirs)) for c in changes]
            if any(p is not None and abs(theirs - p) <= abs(theirs - payoff) for p in parts):
                continue  # no better than one of its parts alone
        gap = abs(theirs - payoff)
        if gap >= base_gap:
            continue
        found.append((gap, len(changes), index, Explanation(changes, status.owed, theirs - payoff)))
    found.sort(key=lambda e: (e[0], e[1], e[2]))
    return Reconciliation(on=on, theirs=theirs, ours=ours, explanations=tuple(e[3] for e in found[:limit]),
                          tried=tried, tolerance=tolerance)


__all__ = [
    "DEFAULT_TOLERANCE",
    "Change",
    "Explanation",
    "Reconciliation",
    "fee_token",
    "reconcile",
    "single_variations",
    "variations",
]
