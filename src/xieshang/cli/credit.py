"""``xieshang credit …``: credit-report checks and entries, expectations, free checks, disputes."""

from __future__ import annotations

from typing import Annotated

import typer

from xieshang.cli.case import JsonOpt, maybe, parse_day, parse_id, store
from xieshang.i18n import current_language, t

app = typer.Typer(help="征信报告 credit report: check, entry, show, dispute, codes.", no_args_is_help=True)


@app.command("check")
def check_command(
    on: Annotated[str | None, typer.Option("--date", help="查询日期 date checked (default today).")] = None,
    channel: Annotated[
        str, typer.Option("--channel", help="渠道 channel, e.g. 征信中心网站, 银行App, 自助查询机.")
    ] = "征信中心网站 ipcrs.pbccrc.org.cn",
    paid: Annotated[bool, typer.Option("--paid", help="这次不是免费查询 this check was not a free one.")] = False,
    note: Annotated[str | None, typer.Option("--note", help="备注 note.")] = None,
    json_out: JsonOpt = False,
) -> None:
    """记录一次征信查询 Record that you looked at your credit report."""
    from xieshang.cli.output import print_json
    from xieshang.services.credit import add_check

    check = add_check(store(), on=maybe(on, parse_day), channel=channel, free=not paid, note=note)
    if json_out:
        print_json(check.to_json())
        return
    typer.echo(t("after.credit.check_added", id=check.id, date=check.checked_on.isoformat()))


@app.command("entry")
def entry_command(
    check: Annotated[str, typer.Argument(help="查询编号 check id (see `credit check`).")],
    status_code: Annotated[str, typer.Option("--status", help="还款状态 status code: N, 1–7, C, M, B … (`credit codes`).")],
    loan: Annotated[str | None, typer.Option("--loan", help="对应的借款编号 the loan this account is.")] = None,
    account: Annotated[str, typer.Option("--account", help="报告上的机构/账户 account as the report names it.")] = "",
    overdue: Annotated[str, typer.Option("--overdue", help="当前逾期金额 overdue amount shown.")] = "0",
    months: Annotated[int | None, typer.Option("--months", help="逾期月数 months overdue shown.")] = None,
    classification: Annotated[
        str | None, typer.Option("--class", help="五级分类 正常/关注/次级/可疑/损失 (where shown).")
    ] = None,
    reported: Annotated[str | None, typer.Option("--reported", help="信息截至日期 date the entry speaks for.")] = None,
    note: Annotated[str | None, typer.Option("--note", help="备注 note.")] = None,
    json_out: JsonOpt = False,
) -> None:
    """记录报告上的一个账户 Record one account as the report shows it."""
    from xieshang.cli.output import print_json
    from xieshang.money import parse_money
    from xieshang.services.credit import add_entry

    entry = add_entry(store(), parse_id(check), account=account, status_code=status_code,
                      overdue=parse_money(overdue, field="--overdue"), loan_id=maybe(loan, parse_id),
                      overdue_months=months, classification=classification, reported_on=maybe(reported, parse_day),
                      note=note)
    if json_out:
        print_json(entry.to_json())
        return
    typer.echo(t("after.credit.entry_added", id=entry.id, account=entry.account, code=entry.status_code))


@app.command("dispute")
def dispute_command(
    entry: Annotated[str, typer.Argument(help="条目编号 entry id.")],
    on: Annotated[str | None, typer.Option("--date", help="提出异议的日期 date filed (default today).")] = None,
    json_out: JsonOpt = False,
) -> None:
    """记录已提出异议 Record that you filed a dispute (异议) about an entry; the reply is due in 20 days."""
    from datetime import timedelta

    from xieshang.cli.output import print_json
    from xieshang.services.credit import _int_rule, mark_disputed

    rec = mark_disputed(store(), parse_id(entry), on=maybe(on, parse_day))
    days, rule = _int_rule("dispute")
    assert rec.disputed_on is not None
    due = rec.disputed_on + timedelta(days=days)
    if json_out:
        print_json({"entry": rec.to_json(), "reply_due": due.isoformat(), "source": rule.source})
        return
    typer.echo(t("after.credit.disputed", id=rec.id, date=due.isoformat(), source=rule.source))


@app.command("codes")
def codes_command(json_out: JsonOpt = False) -> None:
    """还款状态代码 The 2nd-generation repayment-status codes."""
    from xieshang.cli.output import print_json
    from xieshang.services.credit import status_codes

    codes = status_codes()
    if json_out:
        print_json([{"code": c, "zh": zh, "en": en} for c, zh, en in codes])
        return
    en = current_language() == "en"
    for c, zh, en_text in codes:
        typer.echo(f"{c:>2}  {en_text if en else zh}")


@app.command("show")
def show_command(json_out: JsonOpt = False) -> None:
    """征信概况 Checks, what to expect per loan, the next free check, discrepancies to dispute."""
    from xieshang.cli.output import console, print_json, warn
    from xieshang.money import fmt_display
    from xieshang.services.credit import credit_overview

    ov = credit_overview(store())
    if json_out:
        print_json(ov.to_json())
        return
    out = console()
    f = ov.free
    out.print(t("after.credit.free", left=f.left, per_year=f.per_year, next=f.next_free.isoformat(),
                source=f.source))
    if not ov.checks:
        out.print(t("after.credit.no_checks"))
    for c in ov.checks:
        out.print(t("after.credit.check_line", id=c.id, date=c.checked_on.isoformat(), channel=c.channel))
        for e in c.entries:
            out.print(t("after.credit.entry_line", id=e.id, account=e.account, code=e.status_code,
                        overdue=fmt_display(e.overdue)))
    out.print(t("after.credit.expect_title"))
    for x in ov.expectations:
        params: dict[str, object] = {"lender": x.lender, "ended": x.overdue_ended.isoformat() if x.overdue_ended else "",
                  "delete": x.delete_after.isoformat() if x.delete_after else "", "years": x.retention_years,
                  "source": x.source}
        out.print("  " + t(f"after.credit.expect.{x.state}", lang=None, **params))
    for d in ov.disputes:
        kinds = "; ".join(t(f"after.credit.discrepancy.{x.kind}", reported=x.reported, ours=x.ours)
                          for x in d.discrepancies)
        warn(t("after.credit.dispute_candidate", id=d.entry.id, lender=d.lender, what=kinds, days=d.reply_days))
