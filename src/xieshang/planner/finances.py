"""The borrower's money: income, essential spending, dependants, savings, assets, other obligations.

Pure and exact (Decimal yuan, no I/O). :meth:`Finances.capacity` is what the plan may use each month:

    capacity(month) = income(month) − max(essentials, protected minimum) − other obligations − living buffer

floored at zero. The *protected minimum* is money the plan never touches: by default the local
最低生活保障 reference per person (rules data, :mod:`xieshang.planner.reference`) × (1 + dependants);
the user can set their own. Income marked ``uncertain`` is shown but not counted. Savings above the
emergency reserve (default: the reference months of essential spending) are available once, at the start.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import ROUND_FLOOR, Decimal
from enum import StrEnum

from xieshang.money import FEN, ZERO
from xieshang.planner.reference import reference


class Frequency(StrEnum):
    MONTHLY = "monthly"
    WEEKLY = "weekly"
    BIWEEKLY = "biweekly"
    QUARTERLY = "quarterly"
    YEARLY = "yearly"

    @property
    def per_month(self) -> Decimal:
        return {
            Frequency.MONTHLY: Decimal(1),
            Frequency.WEEKLY: Decimal(52) / 12,
            Frequency.BIWEEKLY: Decimal(26) / 12,
            Frequency.QUARTERLY: Decimal(1) / 3,
            Frequency.YEARLY: Decimal(1) / 12,
        }[self]


class Stability(StrEnum):
    STABLE = "stable"  # salary, pension: counted in full
    VARIABLE = "variable"  # gig work, commission: counted, and the stress test cuts it
    UNCERTAIN = "uncertain"  # may not come at all: shown, not counted


#: Essential spending categories (each a monthly amount).
EXPENSE_CATEGORIES: tuple[str, ...] = ("housing", "food", "transport", "medical", "education", "family", "other")


@dataclass(frozen=True, slots=True)
class IncomeSource:
    name: str
    amount: Decimal  # per ``frequency``
    frequency: Frequency = Frequency.MONTHLY
    stability: Stability = Stability.STABLE
    change_on: date | None = None  # a known future change: from this date …
    change_to: Decimal | None = None  # … the amount (per frequency) becomes this (0 = the income stops)

    def monthly(self, on: date) -> Decimal:
        """The monthly equivalent on ``on`` (0 for uncertain income)."""
        if self.stability is Stability.UNCERTAIN:
            return ZERO
        amount = self.amount
        if self.change_on is not None and self.change_to is not None and on >= self.change_on:
            amount = self.change_to
        return amount * self.frequency.per_month

    def to_json(self) -> dict[str, object]:
        return {"name": self.name, "amount": _m(self.amount), "frequency": self.frequency.value,
                "stability": self.stability.value,
                "change_on": None if self.change_on is None else self.change_on.isoformat(),
                "change_to": None if self.change_to is None else _m(self.change_to)}


@dataclass(frozen=True, slots=True)
class Item:
    """A named amount: a sellable asset (value) or another monthly obligation."""

    name: str
    amount: Decimal

    def to_json(self) -> dict[str, str]:
        return {"name": self.name, "amount": _m(self.amount)}


def _m(x: Decimal) -> str:
    return str(x.quantize(FEN))


def _floor_fen(x: Decimal) -> Decimal:
    return x.quantize(FEN, rounding=ROUND_FLOOR)


@dataclass(frozen=True, slots=True)
class Finances:
    incomes: tuple[IncomeSource, ...] = ()
    expenses: Mapping[str, Decimal] = field(default_factory=dict)  # category → monthly amount
    dependents: int = 0
    savings: Decimal = ZERO  # liquid savings
    assets: tuple[Item, ...] = ()  # sellable assets (not counted; shown as an option)
    obligations: tuple[Item, ...] = ()  # other monthly obligations (rent arrears to family, alimony …)
    living_buffer: Decimal = ZERO  # a monthly margin on top of essentials
    protected_minimum: Decimal | None = None  # None: the reference × (1 + dependants)
    emergency_reserve: Decimal | None = None  # None: the reference months × essentials

    # -- derived figures ----------------------------------------------------------------------
    @property
    def essentials(self) -> Decimal:
        return sum((a for a in self.expenses.values()), ZERO)

    @property
    def other_obligations(self) -> Decimal:
        return sum((o.amount for o in self.obligations), ZERO)

    @property
    def assets_total(self) -> Decimal:
        return sum((a.amount for a in self.assets), ZERO)

    @property
    def default_protected_minimum(self) -> Decimal:
        return reference().living_minimum_per_person * (1 + self.dependents)

    @property
    def protected(self) -> Decimal:
        """The monthly amount the plan never touches."""
        return self.default_protected_minimum if self.protected_minimum is None else self.protected_minimum

    @property
    def reserve_target(self) -> Decimal:
        if self.emergency_reserve is not None:
            return self.emergency_reserve
        return _floor_fen(reference().emergency_reserve_months * max(self.essentials, self.protected))

    @property
    def lump_sum(self) -> Decimal:
        """Savings above the emergency reserve: available once, at the start of the plan."""
        return max(ZERO, self.savings - self.reserve_target)

    def income(self, on: date) -> Decimal:
        return sum((i.monthly(on) for i in self.incomes), ZERO)

    def uncertain_income(self) -> Decimal:
        return sum((i.amount * i.frequency.per_month for i in self.incomes
                    if i.stability is Stability.UNCERTAIN), ZERO)

    def capacity(self, on: date) -> Decimal:
        """What the plan may pay in the month starting ``on`` (never negative, floored to the fen)."""
        spend = max(self.essentials, self.protected) + self.other_obligations + self.living_buffer
        return max(ZERO, _floor_fen(self.income(on) - spend))

    def gap(self, on: date) -> Decimal:
        """Income minus protected living costs and obligations (negative: spending exceeds income)."""
        return _floor_fen(self.income(on) - max(self.essentials, self.protected) - self.other_obligations
                          - self.living_buffer)

    def stressed(self, income_cut: Decimal) -> Finances:
        """The same finances with stable and variable income cut by ``income_cut`` (a share)."""
        factor = 1 - income_cut
        incomes = tuple(replace(i, amount=_floor_fen(i.amount * factor),
                                change_to=None if i.change_to is None else _floor_fen(i.change_to * factor))
                        for i in self.incomes)
        return replace(self, incomes=incomes)

    @property
    def missing(self) -> tuple[str, ...]:
        """What a plan needs and the user has not given yet."""
        out: list[str] = []
        if not self.incomes:
            out.append("income")
        if not self.expenses:
            out.append("expenses")
        return tuple(out)

    def to_json(self, on: date) -> dict[str, object]:
        ref = reference()
        fact = ref.source_of("living_minimum_per_person")
        return {
            "incomes": [i.to_json() for i in self.incomes],
            "expenses": {k: _m(v) for k, v in sorted(self.expenses.items())},
            "dependents": self.dependents,
            "savings": _m(self.savings),
            "assets": [a.to_json() for a in self.assets],
            "obligations": [o.to_json() for o in self.obligations],
            "living_buffer": _m(self.living_buffer),
            "protected_minimum": _m(self.protected),
            "protected_minimum_source": {
                "set_by_user": self.protected_minimum is not None,
                "per_person": _m(ref.living_minimum_per_person),
                "source": fact.source, "as_of": fact.as_of.isoformat(), "confidence": fact.confidence,
                "note": fact.note,
            },
            "emergency_reserve": _m(self.reserve_target),
            "income_monthly": _m(self.income(on)),
            "uncertain_income_monthly": _m(self.uncertain_income()),
            "essentials_monthly": _m(self.essentials),
            "other_obligations_monthly": _m(self.other_obligations),
            "capacity_monthly": _m(self.capacity(on)),
            "lump_sum_available": _m(self.lump_sum),
            "assets_total": _m(self.assets_total),
            "missing": list(self.missing),
        }
