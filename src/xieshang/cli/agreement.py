"""``xieshang agreement …``: record what a lender agreed, move it to written, follow it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from xieshang.cli.case import JsonOpt, maybe, parse_day, parse_id, store
from xieshang.errors import UserError
from xieshang.i18n import t

if TYPE_CHECKING:
    from xieshang.services.agreements import AgreementRecord, AgreementReport, WaiverItem

app = typer.Typer(help="协商结果 agreements with lenders: add, list, show, status, remove.", no_args_is_help=True)


def parse_waiver(text: str) -> WaiverItem:
    """``penalty=1234.56`` (components: fee, compound, penalty, interest, principal; Chinese names too)."""
    from xieshang.engine.terms import Component
    from xieshang.money import parse_money
    from xieshang.services.agreements import WaiverItem

    names = {"罚息": "penalty", "复利": "compound", "违约金": "fee", "费用": "fee", "fees": "fee", "利息": "interest",
             "本金": "principal"}
    name, sep, amount = text.partition("=")
    if not sep:
        raise UserError("after.error.waiver_format", value=text)
    key = names.get(name.strip(), name.strip().lower())
    try:
        component = Component(key)
    except ValueError:
        raise UserError("after.error.component", value=name, choices=", ".join(c.value for c in Component)) from None
    return WaiverItem(component, parse_money(amount, field="--waive"))


def _months(text: str) -> int:
    value = text.strip()
    if not value.isdigit():
        raise UserError("error.term.months", value=text)
    return int(value)


@app.command("add")
def add_command(
    loan: Annotated[str, typer.Argument(help="借款编号 loan id.")],
    months: Annotated[str, typer.Option("--months", help="分期期数 number of monthly instalments.")],
    monthly: Annotated[str | None, typer.Option("--monthly", help="每期金额 monthly amount the lender stated.")] = None,
    balance: Annotated[
        str | None, typer.Option("--balance", help="分期本金 amount repaid by the instalments (after the down payment).")
    ] = None,
    down_payment: Annotated[str | None, typer.Option("--down-payment", help="首付 down payment.")] = None,
    down_payment_date: Annotated[
        str | None, typer.Option("--down-payment-date", help="首付日 down payment due (default: the start).")
    ] = None,
    start: Annotated[str | None, typer.Option("--start", help="生效日 the day the plan starts (default today).")] = None,
    first_due: Annotated[
        str | None, typer.Option("--first-due", help="首期还款日 first instalment (default: a month after start).")
    ] = None,
    rate: Annotated[
        str | None, typer.Option("--rate", help="分期利率 agreed annual rate, e.g. 6%; default 0 = 停息 interest stopped.")
    ] = None,
    waive: Annotated[
        list[str] | None, typer.Option("--waive", help="减免 waived amount, e.g. --waive penalty=1200 (repeat).")
    ] = None,
    status: Annotated[
        str, typer.Option("--status", help="proposed | agreed-verbally | confirmed-in-writing.")
    ] = "proposed",
    entry: Annotated[
        str | None, typer.Option("--entry", help="书面确认的联系记录编号 contact-log entry that confirms it.")
    ] = None,
    note: Annotated[str | None, typer.Option("--note", help="备注 note.")] = None,
    json_out: JsonOpt = False,
) -> None:
    """记录协商结果 Record what a lender agreed (or what you proposed)."""
    from xieshang.cli.output import print_json
    from xieshang.money import fmt_display, parse_money
    from xieshang.rates import parse_rate
    from xieshang.services.agreements import AgreementInput, add_agreement

    inp = AgreementInput(
        loan_id=parse_id(loan), months=_months(months),
        start=maybe(start, parse_day), monthly=maybe(monthly, lambda v: parse_money(v, field="--monthly")),
        balance=maybe(balance, lambda v: parse_money(v, field="--balance")),
        down_payment=parse_money(down_payment, field="--down-payment") if down_payment else parse_money("0"),
        down_payment_due=maybe(down_payment_date, parse_day), first_due=maybe(first_due, parse_day),
        rate=maybe(rate, parse_rate), waivers=tuple(parse_waiver(w) for w in (waive or [])), status=status.strip(),
        confirmed_by_entry=maybe(entry, parse_id), note=note,
    )
    rec = add_agreement(store(), inp)
    if json_out:
        print_json(rec.to_json())
        return
    typer.echo(t("after.agreement.added", id=rec.id, loan=rec.loan_id, status=t(f"after.status.{rec.status}"),
                 months=rec.months, balance=fmt_display(rec.balance), first_due=rec.first_due.isoformat()))


@app.command("list")
def list_command(
    loan: Annotated[str | None, typer.Argument(help="借款编号 loan id (default: all).")] = None,
    json_out: JsonOpt = False,
) -> None:
    """列出协商结果 List agreements."""
    from xieshang.cli.output import console, print_json
    from xieshang.money import fmt_display
    from xieshang.services.agreements import list_agreements

    recs = list_agreements(store(), maybe(loan, parse_id))
    if json_out:
        print_json([r.to_json() for r in recs])
        return
    if not recs:
        typer.echo(t("after.agreement.none"))
        return
    from rich.table import Table

    table = Table(title=t("after.agreement.list_title"))
    for key in ("id", "loan", "status", "start", "down_payment", "months", "balance", "rate"):
        table.add_column(t(f"after.col.{key}"))
    for r in recs:
        table.add_row(str(r.id), str(r.loan_id), t(f"after.status.{r.status}"), r.start.isoformat(),
                      fmt_display(r.down_payment), str(r.months), fmt_display(r.balance), _rate(r))
    console().print(table)


def _rate(r: AgreementRecord) -> str:
    return t("after.agreement.interest_stopped") if r.rate.value == 0 else r.rate.describe()


@app.command("show")
def show_command(
    agreement: Annotated[str, typer.Argument(help="协商编号 agreement id.")],
    as_of: Annotated[str | None, typer.Option("--as-of", help="日期 date (default today).")] = None,
    json_out: JsonOpt = False,
) -> None:
    """协商执行情况 An agreement, how it is being kept, and warnings."""
    from xieshang.cli.output import print_json
    from xieshang.services.agreements import agreement_report

    report = agreement_report(store(), parse_id(agreement), maybe(as_of, parse_day))
    if json_out:
        print_json(report.to_json())
        return
    render_report(report)


def render_report(report: AgreementReport) -> None:
    from rich.table import Table

    from xieshang.cli.output import console, warn
    from xieshang.money import fmt_display

    a = report.agreement
    out = console()
    out.print(t("after.agreement.header", id=a.id, lender=report.lender, status=t(f"after.status.{a.status}")))
    out.print(t("after.agreement.terms", start=a.start.isoformat(), down=fmt_display(a.down_payment),
                months=a.months, balance=fmt_display(a.balance), rate=_rate(a)))
    if a.waivers:
        out.print(t("after.agreement.waivers", items="; ".join(
            f"{t(f'after.component.{w.component.value}')} {fmt_display(w.amount)}" for w in a.waivers)))
    if a.confirmed_by_entry is not None:
        out.print(t("after.agreement.entry", entry=a.confirmed_by_entry))
    out.print(t("after.agreement.effective_on", date=report.effective.isoformat()) if report.effective
              else t("after.agreement.not_effective"))
    adh = report.adherence
    table = Table(title=t("after.agreement.adherence_title", date=adh.as_of.isoformat()))
    for key in ("n", "due", "amount", "paid", "state"):
        table.add_column(t(f"after.col.{key}"))
    for i in adh.instalments:
        label = t("after.agreement.down_payment") if i.n == 0 else str(i.n)
        state = t(f"after.state.{i.state}")
        if i.days_late:
            state += " " + t("after.agreement.days_late", days=i.days_late)
        style = "red" if i.state in ("missed", "partial") else "yellow" if i.state == "late" else None
        table.add_row(label, i.due.isoformat(), fmt_display(i.amount), fmt_display(i.paid), state, style=style)
    out.print(table)
    out.print(t("after.agreement.summary", on_time=adh.count("on-time"), late=adh.count("late"),
                partial=adh.count("partial"), missed=adh.count("missed"), paid=fmt_display(adh.paid_total),
                remaining=fmt_display(adh.remaining)))
    if report.status is not None:
        out.print(t("after.agreement.loan_status", payoff=fmt_display(report.status.payoff), dpd=report.status.dpd))
    for key, params in report.warnings:
        from xieshang.services.agreements import _shown

        warn(t(f"after.warning.{key}", **_shown(params)))


@app.command("status")
def status_command(
    agreement: Annotated[str, typer.Argument(help="协商编号 agreement id.")],
    status: Annotated[str, typer.Argument(help="agreed-verbally | confirmed-in-writing | cancelled.")],
    on: Annotated[str | None, typer.Option("--date", help="日期 date (default today).")] = None,
    entry: Annotated[
        str | None, typer.Option("--entry", help="书面确认的联系记录编号 contact-log entry that confirms it.")
    ] = None,
    json_out: JsonOpt = False,
) -> None:
    """更新状态 Move an agreement forward (verbal → written) or cancel it."""
    from xieshang.cli.output import print_json
    from xieshang.services.agreements import set_status

    rec = set_status(store(), parse_id(agreement), status.strip(), on=maybe(on, parse_day),
                     entry=maybe(entry, parse_id))
    if json_out:
        print_json(rec.to_json())
        return
    typer.echo(t("after.agreement.status_set", id=rec.id, status=t(f"after.status.{rec.status}")))


@app.command("remove")
def remove_command(
    agreement: Annotated[str, typer.Argument(help="协商编号 agreement id.")],
    json_out: JsonOpt = False,
) -> None:
    """删除误录的协商 Remove an agreement recorded by mistake (to end a real one: status … cancelled)."""
    from xieshang.cli.output import print_json
    from xieshang.services.agreements import remove_agreement

    rec = remove_agreement(store(), parse_id(agreement))
    if json_out:
        print_json(rec.to_json())
        return
    typer.echo(t("after.agreement.removed", id=rec.id))
