"""The overview commands: ``status``, ``project``, ``timeline``, ``reconcile``.

Only layout: every figure, flag and the most urgent action come from
:mod:`xieshang.services.overview`. Heavy imports stay inside the functions.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from xieshang import clock
from xieshang.cli.case import JsonOpt, maybe, parse_day, parse_id, store
from xieshang.i18n import t

if TYPE_CHECKING:
    from datetime import date

    from xieshang.services.overview import LoanReconciliation, LoanTimeline, Overview, Projection

AsOf = Annotated[str | None, typer.Option("--as-of", help="计算日 as-of date YYYY-MM-DD (default today).")]
LoanArg = Annotated[str, typer.Argument(help="借款编号 loan id.")]

_LEVEL_STYLE = {"urgent": "bold red", "warn": "yellow", "info": "cyan"}
_LEVEL_MARK = {"urgent": "‼", "warn": "⚠", "info": "ℹ"}


def _as_of(text: str | None) -> date:

    return maybe(text, parse_day) or clock.today()


def _escape(text: str) -> str:
    from rich.markup import escape

    return escape(text)


# ---------------------------------------------------------------------------------------
# status
# ---------------------------------------------------------------------------------------


def status_command(as_of: AsOf = None, json_out: JsonOpt = False) -> None:
    """总览 How bad is it: every debt, what it costs each day, what to do first."""
    from xieshang.cli.output import print_json
    from xieshang.services.overview import overview

    result = overview(store(), _as_of(as_of))
    if json_out:
        print_json(result.to_json())
        return
    render_status(result)


def render_status(result: Overview) -> None:
    from rich import box
    from rich.table import Table

    from xieshang.cli.output import console
    from xieshang.cli.render import stage_text
    from xieshang.money import fmt_display

    out = console()
    table = Table(title=t("overview.status.title", date=result.as_of.isoformat()), box=box.SIMPLE_HEAVY,
                  title_justify="left", show_edge=False)
    for key in ("id", "lender", "payoff", "growth", "dpd", "stage", "next"):
        table.add_column(t(f"overview.status.col_{key}"), overflow="fold",
                         justify="left" if key in ("lender", "stage", "next") else "right")
    for d in result.debts:
        s = d.status
        if s is None:
            table.add_row(str(d.loan.id), _escape(d.loan.lender), "—", "—", "—", "—", "—")
            continue
        stage = t("overview.status.closed") if s.closed else stage_text(s)
        style = "bold red" if s.dpd > 0 and not s.closed else None
        nxt = (f"{s.next_due_date.isoformat()} {fmt_display(s.next_due_amount)}" if s.next_due_date and not s.closed
               else t("overview.status.next_none"))
        table.add_row(str(d.loan.id), _escape(d.loan.lender), fmt_display(s.payoff), fmt_display(s.growth_per_day),
                      str(s.dpd), stage, nxt, style=style)
    out.print(table)
    tot = result.totals
    out.print(t("overview.status.totals", payoff=fmt_display(tot.payoff), overdue=fmt_display(tot.overdue_amount),
                growth=fmt_display(tot.growth_per_day), next_month=fmt_display(tot.next_month_due),
                count=tot.debts, overdue_count=tot.overdue_debts), markup=False)
    problems = [d for d in result.debts if d.problem is not None]
    flagged = [d for d in result.debts if d.flags]
    if flagged or problems:
        out.print(f"\n[bold]{t('overview.status.flags_title')}[/bold]")
        for d in flagged:
            for f in d.flags:
                out.print(f"[{_LEVEL_STYLE[f.level]}]{_LEVEL_MARK[f.level]}[/] #{d.loan.id} "
                          f"{_escape(d.loan.lender)}: {_escape(f.text())}")
        for d in problems:
            assert d.problem is not None
            out.print("✗ " + _escape(t("overview.status.problem", id=d.loan.id, lender=d.loan.lender,
                                        text=d.problem.text())))
    out.print(f"\n[bold]{t('overview.status.action_title')}[/bold]")
    out.print("→ " + _escape(result.action.text()))
    for extra in result.action.also_texts():
        out.print("  · " + _escape(extra))


# ---------------------------------------------------------------------------------------
# project
# ---------------------------------------------------------------------------------------


def project_command(
    days: Annotated[str | None, typer.Option("--days", help="天数 horizons in days, e.g. 30,90,180,365.")] = None,
    as_of: AsOf = None,
    json_out: JsonOpt = False,
) -> None:
    """预测 What the total becomes if nothing more is paid."""
    from xieshang.cli.output import print_json
    from xieshang.services.overview import parse_days, project

    horizons = parse_days(days)
    result = project(store(), _as_of(as_of), horizons)
    if json_out:
        print_json(result.to_json())
        return
    render_projection(result)


def render_projection(result: Projection) -> None:
    from rich import box
    from rich.table import Table

    from xieshang.cli.output import console
    from xieshang.money import fmt_display

    table = Table(title=t("overview.project.title", date=result.as_of.isoformat()), box=box.SIMPLE_HEAVY,
                  title_justify="left", show_edge=False)
    table.add_column(t("overview.project.col_debt"), overflow="fold")
    table.add_column(t("overview.project.col_today"), justify="right")
    for n, on, _ in result.totals():
        table.add_column(f"+{n}d\n{on.isoformat()}", justify="right")
    for d in result.debts:
        s = d.debt.status
        cells = [fmt_display(p.status.payoff) for p in d.points] or ["—"] * len(result.days)
        table.add_row(_escape(f"#{d.debt.loan.id} {d.debt.loan.lender}"), fmt_display(s.payoff) if s else "—", *cells)
    table.add_section()
    totals = result.totals()
    table.add_row(t("overview.project.total"), fmt_display(result.today_total),
                  *[fmt_display(total) for _, _, total in totals], style="bold")
    out = console()
    out.print(table)
    if totals:
        n, on, total = totals[-1]
        out.print(f"+{n}d ({on.isoformat()}): "
                  + t("overview.project.growth", amount=fmt_display(total - result.today_total)), markup=False)


# ---------------------------------------------------------------------------------------
# timeline
# ---------------------------------------------------------------------------------------


def timeline_command(loan: LoanArg, as_of: AsOf = None, json_out: JsonOpt = False) -> None:
    """时间线 What typically happens next to this loan, and on which date."""
    from xieshang.cli.output import print_json
    from xieshang.services.overview import loan_timeline

    loan_id = parse_id(loan)
    result = loan_timeline(store(), loan_id, _as_of(as_of))
    if json_out:
        print_json(result.to_json())
        return
    render_timeline(result)


def render_timeline(result: LoanTimeline) -> None:
    from rich import box
    from rich.table import Table

    from xieshang.cli.output import console
    from xieshang.i18n import current_language

    lang = current_language()
    out = console()
    loan, s = result.loan, result.status
    out.print(f"[bold]{_escape(t('overview.timeline.title', id=loan.id, lender=loan.lender, lender_type=t('rules.lender_type.' + result.lender_type), product=t('case.product.' + loan.product)))}[/bold]")
    if result.basis == "overdue" and s.overdue_since is not None:
        out.print(t("overview.timeline.basis_overdue", date=s.overdue_since.isoformat(), as_of=s.as_of.isoformat(),
                    dpd=s.dpd), markup=False)
    elif result.basis == "if_missed" and result.base_date is not None:
        out.print(t("overview.timeline.basis_if_missed", date=result.base_date.isoformat()), markup=False)
    elif result.basis == "closed":
        out.print(t("overview.timeline.basis_closed"), markup=False)
    else:
        out.print(t("overview.timeline.basis_none"), markup=False)
    table = Table(box=box.SIMPLE_HEAVY, show_edge=False, show_lines=True)
    table.add_column(t("overview.timeline.col_dpd"), justify="right")
    table.add_column(t("overview.timeline.col_date"))
    table.add_column(t("overview.timeline.col_what"), ratio=3, overflow="fold")
    table.add_column(t("overview.timeline.col_source"), ratio=2, overflow="fold")
    for e in result.entries:
        when = "—"
        if e.on is not None:
            if e.passed:
                when = f"{e.on.isoformat()}\n({t('overview.timeline.passed')})"
            elif e.days == 0:
                when = f"{e.on.isoformat()}\n({t('overview.timeline.today')})"
            else:
                when = f"{e.on.isoformat()}\n({t('overview.timeline.in_days', days=e.days)})"
        style = "dim" if e.passed else None
        table.add_row(str(e.step.dpd), when, _escape(e.step.text(lang)),
                      _escape(f"{e.step.source} ({e.step.confidence})"), style=style)
    out.print(table)
    out.print(t("overview.not_legal_advice"), markup=False)


# ---------------------------------------------------------------------------------------
# reconcile
# ---------------------------------------------------------------------------------------


def reconcile_command(
    loan: LoanArg,
    lender_says: Annotated[str | None, typer.Option(
        "--lender-says", help="机构显示的应还金额 the amount the lender states (default: the latest recorded).")] = None,
    on: Annotated[str | None, typer.Option("--date", help="该金额的日期 date of that figure YYYY-MM-DD.")] = None,
    json_out: JsonOpt = False,
) -> None:
    """核对 Explain the difference between the lender's figure and ours, and what to ask them."""
    from xieshang.cli.output import print_json
    from xieshang.money import parse_money
    from xieshang.services.overview import reconcile_loan

    loan_id = parse_id(loan)
    amount = maybe(lender_says, lambda s: parse_money(s, field="--lender-says"))
    day = maybe(on, parse_day)
    result = reconcile_loan(store(), loan_id, lender_says=amount, on=day)
    if json_out:
        print_json(result.to_json())
        return
    render_reconcile(result)


def render_reconcile(rec: LoanReconciliation) -> None:
    from rich import box
    from rich.table import Table

    from xieshang.cli.output import console
    from xieshang.money import fmt_display
    from xieshang.services.overview import change_list

    out = console()
    r = rec.result
    out.print(f"[bold]{_escape(t('overview.reconcile.title', id=rec.loan.id, lender=rec.loan.lender, date=r.on.isoformat()))}[/bold]"
              + (" " + t("overview.reconcile.recorded") if rec.recorded else ""))
    head = Table(show_header=False, box=None, padding=(0, 2))
    head.add_column()
    head.add_column(justify="right")
    head.add_row(t("overview.reconcile.theirs"), fmt_display(r.theirs))
    head.add_row(t("overview.reconcile.ours"), fmt_display(r.ours.payoff))
    head.add_row(f"[bold]{t('overview.reconcile.difference')}[/bold]", f"[bold]{fmt_display(r.difference)}[/bold]")
    out.print(head)
    table = Table(title=t("overview.reconcile.components_title"), box=box.SIMPLE_HEAVY, title_justify="left",
                  show_edge=False)
    table.add_column("")
    table.add_column(t("overview.reconcile.ours"), justify="right")
    has_best = r.best is not None
    if has_best:
        table.add_column(t("overview.reconcile.best"), justify="right")
        table.add_column("Δ", justify="right")
    for name, ours, best in rec.components():
        row = [t(f"overview.component.{name}"), fmt_display(ours)]
        if best is not None:
            row += [fmt_display(best), fmt_display(best - ours)]
        table.add_row(*row, style="bold" if name == "total" else None)
    out.print(table)
    out.print(_escape(rec.summary()))
    if len(r.explanations) > 1:
        out.print(f"\n[bold]{t('overview.reconcile.explanations_title')}[/bold]")
        for i, e in enumerate(r.explanations, 1):
            out.print(f"{i}. {_escape(change_list(e.changes))} → {fmt_display(e.payoff)} "
                      f"(Δ {fmt_display(e.remainder)})")
    if not r.agrees and abs(r.remainder) > r.tolerance:
        out.print(f"{t('overview.reconcile.remainder')}: {fmt_display(r.remainder)}", markup=False)
    asks = rec.ask_texts()
    if asks:
        out.print(f"\n[bold]{t('overview.reconcile.ask_title')}[/bold]")
        for text in asks:
            out.print("· " + _escape(text))
    out.print(t("overview.reconcile.tried", count=r.tried), style="dim", markup=False)
