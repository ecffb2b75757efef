"""``xieshang budget …`` and ``xieshang afford``: prevention."""

from __future__ import annotations

from typing import Annotated

import typer

from xieshang import clock
from xieshang.cli.case import JsonOpt, maybe, store
from xieshang.i18n import current_language, t

app = typer.Typer(help="预算 budget: set, actual, show, remove, fund, autopay.", no_args_is_help=True)

MonthOpt = Annotated[str | None, typer.Option("--month", help="月份 month YYYY-MM (default this month).")]
IncomeOpt = Annotated[bool, typer.Option("--income", help="这是收入 this line is income (default: spending).")]


def _month(value: str | None) -> str:
    from xieshang.services.prevention import month_of, parse_month

    return month_of(clock.today()) if value is None else parse_month(value)


def _kind(income: bool) -> str:
    return "income" if income else "expense"


@app.command("set")
def set_command(
    category: Annotated[str, typer.Argument(help="类别 category, e.g. 房租, 吃饭, 交通, 工资.")],
    planned: Annotated[str, typer.Argument(help="计划金额 planned amount.")],
    income: IncomeOpt = False,
    actual: Annotated[str | None, typer.Option("--actual", help="实际金额 actual amount.")] = None,
    month: MonthOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """设置预算 Set a planned amount (and optionally the actual one) for a category."""
    from xieshang.cli.output import print_json
    from xieshang.money import fmt_display, parse_money
    from xieshang.services.prevention import set_budget_line

    line = set_budget_line(store(), _month(month), _kind(income), category,
                           planned=parse_money(planned, field="planned"),
                           actual=maybe(actual, lambda v: parse_money(v, field="--actual")))
    if json_out:
        print_json(line.to_json())
        return
    typer.echo(t("after.budget.set", month=line.month, category=line.category, amount=fmt_display(line.planned)))


@app.command("actual")
def actual_command(
    category: Annotated[str, typer.Argument(help="类别 category.")],
    amount: Annotated[str, typer.Argument(help="实际金额 actual amount.")],
    income: IncomeOpt = False,
    month: MonthOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """记录实际金额 Record the actual amount of a category."""
    from xieshang.cli.output import print_json
    from xieshang.money import fmt_display, parse_money
    from xieshang.services.prevention import set_budget_line

    line = set_budget_line(store(), _month(month), _kind(income), category,
                           actual=parse_money(amount, field="amount"))
    if json_out:
        print_json(line.to_json())
        return
    typer.echo(t("after.budget.actual", month=line.month, category=line.category,
                 amount=fmt_display(line.actual if line.actual is not None else line.planned)))


@app.command("remove")
def remove_command(
    category: Annotated[str, typer.Argument(help="类别 category.")],
    income: IncomeOpt = False,
    month: MonthOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """删除预算项 Remove a budget line."""
    from xieshang.cli.output import print_json
    from xieshang.services.prevention import remove_budget_line

    line = remove_budget_line(store(), _month(month), _kind(income), category)
    if json_out:
        print_json(line.to_json())
        return
    typer.echo(t("after.budget.removed", month=line.month, category=line.category))


@app.command("show")
def show_command(month: MonthOpt = None, json_out: JsonOpt = False) -> None:
    """查看预算 The month's budget: planned vs actual, and what it leaves."""
    from xieshang.cli.output import console, print_json
    from xieshang.money import fmt_display
    from xieshang.services.prevention import budget

    b = budget(store(), _month(month))
    if json_out:
        print_json(b.to_json())
        return
    if not b.lines:
        typer.echo(t("after.budget.none", month=b.month))
        return
    from rich.table import Table

    title = t("after.budget.title", month=b.month)
    if b.source_month != b.month:
        title += " " + t("after.budget.copied", month=b.source_month)
    table = Table(title=title)
    for key in ("kind", "category", "planned", "actual", "variance"):
        table.add_column(t(f"after.col.{key}"), justify="left" if key in ("kind", "category") else "right")
    for ln in b.lines:
        table.add_row(t(f"after.budget.kind.{ln.kind}"), ln.category, fmt_display(ln.planned),
                      "" if ln.actual is None else fmt_display(ln.actual),
                      "" if ln.variance is None else fmt_display(ln.variance))
    console().print(table)
    typer.echo(t("after.budget.left", income=fmt_display(b.income), spending=fmt_display(b.spending),
                 left=fmt_display(b.left)))


@app.command("fund")
def fund_command(
    target: Annotated[str | None, typer.Option("--target", help="目标金额 target amount.")] = None,
    months: Annotated[int | None, typer.Option("--months", help="目标 = N 个月的计划支出 N months of spending.")] = None,
    saved: Annotated[str | None, typer.Option("--saved", help="已存金额 amount saved so far.")] = None,
    json_out: JsonOpt = False,
) -> None:
    """应急资金 Set or show the emergency fund: target and progress."""
    from xieshang.cli.output import print_json
    from xieshang.money import fmt_display, parse_money
    from xieshang.services.prevention import emergency_fund, set_emergency_fund

    st = store()
    if target is None and months is None and saved is None:
        fund = emergency_fund(st)
    else:
        fund = set_emergency_fund(st, target=maybe(target, lambda v: parse_money(v, field="--target")), months=months,
                                  saved=maybe(saved, lambda v: parse_money(v, field="--saved")))
    if json_out:
        print_json(fund.to_json())
        return
    typer.echo(t("after.fund.show", target=fmt_display(fund.target), saved=fmt_display(fund.saved),
                 pct=f"{fund.progress * 100:.0f}", missing=fmt_display(fund.missing)))
    if fund.months_covered is not None:
        typer.echo(t("after.fund.months", months=fund.months_covered, default=fund.default_months,
                     source=fund.source, confidence=fund.confidence))


@app.command("autopay")
def autopay_command(json_out: JsonOpt = False) -> None:
    """自动还款清单 The autopay checklist."""
    from xieshang.cli.output import print_json
    from xieshang.services.prevention import autopay_checklist

    items = autopay_checklist()
    en = current_language() == "en"
    if json_out:
        print_json([{"id": i.id, "text": i.text_en if en else i.text_zh, "source": i.source,
                     "confidence": i.confidence} for i in items])
        return
    typer.echo(t("after.autopay.title"))
    for i in items:
        typer.echo(f"[ ] {i.text_en if en else i.text_zh}  ({i.confidence})")


def afford_command(
    amount: Annotated[str, typer.Option("--amount", help="借款金额 amount to borrow.")],
    apr: Annotated[str, typer.Option("--apr", help="年利率 annual rate, e.g. 12% or 0.12.")],
    months: Annotated[int, typer.Option("--months", help="期数 months.")],
    income: Annotated[str | None, typer.Option("--income", help="月收入 monthly income (default: the budget's).")] = None,
    debts: Annotated[
        str | None, typer.Option("--debts", help="现有月供 existing monthly debt payments (default: from the case).")
    ] = None,
    flat: Annotated[bool, typer.Option("--flat", help="按本金计费的“费率” a flat rate on the original amount.")] = False,
    upfront_fee: Annotated[str, typer.Option("--upfront-fee", help="放款时扣的费用 fee taken up front.")] = "0",
    monthly_fee: Annotated[str, typer.Option("--monthly-fee", help="每期费用 fee with every instalment.")] = "0",
    json_out: JsonOpt = False,
) -> None:
    """借得起吗 Can I afford this loan? Payment, share of income, debt-to-income, real APR."""
    from xieshang.cli.output import print_json, warn
    from xieshang.errors import UserError
    from xieshang.money import fmt_display, parse_money
    from xieshang.rates import AnnualRate, parse_rate
    from xieshang.services.prevention import afford

    rate = parse_rate(apr)
    if not isinstance(rate, AnnualRate):
        rate = AnnualRate(rate.annual().value)
    value = parse_money(amount, field="--amount")
    inc = maybe(income, lambda v: parse_money(v, field="--income"))
    existing = maybe(debts, lambda v: parse_money(v, field="--debts"))
    st = None
    if inc is None or existing is None:
        try:
            st = store()
        except UserError:
            st = None
    report = afford(value, rate.value, months, income=inc, existing=existing, flat=flat,
                    upfront_fee=parse_money(upfront_fee, field="--upfront-fee"),
                    monthly_fee=parse_money(monthly_fee, field="--monthly-fee"), store=st)
    lang = current_language()
    if json_out:
        print_json(report.to_json(lang))
        return
    r = report.result

    def pct(x: object) -> str:
        from decimal import Decimal

        assert isinstance(x, Decimal)
        return f"{x * 100:.2f}%"

    typer.echo(t("after.afford.payment", payment=fmt_display(r.monthly_outlay), months=r.months,
                 total=fmt_display(r.total_paid), cost=fmt_display(r.total_cost)))
    typer.echo(t("after.afford.apr", apr=pct(r.apr.apr), ear=pct(r.apr.effective_annual_rate),
                 quoted=pct(r.annual_rate)))
    typer.echo(t("after.afford.share", share=pct(r.share), income=fmt_display(r.income),
                 source=t(f"after.afford.source.{report.income_source}")))
    typer.echo(t("after.afford.dti", before=pct(r.dti_before), after=pct(r.dti_after),
                 existing=fmt_display(r.existing), source=t(f"after.afford.source.{report.existing_source}")))
    for check, fact in zip(r.checks, report.thresholds, strict=True):
        title = fact.title_en if lang == "en" else fact.title_zh
        line = t("after.afford.check", title=title, value=pct(check.value), limit=pct(check.threshold.limit),
                 confidence=fact.confidence)
        if check.above:
            warn(line)
        else:
            typer.echo("✓ " + line)
