"""engine/reconcile: the lender's figure is rebuilt with a known rule variation, and reconcile
must name that variation first."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal
from typing import Any

from xieshang.engine.reconcile import Change, fee_token, reconcile, single_variations, variations
from xieshang.engine.status import status_of
from xieshang.engine.terms import (
    CardInterestMode,
    CardTerms,
    CompoundBase,
    LateFeeFrequency,
    LateFeeKind,
    LateFeeRule,
    LoanTerms,
    OverdueRules,
    Payment,
)
from xieshang.rates import AnnualRate, DailyRate, DayCount

START = date(2025, 1, 10)
ON = date(2025, 6, 20)
PAYMENTS = [Payment(date(2025, 2, 10), Decimal("916.80"))]


def _loan(**rules: Any) -> LoanTerms:
    base = OverdueRules(penalty_multiplier=Decimal("1.3"), compound=True, compound_base=CompoundBase.INTEREST)
    return LoanTerms(principal=Decimal("10000"), rate=AnnualRate(Decimal("0.18")), term_months=12, start=START,
                     day_count=DayCount.D360, overdue=replace(base, **rules))


def _theirs(terms: LoanTerms | CardTerms, payments: list[Payment] = PAYMENTS) -> Decimal:
    return status_of(terms, payments, ON).payoff


def test_recovers_penalty_multiplier() -> None:
    ours = _loan()
    theirs = _theirs(replace(ours, overdue=replace(ours.overdue, penalty_multiplier=Decimal("1.5"))))
    result = reconcile(ours, PAYMENTS, ON, theirs)
    assert result.difference > 1
    assert not result.agrees
    assert result.best is not None
    assert result.best.changes == (Change("penalty_multiplier", "1.3", "1.5"),)
    assert result.best.remainder == 0
    assert result.explained
    assert result.remainder == 0
    # by component: only penalty (and compound interest, which runs at the penalty rate) differ
    assert result.best.owed.principal == result.ours.owed.principal
    assert result.best.owed.penalty > result.ours.owed.penalty


def test_recovers_a_pair() -> None:
    ours = _loan()
    lender = replace(ours, day_count=DayCount.D365,
                     overdue=replace(ours.overdue, penalty_multiplier=Decimal("2.0")))
    result = reconcile(ours, PAYMENTS, ON, _theirs(lender))
    assert result.best is not None
    assert {(c.field, c.theirs) for c in result.best.changes} == {("penalty_multiplier", "2"),
                                                                  ("day_count", "365")}
    assert result.explained


def test_recovers_late_fee_and_compound_base() -> None:
    ours = _loan()
    fee = LateFeeRule(kind=LateFeeKind.PERCENT, percent=Decimal("0.05"), frequency=LateFeeFrequency.ONCE)
    result = reconcile(ours, PAYMENTS, ON, _theirs(replace(ours, overdue=replace(ours.overdue, late_fee=fee))))
    assert result.best is not None and result.best.changes == (Change("late_fee", "none", "percent:0.05:once"),)
    lender = replace(ours, overdue=replace(ours.overdue, compound_base=CompoundBase.INTEREST_AND_PENALTY))
    result = reconcile(ours, PAYMENTS, ON, _theirs(lender))
    assert result.best is not None
    assert result.best.changes == (Change("compound", "interest", "interest-and-penalty"),)


def test_agrees_and_unexplained_remainder() -> None:
    ours = _loan()
    same = reconcile(ours, PAYMENTS, ON, _theirs(ours) + Decimal("0.40"))
    assert same.agrees and same.remainder == Decimal("0.40")
    big = reconcile(ours, PAYMENTS, ON, _theirs(ours) + Decimal("5000"))
    assert not big.agrees and not big.explained
    assert big.remainder > 1000  # a fee we know nothing of
    # every explanation listed comes closer than ours, best first
    gaps = [abs(e.remainder) for e in big.explanations]
    assert gaps == sorted(gaps) and all(g < abs(big.difference) for g in gaps)
    low = reconcile(ours, PAYMENTS, ON, _theirs(ours) - Decimal("300"))
    assert low.remainder < -1  # they show less: a waiver or payment we do not know of


def test_payments_after_the_date_are_ignored() -> None:
    ours = _loan()
    later = [*PAYMENTS, Payment(date(2025, 7, 1), Decimal("5000"))]
    assert reconcile(ours, later, ON, _theirs(ours)).ours.payoff == _theirs(ours)


def test_variations_change_only_what_they_name() -> None:
    ours = _loan(grace_days=3)
    fields = {c.field for c, _ in single_variations(ours)}
    assert fields == {"penalty_multiplier", "penalty_start", "compound", "late_fee", "day_count", "rate_quote"}
    for change, varied in single_variations(ours):
        assert varied != ours, change
        assert change.ours != change.theirs
    pairs = [ch for ch, _ in variations(ours) if len(ch) == 2]
    assert pairs and all(a.field != b.field for a, b in pairs)


def test_daily_rate_loan_drops_no_effect_day_count() -> None:
    ours = LoanTerms(principal=Decimal("10000"), rate=DailyRate(Decimal("0.0005")), term_months=12, start=START,
                     day_count=DayCount.D365, overdue=OverdueRules(penalty_multiplier=Decimal("1.5")))
    result = reconcile(ours, PAYMENTS, ON, _theirs(ours) + Decimal("80"))
    for e in result.explanations:
        assert all(c.field != "day_count" for c in e.changes)


def test_card_interest_mode_recovered() -> None:
    card = CardTerms(statement_balance=Decimal("8000"), statement_date=date(2025, 1, 5), due_date=date(2025, 1, 25),
                     daily_rate=DailyRate(Decimal("0.0005")))
    pays = [Payment(date(2025, 1, 25), Decimal("3000"))]
    lender = replace(card, interest_mode=CardInterestMode.UNPAID_ONLY)
    result = reconcile(card, pays, ON, _theirs(lender, pays))
    assert result.best is not None
    assert result.best.changes == (Change("interest_mode", "full-statement", "unpaid-only"),)
    assert result.explained


def test_fee_token() -> None:
    assert fee_token(LateFeeRule()) == "none"
    assert fee_token(LateFeeRule(kind=LateFeeKind.FLAT, amount=Decimal(50))) == "flat:50.00:once"
    assert fee_token(LateFeeRule(kind=LateFeeKind.PERCENT, percent=Decimal("0.050"),
                                 frequency=LateFeeFrequency.PER_PERIOD)) == "percent:0.05:per-period"
