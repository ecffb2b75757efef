"""Synthetic loans for the benchmarks and the seeded oracle tests, generated from a fixed seed.

Each :class:`Case` is a contract (:class:`LoanTerms`), a payment history and an as-of date. The
histories look like real arrears: most instalments paid on time, some late by a few days to a
few months, some paid in part, some never — so every rule of the replay (grace, penalty,
compound interest, late fees, allocation, pay-ahead, payoff) is exercised.

Nothing here is random at import time; the same seed always gives the same corpus.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from xieshang.engine.schedule import build_schedule
from xieshang.engine.terms import (
    CompoundBase,
    LateFeeFrequency,
    LateFeeKind,
    LateFeeRule,
    LoanTerms,
    OverdueRules,
    Payment,
    PenaltyStart,
    RepaymentMethod,
)
from xieshang.rates import AnnualRate, DailyRate, DayCount, Rate

SEED = 20250115
START = date(2022, 1, 10)


@dataclass(frozen=True)
class Case:
    terms: LoanTerms
    payments: tuple[Payment, ...]
    as_of: date


def _rate(rng: random.Random) -> Rate:
    if rng.random() < 0.3:
        return DailyRate(Decimal(rng.choice(["0.0002", "0.0003", "0.00035", "0.0005"])))
    return AnnualRate(Decimal(rng.choice(["0.072", "0.12", "0.149", "0.18", "0.24", "0.36"])))


def _late_fee(rng: random.Random, allow_monthly_postings: bool) -> LateFeeRule:
    kind = rng.choice([LateFeeKind.NONE, LateFeeKind.FLAT, LateFeeKind.PERCENT])
    frequency = LateFeeFrequency.ONCE
    if allow_monthly_postings and rng.random() < 0.3:
        frequency = LateFeeFrequency.PER_PERIOD
    if kind is LateFeeKind.FLAT:
        return LateFeeRule(kind=kind, amount=Decimal(rng.choice([10, 30, 50])), frequency=frequency)
    if kind is LateFeeKind.PERCENT:
        return LateFeeRule(kind=kind, percent=Decimal("0.05"), minimum=Decimal(10),
                           maximum=Decimal(200) if rng.random() < 0.5 else None, frequency=frequency)
    return LateFeeRule()


def random_terms(rng: random.Random, months: int, start: date = START,
                 allow_monthly_postings: bool = True) -> LoanTerms:
    """A plausible consumer-loan contract with randomly chosen overdue rules."""
    method = rng.choice([RepaymentMethod.EQUAL_INSTALLMENT, RepaymentMethod.EQUAL_INSTALLMENT,
                         RepaymentMethod.EQUAL_PRINCIPAL, RepaymentMethod.INTEREST_FIRST])
    compound_base = CompoundBase.INTEREST
    if allow_monthly_postings and rng.random() < 0.2:
        compound_base = CompoundBase.INTEREST_AND_PENALTY
    rules = OverdueRules(
        penalty_multiplier=Decimal(rng.choice(["1.3", "1.5"])),
        penalty_start=rng.choice(list(PenaltyStart)),
        grace_days=rng.randint(0, 5),
        compound=rng.random() < 0.7,
        compound_base=compound_base,
        late_fee=_late_fee(rng, allow_monthly_postings),
    )
    return LoanTerms(
        principal=Decimal(rng.randrange(1000, 50000, 100)),
        rate=_rate(rng),
        term_months=months,
        start=start,
        method=method,
        day_count=rng.choice([DayCount.D360, DayCount.D365]),
        overdue=rules,
    )


def random_payments(rng: random.Random, terms: LoanTerms, until: date) -> list[Payment]:
    """A history of on-time, late, partial and missed instalments (dates ≤ ``until``)."""
    payments: list[Payment] = []
    for period in build_schedule(terms).periods:
        due = period.due_date + timedelta(days=rng.choice([0, 0, 0, -2]))
        owed = period.payment + period.fee
        roll = rng.random()
        if roll < 0.55:  # on time
            on, amount = due, owed
        elif roll < 0.75:  # late, in full plus a little for the penalty
            on, amount = due + timedelta(days=rng.randint(1, 75)), owed + Decimal(rng.randint(0, 50))
        elif roll < 0.9:  # partial
            on = due + timedelta(days=rng.randint(0, 40))
            amount = (owed * Decimal(rng.randint(10, 90)) / 100).quantize(Decimal("0.01"))
        else:  # missed
            continue
        if on <= until:
            payments.append(Payment(on=on, amount=amount))
    payments.sort(key=lambda p: p.on)
    return payments


def history_case(rng: random.Random, months: int = 36) -> Case:
    """A loan of ``months`` monthly instalments, seen a few weeks after its last due date."""
    terms = random_terms(rng, months)
    last_due = build_schedule(terms).periods[-1].due_date
    as_of = last_due + timedelta(days=rng.randint(0, 45))
    return Case(terms, tuple(random_payments(rng, terms, as_of)), as_of)


def corpus(count: int, months: int = 36, seed: int = SEED) -> list[Case]:
    """``count`` loans of ``months`` instalments each (benchmark (a): 10,000 × 36)."""
    rng = random.Random(seed)
    return [history_case(rng, months) for _ in range(count)]


def stretched_pair(count: int, seed: int = SEED + 1) -> tuple[list[Case], list[Case]]:
    """The same 12-instalment loans and payments over one year and stretched over three.

    The second list is the first with every payment's distance from disbursement tripled and the
    as-of date three years after disbursement instead of one: the same instalments, the same number
    of payments, three times the days. Monthly postings after maturity are switched off so that
    the number of events really is the same.
    """
    rng = random.Random(seed)
    short: list[Case] = []
    long: list[Case] = []
    for _ in range(count):
        terms = random_terms(rng, 12, allow_monthly_postings=False)
        as_of = date(START.year + 1, START.month, START.day)
        payments = [Payment(on=START + timedelta(days=rng.randint(20, 364)),
                            amount=Decimal(rng.randrange(100, 3000)))
                    for _ in range(12)]
        payments.sort(key=lambda p: p.on)
        stretched = [Payment(on=START + (p.on - START) * 3, amount=p.amount) for p in payments]
        short.append(Case(terms, tuple(payments), as_of))
        long.append(Case(terms, tuple(stretched), date(START.year + 3, START.month, START.day)))
    return short, long
