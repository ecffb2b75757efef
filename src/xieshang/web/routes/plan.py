"""The plan builder: objective, each lender's options (typical, offered, refused), the plan with its
month-by-month table, the infeasible case (shortfall, smallest changes, triage), a live what-if
(htmx re-renders ``#plan-result`` from ``/plan/result``; nothing is stored), the charts (debt if
unpaid vs still to pay under the plan; the optimizer against the baselines) and "save plan" for
the letters. Every figure comes from :mod:`xieshang.services.plan`; this module only parses and
presents."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from markupsafe import Markup

from xieshang import clock
from xieshang.errors import UserError
from xieshang.i18n import t
from xieshang.services.memo import pinned, remember
from xieshang.web import guide
from xieshang.web.charts import Bar, Series, bar_chart, line_chart
from xieshang.web.context import is_htmx, money, render, store_of
from xieshang.web.forms import FormErrors, message
from xieshang.web.plan_forms import (
    OFFER_FIELDS,
    WHATIF_FIELDS,
    offer_from_form,
    service_error,
    whatif_from_form,
)

if TYPE_CHECKING:
    from starlette.datastructures import QueryParams

    from xieshang.planner.plan import PlanResult, Strategy
    from xieshang.services.plan import LoanOptions, OfferRecord, WhatIf
    from xieshang.store.db import Store

router = APIRouter(include_in_schema=False)

#: Most points on the debt chart (months are sampled beyond this).
CHART_POINTS = 13


def _see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


@dataclass(frozen=True)
class PlanInput:
    """What one plan run was asked for (objective, horizon, what-if), as typed."""

    objective: str = "cost"
    months: int = 60
    values: tuple[tuple[str, str], ...] = ()  # the what-if fields as typed
    refuse: tuple[str, ...] = ()  # ticked "LOAN:KIND" refusals

    @property
    def whatif_values(self) -> dict[str, str]:
        return dict(self.values)

    @property
    def is_whatif(self) -> bool:
        return any(v.strip() for _, v in self.values) or bool(self.refuse)


def plan_input(params: QueryParams | Any) -> tuple[PlanInput, dict[str, str]]:
    """The objective, months and what-if fields of a query string or form; errors by field."""
    from xieshang.planner.model import OBJECTIVES

    errors: dict[str, str] = {}
    objective = str(params.get("objective") or "cost")
    if objective not in OBJECTIVES:
        errors["objective"] = message(UserError("plan.error.bad_objective", value=objective,
                                                choices=", ".join(OBJECTIVES)))
        objective = "cost"
    months_text = str(params.get("months") or "60").strip()
    months = int(months_text) if months_text.isdigit() and 2 <= int(months_text) <= 120 else 60
    if months_text != str(months):
        errors["months"] = message(UserError("plan.error.bad_months", value=months_text, max=120))
    values = tuple((name, str(params.get(name) or "")[:40]) for name in WHATIF_FIELDS)
    refuse = tuple(str(v)[:40] for v in (params.getlist("refuse") if hasattr(params, "getlist") else []))[:40]
    return PlanInput(objective, months, values, refuse), errors


# ---------------------------------------------------------------------------------------
# Presenting a plan
# ---------------------------------------------------------------------------------------


def _strategy_name(s: Strategy) -> str:
    return t(f"plan.strategy.{s.name}")


def proposal_text(result: PlanResult) -> list[tuple[str, str]]:
    """(loan label, what to ask for) per proposal, in the words of ``xieshang plan``."""
    from xieshang.cli.plan import _proposal_line

    labels = dict(result.labels)
    out = []
    for p in result.proposals:
        label = labels.get(p.loan_id, f"#{p.loan_id}")
        out.append((label, _proposal_line(p, label).removeprefix(f"{label}: ")))
    return out


def debt_chart(store: Store, result: PlanResult) -> tuple[Markup, list[tuple[int, date, Decimal, Decimal | None]]]:
    """The whole debt if nothing is paid against what is still to pay under the plan, month by month."""
    from xieshang.engine.schedule import add_months
    from xieshang.services.overview import project

    best = result.optimal
    plan_ok = best is not None and best.feasible
    last = (best.months_to_debt_free or 1) if plan_ok and best is not None else 12
    last = max(2, min(last + 1, result.months))
    step = max(1, -(-last // (CHART_POINTS - 1)))
    offsets = [*range(0, last, step), last]
    days = tuple(sorted({(add_months(result.start, m) - result.start).days for m in offsets if m > 0}))
    proj = remember(store, "project", (result.start, days), lambda: project(store, result.start, days))
    unpaid = {0: proj.today_total, **{n: total for n, _, total in proj.totals()}}
    rows: list[tuple[int, date, Decimal, Decimal | None]] = []
    paid = Decimal(0)
    schedule = best.schedule if plan_ok and best is not None else ()
    by_month = {r.month: r.total for r in schedule}
    for m in offsets:
        on = add_months(result.start, m)
        n = (on - result.start).days
        left: Decimal | None = None
        if plan_ok and best is not None:
            paid = sum((by_month.get(k, Decimal(0)) for k in range(1, m + 1)), Decimal(0))
            left = max(Decimal(0), best.total_paid - paid)
        rows.append((n, on, unpaid.get(n, proj.today_total), left))
    series = [Series(t("webplan.chart.if_unpaid"), [(n, u) for n, _, u, _ in rows])]
    if plan_ok:
        series.append(Series(t("webplan.chart.under_plan"), [(n, v) for n, _, _, v in rows if v is not None]))
    desc = t("webplan.chart.debt_desc", today=money(rows[0][2]), last=money(rows[-1][2]), days=rows[-1][0])
    if plan_ok and best is not None:
        desc += " " + t("webplan.chart.plan_desc", total=money(best.total_paid), months=best.months_to_debt_free or 0)
    chart = line_chart(series, title=t("webplan.chart.debt_title"), description=desc,
                       x_unit=t("web.chart.day_unit"), chart_id="plan-chart")
    return chart, rows


def strategies_chart(result: PlanResult) -> Markup:
    bars = [Bar(_strategy_name(s), s.total_paid if s.feasible else None,
                money(s.total_paid) if s.feasible else t("webplan.not_feasible"))
            for s in result.strategies]
    best = result.optimal
    desc = "; ".join(f"{b.name}: {b.text}" for b in bars)
    if best is not None and best.feasible:
        desc = t("webplan.chart.compare_desc", total=money(best.total_paid)) + " " + desc
    return bar_chart(bars, title=t("webplan.chart.compare_title"), description=desc, chart_id="compare-chart")


def result_view(store: Store, result: PlanResult) -> dict[str, Any]:
    """Everything the result partial shows, from the plan result."""
    labels = dict(result.labels)
    best = result.optimal
    loan_ids = [lid for lid, _ in result.labels]
    rows = []
    if best is not None and best.feasible:
        for row in best.schedule:
            if not row.payments:
                continue
            amounts = dict(row.payments)
            rows.append({"month": row.month, "on": row.on, "cells": [amounts.get(lid) for lid in loan_ids],
                         "total": row.total, "set_aside": row.set_aside})
    baselines = [s for s in result.strategies if s.name != "optimal" and s.feasible]
    nearest = min(baselines, key=lambda s: s.total_paid) if baselines else None
    chart, chart_rows = debt_chart(store, result)
    why = [(labels.get(p.loan_id, f"#{p.loan_id}"), t(n)) for p in result.proposals for n in p.notes
           if n.startswith("plan.note.") and n not in ("plan.note.typical", "plan.note.offered")]
    return {"r": result, "best": best, "labels": labels, "loan_ids": loan_ids, "rows": rows, "nearest": nearest,
            "proposals": proposal_text(result), "why": why, "chart": chart, "chart_rows": chart_rows,
            "compare": strategies_chart(result), "capacity": result.capacity[0] if result.capacity else Decimal(0)}


# ---------------------------------------------------------------------------------------
# Options per lender
# ---------------------------------------------------------------------------------------


def option_kinds(lo: LoanOptions) -> list[str]:
    """The kinds a lender could refuse for this loan (those the planner may still use)."""
    from xieshang.planner.options import OFFER_KINDS

    kinds = {o.kind for o in lo.options if o.kind != "contract"}
    if any(o.waiver_share > 0 for o in lo.options):
        kinds.add("waiver")
    return [k for k in OFFER_KINDS if k in kinds]


def lenders_view(store: Store) -> list[dict[str, Any]]:
    from xieshang.services.plan import case_options, list_offers

    offers: dict[int, list[OfferRecord]] = {}
    for rec in list_offers(store):
        offers.setdefault(rec.loan_id, []).append(rec)
    out = []
    for lo in case_options(store):
        typical = [o for o in lo.options if o.typical and o.kind != "contract"]
        kinds: dict[tuple[str, bool], set[int]] = {}
        for o in lo.options:
            if o.kind != "contract":
                kinds.setdefault((o.kind, o.typical), set()).add(o.months)
        if any(o.waiver_share > 0 for o in lo.options):
            kinds.setdefault(("waiver", any(o.typical for o in lo.options if o.waiver_share > 0)), set())
        listed = [{"kind": k, "typical": typ, "months": sorted(m for m in months if m)}
                  for (k, typ), months in sorted(kinds.items())]
        out.append({"lo": lo, "kinds": option_kinds(lo), "offers": offers.get(lo.loan_id, []), "listed": listed,
                    "sources": sorted({(o.source, o.confidence) for o in typical if o.source})})
    return out


# ---------------------------------------------------------------------------------------
# Pages
# ---------------------------------------------------------------------------------------


#: Service errors whose CLI wording names a command: the page says it in its own words.
WEB_WORDING = ("plan.error.no_finances", "plan.error.no_income", "plan.error.no_loans", "plan.error.nothing_to_save")


def _web_message(exc: UserError) -> str:
    if exc.key in WEB_WORDING:
        return t("webplan.error." + exc.key.rsplit(".", 1)[-1])
    return message(exc)


def _run(store: Store, inp: PlanInput) -> tuple[PlanResult | None, str | None, str | None, dict[str, str]]:
    """(result, error text, error key, what-if field errors) for one run."""
    from xieshang.services.plan import plan_case

    try:
        w: WhatIf = whatif_from_form(inp.whatif_values, inp.refuse)
    except FormErrors as exc:
        return None, None, None, exc.errors
    try:
        today = clock.today()
        result = remember(store, "plan", (today, inp.objective, inp.months, w),
                          lambda: plan_case(store, objective=inp.objective, months=inp.months, start=today, whatif=w))
        return result, None, None, {}
    except UserError as exc:
        if exc.key.startswith("error.money") or exc.key == "plan.error.bad_refuse":
            return None, None, None, service_error(exc, (*WHATIF_FIELDS, "refuse")).errors
        return None, _web_message(exc), exc.key, {}


def _result_ctx(request: Request, inp: PlanInput, errors: dict[str, str]) -> dict[str, Any]:
    st = store_of(request)
    with pinned(st):
        result, error, error_key, wi_errors = _run(st, inp)
        ctx: dict[str, Any] = {"inp": inp, "wi": inp.whatif_values, "wi_errors": {**errors, **wi_errors},
                               "plan_error": error, "plan_error_key": error_key, "view": None}
        if result is not None:
            ctx["view"] = result_view(st, result)
    return ctx


def _page(request: Request, inp: PlanInput, errors: dict[str, str], *, offer_loan: int | None = None,
          offer_values: dict[str, str] | None = None, offer_errors: dict[str, str] | None = None,
          status_code: int = 200) -> Response:
    from xieshang.planner.model import OBJECTIVES
    from xieshang.services.case import has_case, list_loans
    from xieshang.services.finances import get_finances

    st = store_of(request)
    if not has_case(st):
        return _see_other("/start")
    ctx = _result_ctx(request, inp, errors)
    fin = get_finances(st)
    states = guide.progress(request.cookies.get(guide.GUIDE_COOKIE), has_loans=bool(list_loans(st)),
                            have=guide.have_data(st))
    ctx.update({"area": "plan", "objectives": OBJECTIVES, "lenders": lenders_view(st), "fin": fin,
                "today": clock.today(), "offer_loan": offer_loan, "offer_values": offer_values or {},
                "offer_errors": offer_errors or {}, "flash": request.query_params,
                "from_guide": request.query_params.get("guide") == "1", "states": states, "key": "plan"})
    return render(request, "plan.html", ctx, status_code=status_code)


@router.get("/plan")
def plan_page(request: Request) -> Response:
    """The builder; with what-if fields in the query (the form without JavaScript) the what-if plan."""
    inp, errors = plan_input(request.query_params)
    if is_htmx(request):
        return plan_result(request)
    return _page(request, inp, errors, status_code=422 if errors else 200)


@router.get("/plan/result")
def plan_result(request: Request) -> Response:
    """Only the result (htmx's live what-if): the plan, the table and the charts; nothing is stored."""
    inp, errors = plan_input(request.query_params)
    ctx = _result_ctx(request, inp, errors)
    ctx["objectives"] = ()
    status = 422 if ctx["wi_errors"] else 200
    return render(request, "partials/plan_result.html", ctx, status_code=status)


async def _form(request: Request) -> tuple[dict[str, str], list[str]]:
    form = await request.form()
    return ({k: v for k, v in form.items() if isinstance(v, str)},
            [v for v in form.getlist("refuse") if isinstance(v, str)])


@router.post("/plan/save")
async def save(request: Request) -> Response:
    """Save the plan shown (with the what-if it was computed with) for the letters."""
    from starlette.concurrency import run_in_threadpool

    from xieshang.services.plan import plan_case, save_plan

    data, refuse = await _form(request)
    st = store_of(request)
    inp, errors = plan_input(_Form(data, refuse))
    if errors:
        return await run_in_threadpool(lambda: _page(request, inp, errors, status_code=422))
    try:
        w = whatif_from_form(inp.whatif_values, inp.refuse)

        def work() -> None:
            save_plan(st, plan_case(st, objective=inp.objective, months=inp.months, whatif=w))

        await run_in_threadpool(work)
    except FormErrors as exc:
        errs = exc.errors
        return await run_in_threadpool(lambda: _page(request, inp, errs, status_code=422))
    except UserError as exc:
        errs = {"save": _web_message(exc)}
        return await run_in_threadpool(lambda: _page(request, inp, errs, status_code=422))
    return _see_other("/plan?saved=1#saved")


class _Form:
    """A posted form as the query-parameter interface :func:`plan_input` reads."""

    def __init__(self, data: dict[str, str], refuse: list[str]) -> None:
        self.data = data
        self.refuse = refuse

    def get(self, name: str, default: str | None = None) -> str | None:
        return self.data.get(name, default)

    def getlist(self, name: str) -> list[str]:
        return self.refuse if name == "refuse" else []


async def _answer(request: Request, loan_id: int, *, refused: bool) -> Response:
    from starlette.concurrency import run_in_threadpool

    from xieshang.services.case import get_loan
    from xieshang.services.plan import record_offer

    st = store_of(request)
    await run_in_threadpool(get_loan, st, loan_id)  # an unknown loan is a 404
    data, _ = await _form(request)
    try:
        offer = offer_from_form(data, refused=refused)
        await run_in_threadpool(record_offer, st, loan_id, offer)
    except FormErrors as exc:
        errs = exc.errors
    except UserError as exc:
        errs = service_error(exc, OFFER_FIELDS).errors
    else:
        return _see_other(f"/plan?{'refused' if refused else 'offered'}={loan_id}#lender-{loan_id}")
    inp, _ = plan_input(_Form({}, []))
    return await run_in_threadpool(lambda: _page(request, inp, {}, offer_loan=loan_id, offer_values=data,
                                                 offer_errors=errs, status_code=422))


@router.post("/plan/offers/{loan_id}")
async def record_offer_page(request: Request, loan_id: int) -> Response:
    return await _answer(request, loan_id, refused=False)


@router.post("/plan/refusals/{loan_id}")
async def record_refusal_page(request: Request, loan_id: int) -> Response:
    return await _answer(request, loan_id, refused=True)


@router.post("/plan/forget/{loan_id}/{kind}")
def forget(request: Request, loan_id: int, kind: str) -> Response:
    from xieshang.services.plan import clear_offer

    clear_offer(store_of(request), loan_id, kind)
    return _see_other(f"/plan?forgot={loan_id}#lender-{loan_id}")


@router.get("/plan/saved")
def saved_page(request: Request) -> Response:
    """The saved plan and its proposals (what the letters use)."""
    from xieshang.cli.plan import _proposal_line
    from xieshang.services.plan import saved_plan

    saved = saved_plan(store_of(request))
    texts: list[tuple[str, str]] = []
    if saved is not None:
        labels = {int(x["loan_id"]): str(x["label"]) for x in saved.document.get("loans", [])}
        for p in saved.proposals:
            label = labels.get(p.loan_id, f"#{p.loan_id}")
            texts.append((label, _proposal_line(p, label).removeprefix(f"{label}: ")))
    return render(request, "plan_saved.html", {"saved": saved, "texts": texts, "area": "plan"})
