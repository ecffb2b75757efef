"""Loans: list, detail (breakdown, growth chart, timeline, legal lines, reconciliation), add/edit/remove,
payments and lender-stated figures. Every write goes through :mod:`xieshang.services.case`; an error is
shown next to its field and nothing is saved."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from xieshang import clock
from xieshang.errors import UserError
from xieshang.i18n import current_language, t
from xieshang.web.charts import Series, line_chart
from xieshang.web.context import is_htmx, money, render, store_of
from xieshang.web.forms import (
    CARD_ONLY,
    LOAN_FIELDS,
    LOAN_ONLY,
    FormErrors,
    amount_and_day,
    loan_fields,
    loan_form_values,
    message,
)
from xieshang.web.routes.home import CHART_DAYS

if TYPE_CHECKING:
    from xieshang.services.case import LoanRecord
    from xieshang.services.overview import DebtOverview

router = APIRouter(include_in_schema=False)


def _see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


async def _form(request: Request) -> dict[str, str]:
    form = await request.form()
    return {k: v for k, v in form.items() if isinstance(v, str)}


def profile_choices() -> list[dict[str, Any]]:
    """Every lender profile for the form's select, grouped by product, with its summary."""
    from xieshang.rules import load_profiles

    lang = current_language()
    out = [{"id": pid, "name": p.name(lang), "summary": p.summary(lang), "product": str(p.product.value)}
           for pid, p in load_profiles().items()]
    return sorted(out, key=lambda p: (p["product"] != "loan", p["id"] == "custom", p["id"]))


def _product_of(profile_id: str) -> str | None:
    from xieshang.services.case import profile_for

    if not profile_id:
        return None
    try:
        return str(profile_for(profile_id).product.value)
    except UserError:
        return None


@router.get("/loans")
def loan_list(request: Request) -> Response:
    from xieshang.services.overview import overview

    result = overview(store_of(request), clock.today())
    return render(request, "loans.html", {"ov": result, "area": "loans"})


def _form_page(request: Request, *, values: dict[str, str], errors: dict[str, str], loan: LoanRecord | None,
               status_code: int = 200) -> Response:
    profile = values.get("profile", "")
    product = loan.product if loan is not None else _product_of(profile)
    choices = profile_choices()
    if loan is not None:
        choices = [c for c in choices if c["product"] == loan.product]
    chosen = next((c for c in choices if c["id"] == profile), None)
    hidden = set(CARD_ONLY if product != "card" else LOAN_ONLY)
    if product is None:
        hidden = set(LOAN_FIELDS) - {"profile"}
    moved = [msg for name, msg in errors.items() if name in hidden]
    if moved:  # an error about a field this form does not show goes above the form
        errors = {k: v for k, v in errors.items() if k not in hidden}
        errors[""] = " ".join([errors.get("", ""), *moved]).strip()
    from xieshang.engine.terms import RepaymentMethod

    methods = [(m.value, t(f"case.method.{m.value}")) for m in RepaymentMethod]
    ctx = {"values": values, "errors": errors, "loan": loan, "product": product, "profiles": choices,
           "methods": methods,
           "chosen": chosen, "area": "loans", "from_guide": values.get("from_guide") == "1"}
    return render(request, "loan_form.html", ctx, status_code=status_code)


@router.get("/loans/new")
def new_loan(request: Request) -> Response:
    """The empty form; with ``?profile=`` (chosen, or swapped in by htmx) the fields of that product,
    keeping whatever else was already typed."""
    values = {k: v for k, v in request.query_params.items() if k in LOAN_FIELDS or k == "from_guide"}
    return _form_page(request, values=values, errors={}, loan=None)


@router.post("/loans/new")
async def create_loan(request: Request) -> Response:
    from starlette.concurrency import run_in_threadpool

    from xieshang.services.case import add_loan

    data = await _form(request)
    product = _product_of(data.get("profile", ""))
    try:
        if product is None:
            raise FormErrors({"profile": t("web.error.choose_profile")})
        fields = loan_fields(data, product)
        loan = await run_in_threadpool(add_loan, store_of(request), fields)
    except FormErrors as exc:
        return _form_page(request, values=data, errors=exc.errors, loan=None, status_code=422)
    except UserError as exc:
        from xieshang.web.forms import service_error

        return _form_page(request, values=data, errors=service_error(exc, data, LOAN_FIELDS).errors, loan=None,
                          status_code=422)
    if data.get("from_guide") == "1":
        return _see_other(f"/guide/situation?added={loan.id}")
    return _see_other(f"/loans/{loan.id}?added=1")


@router.get("/loans/{loan_id}/edit")
def edit_loan_page(request: Request, loan_id: int) -> Response:
    from xieshang.services.case import get_loan

    loan = get_loan(store_of(request), loan_id)
    return _form_page(request, values=loan_form_values(loan), errors={}, loan=loan)


@router.post("/loans/{loan_id}/edit")
async def update_loan(request: Request, loan_id: int) -> Response:
    from starlette.concurrency import run_in_threadpool

    from xieshang.services.case import edit_loan, get_loan
    from xieshang.web.forms import service_error

    st = store_of(request)
    loan = await run_in_threadpool(get_loan, st, loan_id)
    data = await _form(request)
    data.setdefault("profile", loan.profile_id)
    try:
        fields = loan_fields(data, loan.product, editing=True)
        await run_in_threadpool(edit_loan, st, loan_id, fields)
    except FormErrors as exc:
        return _form_page(request, values=data, errors=exc.errors, loan=loan, status_code=422)
    except UserError as exc:
        return _form_page(request, values=data, errors=service_error(exc, data, LOAN_FIELDS).errors, loan=loan,
                          status_code=422)
    return _see_other(f"/loans/{loan_id}?edited=1")


@router.get("/loans/{loan_id}/delete")
def confirm_delete(request: Request, loan_id: int) -> Response:
    from xieshang.services.case import get_loan

    loan = get_loan(store_of(request), loan_id)
    return render(request, "loan_delete.html", {"loan": loan, "area": "loans"})


@router.post("/loans/{loan_id}/delete")
def delete_loan(request: Request, loan_id: int) -> Response:
    from xieshang.services.case import remove_loan

    remove_loan(store_of(request), loan_id)
    return _see_other("/loans?removed=1")


# ---------------------------------------------------------------------------------------
# Detail
# ---------------------------------------------------------------------------------------


def growth_chart(debt: DebtOverview) -> Any:
    """This debt if nothing is paid, from today to a year on."""
    s = debt.status
    a = debt.assessment
    if s is None or a is None or s.closed:
        return None
    points = [(0, s.payoff), *[(p.days, p.status.payoff) for p in a.projection]]
    last = points[-1]
    return line_chart([Series(t("web.chart.if_unpaid"), points)], title=t("web.chart.loan_title"),
                      description=t("web.chart.total_desc", today=money(points[0][1]), last=money(last[1]),
                                    days=last[0]),
                      x_unit=t("web.chart.day_unit"), chart_id=f"loan-{debt.loan.id}-chart")


def _detail(request: Request, loan_id: int, *, pay_values: dict[str, str] | None = None,
            pay_errors: dict[str, str] | None = None, fig_values: dict[str, str] | None = None,
            fig_errors: dict[str, str] | None = None, status_code: int = 200) -> Response:
    from xieshang.services.case import get_loan
    from xieshang.services.overview import assess_debt, loan_timeline

    st = store_of(request)
    today = clock.today()
    loan = get_loan(st, loan_id)
    debt = assess_debt(loan, today, days=CHART_DAYS)
    timeline = None
    timeline_error = None
    try:
        timeline = loan_timeline(st, loan_id, today)
    except UserError as exc:
        timeline_error = message(exc)
    ctx = {"loan": loan, "debt": debt, "chart": growth_chart(debt), "timeline": timeline,
           "timeline_error": timeline_error, "today": today, "area": "loans",
           "pay_values": pay_values or {}, "pay_errors": pay_errors or {},
           "fig_values": fig_values or {}, "fig_errors": fig_errors or {},
           "flash": request.query_params}
    return render(request, "loan.html", ctx, status_code=status_code)


@router.get("/loans/{loan_id}")
def loan_detail(request: Request, loan_id: int) -> Response:
    return _detail(request, loan_id)


@router.post("/loans/{loan_id}/payments")
async def add_payment(request: Request, loan_id: int) -> Response:
    from starlette.concurrency import run_in_threadpool

    from xieshang.services.case import add_payment as add
    from xieshang.services.case import get_loan
    from xieshang.web.forms import service_error

    st = store_of(request)
    await run_in_threadpool(get_loan, st, loan_id)  # an unknown loan is a 404, not a form error
    data = await _form(request)
    try:
        amount, on = amount_and_day(data)
        await run_in_threadpool(lambda: add(st, loan_id, amount, on=on, channel=data.get("channel") or None,
                                            note=data.get("note") or None))
    except FormErrors as exc:
        errors = exc.errors
        return await run_in_threadpool(lambda: _detail(request, loan_id, pay_values=data, pay_errors=errors,
                                                       status_code=422))
    except UserError as exc:
        errs = service_error(exc, data, ("amount", "date")).errors
        return await run_in_threadpool(lambda: _detail(request, loan_id, pay_values=data, pay_errors=errs,
                                                       status_code=422))
    return _see_other(f"/loans/{loan_id}?paid=1#payments")


@router.post("/payments/{payment_id}/delete")
def delete_payment(request: Request, payment_id: int) -> Response:
    from xieshang.services.case import remove_payment

    rec = remove_payment(store_of(request), payment_id)
    return _see_other(f"/loans/{rec.loan_id}#payments")


@router.post("/loans/{loan_id}/lender-figures")
async def add_figure(request: Request, loan_id: int) -> Response:
    from starlette.concurrency import run_in_threadpool

    from xieshang.services.case import add_lender_figure, get_loan
    from xieshang.web.forms import service_error

    st = store_of(request)
    await run_in_threadpool(get_loan, st, loan_id)
    data = await _form(request)
    try:
        amount, on = amount_and_day(data)
        await run_in_threadpool(lambda: add_lender_figure(st, loan_id, amount, on=on, note=data.get("note") or None))
    except FormErrors as exc:
        errors = exc.errors
        return await run_in_threadpool(lambda: _detail(request, loan_id, fig_values=data, fig_errors=errors,
                                                       status_code=422))
    except UserError as exc:
        errs = service_error(exc, data, ("amount", "date")).errors
        return await run_in_threadpool(lambda: _detail(request, loan_id, fig_values=data, fig_errors=errs,
                                                       status_code=422))
    return _see_other(f"/loans/{loan_id}?figure=1#reconcile")


@router.get("/loans/{loan_id}/reconcile")
def reconcile(request: Request, loan_id: int, lender_says: str = "", on: str = "") -> Response:
    """The lender's figure against ours: a typed figure, else the latest recorded one."""
    from xieshang.services.case import get_loan
    from xieshang.services.overview import reconcile_loan
    from xieshang.web.forms import FormErrors, service_error

    st = store_of(request)
    loan = get_loan(st, loan_id)
    values = {"lender_says": lender_says, "on": on}
    result = None
    errors: dict[str, str] = {}
    try:
        amount = None
        day = None
        if lender_says.strip():
            amount, day = amount_and_day({"lender_says": lender_says, "on": on}, amount_field="lender_says",
                                         day_field="on")
        elif on.strip():
            _, day = amount_and_day({"x": "0", "on": on}, amount_field="x", day_field="on")
        result = reconcile_loan(st, loan_id, lender_says=amount, on=day)
    except FormErrors as exc:
        errors = exc.errors
    except UserError as exc:
        errors = service_error(exc, values, ("lender_says", "on")).errors
    ctx = {"loan": loan, "rec": result, "rec_values": values, "rec_errors": errors, "area": "loans"}
    status = 422 if errors else 200
    if is_htmx(request):
        return render(request, "partials/reconcile.html", ctx, status_code=status)
    return render(request, "reconcile.html", ctx, status_code=status)
