"""Rich renderings shared by CLI commands: schedules, a debt's status, projections, cost checks.

Only presentation: every number comes computed from the engine or a service.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from xieshang.i18n import current_language, t
from xieshang.money import fmt_display

if TYPE_CHECKING:
    from decimal import Decimal

    from rich.table import Table

    from xieshang.engine.schedule import Schedule
    from xieshang.engine.status import LoanStatus
    from xieshang.services.overdue import Assessment


def pct(x: Decimal | None, places: int = 2) -> str:
    if x is None:
        return "—"
    return f"{(x * 100):.{places}f}%"


def _table(title: str) -> Table:
    from rich import box
    from rich.table import Table

    return Table(title=title, box=box.SIMPLE_HEAVY, title_justify="left", show_edge=False)


def render_schedule(schedule: Schedule) -> None:
    from xieshang.cli.output import console

    terms = schedule.terms
    tbl = _table(t("calc.schedule_title", method=t(f"calc.method.{terms.method.value}"),
                   principal=fmt_display(terms.principal), rate=terms.rate.percent(),
                   period=t(f"calc.period.{terms.rate.period.value}")))
    show_fee = schedule.total_fees > 0
    keys = ["n", "due_date", "payment", "principal", "interest", *(["fee"] if show_fee else []), "balance"]
    for key in keys:
        tbl.add_column(t(f"calc.col.{key}"), justify="left" if key == "due_date" else "right")
    for p in schedule.periods:
        fee = [fmt_display(p.fee)] if show_fee else []
        tbl.add_row(str(p.n), p.due_date.isoformat(), fmt_display(p.payment), fmt_display(p.principal),
                    fmt_display(p.interest), *fee, fmt_display(p.balance))
    tbl.add_section()
    fee_total = [fmt_display(schedule.total_fees)] if show_fee else []
    tbl.add_row(t("calc.total"), "", fmt_display(schedule.total_payment), fmt_display(terms.principal),
                fmt_display(schedule.total_interest), *fee_total, "")
    out = console()
    out.print(tbl)
    from xieshang.engine.apr import contract_apr
    from xieshang.errors import UserError

    try:
        res = contract_apr(terms, schedule)
        out.print(t("calc.schedule_apr", apr=pct(res.apr), ear=pct(res.effective_annual_rate)))
    except UserError:
        pass


def status_table(status: LoanStatus, title: str) -> Table:
    tbl = _table(title)
    tbl.add_column(t("calc.col.item"))
    tbl.add_column(t("calc.col.amount"), justify="right")
    o = status.owed
    rows = [
        ("overdue_principal", o.overdue_principal),
        ("not_due_principal", o.not_due_principal),
        ("overdue_interest", o.overdue_interest),
        ("accrued_interest", o.accrued_interest),
        ("penalty", o.penalty),
        ("compound", o.compound),
        ("fees", o.fees),
    ]
    for key, value in rows:
        tbl.add_row(t(f"calc.owed.{key}"), fmt_display(value))
    tbl.add_section()
    tbl.add_row(t("calc.owed.payoff"), fmt_display(status.payoff), style="bold")
    tbl.add_row(t("calc.owed.overdue_amount"), fmt_display(status.overdue_amount))
    tbl.add_row(t("calc.owed.growth_per_day"), fmt_display(status.growth_per_day))
    return tbl


def stage_text(status: LoanStatus) -> str:
    return t(f"calc.stage.{status.stage.value}")


def render_overdue(result: Assessment) -> None:
    from xieshang.cli.output import console

    out = console()
    s = result.status
    out.print(t("calc.overdue_headline", as_of=s.as_of.isoformat(), dpd=s.dpd, stage=stage_text(s),
                payoff=fmt_display(s.payoff), growth=fmt_display(s.growth_per_day)))
    if s.overdue_since:
        out.print(t("calc.overdue_since", since=s.overdue_since.isoformat()))
    if s.next_due_date:
        out.print(t("calc.next_due", date=s.next_due_date.isoformat(), amount=fmt_display(s.next_due_amount)))
    out.print(status_table(s, t("calc.breakdown_title")))

    proj = _table(t("calc.projection_title"))
    for key in ("days", "date", "total", "penalty", "stage"):
        proj.add_column(t(f"calc.pcol.{key}"), justify="right" if key != "date" else "left")
    for p in result.projection:
        proj.add_row(str(p.days), p.on.isoformat(), fmt_display(p.status.payoff),
                     fmt_display(p.status.owed.penalty + p.status.owed.compound + p.status.owed.fees),
                     stage_text(p.status))
    out.print(proj)

    lang = current_language()
    cost = _table(t("calc.cost_title"))
    cost.add_column(t("calc.ccol.figure"))
    cost.add_column(t("calc.ccol.value"), justify="right")
    cost.add_row(t("calc.cost.contract_apr"), pct(result.cost.contract_apr))
    cost.add_row(t("calc.cost.effective_annual_rate"), pct(result.cost.effective_annual_rate))
    cost.add_row(t("calc.cost.overdue_rate"), pct(result.cost.overdue_rate))
    out.print(cost)
    if result.lines:
        for line in result.lines:
            name = line.name_en if lang == "en" else line.name_zh
            above = [c for c in result.checks if c.line_id == line.id and c.above]
            verdict = (t("calc.line_above", figures=", ".join(t(f"calc.cost.{c.figure}") for c in above))
                       if above else t("calc.line_below"))
            out.print(t("calc.line_row", name=name, rate=pct(line.rate), verdict=verdict,
                        source=line.citation, confidence=line.confidence))
        out.print(t("calc.not_legal_advice"))
    else:
        out.print(t("calc.no_lines"))
