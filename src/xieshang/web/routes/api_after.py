"""The JSON API of the after-the-agreement and prevention pages, under ``/api``.

The same services as ``xieshang agreement``, ``due``, ``task``, ``calendar export``, ``credit``,
``budget`` and ``afford`` (their ``--json`` answers are the bodies here), and the same input
reading as the pages (:mod:`xieshang.web.forms_after`). Errors are ``{"error": {"key",
"message", "field"?, "fields"?}}`` in the request's language: 404 for an unknown id, 409 when
there is no case yet, 422 for bad input (nothing is written).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from xieshang import clock
from xieshang.errors import UserError
from xieshang.i18n import current_language
from xieshang.web.context import store_of
from xieshang.web.forms import FormErrors
from xieshang.web.forms_after import (
    AFFORD_FIELDS,
    AGREEMENT_FIELDS,
    BUDGET_FIELDS,
    CHECK_FIELDS,
    ENTRY_FIELDS,
    FUND_FIELDS,
    TASK_FIELDS,
    Reader,
    after_error,
    agreement_input,
    budget_line_input,
    check_input,
    entry_input,
    fund_input,
    task_input,
)
from xieshang.web.routes.api import ERRORS

router = APIRouter(tags=["after the agreement"], responses=ERRORS)

Json = dict[str, Any]
Text = Annotated[str | int | None, Field(default=None, description="Text as typed; an amount may be an integer.")]
Day = Annotated[str | None, Field(default=None, max_length=40, description="YYYY-MM-DD.")]
Note = Annotated[str | None, Field(default=None, max_length=4000)]
AsOf = Annotated[str | None, Query(description="As-of date YYYY-MM-DD (default today).", max_length=40)]
Days = Annotated[str | None, Query(description="Days ahead.", max_length=10)]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")

    def as_form(self) -> dict[str, str]:
        out: dict[str, str] = {}
        for name, value in self.model_dump().items():
            if value is None:
                continue
            out[name] = ("1" if value else "") if isinstance(value, bool) else str(value)
        return out


class AgreementIn(_In):
    """An agreement (``agreement add``): ``months`` and ``monthly`` or ``balance`` at least."""

    loan: int = Field(ge=1, le=2**31 - 1, description="The loan's id.")
    months: Text = None
    monthly: Text = None
    balance: Text = None
    down_payment: Text = None
    down_payment_date: Day = None
    start: Day = None
    first_due: Day = None
    rate: Text = None
    waive_penalty: Text = None
    waive_compound: Text = None
    waive_fee: Text = None
    waive_interest: Text = None
    status: str | None = Field(default=None, max_length=40,
                               description="proposed | agreed-verbally | confirmed-in-writing")
    note: Note = None


class StatusIn(_In):
    status: str = Field(max_length=40, description="agreed-verbally | confirmed-in-writing | cancelled")
    date: Day = None


class TaskIn(_In):
    title: str = Field(max_length=500)
    date: str = Field(max_length=40, description="Due date YYYY-MM-DD.")
    kind: str | None = Field(default=None, max_length=40, description="letter | follow-up | credit-check | payment | other")
    loan: int | None = Field(default=None, ge=1, le=2**31 - 1)
    note: Note = None


class DoneIn(_In):
    date: Day = None


class CheckIn(_In):
    channel: str = Field(max_length=200)
    date: Day = None
    free: bool = True
    note: Note = None


class EntryIn(_In):
    check: int = Field(ge=1, le=2**31 - 1, description="The check's id.")
    status_code: str = Field(max_length=4, description="2nd-generation repayment status: N, 1–7, C … (/api/credit/codes)")
    loan: int | None = Field(default=None, ge=1, le=2**31 - 1)
    account: str | None = Field(default=None, max_length=200)
    overdue: Text = None
    overdue_months: Text = None
    classification: str | None = Field(default=None, max_length=40)
    reported: Day = None
    note: Note = None


class BudgetLineIn(_In):
    category: str = Field(max_length=200)
    kind: str | None = Field(default=None, max_length=20, description="income | expense (default)")
    month: str | None = Field(default=None, max_length=20, description="YYYY-MM, default this month.")
    planned: Text = None
    actual: Text = None


class FundIn(_In):
    target: Text = None
    fund_months: Text = None
    saved: Text = None


class AffordIn(_In):
    amount: str | int = Field(description="Amount to borrow.")
    apr: str | int = Field(description="Annual rate as advertised, e.g. \"12%\".")
    months: str | int = Field(description="Number of monthly instalments.")
    income: Text = None
    debts: Text = None
    flat: bool = False
    upfront_fee: Text = None
    monthly_fee: Text = None


def _invalid(errors: dict[str, str]) -> JSONResponse:
    first = next(iter(errors.values()))
    body: Json = {"key": "web.error.invalid", "message": first, "fields": errors}
    if len(errors) == 1 and next(iter(errors)):
        body["field"] = next(iter(errors))
    return JSONResponse({"error": body}, status_code=422)


def _error(exc: UserError, data: dict[str, str], fields: tuple[str, ...]) -> JSONResponse:
    from xieshang.web.app import NO_CASE_KEYS, NOT_FOUND_KEYS

    err = after_error(exc, data, fields)
    (name, text), = err.errors.items()
    if exc.key in NOT_FOUND_KEYS or ".error.unknown_" in exc.key:
        status = 404
    elif exc.key in NO_CASE_KEYS:
        status = 409
    else:
        status = 422
    body: Json = {"key": exc.key, "message": text}
    if name:
        body["field"] = name
    return JSONResponse({"error": body}, status_code=status)


def _day(text: str | None) -> date | None:
    r = Reader({"date": text or ""})
    on = r.day("date")
    r.done()
    return on


def _call(fn: Any, data: dict[str, str], fields: tuple[str, ...], status_code: int = 200) -> Response:
    try:
        return JSONResponse(fn(), status_code=status_code)
    except FormErrors as exc:
        return _invalid(exc.errors)
    except UserError as exc:
        return _error(exc, data, fields)


# ---------------------------------------------------------------------------------------
# Agreements, due, tasks, calendar
# ---------------------------------------------------------------------------------------


@router.get("/agreements", summary="Every agreement with its adherence, effective date and warnings")
def agreements(request: Request, as_of: AsOf = None) -> Response:
    from xieshang.services.agreements import agreement_report, list_agreements

    def run() -> Any:
        st = store_of(request)
        day = _day(as_of)
        return [agreement_report(st, a.id, day).to_json() for a in list_agreements(st)]

    return _call(run, {"date": as_of or ""}, ("date",))


@router.post("/agreements", status_code=201, summary="Record an agreement (the agreed schedule)")
def add_agreement(request: Request, body: AgreementIn) -> Response:
    from xieshang.services.agreements import add_agreement as add

    data = body.as_form()
    return _call(lambda: add(store_of(request), agreement_input(data)).to_json(), data, AGREEMENT_FIELDS, 201)


@router.get("/agreements/{agreement_id}", summary="One agreement: adherence per agreed payment, status, warnings")
def show_agreement(request: Request, agreement_id: int, as_of: AsOf = None) -> Response:
    from xieshang.services.agreements import agreement_report

    return _call(lambda: agreement_report(store_of(request), agreement_id, _day(as_of)).to_json(),
                 {"date": as_of or ""}, ("date",))


@router.post("/agreements/{agreement_id}/status", summary="Move an agreement forward, or cancel it")
def agreement_status(request: Request, agreement_id: int, body: StatusIn) -> Response:
    from xieshang.services.agreements import set_status

    data = body.as_form()
    return _call(lambda: set_status(store_of(request), agreement_id, body.status, on=_day(body.date)).to_json(),
                 data, ("status", "date"))


@router.delete("/agreements/{agreement_id}", summary="Remove an agreement recorded by mistake")
def remove_agreement(request: Request, agreement_id: int) -> Response:
    from xieshang.services.agreements import remove_agreement as remove

    return _call(lambda: remove(store_of(request), agreement_id).to_json(), {}, ())


@router.get("/due", summary="Payments and tasks due from today to N days ahead, and what is overdue")
def due(request: Request, days: Days = None) -> Response:
    from xieshang.services.reminders import due_items

    def run() -> Any:
        r = Reader({"days": days or ""})
        n = r.integer("days")
        r.done()
        return [i.to_json() for i in due_items(store_of(request), days=30 if n is None else n)]

    return _call(run, {"days": days or ""}, ("days",))


@router.get("/tasks", summary="Open tasks (all=true: done ones too)")
def tasks(request: Request, all: bool = False) -> Response:
    from xieshang.services.reminders import list_tasks

    return _call(lambda: [x.to_json() for x in list_tasks(store_of(request), include_done=all)], {}, ())


@router.post("/tasks", status_code=201, summary="Add a task")
def add_task(request: Request, body: TaskIn) -> Response:
    from xieshang.services.reminders import add_task as add

    data = body.as_form()

    def run() -> Any:
        inp = task_input(data)
        return add(store_of(request), inp.title, inp.due, kind=inp.kind, loan_id=inp.loan_id, note=inp.note).to_json()

    return _call(run, data, TASK_FIELDS, 201)


@router.post("/tasks/{task_id}/done", summary="Mark a task done")
def task_done(request: Request, task_id: int, body: DoneIn | None = None) -> Response:
    from xieshang.services.reminders import complete_task

    on = None if body is None else body.date
    return _call(lambda: complete_task(store_of(request), task_id, on=_day(on)).to_json(), {"date": on or ""},
                 ("date",))


@router.get("/calendar.ics", summary="Every payment and task as an RFC 5545 calendar (text/calendar)",
            response_class=Response, responses={200: {"content": {"text/calendar": {}},
                                                      "description": "The calendar file."}})
def calendar(request: Request, days: Days = None,
             alarm_days: Annotated[str | None, Query(description="Alarm N days before.", max_length=10)] = None,
             ) -> Response:
    from xieshang.web.routes.agreements import calendar_response

    try:
        return calendar_response(request, days or "", alarm_days or "")
    except UserError as exc:
        return _error(exc, {"days": days or "", "alarm_days": alarm_days or ""}, ("days", "alarm_days"))


# ---------------------------------------------------------------------------------------
# Credit report
# ---------------------------------------------------------------------------------------


@router.get("/credit", summary="Checks, expectations per loan, free checks and dispute candidates")
def credit(request: Request) -> Response:
    from xieshang.services.credit import credit_overview

    return _call(lambda: credit_overview(store_of(request)).to_json(), {}, ())


@router.get("/credit/codes", summary="The repayment-status codes of the credit report")
def credit_codes() -> list[Json]:
    from xieshang.services.credit import status_codes

    return [{"code": c, "zh": zh, "en": en} for c, zh, en in status_codes()]


@router.post("/credit/checks", status_code=201, summary="Record a look at the credit report")
def add_check(request: Request, body: CheckIn) -> Response:
    from xieshang.services.credit import add_check as add

    data = body.as_form()

    def run() -> Any:
        inp = check_input(data)
        return add(store_of(request), on=inp.on, channel=inp.channel, free=inp.free, note=inp.note).to_json()

    return _call(run, data, CHECK_FIELDS, 201)


@router.post("/credit/entries", status_code=201, summary="Record one account as a check's report showed it")
def add_entry(request: Request, body: EntryIn) -> Response:
    from xieshang.services.credit import add_entry as add

    data = body.as_form()

    def run() -> Any:
        inp = entry_input(data)
        return add(store_of(request), inp.check_id, account=inp.account, status_code=inp.status_code,
                   overdue=inp.overdue, loan_id=inp.loan_id, overdue_months=inp.overdue_months,
                   classification=inp.classification, reported_on=inp.reported_on, note=inp.note).to_json()

    return _call(run, data, ENTRY_FIELDS, 201)


@router.post("/credit/entries/{entry_id}/dispute", summary="Record that a dispute about an entry was filed")
def dispute(request: Request, entry_id: int, body: DoneIn | None = None) -> Response:
    from xieshang.services.credit import mark_disputed

    on = None if body is None else body.date
    return _call(lambda: mark_disputed(store_of(request), entry_id, on=_day(on)).to_json(), {"date": on or ""},
                 ("date",))


# ---------------------------------------------------------------------------------------
# Prevention
# ---------------------------------------------------------------------------------------


@router.get("/budget", summary="A month's budget: planned and actual lines, what it leaves")
def get_budget(request: Request,
               month: Annotated[str | None, Query(description="YYYY-MM, default this month.", max_length=20)] = None,
               ) -> Response:
    from xieshang.services.prevention import budget, month_of

    return _call(lambda: budget(store_of(request), month or month_of(clock.today())).to_json(), {"month": month or ""},
                 ("month",))


@router.put("/budget/lines", summary="Create or update a budget line (planned and/or actual)")
def set_line(request: Request, body: BudgetLineIn) -> Response:
    from xieshang.services.prevention import month_of, set_budget_line

    data = body.as_form()

    def run() -> Any:
        inp = budget_line_input(data, month_of(clock.today()))
        return set_budget_line(store_of(request), inp.month, inp.kind, inp.category, planned=inp.planned,
                               actual=inp.actual).to_json()

    return _call(run, data, BUDGET_FIELDS)


@router.delete("/budget/lines", summary="Remove a budget line")
def remove_line(request: Request, category: Annotated[str, Query(max_length=200)],
                kind: Annotated[str, Query(max_length=20)] = "expense",
                month: Annotated[str | None, Query(max_length=20)] = None) -> Response:
    from xieshang.services.prevention import month_of, remove_budget_line

    data = {"category": category, "kind": kind, "month": month or ""}
    return _call(lambda: remove_budget_line(store_of(request), month or month_of(clock.today()), kind,
                                            category).to_json(), data, BUDGET_FIELDS)


@router.get("/emergency-fund", summary="The emergency fund: target, saved, progress")
def get_fund(request: Request) -> Response:
    from xieshang.services.prevention import emergency_fund

    return _call(lambda: emergency_fund(store_of(request)).to_json(), {}, ())


@router.post("/emergency-fund", summary="Set the fund's target (amount or months of spending) and/or what is saved")
def set_fund(request: Request, body: FundIn) -> Response:
    from xieshang.services.prevention import set_emergency_fund

    data = body.as_form()

    def run() -> Any:
        inp = fund_input(data)
        return set_emergency_fund(store_of(request), target=inp.target, months=inp.months, saved=inp.saved).to_json()

    return _call(run, data, FUND_FIELDS)


@router.post("/afford", summary="Can I afford this loan? Payment, share of income, DTI vs thresholds, real APR")
def afford(request: Request, body: AffordIn) -> Response:
    from xieshang.web.routes.prevention import run_afford

    data = body.as_form()
    return _call(lambda: run_afford(request, data).to_json(current_language()), data, AFFORD_FIELDS)


@router.get("/autopay", summary="The autopay checklist, with sources")
def autopay() -> list[Json]:
    from xieshang.services.prevention import autopay_checklist

    en = current_language() == "en"
    return [{"id": i.id, "text": i.text_en if en else i.text_zh, "source": i.source, "confidence": i.confidence}
            for i in autopay_checklist()]
