"""The borrower's finances, stored with the case: read, change (one transaction), demo figures.

:func:`get_finances` returns a :class:`~xieshang.planner.finances.Finances` (``None`` before the first
``finances set``); :func:`set_finances` validates every change before it writes anything.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import delete, select

from xieshang import clock
from xieshang.errors import UserError
from xieshang.money import fmt
from xieshang.planner.finances import EXPENSE_CATEGORIES, Finances, Frequency, IncomeSource, Item, Stability
from xieshang.store.codec import from_fen, to_fen
from xieshang.store.models_plan import FinanceItemRow, FinanceProfileRow

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from xieshang.store.db import Store



@dataclass(frozen=True, slots=True)
class FinanceChanges:
    """What ``finances set`` was given; ``None`` means *keep*.

    ``incomes``, ``assets`` and ``obligations`` replace their lists; ``expenses`` sets the given
    categories (0 removes one); ``protected_minimum`` / ``emergency_reserve`` of ``"default"`` go
    back to the rules data's default.
    """

    incomes: tuple[IncomeSource, ...] | None = None
    expenses: dict[str, Decimal] | None = None
    dependents: int | None = None
    savings: Decimal | None = None
    assets: tuple[Item, ...] | None = None
    obligations: tuple[Item, ...] | None = None
    living_buffer: Decimal | None = None
    protected_minimum: Decimal | str | None = None
    emergency_reserve: Decimal | str | None = None

    @property
    def empty(self) -> bool:
        return all(getattr(self, f) is None for f in self.__dataclass_fields__)


def _fen(amount: Decimal, field: str) -> int:
    if amount < 0:
        raise UserError("error.money.negative", field=field, value=fmt(amount))
    try:
        return to_fen(amount)
    except ValueError as exc:
        raise UserError("error.money.too_precise", value=str(amount), field=field) from exc


def _person_id(session: Session, store: Store) -> int:
    from xieshang.store.models import Person

    pid = session.scalars(select(Person.id).order_by(Person.id).limit(1)).first()
    if pid is None:
        raise UserError("error.case.no_case", path=store.location)
    return int(pid)


def _read(session: Session, person_id: int) -> Finances | None:
    prof = session.scalars(select(FinanceProfileRow).where(FinanceProfileRow.person_id == person_id)).first()
    if prof is None:
        return None
    rows = list(session.scalars(select(FinanceItemRow).where(FinanceItemRow.person_id == person_id)
                                .order_by(FinanceItemRow.id)))
    incomes = tuple(IncomeSource(name=r.name, amount=from_fen(r.amount_fen),
                                 frequency=Frequency(r.frequency or "monthly"),
                                 stability=Stability(r.stability or "stable"), change_on=r.change_on,
                                 change_to=None if r.change_to_fen is None else from_fen(r.change_to_fen))
                    for r in rows if r.kind == "income")
    expenses = {r.name: from_fen(r.amount_fen) for r in rows if r.kind == "expense"}
    return Finances(
        incomes=incomes, expenses=expenses, dependents=prof.dependents, savings=from_fen(prof.savings_fen),
        assets=tuple(Item(r.name, from_fen(r.amount_fen)) for r in rows if r.kind == "asset"),
        obligations=tuple(Item(r.name, from_fen(r.amount_fen)) for r in rows if r.kind == "obligation"),
        living_buffer=from_fen(prof.living_buffer_fen),
        protected_minimum=None if prof.protected_minimum_fen is None else from_fen(prof.protected_minimum_fen),
        emergency_reserve=None if prof.emergency_reserve_fen is None else from_fen(prof.emergency_reserve_fen),
    )


def get_finances(store: Store) -> Finances | None:
    with store.transaction() as s:
        return _read(s, _person_id(s, store))


def expense_category(name: str) -> str:
    """The category code for what a person typed: the code (``housing``) or its name in any
    language of the catalogs (``住房``, ``Housing``; a name with ``/`` matches each part)."""
    from xieshang.i18n import LANGUAGES, t

    typed = name.strip().casefold()
    for cat in EXPENSE_CATEGORIES:
        names = {cat}
        for lang in LANGUAGES:
            label = t(f"plan.fin.cat.{cat}", lang=lang)
            names.add(label.casefold())
            names.update(part.strip().casefold() for part in label.split("/"))
        if typed in names:
            return cat
    raise UserError("plan.error.bad_category", value=name, choices=", ".join(EXPENSE_CATEGORIES))


def _merge(base: Finances, ch: FinanceChanges) -> Finances:
    from dataclasses import replace

    out = base
    if ch.incomes is not None:
        out = replace(out, incomes=ch.incomes)
    if ch.expenses is not None:
        expenses = dict(out.expenses)
        for name, amount in ch.expenses.items():
            cat = expense_category(name)
            if amount == 0:
                expenses.pop(cat, None)
            else:
                expenses[cat] = amount
        out = replace(out, expenses=expenses)
    if ch.dependents is not None:
        out = replace(out, dependents=ch.dependents)
    if ch.savings is not None:
        out = replace(out, savings=ch.savings)
    if ch.assets is not None:
        out = replace(out, assets=ch.assets)
    if ch.obligations is not None:
        out = replace(out, obligations=ch.obligations)
    if ch.living_buffer is not None:
        out = replace(out, living_buffer=ch.living_buffer)
    if ch.protected_minimum == "default":
        out = replace(out, protected_minimum=None)
    elif isinstance(ch.protected_minimum, Decimal):
        out = replace(out, protected_minimum=ch.protected_minimum)
    if ch.emergency_reserve == "default":
        out = replace(out, emergency_reserve=None)
    elif isinstance(ch.emergency_reserve, Decimal):
        out = replace(out, emergency_reserve=ch.emergency_reserve)
    return out


def _check(f: Finances) -> None:
    if f.dependents < 0 or f.dependents > 50:
        raise UserError("plan.error.bad_dependents", value=str(f.dependents))
    for inc in f.incomes:
        _fen(inc.amount, "--income")
        if inc.change_to is not None:
            _fen(inc.change_to, "--income-change")
    for cat, amount in f.expenses.items():
        _fen(amount, f"--expense {cat}")
    for item in (*f.assets, *f.obligations):
        _fen(item.amount, item.name)
    for value, flag in ((f.savings, "--savings"), (f.living_buffer, "--buffer"),
                        (f.protected_minimum, "--protected-minimum"), (f.emergency_reserve, "--reserve")):
        if value is not None:
            _fen(value, flag)


def set_finances(store: Store, changes: FinanceChanges, *, today: date | None = None) -> Finances:
    """Apply ``changes`` to the stored finances (created on first use) in one transaction."""
    day = today or clock.today()
    with store.transaction() as s:
        pid = _person_id(s, store)
        merged = _merge(_read(s, pid) or Finances(), changes)
        _check(merged)
        _write(s, pid, merged, day)
        return merged


def _write(s: Session, pid: int, f: Finances, day: date) -> None:
    s.execute(delete(FinanceItemRow).where(FinanceItemRow.person_id == pid))
    prof = s.scalars(select(FinanceProfileRow).where(FinanceProfileRow.person_id == pid)).first()
    if prof is None:
        prof = FinanceProfileRow(person_id=pid)
        s.add(prof)
    prof.dependents = f.dependents
    prof.savings_fen = to_fen(f.savings)
    prof.living_buffer_fen = to_fen(f.living_buffer)
    prof.protected_minimum_fen = None if f.protected_minimum is None else to_fen(f.protected_minimum)
    prof.emergency_reserve_fen = None if f.emergency_reserve is None else to_fen(f.emergency_reserve)
    prof.updated_on = day
    for inc in f.incomes:
        s.add(FinanceItemRow(person_id=pid, kind="income", name=inc.name, amount_fen=to_fen(inc.amount),
                             frequency=inc.frequency.value, stability=inc.stability.value, change_on=inc.change_on,
                             change_to_fen=None if inc.change_to is None else to_fen(inc.change_to)))
    for cat, amount in sorted(f.expenses.items(), key=lambda kv: EXPENSE_CATEGORIES.index(kv[0])
                              if kv[0] in EXPENSE_CATEGORIES else 99):
        s.add(FinanceItemRow(person_id=pid, kind="expense", name=cat, amount_fen=to_fen(amount)))
    for kind, items in (("asset", f.assets), ("obligation", f.obligations)):
        for item in items:
            s.add(FinanceItemRow(person_id=pid, kind=kind, name=item.name, amount_fen=to_fen(item.amount)))


def demo_finances() -> Finances:
    """The demo borrower's household: a salary, a variable side income, one dependant, a little saved."""
    d = Decimal
    return Finances(
        incomes=(IncomeSource("工资 salary", d("8500.00")),
                 IncomeSource("兼职 side job", d("1500.00"), stability=Stability.VARIABLE)),
        expenses={"housing": d("2200.00"), "food": d("1500.00"), "transport": d("300.00"),
                  "medical": d("200.00"), "family": d("800.00")},
        dependents=1, savings=d("6000.00"),
        assets=(Item("电动车 e-bike", d("1500.00")),),
    )


def add_demo_finances(store: Store, *, today: date | None = None) -> Finances:
    """Store the demo finances with the demo case (``services.demo`` calls this after writing it)."""
    fin = demo_finances()
    with store.transaction() as s:
        _write(s, _person_id(s, store), fin, today or clock.today())
    return fin
