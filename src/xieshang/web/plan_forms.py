"""Form and JSON text → the finances and plan services' inputs (the web's ``finances set`` / ``plan`` flags).

Only input handling, like :mod:`xieshang.web.forms` for loans: every rule about what finances, an
offer or a what-if may be lives in :mod:`xieshang.services.finances` / :mod:`xieshang.services.plan`.
Each field is parsed on its own, so every unreadable field gets its own message (in the user's
language, next to the field); a service error is put next to the field its flag names.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace
from decimal import Decimal
from typing import TYPE_CHECKING, TypeVar

from xieshang.errors import UserError
from xieshang.i18n import t
from xieshang.web.forms import FieldReader, FormErrors, message

if TYPE_CHECKING:
    from xieshang.planner.finances import Finances, IncomeSource, Item
    from xieshang.planner.options import Offer
    from xieshang.services.finances import FinanceChanges
    from xieshang.services.plan import WhatIf

T = TypeVar("T")

#: Income rows the form shows at most (the stored ones and one blank row).
MAX_INCOMES = 8
FREQUENCIES = ("monthly", "weekly", "biweekly", "quarterly", "yearly")
STABILITIES = ("stable", "variable", "uncertain")
#: The finances form's single fields, in page order (income rows and expense categories come first).
FIN_FIELDS = ("dependents", "savings", "protected_minimum", "living_buffer", "emergency_reserve", "assets",
              "obligations")
OFFER_FIELDS = ("kind", "months", "down", "interest", "rate", "waive", "amount", "chance", "note")
WHATIF_FIELDS = ("income", "spending", "lump_sum")
#: The services' flag names → the form field they are about.
FLAG_FIELD = {"--savings": "savings", "--buffer": "living_buffer", "--protected-minimum": "protected_minimum",
              "--reserve": "emergency_reserve", "--income": "income_amount_0", "--down": "down",
              "--amount": "amount", "--waive": "waive", "--chance": "chance", "--lump-sum": "lump_sum",
              "--spending": "spending"}
KEY_FIELD = {"plan.error.bad_dependents": "dependents", "plan.error.bad_months": "months",
             "plan.error.bad_kind": "kind", "plan.error.bad_objective": "objective"}


def label(name: str) -> str:
    """A plan/finances form field's label (``income_amount_2`` → the income amount label)."""
    base = name
    for prefix in ("income_name", "income_amount", "income_freq", "income_stab"):
        if name.startswith(prefix + "_"):
            base = prefix
    if name.startswith("expense_"):
        return t(f"plan.fin.cat.{name.removeprefix('expense_')}")
    key = f"webplan.field.{base}"
    text = t(key)
    return base if text == key else text


def _message(exc: UserError) -> str:
    params = dict(exc.params)
    for pname in ("field", "flag"):
        value = params.get(pname)
        if isinstance(value, str) and value in FLAG_FIELD:
            params[pname] = label(FLAG_FIELD[value])
        elif isinstance(value, str) and value.startswith("--expense "):
            params[pname] = t(f"plan.fin.cat.{value.removeprefix('--expense ')}")
    return message(UserError(exc.key, **params))


def service_error(exc: UserError, fields: Iterable[str]) -> FormErrors:
    """A service's error next to the field it is about, or above the form (``""``)."""
    found = KEY_FIELD.get(exc.key, "")
    for pname in ("field", "flag"):
        value = exc.params.get(pname)
        if not found and isinstance(value, str):
            if value in FLAG_FIELD:
                found = FLAG_FIELD[value]
            elif value.startswith("--expense "):
                found = "expense_" + value.removeprefix("--expense ")
    return FormErrors({found if found in set(fields) else "": _message(exc)})


class _Reader(FieldReader):
    """The plan and finances forms: errors and labels in the ``webplan`` words."""

    def describe(self, exc: UserError) -> str:
        return _message(exc)

    def label(self, name: str) -> str:
        return label(name)

    def money(self, name: str) -> Decimal | None:
        from xieshang.money import parse_money

        return self.get(name, lambda s: parse_money(s, field=label(name)))

    def integer(self, name: str, low: int, high: int) -> int | None:
        def parse(s: str) -> int:
            if not s.isdigit() or not low <= int(s) <= high:
                raise UserError("webplan.error.whole_number", field=label(name), low=low, high=high, value=s)
            return int(s)

        return self.get(name, parse)

    def share(self, name: str) -> Decimal | None:
        def parse(s: str) -> Decimal:
            text = s.rstrip("%％").strip()
            try:
                value = Decimal(text) / (100 if text != s else 1)
            except ArithmeticError:
                raise UserError("webplan.error.share", field=label(name), value=s) from None
            if not value.is_finite() or not Decimal(0) <= value <= Decimal(1):
                raise UserError("webplan.error.share", field=label(name), value=s)
            return value

        return self.get(name, parse)


def _items(r: _Reader, name: str) -> tuple[Item, ...]:
    """``NAME=AMOUNT`` lines (also ``：``/``:``) → items; a bad line is the field's error."""
    from xieshang.money import parse_money
    from xieshang.planner.finances import Item

    out: list[Item] = []
    for raw in r.text(name).replace("；", "\n").replace(";", "\n").splitlines():
        line = raw.strip()
        if not line:
            continue
        item_name, sep, value = line.replace("＝", "=").replace("：", "=").replace(":", "=").partition("=")
        try:
            if not sep or not item_name.strip():
                raise UserError("webplan.error.item", value=line)
            out.append(Item(item_name.strip(), parse_money(value.strip(), field=label(name))))
        except UserError as exc:
            r.errors[name] = _message(exc)
            return ()
    return tuple(out)


def income_rows(data: Mapping[str, str]) -> int:
    """How many income rows the form has (the stored ones and one blank, at most MAX_INCOMES)."""
    n = 0
    for i in range(MAX_INCOMES):
        if f"income_name_{i}" in data or f"income_amount_{i}" in data:
            n = i + 1
    return n


def finance_changes(data: Mapping[str, str], current: Finances | None) -> FinanceChanges:
    """The finances form (or JSON as form text) as :class:`FinanceChanges`; :class:`FormErrors` if a
    field is unreadable. Incomes replace the list (a known change of a kept income stays); every
    category is given (blank = none); a blank protected minimum or reserve is the rules' default."""
    from xieshang.planner.finances import EXPENSE_CATEGORIES, Frequency, IncomeSource, Stability
    from xieshang.services.finances import FinanceChanges

    r = _Reader(data)
    before = {i.name: i for i in (current.incomes if current else ())}
    incomes: list[IncomeSource] = []
    for i in range(income_rows(data)):
        name, amount = r.text(f"income_name_{i}"), r.money(f"income_amount_{i}")
        if not name and not r.text(f"income_amount_{i}"):
            continue
        if amount is None:
            r.errors.setdefault(f"income_amount_{i}", t("web.error.required", field=label("income_amount")))
            continue
        freq = r.text(f"income_freq_{i}") or "monthly"
        stab = r.text(f"income_stab_{i}") or "stable"
        if freq not in FREQUENCIES:
            r.errors[f"income_freq_{i}"] = t("webplan.error.choice", field=label("income_freq"), value=freq)
            continue
        if stab not in STABILITIES:
            r.errors[f"income_stab_{i}"] = t("webplan.error.choice", field=label("income_stab"), value=stab)
            continue
        src = IncomeSource(name=name or t("plan.fin.income_default_name"), amount=amount,
                           frequency=Frequency(freq), stability=Stability(stab))
        old = before.get(src.name)
        if old is not None and old.change_on is not None:
            src = replace(src, change_on=old.change_on, change_to=old.change_to)
        incomes.append(src)
    expenses = {cat: r.money(f"expense_{cat}") or Decimal(0) for cat in EXPENSE_CATEGORIES}
    dependents = r.integer("dependents", 0, 50)
    savings = r.money("savings")
    protected = r.money("protected_minimum")
    buffer = r.money("living_buffer")
    reserve = r.money("emergency_reserve")
    assets = _items(r, "assets")
    obligations = _items(r, "obligations")
    if r.errors:
        raise FormErrors(r.errors)
    return FinanceChanges(
        incomes=tuple(incomes), expenses=expenses, dependents=dependents or 0, savings=savings or Decimal(0),
        assets=assets, obligations=obligations, living_buffer=buffer or Decimal(0),
        protected_minimum="default" if protected is None else protected,
        emergency_reserve="default" if reserve is None else reserve)


def finance_form_values(fin: Finances | None) -> dict[str, str]:
    """Stored finances as the form's initial text (with one blank income row)."""
    from xieshang.money import fmt

    out: dict[str, str] = {}
    incomes = list(fin.incomes) if fin else []
    for i, inc in enumerate(incomes[: MAX_INCOMES - 1]):
        out.update({f"income_name_{i}": inc.name, f"income_amount_{i}": fmt(inc.amount),
                    f"income_freq_{i}": inc.frequency.value, f"income_stab_{i}": inc.stability.value})
    blank = min(len(incomes), MAX_INCOMES - 1)
    out.update({f"income_name_{blank}": "", f"income_amount_{blank}": ""})
    if fin is None:
        return out
    for cat, amount in fin.expenses.items():
        out[f"expense_{cat}"] = fmt(amount)
    out["dependents"] = str(fin.dependents)
    out["savings"] = fmt(fin.savings)
    out["protected_minimum"] = "" if fin.protected_minimum is None else fmt(fin.protected_minimum)
    out["living_buffer"] = "" if not fin.living_buffer else fmt(fin.living_buffer)
    out["emergency_reserve"] = "" if fin.emergency_reserve is None else fmt(fin.emergency_reserve)
    out["assets"] = "\n".join(f"{a.name}={fmt(a.amount)}" for a in fin.assets)
    out["obligations"] = "\n".join(f"{o.name}={fmt(o.amount)}" for o in fin.obligations)
    return out


def offer_from_form(data: Mapping[str, str], *, refused: bool = False) -> Offer:
    """A lender's offer (or refusal) from the form; the kind is checked by the service."""
    from xieshang.planner.options import Offer
    from xieshang.planner.proposal import InterestTreatment
    from xieshang.rates import parse_rate

    r = _Reader(data)
    kind = r.text("kind")
    if not kind:
        r.errors["kind"] = t("web.error.required", field=label("kind"))
    note = r.text("note")
    if refused:
        if r.errors:
            raise FormErrors(r.errors)
        return Offer(kind=kind, refused=True, note=note)
    months = r.integer("months", 1, 120)
    down = r.money("down")
    interest_text = r.text("interest")
    treat: InterestTreatment | None = None
    if interest_text:
        try:
            treat = InterestTreatment(interest_text)
        except ValueError:
            r.errors["interest"] = t("webplan.error.choice", field=label("interest"), value=interest_text)
    reduced = r.get("rate", lambda s: parse_rate(s).annual().value)
    if reduced is not None and treat is None:
        treat = InterestTreatment.REDUCED
    waive = r.share("waive")
    amount = r.money("amount")
    chance = r.share("chance")
    if r.errors:
        raise FormErrors(r.errors)
    return Offer(kind=kind, months=months, down_payment=down, interest=treat, reduced_annual_rate=reduced,
                 waiver_share=waive, settlement_amount=amount, chance=chance, note=note)


def parse_refusal(text: str) -> tuple[int, str]:
    """``LOAN:KIND`` (a what-if checkbox's value) → (loan id, kind)."""
    loan, sep, kind = text.partition(":")
    if not sep or not loan.strip().isdigit() or not kind.strip():
        raise UserError("plan.error.bad_refuse", value=text)
    return int(loan.strip()), kind.strip()


def whatif_from_form(data: Mapping[str, str], refuse: Iterable[str]) -> WhatIf:
    """The what-if fields (blank: as stored) and the ticked refusals as a :class:`WhatIf`."""
    from xieshang.services.plan import WhatIf

    r = _Reader(data)
    income = r.money("income")
    spending = r.money("spending")
    lump = r.money("lump_sum")
    pairs: list[tuple[int, str]] = []
    for value in refuse:
        try:
            pairs.append(parse_refusal(value))
        except UserError as exc:
            r.errors["refuse"] = _message(exc)
    if r.errors:
        raise FormErrors(r.errors)
    return WhatIf(income=income, spending=spending, lump_sum=lump or Decimal(0), refuse=tuple(sorted(set(pairs))))


__all__ = ["FIN_FIELDS", "OFFER_FIELDS", "WHATIF_FIELDS", "finance_changes", "finance_form_values", "label",
           "offer_from_form", "parse_refusal", "service_error", "whatif_from_form"]
