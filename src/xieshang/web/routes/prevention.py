"""Prevention (预防): the monthly budget (planned and actual), the emergency fund, "can I afford
this loan?" and the autopay checklist.

Every figure comes from :mod:`xieshang.services.prevention` (the service of ``xieshang budget`` and
``xieshang afford``); the afford check answers in place with htmx (the whole page without it).
An error is shown next to its field and nothing is saved.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from xieshang import clock
from xieshang.errors import UserError
from xieshang.i18n import current_language
from xieshang.web.context import is_htmx, render, store_of
from xieshang.web.forms import FormErrors
from xieshang.web.forms_after import (
    AFFORD_FIELDS,
    BUDGET_FIELDS,
    FUND_FIELDS,
    afford_input,
    after_error,
    budget_line_input,
    fund_input,
)
from xieshang.web.routes.agreements import back, form_data, guide_states

router = APIRouter(include_in_schema=False)


def run_afford(request: Request, data: dict[str, str]) -> Any:
    """The afford report for the form's figures (income/debts default to the budget and the case)."""
    from xieshang.services.prevention import afford

    inp = afford_input(data)
    return afford(inp.amount, inp.annual_rate, inp.months, income=inp.income, existing=inp.existing, flat=inp.flat,
                  upfront_fee=inp.upfront_fee, monthly_fee=inp.monthly_fee, store=store_of(request))


def _month(request: Request) -> tuple[str, str | None]:
    from xieshang.services.prevention import month_of, parse_month

    raw = request.query_params.get("month", "").strip()
    if not raw:
        return month_of(clock.today()), None
    try:
        return parse_month(raw), None
    except UserError as exc:
        from xieshang.web.forms_after import message

        return month_of(clock.today()), message(exc)


def page(request: Request, *, month: str | None = None, budget_values: dict[str, str] | None = None,
         budget_errors: dict[str, str] | None = None, fund_values: dict[str, str] | None = None,
         fund_errors: dict[str, str] | None = None, afford_values: dict[str, str] | None = None,
         afford_errors: dict[str, str] | None = None, afford_report: Any = None, status_code: int = 200) -> Response:
    from xieshang.services.prevention import autopay_checklist, budget, emergency_fund

    st = store_of(request)
    shown, month_error = (month, None) if month else _month(request)
    ctx: dict[str, Any] = {
        "area": "prevention", "budget": budget(st, shown), "month": shown, "month_error": month_error,
        "fund": emergency_fund(st), "autopay": autopay_checklist(), "en": current_language() == "en",
        "budget_values": budget_values if budget_values is not None else {"month": shown},
        "budget_errors": budget_errors or {}, "fund_values": fund_values or {}, "fund_errors": fund_errors or {},
        "afford_values": afford_values or {}, "afford_errors": afford_errors or {}, "report": afford_report,
        "flash": request.query_params, "states": guide_states(request), "key": "prevent",
    }
    return render(request, "prevention.html", ctx, status_code=status_code)


@router.get("/prevention")
def prevention_page(request: Request) -> Response:
    return page(request)


@router.post("/prevention/budget")
async def set_line(request: Request) -> Response:
    from xieshang.services.prevention import month_of, set_budget_line

    data = await form_data(request)

    def run() -> Response:
        month = month_of(clock.today())
        try:
            inp = budget_line_input(data, month)
            line = set_budget_line(store_of(request), inp.month, inp.kind, inp.category, planned=inp.planned,
                                   actual=inp.actual)
        except FormErrors as exc:
            return page(request, budget_values=data, budget_errors=exc.errors, status_code=422)
        except UserError as exc:
            return page(request, budget_values=data, budget_errors=after_error(exc, data, BUDGET_FIELDS).errors,
                        status_code=422)
        return back(request, f"/prevention?month={line.month}&saved=budget#budget")

    return await run_in_threadpool(run)


@router.post("/prevention/budget/remove")
async def remove_line(request: Request) -> Response:
    from xieshang.services.prevention import month_of, remove_budget_line

    data = await form_data(request)

    def run() -> Response:
        line = remove_budget_line(store_of(request), data.get("month") or month_of(clock.today()),
                                  data.get("kind", ""), data.get("category", ""))
        return back(request, f"/prevention?month={line.month}&removed=budget#budget")

    return await run_in_threadpool(run)


@router.post("/prevention/fund")
async def set_fund(request: Request) -> Response:
    from xieshang.services.prevention import set_emergency_fund

    data = await form_data(request)

    def run() -> Response:
        try:
            inp = fund_input(data)
            set_emergency_fund(store_of(request), target=inp.target, months=inp.months, saved=inp.saved)
        except FormErrors as exc:
            return page(request, fund_values=data, fund_errors=exc.errors, status_code=422)
        except UserError as exc:
            return page(request, fund_values=data, fund_errors=after_error(exc, data, FUND_FIELDS).errors,
                        status_code=422)
        return back(request, "/prevention?saved=fund#fund")

    return await run_in_threadpool(run)


@router.get("/prevention/afford")
def afford_check(request: Request) -> Response:
    """The afford result: the htmx fragment in place, or the whole page with it."""
    data = {k: v for k, v in request.query_params.items() if k in AFFORD_FIELDS}
    errors: dict[str, str] = {}
    report = None
    try:
        report = run_afford(request, data)
    except FormErrors as exc:
        errors = exc.errors
    except UserError as exc:
        errors = after_error(exc, data, AFFORD_FIELDS).errors
    status = 422 if errors else 200
    if is_htmx(request):
        return render(request, "partials/afford.html", {"afford_values": data, "afford_errors": errors,
                                                        "report": report, "en": current_language() == "en"},
                      status_code=status)
    return page(request, afford_values=data, afford_errors=errors, afford_report=report, status_code=status)
