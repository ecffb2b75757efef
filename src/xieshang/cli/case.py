"""Case commands: ``init``, ``demo``, ``lender-says``, ``export``, ``import``, and the input
helpers shared with ``loan`` and ``pay`` (parsing, prompting only on a terminal).

Heavy modules (SQLAlchemy, Rich, services) are imported inside the functions.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer

from xieshang.errors import UserError
from xieshang.i18n import t

if TYPE_CHECKING:
    from xieshang.services.case import LoanRecord
    from xieshang.store.db import Store

T = TypeVar("T")


# ---------------------------------------------------------------------------------------
# Input helpers
# ---------------------------------------------------------------------------------------


def interactive() -> bool:
    return sys.stdin.isatty()


def parse_day(text: str) -> date:
    value = text.strip()
    try:
        if len(value) != 10:
            raise ValueError(value)
        return date.fromisoformat(value)
    except ValueError:
        raise UserError("error.date.unparseable", value=text) from None


def parse_id(text: str) -> int:
    value = text.strip().lstrip("#")
    if not value.isdigit() or int(value) <= 0:
        raise UserError("error.case.bad_id", value=text)
    return int(value)


def ask(value: str | None, parse: Callable[[str], T], *, field: str, flag: str, prompt: str) -> T:
    """``parse(value)``; when missing, ask on a terminal, else a :class:`UserError`."""
    if value is None or value == "":
        if not interactive():
            raise UserError("error.case.not_interactive", field=field, flag=flag)
        while True:
            answer = typer.prompt(prompt)
            try:
                return parse(answer)
            except UserError as exc:
                typer.echo(t("cli.error_prefix") + exc.message(), err=True)
    return parse(value)


def maybe(value: str | None, parse: Callable[[str], T]) -> T | None:
    return None if value is None else parse(value)


def confirm_or_refuse(yes: bool, question: str) -> bool:
    """True to go ahead: ``--yes``, or a "y" on a terminal; refuses without a terminal."""
    if yes:
        return True
    if not interactive():
        raise UserError("error.case.confirm_needed")
    return typer.confirm(question, default=False)


def store(*, create: bool = False) -> Store:
    from xieshang.services import open_case_store

    return open_case_store(create=create)


def loan_label(loan: LoanRecord) -> str:
    return f"#{loan.id} {loan.lender}"


# ---------------------------------------------------------------------------------------
# Commands
# ---------------------------------------------------------------------------------------

JsonOpt = Annotated[bool, typer.Option("--json", help="JSON 输出 JSON output.")]


def init_command(
    name: Annotated[str | None, typer.Option("--name", help="姓名 the borrower's name.")] = None,
    phone: Annotated[str | None, typer.Option("--phone", help="电话 phone (optional).")] = None,
    email: Annotated[str | None, typer.Option("--email", help="邮箱 email (optional).")] = None,
    id_number: Annotated[str | None, typer.Option("--id-number", help="身份证号 ID number (optional).")] = None,
    locale: Annotated[str, typer.Option("--locale", help="语言 zh_CN or en.")] = "zh_CN",
    json_out: JsonOpt = False,
) -> None:
    """建立案件 Create the store and start the case with your name."""
    from xieshang.cli.output import print_json
    from xieshang.services.case import PersonInfo, init_case

    who = ask(name, str.strip, field="name", flag="--name", prompt=t("case.prompt.name"))
    st = store(create=True)
    person = init_case(st, PersonInfo(name=who, phone=phone, email=email, id_number=id_number, locale=locale))
    if json_out:
        print_json({"store": st.location, "person": person.to_json()})
        return
    typer.echo(t("case.init.done", name=person.name, path=st.location))


def demo_command(
    reset: Annotated[bool, typer.Option("--reset", help="覆盖已有案件 replace the case in the store.")] = False,
    if_empty: Annotated[
        bool, typer.Option("--if-empty", help="仅在数据库为空时载入 load only into an empty store, else do nothing.")
    ] = False,
    json_out: JsonOpt = False,
) -> None:
    """载入演示案件 Load a realistic demo case (dates relative to today)."""
    from xieshang.cli.output import print_json
    from xieshang.services.case import has_case
    from xieshang.services.demo import load_demo

    st = store(create=True)
    if if_empty and not reset and has_case(st):
        if json_out:
            print_json({"store": st.location, "loaded": False})
        return
    person, loans = load_demo(st, reset=reset)
    if json_out:
        print_json({"store": st.location, "person": person.to_json(), "loans": len(loans)})
        return
    typer.echo(t("case.demo.done", count=len(loans), path=st.location))
    from xieshang.services.case import list_loans

    for loan in list_loans(st):
        typer.echo(f"  {loan_label(loan)}")
    typer.echo(t("case.demo.next"))


def lender_says_command(
    loan: Annotated[str, typer.Argument(help="借款编号 loan id.")],
    amount: Annotated[str, typer.Argument(help="机构显示的应还金额 amount the lender states.")],
    on: Annotated[str | None, typer.Option("--date", help="日期 date shown (default today), YYYY-MM-DD.")] = None,
    note: Annotated[str | None, typer.Option("--note", help="备注 note.")] = None,
    json_out: JsonOpt = False,
) -> None:
    """记录机构显示的金额 Record what the lender's app or statement says is owed."""
    from xieshang.cli.output import print_json
    from xieshang.money import fmt_display, parse_money
    from xieshang.services.case import add_lender_figure

    loan_id = parse_id(loan)
    value = parse_money(amount, field="amount")
    day = maybe(on, parse_day)
    fig = add_lender_figure(store(), loan_id, value, on=day, note=note)
    if json_out:
        print_json(fig.to_json())
        return
    typer.echo(t("case.lender_says.done", id=fig.id, loan=loan_id, amount=fmt_display(fig.amount),
                 date=fig.on.isoformat()))


def export_command(
    file: Annotated[Path | None, typer.Argument(help="输出文件（省略则输出到屏幕）file; stdout if omitted.")] = None,
) -> None:
    """导出案件 Export the whole case as versioned JSON."""
    from xieshang.services.transfer import export_case, write_atomic

    text = export_case(store())
    if file is None or str(file) == "-":
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    write_atomic(file, text)
    typer.echo(t("case.export.done", path=str(file)), err=True)


def import_command(
    file: Annotated[Path, typer.Argument(help="导出的 JSON 文件 a file written by export.")],
    replace: Annotated[bool, typer.Option("--replace", help="覆盖已有案件 replace the case in the store.")] = False,
    json_out: JsonOpt = False,
) -> None:
    """导入案件 Import a case exported by `xieshang export` (validated before anything is written)."""
    from xieshang.cli.output import print_json
    from xieshang.services.transfer import import_case, parse_document, read_document

    data = sys.stdin.buffer.read() if str(file) == "-" else read_document(file)
    parse_document(data, source=str(file))  # validate before the store is even opened
    st = store(create=True)
    person, loans = import_case(st, data, source=str(file), replace=replace)
    payments = sum(len(loan.payments) for loan in loans)
    if json_out:
        print_json({"store": st.location, "person": person.to_json(), "loans": len(loans), "payments": payments})
        return
    typer.echo(t("case.import.done", loans=len(loans), payments=payments, path=st.location))
