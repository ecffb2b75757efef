"""``xieshang letter``: negotiation letters, call scripts and checklists from the case.

``letter list`` · ``letter make KIND [--loan ID] [--format md|html|pdf|docx] [-o FILE]`` ·
``letter script LOAN`` · ``letter checklist HARDSHIP``. The document language follows ``--lang``
(zh_CN default, en, and zh_TW / zh_HK by OpenCC conversion). Heavy imports stay inside the
commands.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from xieshang.cli.case import JsonOpt, ask, interactive, maybe, parse_day, parse_id, store
from xieshang.errors import UserError
from xieshang.i18n import t

if TYPE_CHECKING:
    from xieshang.services.letters import MadeDocument, ProposalFlags

app = typer.Typer(help=t("letter.help.app"), no_args_is_help=True, rich_markup_mode=None)

FormatOpt = Annotated[str, typer.Option("--format", "-f", help="md | html | pdf | docx")]
OutOpt = Annotated[Path | None, typer.Option("--output", "-o", help="输出文件 output file (md/html: screen if omitted).")]
AsOfOpt = Annotated[str | None, typer.Option("--as-of", help="金额计算日期 figures as of (default today).")]


def requested_language() -> str:
    """The document language as typed: the root ``--lang`` keeps only zh_CN/en for the interface,
    so the raw value (zh_TW, zh_HK …) is read from the command line, then ``XIESHANG_LANG``."""
    from xieshang.services.letters import doc_language

    raw: str | None = None
    argv = sys.argv[1:]
    for i, arg in enumerate(argv):
        if arg == "--lang" and i + 1 < len(argv):
            raw = argv[i + 1]
        elif arg.startswith("--lang="):
            raw = arg.split("=", 1)[1]
    if raw is None:
        raw = os.environ.get("XIESHANG_LANG") or None
    return doc_language(raw)


def _flags(down: str | None, monthly: str | None, months: int | None, start: str | None, interest: str | None,
           reduced_rate: str | None, waive: str | None) -> ProposalFlags:
    from decimal import Decimal

    from xieshang.money import parse_money
    from xieshang.services.letters import ProposalFlags

    rate: Decimal | None = None
    if reduced_rate is not None:
        from xieshang.rates import parse_rate

        rate = parse_rate(reduced_rate).annual().value
    items = tuple(x.strip() for x in waive.split(",") if x.strip()) if waive else ()
    return ProposalFlags(
        down_payment=None if down is None else parse_money(down, field="--down-payment"),
        monthly=None if monthly is None else parse_money(monthly, field="--monthly"),
        months=months, start=maybe(start, parse_day), interest=interest, reduced_rate=rate, waive=items)


def _report(made: MadeDocument, json_out: bool) -> None:
    from xieshang.cli.output import print_json

    if json_out:
        print_json(made.to_json())
        return
    for key, params in made.notices:
        typer.echo(t(key, **params), err=True)
    if made.missing:
        typer.echo(t("letter.make.missing_title"), err=True)
        for line in made.missing_texts():
            typer.echo(f"  • {line}", err=True)
    if made.path is None:
        sys.stdout.write(made.content.decode("utf-8"))
        sys.stdout.flush()
    else:
        typer.echo(t("letter.make.written", kind=t(f"letter.kind.{made.kind}"), path=made.path), err=True)


def _pick_loan(loan: str | None) -> int:
    from xieshang.services.letters import default_loan_id, loan_choices

    if loan is not None:
        return parse_id(loan)
    st = store()
    found = default_loan_id(st)
    if found is not None:
        return found
    if not interactive():
        raise UserError("letter.error.choose_loan", loans=loan_choices(st))
    typer.echo(loan_choices(st), err=True)
    return ask(None, parse_id, field="loan", flag="--loan", prompt=t("letter.make.pick_loan"))


@app.command("make")
def make_command(
    kind: Annotated[str, typer.Argument(help="negotiation | waiver | hardship | card-installment | call-script | "
                                             "confirmation | settlement-proof | complaint | credit-dispute")],
    loan: Annotated[str | None, typer.Option("--loan", help="借款编号 loan id (default: the plan's first).")] = None,
    fmt: FormatOpt = "md",
    output: OutOpt = None,
    as_of: AsOfOpt = None,
    down_payment: Annotated[str | None, typer.Option("--down-payment", help="首付 down payment.")] = None,
    monthly: Annotated[str | None, typer.Option("--monthly", help="每月还款 monthly amount.")] = None,
    months: Annotated[int | None, typer.Option("--months", help="期数 number of monthly payments.")] = None,
    start: Annotated[str | None, typer.Option("--start", help="首次还款日 first payment date.")] = None,
    interest: Annotated[str | None, typer.Option("--interest", help="continues | stops | reduced")] = None,
    reduced_rate: Annotated[str | None, typer.Option("--reduced-rate", help="reduced: 年利率 annual rate.")] = None,
    waive: Annotated[str | None, typer.Option("--waive", help="申请减免 penalty,compound,fees")] = None,
    hardship: Annotated[str | None, typer.Option("--hardship", help="illness | job-loss | business-failure | "
                                                                    "disaster | family-emergency | other")] = None,
    hardship_text: Annotated[str | None, typer.Option("--hardship-text", help="具体情况 what happened.")] = None,
    hardship_since: Annotated[str | None, typer.Option("--hardship-since", help="开始日期 since.")] = None,
    hardship_until: Annotated[str | None, typer.Option("--hardship-until", help="结束日期 until.")] = None,
    call_date: Annotated[str | None, typer.Option("--call-date", help="confirmation: 通话日期.")] = None,
    agent: Annotated[str | None, typer.Option("--agent", help="confirmation: 对方工号/姓名.")] = None,
    agreed: Annotated[str | None, typer.Option("--agreed", help="confirmation: 约定内容.")] = None,
    settled_on: Annotated[str | None, typer.Option("--settled-on", help="settlement-proof: 结清日期.")] = None,
    issue: Annotated[list[str] | None, typer.Option("--issue", help="complaint: refusal | wrong-amount | "
                                                                    "misconduct | credit-report")] = None,
    details: Annotated[str | None, typer.Option("--details", help="complaint: 经过 what happened.")] = None,
    to: Annotated[str, typer.Option("--to", help="complaint: lender | regulator")] = "lender",
    reference: Annotated[str | None, typer.Option("--reference", help="complaint: 机构投诉编号.")] = None,
    entry: Annotated[str | None, typer.Option("--entry", help="credit-dispute: 哪条记录 the entry.")] = None,
    wrong: Annotated[str | None, typer.Option("--wrong", help="credit-dispute: 错在哪里 what is wrong.")] = None,
    evidence: Annotated[list[str] | None, typer.Option("--evidence", help="credit-dispute: 证据 (repeat).")] = None,
    json_out: JsonOpt = False,
) -> None:
    """生成文书 Make a document for one loan from the case and the plan."""
    from xieshang.documents.facts import CallInfo, ComplaintInfo, DisputeInfo, HardshipInfo
    from xieshang.services.letters import LetterRequest, check_request, make_document

    lang = requested_language()
    hs = None
    if hardship is not None:
        hs = HardshipInfo(hardship.strip(), hardship_text, maybe(hardship_since, parse_day),
                          maybe(hardship_until, parse_day))
    req = LetterRequest(
        kind=kind, loan_id=0, fmt=fmt.lower().lstrip("."), lang=lang, as_of=maybe(as_of, parse_day), output=output,
        flags=_flags(down_payment, monthly, months, start, interest, reduced_rate, waive), hardship=hs,
        call=CallInfo(maybe(call_date, parse_day), agent, agreed),
        complaint=ComplaintInfo(tuple(issue or ()), details, to, reference),
        dispute=DisputeInfo(entry, wrong, tuple(evidence or ())), settled_on=maybe(settled_on, parse_day),
    )
    check_request(req)  # refuse bad input before touching the store
    from dataclasses import replace

    req = replace(req, loan_id=_pick_loan(loan))
    _report(make_document(store(), req), json_out)


@app.command("script")
def script_command(
    loan: Annotated[str, typer.Argument(help="借款编号 loan id.")],
    fmt: FormatOpt = "md",
    output: OutOpt = None,
    as_of: AsOfOpt = None,
    down_payment: Annotated[str | None, typer.Option("--down-payment", help="首付 down payment.")] = None,
    monthly: Annotated[str | None, typer.Option("--monthly", help="每月还款 monthly amount.")] = None,
    months: Annotated[int | None, typer.Option("--months", help="期数 number of monthly payments.")] = None,
    start: Annotated[str | None, typer.Option("--start", help="首次还款日 first payment date.")] = None,
    interest: Annotated[str | None, typer.Option("--interest", help="continues | stops | reduced")] = None,
    waive: Annotated[str | None, typer.Option("--waive", help="申请减免 penalty,compound,fees")] = None,
    hardship: Annotated[str | None, typer.Option("--hardship", help="困难类型 hardship type.")] = None,
    hardship_text: Annotated[str | None, typer.Option("--hardship-text", help="具体情况 what happened.")] = None,
    json_out: JsonOpt = False,
) -> None:
    """通话脚本 The call script for one loan (same as `letter make call-script --loan LOAN`)."""
    from xieshang.documents.facts import HardshipInfo
    from xieshang.services.letters import LetterRequest, check_request, make_document

    req = LetterRequest(
        kind="call-script", loan_id=parse_id(loan), fmt=fmt.lower().lstrip("."), lang=requested_language(),
        as_of=maybe(as_of, parse_day), output=output,
        flags=_flags(down_payment, monthly, months, start, interest, None, waive),
        hardship=None if hardship is None else HardshipInfo(hardship.strip(), hardship_text),
    )
    check_request(req)
    _report(make_document(store(), req), json_out)


@app.command("checklist")
def checklist_command(
    hardship: Annotated[str, typer.Argument(help="illness | job-loss | business-failure | disaster | "
                                                 "family-emergency | other")],
    fmt: FormatOpt = "md",
    output: OutOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """材料清单 The supporting documents for a hardship type, and the guide to paid agencies."""
    from xieshang.services.letters import make_checklist

    lang = requested_language()
    try:
        st = store()
    except UserError:  # no store yet: the checklist needs no case
        st = None
    _report(make_checklist(st, hardship.strip(), lang=lang, fmt_=fmt.lower().lstrip("."), output=output), json_out)


@app.command("list")
def list_command(json_out: JsonOpt = False) -> None:
    """文书列表 The kinds of documents, and the documents made for this case."""
    from xieshang.cli.output import console, print_json
    from xieshang.documents import KINDS
    from xieshang.services.case import has_case
    from xieshang.services.letters import list_made

    try:
        st = store()
        made = list_made(st) if has_case(st) else []
    except UserError as exc:
        if exc.key != "error.case.no_store":
            raise
        made = []
    if json_out:
        print_json({"kinds": [{"kind": k, "name": t(f"letter.kind.{k}")} for k in KINDS],
                    "made": [m.to_json() for m in made]})
        return
    from rich import box
    from rich.table import Table

    out = console()
    kinds = Table(title=t("letter.list.kinds_title"), box=box.SIMPLE_HEAVY, title_justify="left", show_edge=False,
                  show_header=False)
    kinds.add_column()
    kinds.add_column()
    for k in KINDS:
        kinds.add_row(k, t(f"letter.kind.{k}"))
    out.print(kinds)
    if not made:
        typer.echo(t("letter.list.none_made"))
        return
    tbl = Table(title=t("letter.list.made_title"), box=box.SIMPLE_HEAVY, title_justify="left", show_edge=False)
    for col in ("id", "made", "kind", "loan", "lang", "format", "path"):
        tbl.add_column(t(f"letter.list.col_{col}"))
    for m in made:
        tbl.add_row(str(m.id), m.made_utc.strftime("%Y-%m-%d %H:%M") + " UTC", t(f"letter.kind.{m.kind}"),
                    m.loan_label or "—", m.lang, m.fmt, m.path or t("letter.list.stdout"))
    out.print(tbl)
    typer.echo(t("letter.list.hint"))
