"""``xieshang pay …``: record, list and remove payments."""

from __future__ import annotations

from typing import Annotated

import typer

from xieshang.cli.case import JsonOpt, maybe, parse_day, parse_id, store
from xieshang.i18n import t

app = typer.Typer(help="还款 payments: add, list, remove.", no_args_is_help=True)


@app.command("add")
def add_command(
    loan: Annotated[str, typer.Argument(help="借款编号 loan id.")],
    amount: Annotated[str, typer.Argument(help="金额 amount, e.g. 800 or 1,234.56.")],
    on: Annotated[str | None, typer.Option("--date", help="还款日 date paid (default today), YYYY-MM-DD.")] = None,
    channel: Annotated[str | None, typer.Option("--channel", help="渠道 channel, e.g. 支付宝, bank transfer.")] = None,
    note: Annotated[str | None, typer.Option("--note", help="备注 note.")] = None,
    json_out: JsonOpt = False,
) -> None:
    """记录还款 Record a payment on a loan."""
    from xieshang.cli.output import print_json
    from xieshang.money import fmt_display, parse_money
    from xieshang.services.case import add_payment

    loan_id = parse_id(loan)
    value = parse_money(amount, field="amount")
    day = maybe(on, parse_day)
    pay = add_payment(store(), loan_id, value, on=day, channel=channel, note=note)
    if json_out:
        print_json(pay.to_json())
        return
    typer.echo(t("case.pay.added", id=pay.id, loan=loan_id, amount=fmt_display(pay.amount), date=pay.on.isoformat()))


@app.command("list")
def list_command(
    loan: Annotated[str | None, typer.Argument(help="借款编号 loan id (default: all loans).")] = None,
    json_out: JsonOpt = False,
) -> None:
    """列出还款 List payments, of one loan or all."""
    from xieshang.cli.output import console, print_json
    from xieshang.money import fmt_display
    from xieshang.services.case import list_payments

    loan_id = maybe(loan, parse_id)
    pays = list_payments(store(), loan_id)
    if json_out:
        print_json([p.to_json() for p in pays])
        return
    if not pays:
        typer.echo(t("case.pay.none"))
        return
    from rich.table import Table

    table = Table(title=t("case.pay.list_title"))
    for key in ("id", "loan", "date", "amount", "channel", "note"):
        table.add_column(t(f"case.col.{key}"), justify="right" if key in ("id", "loan", "amount") else "left")
    for p in pays:
        table.add_row(str(p.id), str(p.loan_id), p.on.isoformat(), fmt_display(p.amount), p.channel or "", p.note or "")
    console().print(table)


@app.command("remove")
def remove_command(
    payment: Annotated[str, typer.Argument(help="还款编号 payment id (see `pay list`).")],
    json_out: JsonOpt = False,
) -> None:
    """删除还款 Remove a payment recorded by mistake."""
    from xieshang.cli.output import print_json
    from xieshang.money import fmt_display
    from xieshang.services.case import remove_payment

    pay = remove_payment(store(), parse_id(payment))
    if json_out:
        print_json(pay.to_json())
        return
    typer.echo(t("case.pay.removed", id=pay.id, amount=fmt_display(pay.amount), date=pay.on.isoformat()))
