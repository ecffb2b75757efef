"""``xieshang loan …``: add, list, show, edit and remove the loans of the case."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from xieshang import clock
from xieshang.cli.case import (
    JsonOpt,
    ask,
    confirm_or_refuse,
    interactive,
    loan_label,
    maybe,
    parse_day,
    parse_id,
    store,
)
from xieshang.errors import UserError
from xieshang.i18n import t

if TYPE_CHECKING:
    from xieshang.engine.status import LoanStatus
    from xieshang.services.case import Contact, LoanFields, LoanRecord

app = typer.Typer(help="借款 loans: add, list, show, edit, remove.", no_args_is_help=True)

Profile = Annotated[str | None, typer.Option("--profile", help="机构模板 lender profile id (see `xieshang profiles`).")]
Lender = Annotated[str | None, typer.Option("--lender", help="机构名称 lender name (default: the profile's).")]
Principal = Annotated[str | None, typer.Option("--principal", help="本金 principal, e.g. 20000 or 2万.")]
RateOpt = Annotated[str | None, typer.Option("--rate", help="利率 rate: 14.6%, 日息万四, 0.05%/日 (cards: daily).")]
Months = Annotated[str | None, typer.Option("--months", help="期数 term in months.")]
Start = Annotated[str | None, typer.Option("--start", help="放款日 disbursement date YYYY-MM-DD.")]
Method = Annotated[str | None, typer.Option(
    "--method", help="还款方式 equal-installment, equal-principal, interest-first, revolving.")]
Received = Annotated[str | None, typer.Option("--received", help="实际到手金额 amount received, if less.")]
ContractNo = Annotated[str | None, typer.Option("--contract-no", help="合同编号 contract number.")]
StmtBalance = Annotated[str | None, typer.Option("--statement-balance", help="信用卡账单金额 card statement balance.")]
StmtDate = Annotated[str | None, typer.Option("--statement-date", help="账单日 statement date YYYY-MM-DD.")]
DueDate = Annotated[str | None, typer.Option("--due-date", help="到期还款日 due date YYYY-MM-DD.")]
Sets = Annotated[list[str] | None, typer.Option(
    "--set", help="覆盖模板条款 override a term: FIELD=VALUE, e.g. grace_days=3 (repeatable).")]
Contacts = Annotated[list[str] | None, typer.Option(
    "--contact", help="机构联系方式 lender contact CHANNEL=VALUE, e.g. phone=95188 (repeatable).")]
Notes = Annotated[str | None, typer.Option("--notes", help="备注 notes.")]


def _pairs(items: list[str] | None, key: str) -> list[tuple[str, str]] | None:
    if not items:
        return None
    out: list[tuple[str, str]] = []
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name.strip() or not value.strip():
            raise UserError(key, value=item)
        out.append((name.strip(), value.strip()))
    return out


def _contacts(items: list[str] | None) -> tuple[Contact, ...] | None:
    from xieshang.services.case import Contact

    pairs = _pairs(items, "error.case.bad_contact")
    return None if pairs is None else tuple(Contact(c, v) for c, v in pairs)


def _months(text: str) -> int:
    value = text.strip()
    if not value.isdigit() or not 1 <= int(value) <= 600:
        raise UserError("error.term.months", value=text)
    return int(value)


def _method(text: str) -> object:
    from xieshang.engine.terms import RepaymentMethod

    try:
        return RepaymentMethod(text.strip().lower())
    except ValueError:
        raise UserError("error.term.method", value=text,
                        choices=", ".join(m.value for m in RepaymentMethod)) from None


def _fields(*, product: str | None, profile: str | None, lender: str | None, principal: str | None,
            rate: str | None, months: str | None, start: str | None, method: str | None, received: str | None,
            contract_no: str | None, statement_balance: str | None, statement_date: str | None,
            due_date: str | None, sets: list[str] | None, contacts: list[str] | None, notes: str | None,
            unset: list[str] | None = None) -> LoanFields:
    from xieshang.engine.terms import RepaymentMethod
    from xieshang.money import parse_money
    from xieshang.rates import Period, parse_rate
    from xieshang.services.case import LoanFields

    default_period = Period.DAY if product == "card" else Period.YEAR
    pairs = _pairs(sets, "error.case.bad_set")
    m = maybe(method, _method)
    assert m is None or isinstance(m, RepaymentMethod)
    return LoanFields(
        profile_id=profile, lender=lender,
        principal=maybe(principal, lambda s: parse_money(s, field="--principal")),
        rate=maybe(rate, lambda s: parse_rate(s, default_period)),
        term_months=maybe(months, _months), start=maybe(start, parse_day), method=m,
        amount_received=maybe(received, lambda s: parse_money(s, field="--received")),
        statement_balance=maybe(statement_balance, lambda s: parse_money(s, field="--statement-balance")),
        statement_date=maybe(statement_date, parse_day), due_date=maybe(due_date, parse_day),
        overrides=None if pairs is None else dict(pairs), contract_no=contract_no,
        contacts=_contacts(contacts), notes=notes, unset=tuple(unset or ()),
    )


@app.command("add")
def add_command(
    profile: Profile = None, lender: Lender = None, principal: Principal = None, rate: RateOpt = None,
    months: Months = None, start: Start = None, method: Method = None, received: Received = None,
    contract_no: ContractNo = None, statement_balance: StmtBalance = None, statement_date: StmtDate = None,
    due_date: DueDate = None, sets: Sets = None, contacts: Contacts = None, notes: Notes = None,
    json_out: JsonOpt = False,
) -> None:
    """添加借款 Add a loan: choose a lender profile, then give your contract's figures."""
    from xieshang.money import parse_money
    from xieshang.services.case import add_loan, profile_for

    st = store()
    pid = ask(profile, str.strip, field="profile", flag="--profile", prompt=t("case.prompt.profile"))
    prof = profile_for(pid)
    product = str(prof.product.value)
    if interactive():  # ask only for what is required and missing; the profile supplies the rest
        if product == "card":
            statement_balance = statement_balance or str(ask(None, lambda s: parse_money(s), field="statement_balance",
                                                             flag="--statement-balance",
                                                             prompt=t("case.prompt.statement_balance")))
            statement_date = statement_date or ask(None, lambda s: parse_day(s).isoformat(), field="statement_date",
                                                   flag="--statement-date", prompt=t("case.prompt.statement_date"))
            due_date = due_date or ask(None, lambda s: parse_day(s).isoformat(), field="due_date",
                                       flag="--due-date", prompt=t("case.prompt.due_date"))
        else:
            principal = principal or str(ask(None, lambda s: parse_money(s), field="principal",
                                             flag="--principal", prompt=t("case.prompt.principal")))
            months = months or str(ask(None, _months, field="term_months", flag="--months",
                                       prompt=t("case.prompt.months")))
            start = start or ask(None, lambda s: parse_day(s).isoformat(), field="start", flag="--start",
                                 prompt=t("case.prompt.start"))
    fields = _fields(product=product, profile=pid, lender=lender, principal=principal, rate=rate, months=months,
                     start=start, method=method, received=received, contract_no=contract_no,
                     statement_balance=statement_balance, statement_date=statement_date, due_date=due_date,
                     sets=sets, contacts=contacts, notes=notes)
    loan = add_loan(st, fields)
    _done(loan, "case.loan.added", json_out)


def _done(loan: LoanRecord, key: str, json_out: bool) -> None:
    from xieshang.cli.output import print_json

    if json_out:
        print_json(loan.to_json())
    else:
        typer.echo(t(key, id=loan.id, lender=loan.lender))


@app.command("edit")
def edit_command(
    loan: Annotated[str, typer.Argument(help="借款编号 loan id.")],
    profile: Profile = None, lender: Lender = None, principal: Principal = None, rate: RateOpt = None,
    months: Months = None, start: Start = None, method: Method = None, received: Received = None,
    contract_no: ContractNo = None, statement_balance: StmtBalance = None, statement_date: StmtDate = None,
    due_date: DueDate = None, sets: Sets = None, contacts: Contacts = None, notes: Notes = None,
    unset: Annotated[list[str] | None, typer.Option(
        "--unset", help="清除字段 clear a field (rate, method, amount_received, contract_no, notes, contacts) "
                        "or a --set override (repeatable).")] = None,
    json_out: JsonOpt = False,
) -> None:
    """修改借款 Change a loan's figures (only the flags given change; --contact replaces the list)."""
    from xieshang.services.case import edit_loan, get_loan

    loan_id = parse_id(loan)
    st = store()
    current = get_loan(st, loan_id)
    fields = _fields(product=current.product, profile=profile, lender=lender, principal=principal, rate=rate,
                     months=months, start=start, method=method, received=received, contract_no=contract_no,
                     statement_balance=statement_balance, statement_date=statement_date, due_date=due_date,
                     sets=sets, contacts=contacts, notes=notes, unset=unset)
    _done(edit_loan(st, loan_id, fields), "case.loan.edited", json_out)


@app.command("remove")
def remove_command(
    loan: Annotated[str, typer.Argument(help="借款编号 loan id.")],
    yes: Annotated[bool, typer.Option("--yes", "-y", help="不再确认 do not ask.")] = False,
    json_out: JsonOpt = False,
) -> None:
    """删除借款 Remove a loan with its payments (asks first; --yes to skip)."""
    from xieshang.services.case import get_loan, remove_loan

    loan_id = parse_id(loan)
    st = store()
    rec = get_loan(st, loan_id)
    if not confirm_or_refuse(yes, t("case.loan.confirm_remove", label=loan_label(rec), payments=len(rec.payments))):
        typer.echo(t("case.cancelled"))
        raise typer.Exit(1)
    _done(remove_loan(st, loan_id), "case.loan.removed", json_out)


@app.command("list")
def list_command(json_out: JsonOpt = False) -> None:
    """列出借款 List the loans of the case."""
    from xieshang.cli.output import console, print_json
    from xieshang.money import fmt_display
    from xieshang.services.case import list_loans

    loans = list_loans(store())
    if json_out:
        print_json([loan.to_json() for loan in loans])
        return
    if not loans:
        typer.echo(t("case.loan.none"))
        return
    from rich.table import Table

    table = Table(title=t("case.loan.list_title"))
    for key in ("id", "lender", "profile", "amount", "rate", "start", "paid"):
        table.add_column(t(f"case.col.{key}"), justify="right" if key in ("id", "amount", "paid") else "left",
                         overflow="fold")
    for loan in loans:
        table.add_row(
            str(loan.id), loan.lender, loan.profile_id,
            fmt_display(loan.amount) if loan.amount is not None else "—",
            loan.rate.describe() if loan.rate is not None else t("case.profile_default"),
            (loan.disbursed.isoformat() if loan.disbursed else "—")
            + (f" → {loan.due_date.isoformat()}" if loan.is_card and loan.due_date else "")
            + (f" · {loan.term_months}{t('case.months_suffix')}" if loan.term_months else ""),
            f"{fmt_display(loan.paid_total)} ({len(loan.payments)})",
        )
    console().print(table)


@app.command("show")
def show_command(
    loan: Annotated[str, typer.Argument(help="借款编号 loan id.")],
    as_of: Annotated[str | None, typer.Option("--as-of", help="计算日 as-of date (default today).")] = None,
    json_out: JsonOpt = False,
) -> None:
    """查看借款 Show a loan: terms, payments and where it stands (DPD, stage, what is owed)."""

    from xieshang.cli.output import print_json
    from xieshang.engine.status import status_of
    from xieshang.services.case import get_loan, loan_payments, loan_terms, terms_to_json

    loan_id = parse_id(loan)
    day = maybe(as_of, parse_day) or clock.today()
    rec = get_loan(store(), loan_id)
    terms = loan_terms(rec)
    status = status_of(terms, [p for p in loan_payments(rec) if p.on <= day], day)
    if json_out:
        print_json({"loan": rec.to_json(), "terms": terms_to_json(terms), "status": status.to_json()})
        return
    _show(rec, terms_to_json(terms), status)


def _show(rec: LoanRecord, terms: dict[str, object], status: LoanStatus) -> None:
    from rich.table import Table

    from xieshang.cli.output import console
    from xieshang.money import fmt_display
    from xieshang.services.case import describe_rate

    out = console()
    out.print(f"[bold]{loan_label(rec)}[/bold]  ({rec.profile_id}, {t('case.product.' + rec.product)})")
    info = Table(show_header=False, box=None, padding=(0, 2))
    info.add_column()
    info.add_column()
    if rec.is_card:
        rows = [("statement_balance", fmt_display(rec.statement_balance) if rec.statement_balance else "—"),
                ("statement_date", str(rec.statement_date)), ("due_date", str(rec.due_date)),
                ("daily_rate", describe_rate(str(terms.get("daily_rate"))))]
    else:
        rows = [("principal", fmt_display(rec.principal) if rec.principal else "—"),
                ("rate", describe_rate(str(terms.get("rate")))), ("term_months", str(rec.term_months)),
                ("start", str(rec.start)), ("method", t(f"case.method.{terms.get('method')}"))]
        if rec.amount_received is not None:
            rows.append(("amount_received", fmt_display(rec.amount_received)))
    if rec.overrides:
        rows.append(("overrides", ", ".join(f"{k}={v}" for k, v in sorted(rec.overrides.items()))))
    if rec.contract_no:
        rows.append(("contract_no", rec.contract_no))
    if rec.contacts:
        rows.append(("contacts", ", ".join(f"{c.channel}: {c.value}" for c in rec.contacts)))
    if rec.notes:
        rows.append(("notes", rec.notes))
    for key, value in rows:
        info.add_row(t(f"case.field.{key}"), value)
    out.print(info)

    owed = status.owed
    out.print(f"\n[bold]{t('case.show.status_title', date=status.as_of.isoformat())}[/bold]")
    st = Table(show_header=False, box=None, padding=(0, 2))
    st.add_column()
    st.add_column(justify="right")
    st.add_row(t("case.show.dpd"), str(status.dpd))
    st.add_row(t("case.show.stage"), t(f"case.stage.{status.stage.value}"))
    if status.overdue_since:
        st.add_row(t("case.show.overdue_since"), status.overdue_since.isoformat())
    for key, amount in (("overdue_principal", owed.overdue_principal), ("not_due_principal", owed.not_due_principal),
                        ("overdue_interest", owed.overdue_interest), ("accrued_interest", owed.accrued_interest),
                        ("penalty", owed.penalty), ("compound", owed.compound), ("fees", owed.fees)):
        st.add_row(t(f"case.owed.{key}"), fmt_display(amount))
    st.add_row(f"[bold]{t('case.owed.total')}[/bold]", f"[bold]{fmt_display(status.payoff)}[/bold]")
    st.add_row(t("case.show.overdue_amount"), fmt_display(status.overdue_amount))
    if status.next_due_date:
        st.add_row(t("case.show.next_due"), f"{status.next_due_date.isoformat()}  {fmt_display(status.next_due_amount)}")
    st.add_row(t("case.show.growth_per_day"), fmt_display(status.growth_per_day))
    st.add_row(t("case.show.paid_total"), fmt_display(status.paid_total))
    if status.closed:
        st.add_row(t("case.show.closed"), "✓")
    out.print(st)

    if status.instalments:
        inst = Table(title=t("case.show.instalments"))
        for key in ("n", "due_date", "principal", "interest", "fee", "paid_amount", "state"):
            inst.add_column(t(f"case.col.{key}"), justify="left" if key in ("due_date", "state") else "right")
        for i in status.instalments:
            inst.add_row(str(i.n), i.due_date.isoformat(), fmt_display(i.principal), fmt_display(i.interest),
                         fmt_display(i.fee), fmt_display(i.paid_principal + i.paid_interest + i.paid_fee),
                         t(f"case.state.{i.state.value}"))
        out.print(inst)
    if rec.payments:
        pays = Table(title=t("case.pay.list_title"))
        for key in ("id", "date", "amount", "channel", "note"):
            pays.add_column(t(f"case.col.{key}"), justify="right" if key in ("id", "amount") else "left")
        for p in rec.payments:
            pays.add_row(str(p.id), p.on.isoformat(), fmt_display(p.amount), p.channel or "", p.note or "")
        out.print(pays)
    for f in rec.lender_figures:
        out.print(t("case.show.lender_says", date=f.on.isoformat(), amount=fmt_display(f.amount),
                    note=f" ({f.note})" if f.note else ""))
