"""The JSON API under ``/api``: what the pages do, on the same services as the CLI.

Bodies and answers follow the CLI's ``--json`` contracts (docs/cli-json.md): amounts are
strings in yuan with two decimals (an integer number of yuan is accepted on input), dates
``YYYY-MM-DD``, rates as people write them (``14.6%``, ``日息万五``). Errors are
``{"error": {"key", "message", "field"?}}`` in the request's language (``?lang=en``), with
404 for an unknown id, 409 when there is no case yet and 422 for bad input; nothing is
written when a request fails.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Body, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from xieshang import clock
from xieshang.errors import UserError
from xieshang.i18n import current_language
from xieshang.web.context import store_of
from xieshang.web.forms import (
    LOAN_FIELDS,
    FormErrors,
    amount_and_day,
    error_field,
    loan_fields,
    message,
    parse_day,
)

Json = dict[str, Any]


class ErrorBody(BaseModel):
    key: str = Field(description="Message key, stable across languages.")
    message: str = Field(description="The message in the request's language.")
    field: str | None = Field(default=None, description="The input field at fault, when there is one.")
    fields: dict[str, str] | None = Field(default=None, description="Every field at fault and its message.")
    detail: list[dict[str, Any]] | None = Field(default=None, description="Where a request was malformed.")


class ErrorOut(BaseModel):
    """Every error answer of the API (documented on every operation, so the schema is honest)."""

    error: ErrorBody


ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorOut, "description": "Malformed request (e.g. a body that is not JSON)."},
    404: {"model": ErrorOut, "description": "Unknown id."},
    409: {"model": ErrorOut, "description": "No case yet, or one already."},
    422: {"model": ErrorOut, "description": "Bad input; nothing was written."},
}

router = APIRouter(tags=["xieshang"], responses=ERRORS)
Text = Annotated[str | int | None, Field(default=None, description="Text as typed; an amount may be an integer.")]
AsOf = Annotated[str | None, Query(description="As-of date YYYY-MM-DD (default today).", max_length=40)]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ContactIn(_In):
    channel: str = Field(max_length=40, description="phone, app, email, wechat …")
    value: str = Field(max_length=200)


class LoanIn(_In):
    """A loan or card; on PATCH only the fields given change (``unset`` clears optional ones)."""

    profile: str | None = Field(default=None, max_length=60, description="Lender profile id, see /api/profiles.")
    lender: str | None = Field(default=None, max_length=200)
    principal: Text = None
    rate: Text = None
    months: Text = None
    start: str | None = Field(default=None, max_length=40)
    method: str | None = Field(default=None, max_length=40)
    received: Text = None
    statement_balance: Text = None
    statement_date: str | None = Field(default=None, max_length=40)
    due_date: str | None = Field(default=None, max_length=40)
    contract_no: str | None = Field(default=None, max_length=200)
    contacts: list[ContactIn] | None = Field(default=None, max_length=20)
    overrides: dict[str, str] | None = Field(default=None, max_length=40)
    notes: str | None = Field(default=None, max_length=4000)
    unset: list[str] = Field(default_factory=list, max_length=20)

    def as_form(self) -> dict[str, str]:
        data: dict[str, str] = {}
        for name in LOAN_FIELDS:
            if name in ("contacts", "sets"):
                continue
            value = getattr(self, name, None)
            if value is not None:
                data[name] = str(value)
        if self.contacts is not None:
            data["contacts"] = "\n".join(f"{c.channel}={c.value}" for c in self.contacts)
        if self.overrides is not None:
            data["sets"] = "\n".join(f"{k}={v}" for k, v in self.overrides.items())
        return data


class MoneyIn(_In):
    amount: str | int = Field(description="Yuan, e.g. \"1234.56\" or 1234.")
    date: str | None = Field(default=None, max_length=40, description="YYYY-MM-DD, default today.")
    note: str | None = Field(default=None, max_length=2000)


class PaymentIn(MoneyIn):
    channel: str | None = Field(default=None, max_length=100)


class PersonIn(_In):
    name: str = Field(max_length=200)
    phone: str | None = Field(default=None, max_length=60)
    email: str | None = Field(default=None, max_length=200)
    locale: str | None = Field(default=None, max_length=20)


def _invalid(errors: dict[str, str]) -> JSONResponse:
    first = next(iter(errors.values()))
    return JSONResponse({"error": {"key": "web.error.invalid", "message": first, "fields": errors}}, status_code=422)


def _user_error(exc: UserError, data: dict[str, str], fields: tuple[str, ...]) -> JSONResponse:
    from xieshang.web.app import NOT_FOUND_KEYS

    status = 404 if exc.key in NOT_FOUND_KEYS else 409 if exc.key == "error.case.no_case" else 422
    body: Json = {"key": exc.key, "message": message(exc)}
    fld = error_field(exc, data, fields)
    if fld:
        body["field"] = fld
    return JSONResponse({"error": body}, status_code=status)


def _day(text: str | None, name: str) -> date | None:
    if text is None or not text.strip():
        return None
    try:
        return parse_day(text)
    except UserError as exc:
        raise FormErrors({name: message(exc)}) from None


# ---------------------------------------------------------------------------------------
# Overview
# ---------------------------------------------------------------------------------------


@router.get("/status", summary="Every debt on a date, totals, flags and the most urgent action")
def status(request: Request, as_of: AsOf = None) -> Response:
    from xieshang.services.overview import overview

    try:
        day = _day(as_of, "as_of")
    except FormErrors as exc:
        return _invalid(exc.errors)
    return JSONResponse(overview(store_of(request), day).to_json())


@router.get("/projection", summary="Each debt and the total after N days if nothing more is paid")
def projection(request: Request, as_of: AsOf = None,
               days: Annotated[str | None, Query(description="Horizons, e.g. 30,90,180,365.", max_length=200)] = None,
               ) -> Response:
    from xieshang.services.overview import parse_days, project

    try:
        day = _day(as_of, "as_of")
    except FormErrors as exc:
        return _invalid(exc.errors)
    return JSONResponse(project(store_of(request), day, parse_days(days)).to_json())


@router.get("/profiles", summary="The lender profiles a loan can use")
def profiles() -> list[Json]:
    from xieshang.web.routes.loans import profile_choices

    return profile_choices()


# ---------------------------------------------------------------------------------------
# Case and loans
# ---------------------------------------------------------------------------------------


@router.post("/case", status_code=201, summary="Start a case (the store must be empty)")
def start_case(request: Request, person: PersonIn) -> Response:
    from xieshang.services.case import PersonInfo, init_case

    data = {"name": person.name}
    try:
        info = init_case(store_of(request), PersonInfo(name=person.name, phone=person.phone, email=person.email,
                                                       locale=person.locale or current_language()))
    except UserError as exc:
        return _user_error(exc, data, ("name", "locale"))
    return JSONResponse(info.to_json(), status_code=201)


@router.post("/demo", summary="Load the demo case (reset=true replaces the case in the store)")
def demo(request: Request, reset: bool = False) -> Response:
    from xieshang.services.demo import load_demo

    try:
        person, loans = load_demo(store_of(request), reset=reset)
    except UserError as exc:
        return _user_error(exc, {}, ())
    return JSONResponse({"person": person.to_json(), "loans": len(loans)})


@router.get("/loans", summary="Every loan of the case")
def list_all(request: Request) -> list[Json]:
    from xieshang.services.case import list_loans

    return [loan.to_json() for loan in list_loans(store_of(request))]


@router.post("/loans", status_code=201, summary="Add a loan: a profile and your contract's figures")
def create(request: Request, body: LoanIn) -> Response:
    from xieshang.services.case import add_loan, profile_for

    data = body.as_form()
    try:
        if not body.profile:
            raise UserError("error.case.missing", field="profile", flag="profile")
        product = str(profile_for(body.profile).product.value)
        loan = add_loan(store_of(request), loan_fields(data, product))
    except FormErrors as exc:
        return _invalid(exc.errors)
    except UserError as exc:
        return _user_error(exc, data, LOAN_FIELDS)
    return JSONResponse(loan.to_json(), status_code=201)


@router.get("/loans/{loan_id}", summary="One loan with its status, flags and cost against the legal lines")
def show(request: Request, loan_id: int, as_of: AsOf = None) -> Response:
    from xieshang.services.case import get_loan
    from xieshang.services.overview import assess_debt

    try:
        day = _day(as_of, "as_of") or clock.today()
    except FormErrors as exc:
        return _invalid(exc.errors)
    loan = get_loan(store_of(request), loan_id)
    debt = assess_debt(loan, day)
    return JSONResponse({"loan": loan.to_json(), "overview": debt.to_json(),
                         "assessment": None if debt.assessment is None else debt.assessment.to_json()})


@router.patch("/loans/{loan_id}", summary="Change a loan's figures")
def update(request: Request, loan_id: int, body: LoanIn) -> Response:
    from dataclasses import replace

    from xieshang.services.case import edit_loan, get_loan

    st = store_of(request)
    data = body.as_form()
    try:
        current = get_loan(st, loan_id)
        fields = replace(loan_fields(data, current.product), unset=tuple(body.unset))
        loan = edit_loan(st, loan_id, fields)
    except FormErrors as exc:
        return _invalid(exc.errors)
    except UserError as exc:
        return _user_error(exc, data, LOAN_FIELDS)
    return JSONResponse(loan.to_json())


@router.delete("/loans/{loan_id}", summary="Remove a loan with its payments")
def delete(request: Request, loan_id: int) -> Json:
    from xieshang.services.case import remove_loan

    return remove_loan(store_of(request), loan_id).to_json()


@router.post("/loans/{loan_id}/payments", status_code=201, summary="Record a payment")
def pay(request: Request, loan_id: int, body: PaymentIn) -> Response:
    from xieshang.services.case import add_payment

    data = {"amount": str(body.amount), "date": body.date or ""}
    try:
        amount, on = amount_and_day(data)
        rec = add_payment(store_of(request), loan_id, amount, on=on, channel=body.channel, note=body.note)
    except FormErrors as exc:
        return _invalid(exc.errors)
    except UserError as exc:
        return _user_error(exc, data, ("amount", "date"))
    return JSONResponse(rec.to_json(), status_code=201)


@router.delete("/payments/{payment_id}", summary="Remove a payment")
def unpay(request: Request, payment_id: int) -> Json:
    from xieshang.services.case import remove_payment

    return remove_payment(store_of(request), payment_id).to_json()


@router.post("/loans/{loan_id}/lender-figures", status_code=201, summary="Record what the lender says is owed")
def lender_says(request: Request, loan_id: int, body: MoneyIn) -> Response:
    from xieshang.services.case import add_lender_figure

    data = {"amount": str(body.amount), "date": body.date or ""}
    try:
        amount, on = amount_and_day(data)
        rec = add_lender_figure(store_of(request), loan_id, amount, on=on, note=body.note)
    except FormErrors as exc:
        return _invalid(exc.errors)
    except UserError as exc:
        return _user_error(exc, data, ("amount", "date"))
    return JSONResponse(rec.to_json(), status_code=201)


@router.get("/loans/{loan_id}/timeline", summary="What typically happens next to this loan, and when")
def timeline(request: Request, loan_id: int, as_of: AsOf = None) -> Response:
    from xieshang.services.overview import loan_timeline

    try:
        day = _day(as_of, "as_of")
        return JSONResponse(loan_timeline(store_of(request), loan_id, day).to_json())
    except FormErrors as exc:
        return _invalid(exc.errors)
    except UserError as exc:
        return _user_error(exc, {}, ())


@router.get("/loans/{loan_id}/reconcile", summary="The lender's figure against ours, and what to ask")
def reconcile(request: Request, loan_id: int,
              lender_says: Annotated[str | None, Query(max_length=60)] = None,
              on: Annotated[str | None, Query(alias="date", max_length=40)] = None) -> Response:
    from xieshang.services.overview import reconcile_loan

    data = {"lender_says": lender_says or "", "date": on or ""}
    try:
        amount = None
        if lender_says:
            amount, _ = amount_and_day({"lender_says": lender_says}, amount_field="lender_says")
        day = _day(on, "date")
        return JSONResponse(reconcile_loan(store_of(request), loan_id, lender_says=amount, on=day).to_json())
    except FormErrors as exc:
        return _invalid(exc.errors)
    except UserError as exc:
        return _user_error(exc, data, ("lender_says", "date"))


# ---------------------------------------------------------------------------------------
# Export, import, guide
# ---------------------------------------------------------------------------------------


@router.get("/export", summary="The whole case as the versioned JSON document of `xieshang export`")
def export(request: Request) -> Response:
    from xieshang.services.transfer import export_case

    return Response(export_case(store_of(request)), media_type="application/json")


@router.post("/import", summary="Import a document written by export (validated before anything is written)")
def import_doc(request: Request, document: Annotated[dict[str, Any], Body()], replace: bool = False) -> Response:
    import json

    from xieshang.services.transfer import import_case

    try:
        person, loans = import_case(store_of(request), json.dumps(document), source="request", replace=replace)
    except UserError as exc:
        return _user_error(exc, {}, ())
    return JSONResponse({"person": person.to_json(), "loans": len(loans)})


@router.get("/guide", summary="The guided start's steps and which are built")
def guide_steps(request: Request) -> Response:
    from xieshang.services.case import list_loans
    from xieshang.web import guide

    states = guide.progress(request.cookies.get(guide.GUIDE_COOKIE), has_loans=bool(list_loans(store_of(request))),
                            have=guide.have_data(store_of(request)))
    return JSONResponse([{"key": s.step.key, "number": s.number, "built": s.step.built, "url": s.step.url,
                          "cli": s.step.cli, "done": s.done, "current": s.current} for s in states])
