"""Finances: income sources, essential spending by category, dependants, savings, the protected
minimum (with its source) and what that leaves each month. Saving goes through
:func:`xieshang.services.finances.set_finances` in one transaction; an unreadable field is shown
next to itself in the user's language and nothing is saved."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from xieshang import clock
from xieshang.errors import UserError
from xieshang.i18n import t
from xieshang.web import guide
from xieshang.web.context import render, store_of
from xieshang.web.forms import FormErrors
from xieshang.web.plan_forms import (
    FIN_FIELDS,
    FREQUENCIES,
    MAX_INCOMES,
    STABILITIES,
    finance_changes,
    finance_form_values,
    income_rows,
    service_error,
)

router = APIRouter(include_in_schema=False)


def _fields() -> tuple[str, ...]:
    from xieshang.planner.finances import EXPENSE_CATEGORIES

    rows = tuple(f"income_{part}_{i}" for i in range(MAX_INCOMES) for part in ("name", "amount", "freq", "stab"))
    return (*rows, *(f"expense_{c}" for c in EXPENSE_CATEGORIES), *FIN_FIELDS)


def _page(request: Request, *, values: dict[str, str] | None = None, errors: dict[str, str] | None = None,
          status_code: int = 200) -> Response:
    from xieshang.planner.finances import EXPENSE_CATEGORIES
    from xieshang.planner.reference import reference
    from xieshang.services.case import has_case, list_loans
    from xieshang.services.finances import get_finances

    st = store_of(request)
    if not has_case(st):
        return RedirectResponse("/start", status_code=303)
    fin = get_finances(st)
    vals = values if values is not None else finance_form_values(fin)
    rows = max(1, income_rows(vals))
    if values is not None and rows < MAX_INCOMES and any(vals.get(f"income_{p}_{rows - 1}") for p in ("name", "amount")):
        rows += 1  # after an error keep a blank row for one more income
    ref = reference()
    states = guide.progress(request.cookies.get(guide.GUIDE_COOKIE), has_loans=bool(list_loans(st)),
                            have=guide.have_data(st))
    ctx: dict[str, Any] = {
        "fin": fin, "values": vals, "errors": errors or {}, "rows": rows, "categories": EXPENSE_CATEGORIES,
        "freqs": [(f, t(f"plan.fin.freq.{f}")) for f in FREQUENCIES],
        "stabs": [(s, t(f"plan.fin.stab.{s}")) for s in STABILITIES], "today": clock.today(),
        "per_person": ref.living_minimum_per_person, "fact": ref.source_of("living_minimum_per_person"),
        "area": "finances", "flash": request.query_params, "states": states, "key": "finances",
        "from_guide": request.query_params.get("guide") == "1" or (values or {}).get("guide") == "1",
    }
    return render(request, "finances.html", ctx, status_code=status_code)


@router.get("/finances")
def finances_page(request: Request) -> Response:
    return _page(request)


@router.post("/finances")
async def save_finances(request: Request) -> Response:
    from starlette.concurrency import run_in_threadpool

    from xieshang.services.finances import get_finances, set_finances

    form = await request.form()
    data = {k: v for k, v in form.items() if isinstance(v, str)}
    st = store_of(request)
    try:
        current = await run_in_threadpool(get_finances, st)
        changes = finance_changes(data, current)
        await run_in_threadpool(set_finances, st, changes)
    except FormErrors as exc:
        errs = exc.errors
        return await run_in_threadpool(lambda: _page(request, values=data, errors=errs, status_code=422))
    except UserError as exc:
        errs = service_error(exc, _fields()).errors
        return await run_in_threadpool(lambda: _page(request, values=data, errors=errs, status_code=422))
    if data.get("guide") == "1":
        return RedirectResponse("/finances?guide=1&saved=1#summary", status_code=303)
    return RedirectResponse("/finances?saved=1#summary", status_code=303)
