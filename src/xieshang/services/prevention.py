"""Prevention (预防): a monthly budget, the emergency fund, "can I afford this loan?", autopay.

* **Budget** — per month (``YYYY-MM``), lines of income or spending by category, each with a
  planned amount and (later) the actual one. :func:`budget` totals them; what the budget leaves is
  planned income − planned spending (:func:`money_left`, also used by the agreement warning; a month
  without lines uses the latest earlier month that has them, since budgets mostly repeat).
* **Emergency fund** (应急资金) — a target (an amount, or N months of planned spending; the default
  N is data) and what is saved; :func:`emergency_fund` shows the progress.
* **Afford** — :func:`afford` runs :func:`xieshang.engine.afford.affordability` with the thresholds
  of ``rules/data/planning/affordability.toml``; income and the existing monthly debt payments come
  from the input, else from the budget and the case.
* **Autopay checklist** — :func:`autopay_checklist`, data with sources.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING, Any, Literal

from sqlalchemy import delete, select

from xieshang import clock
from xieshang.errors import UserError
from xieshang.money import ZERO, fmt
from xieshang.store.codec import from_fen, to_fen
from xieshang.store.models_after import BUDGET_KINDS, BudgetLineRow, EmergencyFundRow

if TYPE_CHECKING:
    from pydantic import BaseModel

    from xieshang.engine.afford import Affordability
    from xieshang.store.db import Store

DATA_FILE = "planning/affordability.toml"


# ---------------------------------------------------------------------------------------
# Data
# ---------------------------------------------------------------------------------------


def _models() -> tuple[type[BaseModel], ...]:
    from typing import Annotated

    from pydantic import Field, StrictInt

    from xieshang.rules.schema import Dec, Id, Sourced, Strict, Text

    class ThresholdFact(Sourced):
        id: Id
        measure: Literal["payment-share", "dti"]
        level: Literal["caution", "limit"]
        value: Annotated[Dec, Field(gt=0, le=1)]
        title_zh: Text
        title_en: Text
        text_zh: Text
        text_en: Text

    class MonthsFact(Sourced):
        value: Annotated[StrictInt, Field(ge=1, le=24)]
        unit: Literal["months"]

    class ChecklistItem(Sourced):
        id: Id
        text_zh: Text
        text_en: Text

    class AffordabilityFile(Strict):
        schema_version: Literal[1] = 1
        threshold: tuple[ThresholdFact, ...]
        emergency_fund_months: MonthsFact
        autopay: tuple[ChecklistItem, ...]

    return ThresholdFact, MonthsFact, ChecklistItem, AffordabilityFile


@cache
def prevention_data() -> Any:
    """The validated ``affordability.toml`` (a bad file is a :class:`UserError`)."""
    from pydantic import ValidationError

    *_, file_model = _models()
    text = (resources.files("xieshang") / "rules" / "data" / "planning" / "affordability.toml").read_text("utf-8")
    try:
        raw = tomllib.loads(text, parse_float=Decimal)
        data = file_model.model_validate(raw)
    except tomllib.TOMLDecodeError as exc:
        raise UserError("error.profile.data_file", file=DATA_FILE, detail=f"TOML: {exc}") from None
    except ValidationError as exc:
        raise UserError("error.profile.data_file", file=DATA_FILE, detail=str(exc.errors()[0]["msg"])) from None
    ids = [t.id for t in getattr(data, "threshold", ())]
    if len(set(ids)) != len(ids):
        raise UserError("error.profile.data_file", file=DATA_FILE, detail="duplicate threshold id")
    return data


def autopay_checklist() -> list[Any]:
    return list(prevention_data().autopay)


# ---------------------------------------------------------------------------------------
# Budget
# ---------------------------------------------------------------------------------------


def parse_month(text: str) -> str:
    value = text.strip()
    try:
        if len(value) != 7:
            raise ValueError(value)
        date.fromisoformat(value + "-01")
    except ValueError:
        raise UserError("after.error.month", value=text) from None
    return value


def month_of(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


@dataclass(frozen=True, slots=True)
class BudgetLine:
    month: str
    kind: str  # income | expense
    category: str
    planned: Decimal
    actual: Decimal | None

    @property
    def variance(self) -> Decimal | None:
        """actual − planned (for spending, positive = overspent)."""
        return None if self.actual is None else self.actual - self.planned

    def to_json(self) -> dict[str, Any]:
        return {"month": self.month, "kind": self.kind, "category": self.category, "planned": fmt(self.planned),
                "actual": None if self.actual is None else fmt(self.actual),
                "variance": None if self.variance is None else fmt(self.variance)}


@dataclass(frozen=True)
class Budget:
    month: str
    lines: tuple[BudgetLine, ...]
    source_month: str | None  # the month whose lines these are (an earlier one when this has none)

    def _sum(self, kind: str, actual: bool) -> Decimal:
        return sum(((ln.actual or ZERO) if actual else ln.planned for ln in self.lines if ln.kind == kind), ZERO)

    @property
    def income(self) -> Decimal:
        return self._sum("income", False)

    @property
    def spending(self) -> Decimal:
        return self._sum("expense", False)

    @property
    def left(self) -> Decimal:
        """Planned income − planned spending: what the budget leaves for debts and savings."""
        return self.income - self.spending

    @property
    def has_actuals(self) -> bool:
        return any(ln.actual is not None for ln in self.lines)

    def to_json(self) -> dict[str, Any]:
        return {
            "month": self.month, "source_month": self.source_month,
            "lines": [ln.to_json() for ln in self.lines],
            "planned": {"income": fmt(self.income), "spending": fmt(self.spending), "left": fmt(self.left)},
            "actual": {"income": fmt(self._sum("income", True)), "spending": fmt(self._sum("expense", True)),
                       "left": fmt(self._sum("income", True) - self._sum("expense", True))}
            if self.has_actuals else None,
        }


def _person_id(store: Store) -> int:
    from xieshang.services.case import _require_person

    with store.transaction() as s:
        return _require_person(s, store).id


def _fen(value: Decimal, flag: str) -> int:
    if value < 0:
        raise UserError("error.money.negative", field=flag, value=fmt(value))
    try:
        return to_fen(value)
    except ValueError:
        raise UserError("error.money.too_precise", value=str(value), field=flag) from None


def set_budget_line(store: Store, month: str, kind: str, category: str, *, planned: Decimal | None = None,
                    actual: Decimal | None = None) -> BudgetLine:
    """Create or update one line; ``None`` keeps what is there (a new line's planned amount is 0)."""
    from xieshang.services.case import _require_person

    month = parse_month(month)
    if kind not in BUDGET_KINDS:
        raise UserError("after.error.budget_kind", value=kind)
    name = category.strip()
    if not name:
        raise UserError("after.error.category")
    if planned is None and actual is None:
        raise UserError("after.error.budget_nothing")
    planned_fen = None if planned is None else _fen(planned, "planned")
    actual_fen = None if actual is None else _fen(actual, "--actual")
    with store.transaction() as s:
        person = _require_person(s, store)
        row = s.scalars(select(BudgetLineRow).where(BudgetLineRow.person_id == person.id,
                                                    BudgetLineRow.month == month, BudgetLineRow.kind == kind,
                                                    BudgetLineRow.category_key == name)).first()
        if row is None:
            row = BudgetLineRow(person_id=person.id, month=month, kind=kind, category=name, planned_fen=0)
            s.add(row)
        if planned_fen is not None:
            row.planned_fen = planned_fen
        if actual_fen is not None:
            row.actual_fen = actual_fen
        s.flush()
        return _line(row)


def remove_budget_line(store: Store, month: str, kind: str, category: str) -> BudgetLine:
    month = parse_month(month)
    with store.transaction() as s:
        row = s.scalars(select(BudgetLineRow).where(BudgetLineRow.month == month, BudgetLineRow.kind == kind,
                                                    BudgetLineRow.category_key == category.strip())).first()
        if row is None:
            raise UserError("after.error.no_budget_line", month=month, category=category)
        line = _line(row)
        s.execute(delete(BudgetLineRow).where(BudgetLineRow.id == row.id))
        return line


def _sorted(rows: Iterable[BudgetLineRow]) -> list[BudgetLineRow]:
    """Income first, then spending, each by category (sorted here: the category is encrypted at rest)."""
    ordered = sorted(rows, key=lambda r: r.category)
    return sorted(ordered, key=lambda r: r.kind, reverse=True)


def _line(row: BudgetLineRow) -> BudgetLine:
    return BudgetLine(row.month, row.kind, row.category, from_fen(row.planned_fen),
                      None if row.actual_fen is None else from_fen(row.actual_fen))


def budget(store: Store, month: str) -> Budget:
    """The budget of ``month``; with no lines of its own, the latest earlier month's (planned only)."""
    from xieshang.services.case import _require_person

    month = parse_month(month)
    with store.transaction() as s:
        _require_person(s, store)
        rows = _sorted(s.scalars(select(BudgetLineRow).where(BudgetLineRow.month == month)))
        if rows:
            return Budget(month, tuple(_line(r) for r in rows), month)
        earlier = s.scalars(select(BudgetLineRow.month).where(BudgetLineRow.month < month)
                            .order_by(BudgetLineRow.month.desc()).limit(1)).first()
        if earlier is None:
            return Budget(month, (), None)
        rows = _sorted(s.scalars(select(BudgetLineRow).where(BudgetLineRow.month == earlier)))
        lines = tuple(BudgetLine(month, r.kind, r.category, from_fen(r.planned_fen), None) for r in rows)
        return Budget(month, lines, earlier)


def money_left(store: Store, on: date) -> Decimal | None:
    """What is left for debts in ``on``'s month, or ``None`` when nothing says.

    The finances area's capacity (income − essentials − living buffer, ``xieshang finances``) when
    it is set; else this budget's planned income − planned spending (see :func:`budget`).
    """
    import importlib
    import importlib.util

    if importlib.util.find_spec("xieshang.services.finances") is not None:
        finances = importlib.import_module("xieshang.services.finances")
        found = finances.get_finances(store)
        if found is not None:
            capacity = found.capacity(on)
            assert isinstance(capacity, Decimal)
            return capacity
    b = budget(store, month_of(on))
    if b.source_month is None or b.income <= 0:
        return None
    return b.left


# ---------------------------------------------------------------------------------------
# Emergency fund
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class EmergencyFund:
    target: Decimal
    saved: Decimal
    monthly_spending: Decimal | None  # planned spending of the current budget, if any
    default_months: int
    source: str
    confidence: str
    updated_on: date | None

    @property
    def progress(self) -> Decimal:
        return ZERO if self.target <= 0 else min(self.saved / self.target, Decimal(1))

    @property
    def missing(self) -> Decimal:
        return max(self.target - self.saved, ZERO)

    @property
    def months_covered(self) -> Decimal | None:
        if not self.monthly_spending:
            return None
        return (self.saved / self.monthly_spending).quantize(Decimal("0.1"))

    def to_json(self) -> dict[str, Any]:
        return {"target": fmt(self.target), "saved": fmt(self.saved), "missing": fmt(self.missing),
                "progress": str(self.progress.quantize(Decimal("0.0001"))),
                "monthly_spending": None if self.monthly_spending is None else fmt(self.monthly_spending),
                "months_covered": None if self.months_covered is None else str(self.months_covered),
                "default_months": self.default_months, "source": self.source, "confidence": self.confidence,
                "updated_on": None if self.updated_on is None else self.updated_on.isoformat()}


def emergency_fund(store: Store, *, today: date | None = None) -> EmergencyFund:
    """The fund as stored; with no target set, the default: N months of planned spending."""
    from xieshang.services.case import _require_person

    day = today or clock.today()
    fact = prevention_data().emergency_fund_months
    spending = budget(store, month_of(day))
    monthly = spending.spending if spending.source_month is not None and spending.spending > 0 else None
    with store.transaction() as s:
        person = _require_person(s, store)
        row = s.scalars(select(EmergencyFundRow).where(EmergencyFundRow.person_id == person.id)).first()
        if row is None:
            target = ZERO if monthly is None else monthly * fact.value
            return EmergencyFund(target, ZERO, monthly, fact.value, fact.source, fact.confidence, None)
        return EmergencyFund(from_fen(row.target_fen), from_fen(row.saved_fen), monthly, fact.value, fact.source,
                             fact.confidence, row.updated_on)


def set_emergency_fund(store: Store, *, target: Decimal | None = None, months: int | None = None,
                       saved: Decimal | None = None, today: date | None = None) -> EmergencyFund:
    """Set the target (an amount, or ``months`` of planned spending) and/or what is saved."""
    from xieshang.services.case import _require_person

    day = today or clock.today()
    if target is not None and months is not None:
        raise UserError("after.error.target_or_months")
    if target is None and months is None and saved is None:
        raise UserError("after.error.fund_nothing")
    if months is not None:
        if not 1 <= months <= 24:
            raise UserError("after.error.fund_months", value=months)
        b = budget(store, month_of(day))
        if b.source_month is None or b.spending <= 0:
            raise UserError("after.error.fund_needs_budget")
        target = b.spending * months
    target_fen = None if target is None else _fen(target, "--target")
    saved_fen = None if saved is None else _fen(saved, "--saved")
    current = emergency_fund(store, today=day)
    with store.transaction() as s:
        person = _require_person(s, store)
        row = s.scalars(select(EmergencyFundRow).where(EmergencyFundRow.person_id == person.id)).first()
        if row is None:
            row = EmergencyFundRow(person_id=person.id, target_fen=to_fen(current.target), saved_fen=0)
            s.add(row)
        if target_fen is not None:
            row.target_fen = target_fen
        if saved_fen is not None:
            row.saved_fen = saved_fen
        row.updated_on = day
    return emergency_fund(store, today=day)


# ---------------------------------------------------------------------------------------
# Afford
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AffordReport:
    result: Affordability
    income_source: str  # "input" | "finances" | "budget"
    existing_source: str  # "input" | "case" | "none"
    thresholds: tuple[Any, ...]  # the ThresholdFacts, in the order of result.checks

    def to_json(self, lang: str) -> dict[str, Any]:
        out = self.result.to_json()
        out["income_source"] = self.income_source
        out["existing_source"] = self.existing_source
        checks = out["checks"]
        assert isinstance(checks, list)
        for check, fact in zip(checks, self.thresholds, strict=True):
            check["title"] = fact.title_en if lang == "en" else fact.title_zh
            check["text"] = fact.text_en if lang == "en" else fact.text_zh
            check["source"] = fact.source
            check["confidence"] = fact.confidence
        return out


def existing_payments(store: Store, on: date) -> Decimal:
    """The monthly debt payments of the case: per open debt the scheduled amount of its next
    instalment that is not yet due (the agreed one under an agreement in force).

    Arrears are left out on purpose: a debt-to-income ratio compares regular monthly payments
    with income, and counting months of overdue amounts as one month's payment would make every
    overdue borrower look far past any threshold. A debt with no future instalment (matured,
    or a card whose last minimum payment is already due) counts its last scheduled payment.
    """
    from xieshang.services.case import list_loans, loan_status

    total = ZERO
    for loan in list_loans(store):
        first = loan.disbursed
        if first is not None and on < first:
            continue
        try:
            status = loan_status(loan, on)
        except UserError:
            continue
        if status.closed:
            continue
        upcoming = [i for i in status.instalments if i.due_date >= on]
        regular = upcoming[0] if upcoming else (status.instalments[-1] if status.instalments else None)
        total += status.next_due_amount if regular is None else regular.principal + regular.interest + regular.fee
    return total


def _finances_income(store: Store, on: date) -> Decimal | None:
    """The monthly income recorded with ``xieshang finances``, or ``None`` when none is."""
    from xieshang.services.finances import get_finances

    found = get_finances(store)
    if found is None:
        return None
    income = found.income(on)
    return income if income > 0 else None


def afford(amount: Decimal, annual_rate: Decimal, months: int, *, income: Decimal | None = None,
           existing: Decimal | None = None, flat: bool = False, upfront_fee: Decimal = ZERO,
           monthly_fee: Decimal = ZERO, store: Store | None = None, today: date | None = None) -> AffordReport:
    """``xieshang afford``: income and existing payments from the input, else from the store:
    income from this month's budget, else from the finances; payments from the case."""
    from xieshang.engine.afford import Threshold, affordability

    day = today or clock.today()
    income_source = existing_source = "input"
    if income is None and store is not None:  # this month's budget first, else the finances
        left = budget(store, month_of(day))
        if left.source_month is not None and left.income > 0:
            income, income_source = left.income, "budget"
        elif (found := _finances_income(store, day)) is not None:
            income, income_source = found, "finances"
    if income is None:
        raise UserError("after.error.need_income")
    if existing is None:
        if store is None:
            existing, existing_source = ZERO, "none"
        else:
            existing, existing_source = existing_payments(store, day), "case"
    facts = tuple(prevention_data().threshold)
    thresholds = tuple(Threshold(f.id, f.measure, f.level, f.value) for f in facts)
    result = affordability(amount, annual_rate, months, income, existing, thresholds, flat=flat,
                           upfront_fee=upfront_fee, monthly_fee=monthly_fee)
    return AffordReport(result, income_source, existing_source, facts)
