"""Agreements and reminders (协商之后): the agreed schedules, how each agreed payment was kept,
what is due next, tasks, and the calendar download.

Every write goes through :mod:`xieshang.services.agreements` or :mod:`xieshang.services.reminders`
(the services of ``xieshang agreement``, ``due``, ``task`` and ``calendar export``); an error is
shown next to its field and nothing is saved. The calendar is the same RFC 5545 file as
``calendar export`` (:func:`xieshang.services.reminders.calendar_bytes`), served for download.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from markupsafe import Markup
from starlette.concurrency import run_in_threadpool

from xieshang import clock
from xieshang.errors import UserError
from xieshang.i18n import t
from xieshang.web import guide
from xieshang.web.context import money, render, store_of
from xieshang.web.forms import FormErrors
from xieshang.web.forms_after import (
    AGREEMENT_FIELDS,
    TASK_FIELDS,
    Reader,
    after_error,
    agreement_input,
    message,
    task_input,
)

if TYPE_CHECKING:
    from xieshang.services.agreements import AgreementReport
    from xieshang.services.case import LoanRecord

router = APIRouter(include_in_schema=False)

#: Days ahead the "what is due" list shows, and the calendar's defaults (as ``calendar export``).
DUE_DAYS = 30
CALENDAR_DAYS = 365
ALARM_DAYS = 3


def see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def back(request: Request, url: str) -> RedirectResponse:
    """See ``url`` after a write, still in the guided start when the form was posted from it."""
    if request.query_params.get("guide") == "1":
        url = url.replace("?", "?guide=1&", 1)
    return see_other(url)


async def form_data(request: Request) -> dict[str, str]:
    form = await request.form()
    return {k: v for k, v in form.items() if isinstance(v, str)}


def guide_states(request: Request) -> list[guide.StepState] | None:
    """The guided start's steps when the page was opened from it (``?guide=1``), else ``None``."""
    from xieshang.services.case import list_loans

    if request.query_params.get("guide") != "1":
        return None
    st = store_of(request)
    return guide.progress(request.cookies.get(guide.GUIDE_COOKIE), has_loans=bool(list_loans(st)),
                          have=guide.have_data(st))


def _next_statuses(status: str) -> list[str]:
    from xieshang.services.agreements import CANCELLED, PROPOSED, VERBAL, WRITTEN

    return {PROPOSED: [VERBAL, WRITTEN, CANCELLED], VERBAL: [WRITTEN, CANCELLED], WRITTEN: [CANCELLED]}.get(status, [])


def agreement_chart(report: AgreementReport, loan: LoanRecord, today: date) -> Markup:
    """What was agreed against what was paid, both added up from the agreement's start (SVG)."""
    from xieshang.money import ZERO
    from xieshang.web.charts import Series, line_chart

    a = report.agreement
    agreed: list[tuple[int, Decimal]] = [(0, ZERO)]
    total = ZERO
    for inst in report.adherence.instalments:
        total += inst.amount
        agreed.append(((inst.due - a.start).days, total))
    paid: list[tuple[int, Decimal]] = [(0, ZERO)]
    so_far = ZERO
    for p in sorted(loan.payments, key=lambda p: (p.on, p.id)):
        if a.start <= p.on <= today:
            so_far += p.amount
            paid.append(((p.on - a.start).days, so_far))
    paid.append((max((today - a.start).days, 0), so_far))
    due_by_today = sum((i.amount for i in report.adherence.instalments if i.due <= today), ZERO)
    return line_chart([Series(t("web_after.chart.agreed"), agreed), Series(t("web_after.chart.paid"), paid)],
                      title=t("web_after.chart.title", id=a.id),
                      description=t("web_after.chart.desc", due=money(due_by_today), paid=money(so_far),
                                    total=money(total)),
                      x_unit=t("web.chart.day_unit"), chart_id=f"agreement-{a.id}-chart")


def page(request: Request, *, add_values: dict[str, str] | None = None, add_errors: dict[str, str] | None = None,
         task_values: dict[str, str] | None = None, task_errors: dict[str, str] | None = None,
         row_errors: dict[int, str] | None = None, status_code: int = 200) -> Response:
    """The agreements page (every section), with a form's values and errors when it failed."""
    from xieshang.services.agreements import agreement_report, list_agreements
    from xieshang.services.case import list_loans
    from xieshang.services.reminders import due_items, list_tasks
    from xieshang.store.models_after import AGREEMENT_STATUSES, TASK_KINDS

    st = store_of(request)
    today = clock.today()
    loans = list_loans(st)
    reports = [agreement_report(st, a.id, today) for a in list_agreements(st)]
    by_id = {loan.id: loan for loan in loans}
    charts = {r.agreement.id: agreement_chart(r, by_id[r.agreement.loan_id], today) for r in reports}
    ctx: dict[str, Any] = {
        "area": "agreements", "today": today, "loans": loans, "reports": reports, "charts": charts,
        "due": due_items(st, days=DUE_DAYS, today=today), "due_days": DUE_DAYS, "tasks": list_tasks(st),
        "statuses": AGREEMENT_STATUSES[:3], "task_kinds": TASK_KINDS, "next_statuses": _next_statuses,
        "values": add_values or {}, "errors": add_errors or {},
        "task_values": task_values or {}, "task_errors": task_errors or {}, "row_errors": row_errors or {},
        "calendar_days": CALENDAR_DAYS, "alarm_days": ALARM_DAYS, "flash": request.query_params,
        "states": guide_states(request), "key": "after",
    }
    return render(request, "agreements.html", ctx, status_code=status_code)


@router.get("/agreements")
def agreements_page(request: Request) -> Response:
    return page(request)


@router.post("/agreements")
async def add(request: Request) -> Response:
    from xieshang.services.agreements import add_agreement

    data = await form_data(request)

    def run() -> Response:
        try:
            rec = add_agreement(store_of(request), agreement_input(data))
        except FormErrors as exc:
            return page(request, add_values=data, add_errors=exc.errors, status_code=422)
        except UserError as exc:
            errors = after_error(exc, data, AGREEMENT_FIELDS).errors
            return page(request, add_values=data, add_errors=errors, status_code=422)
        return back(request, f"/agreements?added={rec.id}#agreement-{rec.id}")

    return await run_in_threadpool(run)


@router.post("/agreements/{agreement_id}/status")
async def change_status(request: Request, agreement_id: int) -> Response:
    from xieshang.services.agreements import agreement_report, set_status

    data = await form_data(request)

    def run() -> Response:
        st = store_of(request)
        agreement_report(st, agreement_id)  # an unknown agreement is a 404, not a form error
        r = Reader(data)
        on = r.day("date")
        try:
            r.done()
            set_status(st, agreement_id, data.get("status", "").strip(), on=on)
        except FormErrors as exc:
            return page(request, row_errors={agreement_id: " ".join(exc.errors.values())}, status_code=422)
        except UserError as exc:
            return page(request, row_errors={agreement_id: message(exc)}, status_code=422)
        return back(request, f"/agreements?status={agreement_id}#agreement-{agreement_id}")

    return await run_in_threadpool(run)


@router.post("/agreements/{agreement_id}/delete")
def delete(request: Request, agreement_id: int) -> Response:
    from xieshang.services.agreements import remove_agreement

    remove_agreement(store_of(request), agreement_id)
    return back(request, f"/agreements?removed={agreement_id}")


@router.post("/tasks")
async def add_task(request: Request) -> Response:
    from xieshang.services.reminders import add_task as add

    data = await form_data(request)

    def run() -> Response:
        try:
            inp = task_input(data)
            task = add(store_of(request), inp.title, inp.due, kind=inp.kind, loan_id=inp.loan_id, note=inp.note)
        except FormErrors as exc:
            return page(request, task_values=data, task_errors=exc.errors, status_code=422)
        except UserError as exc:
            errors = after_error(exc, data, TASK_FIELDS).errors
            return page(request, task_values=data, task_errors=errors, status_code=422)
        return back(request, f"/agreements?task={task.id}#tasks")

    return await run_in_threadpool(run)


@router.post("/tasks/{task_id}/done")
def task_done(request: Request, task_id: int) -> Response:
    from xieshang.services.reminders import complete_task

    try:
        complete_task(store_of(request), task_id)
    except UserError as exc:
        if exc.key == "after.error.unknown_task":
            raise UserError("web.error.not_found") from None
        raise
    return back(request, f"/agreements?task_done={task_id}#tasks")


def calendar_response(request: Request, days: str, alarm_days: str) -> Response:
    """The calendar file (``text/calendar``) of everything due from today to ``days`` ahead."""
    from xieshang.services.reminders import calendar_bytes, due_items

    r = Reader({"days": days, "alarm_days": alarm_days})
    n_days = r.integer("days")
    n_alarm = r.integer("alarm_days")
    if r.errors:
        raise UserError("web_after.error.calendar_options")
    today = clock.today()
    items = [i for i in due_items(store_of(request), days=CALENDAR_DAYS if n_days is None else n_days, today=today)
             if i.on >= today]
    data = calendar_bytes(items, alarm_days=ALARM_DAYS if n_alarm is None else n_alarm)
    name = f"xieshang-{today.isoformat()}.ics"
    return Response(data, media_type="text/calendar; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@router.get("/agreements/calendar.ics")
def calendar(request: Request, days: str = "", alarm_days: str = "") -> Response:
    return calendar_response(request, days, alarm_days)

