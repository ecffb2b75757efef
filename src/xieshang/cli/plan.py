"""``xieshang plan …``: the best plan across all debts, the baselines, what-if, save/show, lenders' answers."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Annotated

import typer

from xieshang.cli.case import JsonOpt, maybe, parse_day, parse_id, store
from xieshang.errors import UserError
from xieshang.i18n import t

if TYPE_CHECKING:
    from xieshang.planner.plan import PlanResult, Strategy
    from xieshang.planner.proposal import Proposal
    from xieshang.services.plan import SavedPlan, WhatIf

app = typer.Typer(help="还款计划 plan: the best plan across all debts, baselines, what-if, proposals.",
                  invoke_without_command=True)

Objective = Annotated[str, typer.Option(
    "--objective", help="目标 objective: cost (最低总额, default), time (最快还清), monthly (月供最低), credit (征信损害最少).")]
Months = Annotated[int, typer.Option("--months", help="计划月数 horizon in months (default 60).")]
Start = Annotated[str | None, typer.Option("--start", help="计划开始日 plan start date (default today).")]


def _money(text: str, flag: str) -> Decimal:
    from xieshang.money import parse_money

    return parse_money(text.strip(), field=flag)


def _refusals(values: list[str] | None) -> tuple[tuple[int, str], ...]:
    out = []
    for v in values or []:
        loan, sep, kind = v.partition(":")
        if not sep or not kind.strip():
            raise UserError("plan.error.bad_refuse", value=v)
        out.append((parse_id(loan), kind.strip()))
    return tuple(out)


def _run(objective: str, months: int, start: str | None, whatif: WhatIf | None = None) -> PlanResult:
    from xieshang.services.plan import plan_case

    return plan_case(store(), objective=objective, months=months, start=maybe(start, parse_day), whatif=whatif)


@app.callback()
def plan_command(
    ctx: typer.Context,
    objective: Objective = "cost",
    months: Months = 60,
    start: Start = None,
    json_out: JsonOpt = False,
) -> None:
    """制定还款计划 The best plan across all your debts, explained, with a proposal for each lender."""
    if ctx.invoked_subcommand is not None:
        return
    from xieshang.cli.output import print_json

    result = _run(objective, months, start)
    if json_out:
        print_json(result.to_json())
        return
    render_plan(result)


@app.command("compare")
def compare_command(objective: Objective = "cost", months: Months = 60, start: Start = None,
                    json_out: JsonOpt = False) -> None:
    """比较策略 The optimal plan next to avalanche, snowball, collector-first and pro-rata."""
    from xieshang.cli.output import print_json

    result = _run(objective, months, start)
    if json_out:
        print_json({"strategies": [s.to_json() for s in result.strategies], "shortfall": str(result.shortfall)})
        return
    render_compare(result)


@app.command("whatif")
def whatif_command(
    income: Annotated[str | None, typer.Option("--income", help="假设月收入 monthly income for this run.")] = None,
    spending: Annotated[str | None, typer.Option("--spending", help="假设必要支出 monthly essential spending.")] = None,
    lump_sum: Annotated[str | None, typer.Option("--lump-sum", help="一笔钱 a lump sum available now.")] = None,
    refuse: Annotated[list[str] | None, typer.Option(
        "--refuse", help="机构拒绝 LOAN:KIND, e.g. 2:instalment (kinds: instalment, interest-freeze, extension, "
                         "waiver, settlement; repeatable).")] = None,
    objective: Objective = "cost",
    months: Months = 60,
    start: Start = None,
    json_out: JsonOpt = False,
) -> None:
    """假如… Re-plan with other income, spending, a lump sum or a lender's refusal (nothing is stored)."""
    from xieshang.cli.output import print_json
    from xieshang.services.plan import WhatIf

    w = WhatIf(income=None if income is None else _money(income, "--income"),
               spending=None if spending is None else _money(spending, "--spending"),
               lump_sum=Decimal(0) if lump_sum is None else _money(lump_sum, "--lump-sum"),
               refuse=_refusals(refuse))
    if w.empty:
        raise UserError("plan.error.whatif_empty")
    result = _run(objective, months, start, w)
    if json_out:
        doc = result.to_json()
        doc["whatif"] = {"income": income, "spending": spending, "lump_sum": lump_sum,
                         "refuse": [f"{lid}:{kind}" for lid, kind in w.refuse]}
        print_json(doc)
        return
    typer.echo(t("plan.whatif.header"))
    render_plan(result)


@app.command("save")
def save_command(objective: Objective = "cost", months: Months = 60, start: Start = None,
                 json_out: JsonOpt = False) -> None:
    """保存计划 Save the plan and its per-lender proposals with the case (the letters use them)."""
    from xieshang.cli.output import print_json
    from xieshang.services.plan import save_plan

    result = _run(objective, months, start)
    saved = save_plan(store(), result)
    if json_out:
        print_json(saved.to_json())
        return
    typer.echo(t("plan.saved", count=len(saved.proposals), date=saved.created_on.isoformat()))
    render_proposals(saved.proposals, dict(result.labels))


@app.command("show")
def show_command(json_out: JsonOpt = False) -> None:
    """查看已保存的计划 Show the saved plan and its proposals."""
    from xieshang.cli.output import print_json
    from xieshang.services.plan import saved_plan

    saved = saved_plan(store())
    if saved is None:
        raise UserError("plan.error.no_saved_plan")
    if json_out:
        print_json(saved.to_json())
        return
    render_saved(saved)


@app.command("options")
def options_command(json_out: JsonOpt = False) -> None:
    """协商选项 Each loan's negotiation options: typical (with sources), offered, refused."""
    from xieshang.cli.output import console, print_json
    from xieshang.services.plan import case_options

    opts = case_options(store())
    if json_out:
        print_json({"loans": [o.to_json() for o in opts]})
        return
    out = console()
    for lo in opts:
        out.print(f"[bold]{lo.label}[/bold]")
        for o in lo.options:
            label = t("plan.opt.typical") if o.typical else t("plan.opt.offered")
            out.print(f"  {o.key}  ({label}, {o.confidence}) {o.source}", markup=False)
        if lo.refused:
            out.print("  " + t("plan.opt.refused", kinds=", ".join(lo.refused)))


Note = Annotated[str | None, typer.Option("--note", help="备注 note (who, when, reference).")]


@app.command("offer")
def offer_command(
    loan: Annotated[str, typer.Argument(help="借款编号 loan id.")],
    kind: Annotated[str, typer.Argument(help="instalment, interest-freeze, extension, waiver, settlement.")],
    months: Annotated[int | None, typer.Option("--months", help="期数 months offered.")] = None,
    down: Annotated[str | None, typer.Option("--down", help="首付 down payment.")] = None,
    interest: Annotated[str | None, typer.Option("--interest", help="continues, reduced, stops.")] = None,
    rate: Annotated[str | None, typer.Option("--rate", help="降低后的年利率 reduced annual rate.")] = None,
    waive: Annotated[str | None, typer.Option("--waive", help="减免比例 share of penalty/compound/fees waived, 0–1.")] = None,
    amount: Annotated[str | None, typer.Option("--amount", help="结清金额 settlement amount.")] = None,
    chance: Annotated[str | None, typer.Option("--chance", help="你估计的可能性 your estimate of the chance, 0–1.")] = None,
    note: Note = None,
    json_out: JsonOpt = False,
) -> None:
    """记录机构的方案 Record what a lender actually offered (replaces the typical option of that kind)."""
    from xieshang.cli.output import print_json
    from xieshang.planner.options import Offer
    from xieshang.planner.proposal import InterestTreatment
    from xieshang.rates import parse_rate
    from xieshang.services.plan import record_offer

    def share(text: str | None, flag: str) -> Decimal | None:
        if text is None:
            return None
        value = text.strip().rstrip("%")
        try:
            d = Decimal(value) / (100 if text.strip().endswith("%") else 1)
        except ArithmeticError:
            raise UserError("plan.error.bad_share", flag=flag, value=text) from None
        return d

    try:
        treat = None if interest is None else InterestTreatment(interest.strip())
    except ValueError:
        raise UserError("plan.error.bad_interest", value=str(interest)) from None
    reduced = None if rate is None else parse_rate(rate).annual().value
    if reduced is not None and treat is None:
        treat = InterestTreatment.REDUCED
    offer = Offer(kind=kind.strip(), months=months, down_payment=None if down is None else _money(down, "--down"),
                  interest=treat, reduced_annual_rate=reduced, waiver_share=share(waive, "--waive"),
                  settlement_amount=None if amount is None else _money(amount, "--amount"),
                  chance=share(chance, "--chance"), note=note or "")
    rec = record_offer(store(), parse_id(loan), offer)
    if json_out:
        print_json(rec.to_json())
        return
    typer.echo(t("plan.offer.done", loan=rec.loan_id, kind=rec.offer.kind))


@app.command("refuse")
def refuse_command(
    loan: Annotated[str, typer.Argument(help="借款编号 loan id.")],
    kind: Annotated[str, typer.Argument(help="instalment, interest-freeze, extension, waiver, settlement.")],
    note: Note = None,
    json_out: JsonOpt = False,
) -> None:
    """记录机构拒绝 Record that a lender refused an option: plans no longer use it."""
    from xieshang.cli.output import print_json
    from xieshang.planner.options import Offer
    from xieshang.services.plan import record_offer

    rec = record_offer(store(), parse_id(loan), Offer(kind=kind.strip(), refused=True, note=note or ""))
    if json_out:
        print_json(rec.to_json())
        return
    typer.echo(t("plan.refuse.done", loan=rec.loan_id, kind=rec.offer.kind))


@app.command("forget")
def forget_command(
    loan: Annotated[str, typer.Argument(help="借款编号 loan id.")],
    kind: Annotated[str, typer.Argument(help="instalment, interest-freeze, extension, waiver, settlement.")],
) -> None:
    """撤销记录的答复 Forget a lender's recorded answer (back to the typical option)."""
    from xieshang.services.plan import clear_offer

    n = clear_offer(store(), parse_id(loan), kind.strip())
    typer.echo(t("plan.forget.done", count=n))


# ---------------------------------------------------------------------------------------
# Rendering
# ---------------------------------------------------------------------------------------


def _strategy_table(result: PlanResult) -> object:
    from rich import box
    from rich.table import Table

    from xieshang.money import fmt_display

    tbl = Table(title=t("plan.compare.title"), box=box.SIMPLE_HEAVY, title_justify="left", show_edge=False)
    for key in ("name", "feasible", "total", "months", "overdue", "max"):
        tbl.add_column(t(f"plan.compare.col.{key}"), justify="left" if key == "name" else "right")
    for s in result.strategies:
        tbl.add_row(t(f"plan.strategy.{s.name}"), t("plan.yes") if s.feasible else t("plan.no"),
                    fmt_display(s.total_paid) if s.feasible or s.name != "optimal" else "—",
                    "—" if s.months_to_debt_free is None else str(s.months_to_debt_free),
                    str(s.overdue_account_months), fmt_display(s.max_month))
    return tbl


def render_compare(result: PlanResult) -> None:
    from xieshang.cli.output import console

    console().print(_strategy_table(result))


def _proposal_line(p: Proposal, label: str) -> str:
    from xieshang.money import fmt_display

    waive = p.waived_total
    opt = p.option.value
    if opt == "settlement":
        text = t("plan.ask.settlement", amount=fmt_display(p.settlement_amount or p.total_to_pay),
                 date=p.start_date.isoformat(), owed=fmt_display(p.owed_now))
    elif opt in ("instalment", "extension"):
        text = t(f"plan.ask.{opt}", months=p.months, monthly=fmt_display(p.monthly_amount),
                 down=fmt_display(p.down_payment), date=p.start_date.isoformat(),
                 interest=t(f"plan.interest.{p.interest.value}"))
    elif opt == "waiver":
        text = t("plan.ask.waiver", first=fmt_display(p.down_payment), date=p.start_date.isoformat(),
                 monthly=fmt_display(p.monthly_amount), months=p.months)
    else:
        text = t("plan.ask.as_contracted", first=fmt_display(p.down_payment), date=p.start_date.isoformat(),
                 monthly=fmt_display(p.monthly_amount), months=p.months)
    if waive > 0:
        text += " " + t("plan.ask.waive", amount=fmt_display(waive), penalty=fmt_display(p.waive_penalty),
                        compound=fmt_display(p.waive_compound), fees=fmt_display(p.waive_fees))
    text += " " + t("plan.ask.total", total=fmt_display(p.total_to_pay), owed=fmt_display(p.owed_now))
    if "plan.note.typical" in p.notes and opt != "as-contracted":
        text += " " + t("plan.note.typical")
    return f"{label}: {text}"


def render_proposals(proposals: list[Proposal] | tuple[Proposal, ...], labels: dict[int, str]) -> None:
    from xieshang.cli.output import console

    out = console()
    for p in proposals:
        out.print("  • " + _proposal_line(p, labels.get(p.loan_id, f"#{p.loan_id}")), markup=False)


def _schedule_table(best: Strategy, labels: dict[int, str], limit: int = 24) -> object:
    from rich import box
    from rich.table import Table

    from xieshang.money import fmt_display

    ids = [lid for lid, _ in best.choices]
    tbl = Table(title=t("plan.schedule.title"), box=box.SIMPLE_HEAVY, title_justify="left", show_edge=False)
    tbl.add_column(t("plan.schedule.month"), justify="right")
    tbl.add_column(t("plan.schedule.date"))
    for lid in ids:
        tbl.add_column(labels.get(lid, f"#{lid}"), justify="right")
    tbl.add_column(t("plan.schedule.total"), justify="right")
    tbl.add_column(t("plan.schedule.set_aside"), justify="right")
    shown = 0
    for row in best.schedule:
        if not row.payments:
            continue
        if shown >= limit:
            tbl.add_row("…", "", *["" for _ in ids], "", "")
            break
        amounts = dict(row.payments)
        tbl.add_row(str(row.month), row.on.isoformat(),
                    *[fmt_display(amounts[lid]) if lid in amounts else "" for lid in ids],
                    fmt_display(row.total), fmt_display(row.set_aside))
        shown += 1
    return tbl


def render_plan(result: PlanResult) -> None:
    from xieshang.cli.output import console
    from xieshang.money import fmt_display

    out = console()
    labels = dict(result.labels)
    cap = result.capacity[0] if result.capacity else Decimal(0)
    out.print(t("plan.head", owed=fmt_display(result.owed_now), capacity=fmt_display(cap),
                lump=fmt_display(result.lump_sum), months=result.months,
                objective=t(f"plan.objective.{result.objective}")))
    best = result.optimal
    if best is None or not best.feasible:
        _render_infeasible(result, labels)
        out.print(_strategy_table(result))
        return
    out.print(t("plan.feasible", total=fmt_display(best.total_paid), months=best.months_to_debt_free or 0,
                overdue=best.overdue_account_months))
    if best.basis != "model":
        out.print(t("plan.basis_baseline", name=t(f"plan.strategy.{best.basis}")))
    feasible_baselines = [s for s in result.strategies if s.name != "optimal" and s.feasible]
    if feasible_baselines:
        other = min(feasible_baselines, key=lambda s: s.total_paid)
        out.print(t("plan.saving", amount=fmt_display(other.total_paid - best.total_paid),
                    name=t(f"plan.strategy.{other.name}")))
    else:
        out.print(t("plan.no_baseline_fits"))
    out.print("\n" + t("plan.ask.title"))
    render_proposals(result.proposals, labels)
    out.print("\n" + t("plan.why.title"))
    for p in result.proposals:
        for note in p.notes:
            if note.startswith("plan.note.") and note not in ("plan.note.typical", "plan.note.offered"):
                out.print(f"  • {labels.get(p.loan_id, '#' + str(p.loan_id))}: {t(note)}", markup=False)
    out.print(_schedule_table(best, labels))
    out.print(_strategy_table(result))
    out.print(t("plan.if_no"))
    for s in result.stress:
        if s.survives:
            out.print(t(f"plan.stress.{s.name}.ok"))
        else:
            out.print(t(f"plan.stress.{s.name}.fail", month=s.first_short_month, amount=fmt_display(s.short_by)))
    out.print(t("plan.disclaimer"))


def _render_infeasible(result: PlanResult, labels: dict[int, str]) -> None:
    from xieshang.cli.output import console
    from xieshang.money import fmt_display

    out = console()
    out.print(t("plan.infeasible", shortfall=fmt_display(result.shortfall)))
    for s in result.suggestions:
        if s.kind == "ask" and s.option is not None:
            out.print("  • " + t("plan.suggest.ask", loan=labels.get(s.loan_id or 0, f"#{s.loan_id}"),
                                 months=s.option.months, monthly=fmt_display(s.amount),
                                 waive=fmt_display(s.waive)), markup=False)
        else:
            out.print("  • " + t(f"plan.suggest.{s.kind}", amount=fmt_display(s.amount)), markup=False)
    if result.triage:
        out.print(t("plan.triage.title"))
        for item in result.triage:
            reasons = "; ".join(t(r) for r in item.reasons)
            out.print(f"  {item.rank}. {labels.get(item.loan_id, '#' + str(item.loan_id))}: "
                      + t("plan.triage.row", required=fmt_display(item.required),
                          daily=fmt_display(item.daily_cost),
                          action=t("plan.triage.keep") if item.keep_current else t("plan.triage.later"))
                      + f" ({reasons})", markup=False)


def render_saved(saved: SavedPlan) -> None:
    from xieshang.cli.output import console
    from xieshang.money import fmt_display

    out = console()
    out.print(t("plan.show.head", date=saved.created_on.isoformat(), objective=t(f"plan.objective.{saved.objective}"),
                capacity=fmt_display(saved.monthly_capacity), start=saved.start.isoformat()))
    labels = {int(x["loan_id"]): str(x["label"]) for x in saved.document.get("loans", [])}
    render_proposals(saved.proposals, labels)
