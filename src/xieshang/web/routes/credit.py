"""The credit report (征信报告): record checks and the entries they showed, what the report should
show per loan (5-year retention), free checks, and entries our records contradict — each with a
link to make the credit-dispute letter (征信异议申请) on the letters page.

Every write goes through :mod:`xieshang.services.credit` (the service of ``xieshang credit``); an
error is shown next to its field and nothing is saved.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from xieshang import clock
from xieshang.errors import UserError
from xieshang.i18n import current_language, t
from xieshang.web.context import render, store_of
from xieshang.web.forms import FormErrors
from xieshang.web.forms_after import (
    CHECK_FIELDS,
    ENTRY_FIELDS,
    Reader,
    after_error,
    check_input,
    entry_input,
    message,
)
from xieshang.web.routes.agreements import form_data, see_other

router = APIRouter(include_in_schema=False)

#: The letters page's kind for a credit-report dispute (``xieshang.documents.KINDS``).
DISPUTE_KIND = "credit-dispute"


def dispute_letter_url(candidate: Any) -> str:
    """The letters page, preset to a credit-dispute letter about this entry."""
    wrong = "; ".join(t(f"after.credit.discrepancy.{d.kind}", reported=d.reported, ours=d.ours)
                      for d in candidate.discrepancies)
    entry = f"{candidate.entry.account} ({candidate.entry.status_code}, {candidate.on.isoformat()})"
    return "/letters?" + urlencode({"kind": DISPUTE_KIND, "loan": candidate.loan_id, "entry": entry,
                                    "wrong": wrong, "credit_entry": candidate.entry.id})


def free_check_text() -> str:
    from xieshang.rules import credit_reporting_rules

    rule = next((r for r in credit_reporting_rules() if r.id == "free-reports"), None)
    return "" if rule is None else str(rule.text(current_language()))


def page(request: Request, *, check_values: dict[str, str] | None = None,
         check_errors: dict[str, str] | None = None, entry_values: dict[str, str] | None = None,
         entry_errors: dict[str, str] | None = None, row_errors: dict[int, str] | None = None,
         status_code: int = 200) -> Response:
    from xieshang.services.case import list_loans
    from xieshang.services.credit import credit_overview, status_codes
    from xieshang.store.models_after import CLASSIFICATIONS

    st = store_of(request)
    today = clock.today()
    ov = credit_overview(st, today=today)
    en = current_language() == "en"
    codes = [(c, f"{c} — {en_text if en else zh}") for c, zh, en_text in status_codes()]
    ctx: dict[str, Any] = {
        "area": "credit", "today": today, "ov": ov, "loans": list_loans(st), "codes": codes,
        "code_names": dict(codes), "classifications": CLASSIFICATIONS, "free_text": free_check_text(),
        "letter_url": dispute_letter_url,
        "check_values": check_values if check_values is not None else {"free": "1"},
        "check_errors": check_errors or {}, "entry_values": entry_values or {}, "entry_errors": entry_errors or {},
        "row_errors": row_errors or {}, "flash": request.query_params,
    }
    return render(request, "credit.html", ctx, status_code=status_code)


@router.get("/credit")
def credit_page(request: Request) -> Response:
    return page(request)


@router.post("/credit/checks")
async def add_check(request: Request) -> Response:
    from xieshang.services.credit import add_check as add

    data = await form_data(request)

    def run() -> Response:
        try:
            inp = check_input(data)
            check = add(store_of(request), on=inp.on, channel=inp.channel, free=inp.free, note=inp.note)
        except FormErrors as exc:
            return page(request, check_values=data, check_errors=exc.errors, status_code=422)
        except UserError as exc:
            return page(request, check_values=data, check_errors=after_error(exc, data, CHECK_FIELDS).errors,
                        status_code=422)
        return see_other(f"/credit?check={check.id}#check-{check.id}")

    return await run_in_threadpool(run)


@router.post("/credit/entries")
async def add_entry(request: Request) -> Response:
    from xieshang.services.credit import add_entry as add

    data = await form_data(request)

    def run() -> Response:
        try:
            inp = entry_input(data)
            entry = add(store_of(request), inp.check_id, account=inp.account, status_code=inp.status_code,
                        overdue=inp.overdue, loan_id=inp.loan_id, overdue_months=inp.overdue_months,
                        classification=inp.classification, reported_on=inp.reported_on, note=inp.note)
        except FormErrors as exc:
            return page(request, entry_values=data, entry_errors=exc.errors, status_code=422)
        except UserError as exc:
            return page(request, entry_values=data, entry_errors=after_error(exc, data, ENTRY_FIELDS).errors,
                        status_code=422)
        return see_other(f"/credit?entry={entry.id}#check-{entry.check_id}")

    return await run_in_threadpool(run)


@router.post("/credit/entries/{entry_id}/dispute")
async def dispute(request: Request, entry_id: int) -> Response:
    from xieshang.services.credit import mark_disputed

    data = await form_data(request)

    def run() -> Response:
        r = Reader(data)
        on = r.day("date")
        try:
            r.done()
            mark_disputed(store_of(request), entry_id, on=on)
        except FormErrors as exc:
            return page(request, row_errors={entry_id: " ".join(exc.errors.values())}, status_code=422)
        except UserError as exc:
            if exc.key == "after.error.unknown_entry":
                raise
            return page(request, row_errors={entry_id: message(exc)}, status_code=422)
        return see_other(f"/credit?disputed={entry_id}#disputes")

    return await run_in_threadpool(run)
