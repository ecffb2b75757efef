"""The ``xieshang`` command: the root Typer app and the error boundary.

Sub-commands live in their own modules and are registered here. Every command module keeps
its heavy imports inside the command functions, so a calculator starts in a fraction of a
second. A :class:`~xieshang.errors.UserError` anywhere becomes a message in the user's
language on stderr and exit code 2, never a traceback.
"""

from __future__ import annotations

import os
import sys
from typing import Annotated

import typer

from xieshang import __version__
from xieshang.cli import admin as admin_cli
from xieshang.cli import agreement, budget, calc, case, credit, due, loan, overview, pay, profiles, serve
from xieshang.cli import backup as backup_cli
from xieshang.cli import finances as finances_cli
from xieshang.cli import keys as keys_cli
from xieshang.cli import letter as letter_cli
from xieshang.cli import plan as plan_cli
from xieshang.cli import records as records_cli
from xieshang.errors import UserError
from xieshang.i18n import set_language, t

app = typer.Typer(
    name="xieshang",
    help="协商 xieshang — 网贷/信用卡逾期后的免费协商助手 (free help for overdue consumer loans).",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    rich_markup_mode=None,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"xieshang {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    lang: Annotated[
        str | None,
        typer.Option("--lang", help="界面语言 language: zh_CN (默认 default) or en.", envvar="XIESHANG_LANG"),
    ] = None,
    db: Annotated[
        str | None,
        typer.Option("--db", help="数据库文件 path of the SQLite store (or XIESHANG_DB).", envvar="XIESHANG_DB"),
    ] = None,
    database_url: Annotated[
        str | None,
        typer.Option("--database-url", help="服务器数据库 server database URL, e.g. postgresql://user@host/db "
                     "(or DATABASE_URL); wins over --db."),
    ] = None,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version.")
    ] = False,
) -> None:
    """协商 xieshang: know the numbers, plan, negotiate."""
    if lang:
        set_language(lang)
    if db:
        os.environ["XIESHANG_DB"] = db
    if database_url:
        os.environ["XIESHANG_DB"] = database_url


app.add_typer(calc.app, name="calc")
app.command("profiles")(profiles.profiles_command)
app.command("init")(case.init_command)
app.command("demo")(case.demo_command)
app.add_typer(loan.app, name="loan")
app.add_typer(pay.app, name="pay")
app.command("lender-says")(case.lender_says_command)
app.command("export")(case.export_command)
app.command("import")(case.import_command)
app.command("status")(overview.status_command)
app.command("project")(overview.project_command)
app.command("timeline")(overview.timeline_command)
app.command("reconcile")(overview.reconcile_command)
app.add_typer(agreement.app, name="agreement")
app.command("due")(due.due_command)
app.add_typer(due.task_app, name="task")
app.add_typer(due.calendar_app, name="calendar")
app.add_typer(credit.app, name="credit")
app.add_typer(budget.app, name="budget")
app.command("afford")(budget.afford_command)
app.add_typer(records_cli.app, name="records")
app.command("serve")(serve.serve_command)
app.add_typer(admin_cli.app, name="admin")
app.add_typer(letter_cli.app, name="letter")
app.add_typer(finances_cli.app, name="finances")
app.add_typer(plan_cli.app, name="plan")
app.add_typer(keys_cli.app, name="keys")
app.command("backup")(backup_cli.backup_command)
app.command("restore")(backup_cli.restore_command)


def _take_lang(argv: list[str]) -> list[str]:
    """Honour ``--lang X`` anywhere on the command line (users type it last), then drop it."""
    out: list[str] = []
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg == "--lang" and i + 1 < len(argv):
            set_language(argv[i + 1])
            i += 2
            continue
        if arg.startswith("--lang="):
            set_language(arg.split("=", 1)[1])
            i += 1
            continue
        out.append(arg)
        i += 1
    return out


def main() -> None:
    """Entry point of the ``xieshang`` executable."""
    args = _take_lang(sys.argv[1:])
    try:
        app(args=args, prog_name="xieshang")
    except UserError as exc:
        sys.stderr.write(t("cli.error_prefix") + exc.message() + "\n")
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        sys.stderr.write("\n")
        sys.exit(130)


if __name__ == "__main__":  # pragma: no cover
    main()
