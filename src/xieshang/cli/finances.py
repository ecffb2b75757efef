"""``xieshang finances set/show``: income, essential spending, dependants, savings, assets, obligations."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated

import typer

from xieshang import clock
from xieshang.cli.case import JsonOpt, interactive, parse_day, store
from xieshang.errors import UserError
from xieshang.i18n import t

if TYPE_CHECKING:
    from xieshang.planner.finances import Finances, IncomeSource, Item

app = typer.Typer(help="收支 finances: income, essential spending, savings (what you can pay).",
                  no_args_is_help=True)


def _money(text: str, flag: str) -> Decimal:
    from xieshang.money import parse_money

    return parse_money(text.strip(), field=flag)


def _money_or_default(text: str | None, flag: str) -> Decimal | str | None:
    if text is None:
        return None
    if text.strip().lower() in ("default", "默认"):
        return "default"
    return _money(text, flag)


def parse_income(text: str) -> IncomeSource:
    """``AMOUNT`` or ``NAME:AMOUNT[:FREQUENCY[:STABILITY]]`` (also with ``=`` after the name)."""
    from xieshang.planner.finances import Frequency, IncomeSource, Stability

    parts = [p.strip() for p in text.replace("：", ":").replace("=", ":").split(":")]
    if len(parts) == 1:
        return IncomeSource(name=t("plan.fin.income_default_name"), amount=_money(parts[0], "--income"))
    if len(parts) > 4 or not parts[0]:
        raise UserError("plan.error.bad_item", flag="--income", value=text,
                        form="NAME:AMOUNT[:monthly|weekly|biweekly|quarterly|yearly[:stable|variable|uncertain]]")
    try:
        freq = Frequency(parts[2]) if len(parts) > 2 and parts[2] else Frequency.MONTHLY
        stab = Stability(parts[3]) if len(parts) > 3 and parts[3] else Stability.STABLE
    except ValueError:
        raise UserError("plan.error.bad_item", flag="--income", value=text,
                        form="NAME:AMOUNT[:monthly|weekly|biweekly|quarterly|yearly[:stable|variable|uncertain]]"
                        ) from None
    return IncomeSource(name=parts[0], amount=_money(parts[1], "--income"), frequency=freq, stability=stab)


def _pair(text: str, flag: str) -> tuple[str, Decimal]:
    name, sep, value = text.replace("：", ":").replace("=", ":").partition(":")
    if not sep or not name.strip():
        raise UserError("plan.error.bad_item", flag=flag, value=text, form="NAME:AMOUNT")
    return name.strip(), _money(value, flag)


def _items(values: list[str] | None, flag: str) -> tuple[Item, ...] | None:
    from xieshang.planner.finances import Item

    if values is None:
        return None
    return tuple(Item(*_pair(v, flag)) for v in values if v.strip())


def _prompt_amount(prompt: str) -> Decimal:
    while True:
        answer = typer.prompt(prompt, default="0")
        try:
            return _money(answer, "amount")
        except UserError as exc:
            typer.echo(t("cli.error_prefix") + exc.message(), err=True)


def set_command(
    income: Annotated[list[str] | None, typer.Option(
        "--income", help="收入 income: AMOUNT or NAME:AMOUNT[:FREQUENCY[:STABILITY]] (repeatable; replaces the list).")] = None,
    income_change: Annotated[list[str] | None, typer.Option(
        "--income-change", help="已知变化 a known change: NAME:YYYY-MM-DD:NEW_AMOUNT (0 = it stops).")] = None,
    expense: Annotated[list[str] | None, typer.Option(
        "--expense", help="必要支出 essential spending CATEGORY:AMOUNT a month; categories: housing, food, "
                          "transport, medical, education, family, other (0 removes).")] = None,
    dependents: Annotated[int | None, typer.Option("--dependents", help="需要抚养/赡养的人数 dependants.")] = None,
    savings: Annotated[str | None, typer.Option("--savings", help="可动用存款 liquid savings.")] = None,
    asset: Annotated[list[str] | None, typer.Option(
        "--asset", help="可变卖资产 sellable asset NAME:VALUE (repeatable; replaces the list).")] = None,
    obligation: Annotated[list[str] | None, typer.Option(
        "--obligation", help="其他每月义务 other monthly obligation NAME:AMOUNT (repeatable; replaces the list).")] = None,
    buffer: Annotated[str | None, typer.Option("--buffer", help="生活缓冲 a monthly living buffer.")] = None,
    protected: Annotated[str | None, typer.Option(
        "--protected-minimum", help="保底生活费 the monthly minimum the plan never touches (or 'default').")] = None,
    reserve: Annotated[str | None, typer.Option(
        "--reserve", help="应急资金目标 emergency reserve kept from savings (or 'default').")] = None,
    json_out: JsonOpt = False,
) -> None:
    """设置收支 Set your income, essential spending and savings (asks for what is missing on a terminal)."""
    from xieshang.cli.output import print_json
    from xieshang.planner.finances import EXPENSE_CATEGORIES
    from xieshang.services.finances import FinanceChanges, get_finances, set_finances

    incomes = None if income is None else tuple(parse_income(x) for x in income)
    expenses = None if expense is None else dict(_pair(x, "--expense") for x in expense)
    changes = FinanceChanges(
        incomes=incomes, expenses=expenses, dependents=dependents,
        savings=None if savings is None else _money(savings, "--savings"),
        assets=_items(asset, "--asset"), obligations=_items(obligation, "--obligation"),
        living_buffer=None if buffer is None else _money(buffer, "--buffer"),
        protected_minimum=_money_or_default(protected, "--protected-minimum"),
        emergency_reserve=_money_or_default(reserve, "--reserve"))
    st = store()
    current = get_finances(st)
    if income_change:
        base = list(incomes if incomes is not None else (current.incomes if current else ()))
        for spec in income_change:
            parts = [p.strip() for p in spec.replace("：", ":").split(":")]
            if len(parts) != 3:
                raise UserError("plan.error.bad_item", flag="--income-change", value=spec,
                                form="NAME:YYYY-MM-DD:AMOUNT")
            names = [i.name for i in base]
            if parts[0] not in names:
                raise UserError("plan.error.unknown_income", value=parts[0], choices=", ".join(names) or "—")
            k = names.index(parts[0])
            base[k] = replace(base[k], change_on=parse_day(parts[1]), change_to=_money(parts[2], "--income-change"))
        changes = replace(changes, incomes=tuple(base))
    if interactive():
        if changes.incomes is None and not (current and current.incomes):
            amount = _prompt_amount(t("plan.fin.prompt_income"))
            if amount > 0:
                changes = replace(changes, incomes=(parse_income(str(amount)),))
        if changes.expenses is None and not (current and current.expenses):
            asked = {}
            for cat in EXPENSE_CATEGORIES:
                amount = _prompt_amount(t("plan.fin.prompt_expense", category=t(f"plan.fin.cat.{cat}")))
                if amount > 0:
                    asked[cat] = amount
            changes = replace(changes, expenses=asked)
    if changes.empty:
        raise UserError("plan.error.nothing_to_set")
    fin = set_finances(st, changes)
    if json_out:
        print_json(fin.to_json(clock.today()))
        return
    typer.echo(t("plan.fin.saved"))
    render_finances(fin)


def show_command(json_out: JsonOpt = False) -> None:
    """查看收支 Show your finances and what you can pay each month."""
    from xieshang.cli.output import print_json
    from xieshang.services.finances import get_finances

    fin = get_finances(store())
    if fin is None:
        raise UserError("plan.error.no_finances")
    if json_out:
        print_json(fin.to_json(clock.today()))
        return
    render_finances(fin)


def render_finances(fin: Finances) -> None:
    from xieshang.cli.output import console
    from xieshang.money import fmt_display

    out = console()
    today = clock.today()
    for inc in fin.incomes:
        change = ""
        if inc.change_on is not None and inc.change_to is not None:
            change = t("plan.fin.change", date=inc.change_on.isoformat(), amount=fmt_display(inc.change_to))
        out.print(t("plan.fin.income_row", name=inc.name, amount=fmt_display(inc.amount),
                    frequency=t(f"plan.fin.freq.{inc.frequency.value}"),
                    stability=t(f"plan.fin.stab.{inc.stability.value}"), change=change))
    for cat, amount in fin.expenses.items():
        out.print(t("plan.fin.expense_row", category=t(f"plan.fin.cat.{cat}"), amount=fmt_display(amount)))
    for item in fin.obligations:
        out.print(t("plan.fin.obligation_row", name=item.name, amount=fmt_display(item.amount)))
    out.print(t("plan.fin.summary", income=fmt_display(fin.income(today)), essentials=fmt_display(fin.essentials),
                protected=fmt_display(fin.protected), dependents=fin.dependents,
                capacity=fmt_display(fin.capacity(today))))
    if fin.protected_minimum is None:
        from xieshang.planner.reference import reference

        src = reference().source_of("living_minimum_per_person")
        out.print(t("plan.fin.protected_source", per_person=fmt_display(reference().living_minimum_per_person),
                    confidence=src.confidence, note=src.note))
    out.print(t("plan.fin.savings", savings=fmt_display(fin.savings), reserve=fmt_display(fin.reserve_target),
                lump=fmt_display(fin.lump_sum), assets=fmt_display(fin.assets_total)))
    if fin.uncertain_income() > 0:
        out.print(t("plan.fin.uncertain", amount=fmt_display(fin.uncertain_income())))
    for key in fin.missing:
        out.print(t(f"plan.fin.missing.{key}"))


app.command("set")(set_command)
app.command("show")(show_command)
