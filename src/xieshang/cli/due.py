"""``xieshang due``, ``xieshang task …`` and ``xieshang calendar export``: reminders."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from xieshang.cli.case import JsonOpt, maybe, parse_day, parse_id, store
from xieshang.clock import today
from xieshang.i18n import t

task_app = typer.Typer(help="待办 tasks: add, list, done.", no_args_is_help=True)
calendar_app = typer.Typer(help="日历 calendar: export reminders as an .ics file.", no_args_is_help=True)


def due_command(
    days: Annotated[int, typer.Option("--days", help="往后看几天 days ahead (default 30).")] = 30,
    json_out: JsonOpt = False,
) -> None:
    """近期待还与待办 Payments and tasks due soon (and anything past due)."""
    from xieshang.cli.output import console, print_json
    from xieshang.money import fmt_display
    from xieshang.services.reminders import due_items

    day = today()
    items = due_items(store(), days=days, today=day)
    if json_out:
        print_json({"days": days, "items": [i.to_json() for i in items]})
        return
    if not items:
        typer.echo(t("after.due.none", days=days))
        return
    from rich.table import Table

    table = Table(title=t("after.due.title", days=days))
    for key in ("date", "what", "amount"):
        table.add_column(t(f"after.col.{key}"), justify="right" if key == "amount" else "left")
    for i in items:
        mark = t("after.due.overdue") + " " if i.overdue else ""
        if i.beyond:
            mark += t("after.due.beyond", days=(i.on - day).days) + " "
        table.add_row(i.on.isoformat(), mark + i.text(), "" if i.amount is None else fmt_display(i.amount),
                      style="red" if i.overdue else None)
    console().print(table)


@task_app.command("add")
def task_add_command(
    title: Annotated[str, typer.Argument(help="事项 what to do.")],
    on: Annotated[str, typer.Option("--date", help="日期 due date, YYYY-MM-DD.")],
    kind: Annotated[str, typer.Option("--kind", help="letter | follow-up | credit-check | payment | other.")] = "other",
    loan: Annotated[str | None, typer.Option("--loan", help="借款编号 loan id.")] = None,
    note: Annotated[str | None, typer.Option("--note", help="备注 note.")] = None,
    json_out: JsonOpt = False,
) -> None:
    """添加待办 Add a task (send a letter, follow up …)."""
    from xieshang.cli.output import print_json
    from xieshang.services.reminders import add_task

    task = add_task(store(), title, parse_day(on), kind=kind.strip(), loan_id=maybe(loan, parse_id), note=note)
    if json_out:
        print_json(task.to_json())
        return
    typer.echo(t("after.task.added", id=task.id, date=task.due.isoformat(), title=task.title))


@task_app.command("done")
def task_done_command(
    task: Annotated[str, typer.Argument(help="待办编号 task id.")],
    on: Annotated[str | None, typer.Option("--date", help="完成日期 date done (default today).")] = None,
    json_out: JsonOpt = False,
) -> None:
    """完成待办 Mark a task done."""
    from xieshang.cli.output import print_json
    from xieshang.services.reminders import complete_task

    done = complete_task(store(), parse_id(task), on=maybe(on, parse_day))
    if json_out:
        print_json(done.to_json())
        return
    typer.echo(t("after.task.done", id=done.id, title=done.title))


@task_app.command("list")
def task_list_command(
    all_tasks: Annotated[bool, typer.Option("--all", help="包括已完成 include done tasks.")] = False,
    json_out: JsonOpt = False,
) -> None:
    """列出待办 List tasks."""
    from xieshang.cli.output import print_json
    from xieshang.services.reminders import list_tasks

    tasks = list_tasks(store(), include_done=all_tasks)
    if json_out:
        print_json([x.to_json() for x in tasks])
        return
    if not tasks:
        typer.echo(t("after.task.none"))
        return
    for x in tasks:
        done = f" ✓ {x.done_on.isoformat()}" if x.done_on else ""
        typer.echo(f"#{x.id} {x.due.isoformat()} [{x.kind}] {x.title}{done}")


@calendar_app.command("export")
def calendar_export_command(
    file: Annotated[Path, typer.Argument(help="输出的 .ics 文件 the .ics file to write.")],
    days: Annotated[int, typer.Option("--days", help="导出多少天 days ahead (default 365).")] = 365,
    alarm_days: Annotated[int, typer.Option("--alarm-days", help="提前几天提醒 alarm N days before (default 3).")] = 3,
    json_out: JsonOpt = False,
) -> None:
    """导出日历 Export payments and tasks as an iCalendar (.ics) file with alarms."""
    from xieshang.cli.output import print_json
    from xieshang.services.reminders import export_calendar

    items = export_calendar(store(), file, days=days, alarm_days=alarm_days)
    if json_out:
        print_json({"file": str(file), "events": len(items), "uids": [f"{i.uid}" for i in items]})
        return
    typer.echo(t("after.calendar.done", path=str(file), count=len(items), days=alarm_days))
