"""``xieshang calc …``: stateless calculators (schedule, APR, overdue status). No store needed.

Each command prints a readable table by default and, with ``--json``, the stable JSON contract
documented in docs/cli-json.md. Heavy imports stay inside the functions (fast cold start).
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from xieshang.cli.calc_apr import apr_command

app = typer.Typer(help="计算器（无需建档）stateless calculators: schedule, apr, overdue.", no_args_is_help=True)
app.command("apr")(apr_command)

JsonOpt = Annotated[bool, typer.Option("--json", help="输出 JSON / JSON output.")]
RateOpt = Annotated[str | None, typer.Option("--rate", help="利率，自动识别 e.g. 12%, 月息1%, 日息万五.")]
AnnualOpt = Annotated[str | None, typer.Option("--annual-rate", help="年利率 annual rate, e.g. 12%.")]
MonthlyOpt = Annotated[str | None, typer.Option("--monthly-rate", help="月利率 monthly rate, e.g. 1%.")]
DailyOpt = Annotated[str | None, typer.Option("--daily-rate", help="日利率 daily rate, e.g. 0.05% or 万五.")]
ForceOpt = Annotated[bool, typer.Option("--force", help="接受超过 1000% 的年化利率 accept a rate above 1000%/yr.")]


def _show_warnings(checked_warnings: list[tuple[str, dict[str, Any]]]) -> None:
    from xieshang.cli.output import warn
    from xieshang.i18n import t

    for key, params in checked_warnings:
        warn(t(key, **params))


@app.command("schedule")
def schedule_command(
    principal: Annotated[str, typer.Option("--principal", help="本金 principal, e.g. 10000 or 1万.")],
    months: Annotated[int, typer.Option("--months", help="期数（月）term in months.")],
    start: Annotated[str, typer.Option("--start", help="放款日 disbursement date YYYY-MM-DD.")],
    method: Annotated[
        str, typer.Option("--method", help="equal-installment (等额本息) | equal-principal (等额本金) | "
                                           "interest-first (先息后本) | revolving (随借随还)")
    ] = "equal-installment",
    rate: RateOpt = None,
    annual_rate: AnnualOpt = None,
    monthly_rate: MonthlyOpt = None,
    daily_rate: DailyOpt = None,
    day_count: Annotated[str, typer.Option("--day-count", help="计息天数基准 360 | 365 | actual.")] = "360",
    interest_basis: Annotated[
        str, typer.Option("--interest-basis", help="monthly (年利率/12) | actual-days (日利率×实际天数).")
    ] = "monthly",
    first_due: Annotated[str | None, typer.Option("--first-due", help="首期还款日 first due date.")] = None,
    fee: Annotated[str | None, typer.Option("--fee", help="每期服务费 fee with every instalment.")] = None,
    received: Annotated[str | None, typer.Option("--received", help="实际到手金额 amount received.")] = None,
    force: ForceOpt = False,
    json_out: JsonOpt = False,
) -> None:
    """还款计划表 The contractual repayment schedule."""
    from xieshang.engine.schedule import build_schedule
    from xieshang.errors import UserError
    from xieshang.services.calculators import Checked, loan_terms_from_input, pick_rate

    chosen = pick_rate(rate=rate, annual=annual_rate, monthly=monthly_rate, daily=daily_rate)
    if chosen is None:
        raise UserError("error.input.rate_missing")
    checked = Checked()
    terms = loan_terms_from_input(
        principal=principal, rate=chosen, months=months, start=start, method=method, day_count=day_count,
        interest_basis=interest_basis, first_due=first_due, received=received, periodic_fee=fee,
        force=force, checked=checked,
    )
    schedule = build_schedule(terms)
    _show_warnings(checked.warnings)
    if json_out:
        from xieshang.cli.output import print_json

        print_json(schedule.to_json())
        return
    from xieshang.cli.render import render_schedule

    render_schedule(schedule)


@app.command("overdue")
def overdue_command(
    principal: Annotated[str | None, typer.Option("--principal", help="本金（贷款）loan principal.")] = None,
    start: Annotated[str | None, typer.Option("--start", help="放款日 disbursement date.")] = None,
    months: Annotated[int | None, typer.Option("--months", help="期数 term in months.")] = None,
    as_of: Annotated[str | None, typer.Option("--as-of", help="计算日期 date to compute for (default today).")] = None,
    profile: Annotated[str, typer.Option("--profile", help="机构模板 lender profile id (see `xieshang profiles`).")]
    = "custom",
    method: Annotated[str | None, typer.Option("--method", help="还款方式 repayment method.")] = None,
    rate: RateOpt = None,
    annual_rate: AnnualOpt = None,
    monthly_rate: MonthlyOpt = None,
    daily_rate: DailyOpt = None,
    received: Annotated[str | None, typer.Option("--received", help="实际到手金额 amount received.")] = None,
    statement_balance: Annotated[
        str | None, typer.Option("--statement-balance", help="信用卡账单金额 card statement balance.")
    ] = None,
    statement_date: Annotated[str | None, typer.Option("--statement-date", help="账单日 statement date.")] = None,
    due_date: Annotated[str | None, typer.Option("--due-date", help="到期还款日 card due date.")] = None,
    paid: Annotated[
        list[str] | None, typer.Option("--paid", help="已还款 DATE:AMOUNT, repeatable, e.g. 2025-03-15:500.")
    ] = None,
    set_: Annotated[
        list[str] | None, typer.Option("--set", help="覆盖模板字段 override a profile field FIELD=VALUE.")
    ] = None,
    force: ForceOpt = False,
    json_out: JsonOpt = False,
) -> None:
    """逾期情况 What is owed on a date: every component, days past due, stage, payoff."""
    from xieshang.services.overdue import OverdueInput, compute_overdue

    result = compute_overdue(
        OverdueInput(
            profile=profile, principal=principal, start=start, months=months, as_of=as_of, method=method,
            rate=rate, annual_rate=annual_rate, monthly_rate=monthly_rate, daily_rate=daily_rate,
            received=received, statement_balance=statement_balance, statement_date=statement_date,
            due_date=due_date, paid=list(paid or []), overrides=list(set_ or []), force=force,
        )
    )
    _show_warnings(result.warnings)
    if json_out:
        from xieshang.cli.output import print_json

        print_json(result.to_json())
        return
    from xieshang.cli.render import render_overdue

    render_overdue(result)
