"""The JSON API of the documents and the contact log, under ``/api`` (in the OpenAPI schema).

Same services and contracts as ``xieshang letter …`` and ``xieshang records …`` (docs/letters.md,
docs/records.md): ``GET /api/letters`` lists the kinds and the documents made, ``POST /api/letters``
makes one (Markdown/HTML as JSON with the content, PDF/DOCX — or any format with
``download=true`` — as the file); ``/api/records`` lists, adds (multipart, with attachments),
shows, corrects, verifies and exports the contact log. Errors are ``{"error": {"key", "message",
"field"?, "fields"?}}``; nothing is written when a request fails.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Query, Request, UploadFile
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from xieshang import clock
from xieshang.errors import UserError
from xieshang.i18n import t
from xieshang.web.context import store_of
from xieshang.web.docforms import (
    changes_between,
    entry_content,
    letter_error_field,
    letter_request,
    record_error_field,
)
from xieshang.web.forms import FormErrors, message

Json = dict[str, Any]


class _ErrorBody(BaseModel):
    key: str
    message: str
    field: str | None = None
    fields: dict[str, str] | None = None
    detail: list[dict[str, Any]] | None = None


class ErrorAnswer(BaseModel):
    error: _ErrorBody


_ERR = {"model": ErrorAnswer}
ERRORS: dict[int | str, dict[str, Any]] = {
    400: {**_ERR, "description": "Malformed request."},
    404: {**_ERR, "description": "Unknown id."},
    409: {**_ERR, "description": "No case yet."},
    422: {**_ERR, "description": "Bad input; nothing was written."},
}

router = APIRouter(tags=["documents and contact log"], responses=ERRORS)

_FILES: dict[str, dict[str, Any]] = {"application/pdf": {}, "application/vnd.openxmlformats-officedocument.wordprocessingml.document": {},
          "text/markdown": {}, "text/html": {}, "application/json": {}}


def _fail(status: int, key: str, text: str, **extra: Any) -> JSONResponse:
    return JSONResponse({"error": {"key": key, "message": text, **extra}}, status_code=status)


def _invalid(errors: dict[str, str]) -> JSONResponse:
    first = next(iter(errors.values()))
    return _fail(422, "web.error.invalid", first, fields=errors)


def _user_error(exc: UserError, fld: str) -> JSONResponse:
    from xieshang.web.app import NO_CASE_KEYS, NOT_FOUND_KEYS

    status = 404 if exc.key in NOT_FOUND_KEYS | {"records.error.no_entry"} else \
        409 if exc.key in NO_CASE_KEYS else 422
    extra = {"field": fld} if fld else {}
    return _fail(status, exc.key, message(exc), **extra)


# ---------------------------------------------------------------------------------------
# Letters
# ---------------------------------------------------------------------------------------


class KindOut(BaseModel):
    kind: str
    name: str
    what: str
    card_only: bool


class LettersOut(BaseModel):
    kinds: list[KindOut]
    hardships: list[dict[str, str]]
    formats: list[str]
    languages: list[str]
    made: list[dict[str, Any]]


@router.get("/letters", summary="The kinds of document, the hardship types, and the documents made for this case",
            response_model=LettersOut)
def letters_list(request: Request) -> Json:
    from xieshang.documents import FORMATS, KINDS, LANGS
    from xieshang.documents.data import HARDSHIP_TYPES
    from xieshang.services.case import has_case
    from xieshang.services.letters import list_made

    st = store_of(request)
    return {"kinds": [{"kind": k, "name": t(f"letter.kind.{k}"), "what": t(f"webdocs.kind_what.{k}"),
                       "card_only": k == "card-installment"} for k in KINDS],
            "hardships": [{"id": h, "name": t(f"letter.hardship_name.{h}")} for h in HARDSHIP_TYPES],
            "formats": list(FORMATS), "languages": list(LANGS),
            "made": [m.to_json() for m in list_made(st)] if has_case(st) else []}


class LetterIn(BaseModel):
    """What ``letter make`` takes: the kind, the loan, the format and language, and the facts the kind uses."""

    model_config = ConfigDict(extra="forbid")

    kind: str = Field(max_length=40, description="negotiation, waiver, hardship, card-installment, call-script, "
                                                 "confirmation, settlement-proof, complaint, credit-dispute")
    loan: int | str = Field(description="The loan's id.")
    format: str = Field(default="md", max_length=10, description="md, html, pdf or docx")
    lang: str | None = Field(default=None, max_length=20, description="zh_CN, en, zh_TW or zh_HK "
                                                                     "(default: the request's language)")
    as_of: str | None = Field(default=None, max_length=40, description="Figures as of YYYY-MM-DD (default today).")
    hardship: str | None = Field(default=None, max_length=40)
    hardship_text: str | None = Field(default=None, max_length=4000)
    hardship_since: str | None = Field(default=None, max_length=40)
    hardship_until: str | None = Field(default=None, max_length=40)
    down_payment: str | int | None = None
    monthly: str | int | None = None
    months: str | int | None = None
    start: str | None = Field(default=None, max_length=40)
    interest: str | None = Field(default=None, max_length=20, description="continues, stops or reduced")
    reduced_rate: str | None = Field(default=None, max_length=40)
    waive: list[str] = Field(default_factory=list, max_length=3, description="penalty, compound, fees")
    call_date: str | None = Field(default=None, max_length=40)
    agent: str | None = Field(default=None, max_length=200)
    agreed: str | None = Field(default=None, max_length=4000)
    settled_on: str | None = Field(default=None, max_length=40)
    issue: list[str] = Field(default_factory=list, max_length=4,
                             description="refusal, wrong-amount, misconduct, credit-report")
    details: str | None = Field(default=None, max_length=8000)
    to: str | None = Field(default=None, max_length=20, description="lender or regulator")
    reference: str | None = Field(default=None, max_length=200)
    entry: str | None = Field(default=None, max_length=1000)
    wrong: str | None = Field(default=None, max_length=4000)
    evidence: list[str] = Field(default_factory=list, max_length=50)

    def as_form(self) -> dict[str, Any]:
        data: dict[str, Any] = {}
        for name, value in self.model_dump().items():
            if name in ("format", "lang"):
                continue
            if name == "evidence":
                data[name] = "\n".join(str(v) for v in value)
            elif isinstance(value, list):
                data[name] = [str(v) for v in value]
            elif value is not None:
                data[name] = str(value)
        if self.lang:
            data["doc_lang"] = self.lang
        return data


class MadeOut(BaseModel):
    document: dict[str, Any]
    content: str
    missing: list[str]
    notices: list[str]


@router.post("/letters", summary="Make a document from the case: Markdown/HTML as JSON, PDF/DOCX as the file",
             responses={200: {"content": _FILES, "description": "The document (JSON, or the file itself)."}},
             response_model=MadeOut)
def letters_make(request: Request, body: LetterIn,
                 download: Annotated[bool, Query(description="Answer with the file in every format.")] = False,
                 ) -> Response:
    from xieshang.services.letters import default_filename, make_document
    from xieshang.web.routes.letters import MEDIA_TYPES, download_response, missing_and_notices

    fmt = body.format.lower().lstrip(".")
    try:
        if fmt not in MEDIA_TYPES:
            raise UserError("letter.error.bad_format", value=body.format)
        req = letter_request(body.as_form(), fmt=fmt)
        made = make_document(store_of(request), req, save_file=False)
    except FormErrors as exc:
        return _invalid(exc.errors)
    except UserError as exc:
        return _user_error(exc, letter_error_field(exc))
    if download or fmt in ("pdf", "docx"):
        return download_response(made, default_filename(made.kind, made.loan_id, made.lang, made.as_of, made.fmt))
    missing, notices = missing_and_notices(made)
    return JSONResponse({"document": made.to_json(), "content": made.content.decode("utf-8"), "missing": missing,
                         "notices": notices})


@router.get("/letters/checklists/{hardship}", summary="The supporting-documents checklist with the paid-agency guide",
            responses={200: {"content": {"text/markdown": {}, "text/html": {}, "application/pdf": {},
                                         "application/vnd.openxmlformats-officedocument.wordprocessingml.document":
                                             {}},
                             "description": "The checklist file."}}, response_class=Response)
def checklist(request: Request, hardship: str,
              format: Annotated[str, Query(max_length=10, description="md, html, pdf or docx")] = "md",
              lang: Annotated[str | None, Query(max_length=20, description="zh_CN, en, zh_TW or zh_HK")] = None,
              ) -> Response:

    from xieshang.services.letters import default_filename, doc_language, make_checklist
    from xieshang.web.routes.letters import MEDIA_TYPES, download_response

    fmt = format.lower().lstrip(".")
    try:
        if fmt not in MEDIA_TYPES:
            raise UserError("letter.error.bad_format", value=format)
        language = doc_language(lang)
        made = make_checklist(store_of(request), hardship, lang=language, fmt_=fmt, save_file=False)
    except UserError as exc:
        return _user_error(exc, letter_error_field(exc))
    return download_response(made, default_filename(f"checklist-{hardship}", None, language, clock.today(), fmt))


# ---------------------------------------------------------------------------------------
# The contact log
# ---------------------------------------------------------------------------------------


class EntriesOut(BaseModel):
    entries: list[dict[str, Any]]


class VerifyOut(BaseModel):
    intact: bool
    entries: int
    attachments: int
    head_hash: str | None
    problems: list[dict[str, Any]]


def _entry_json(entry: Any, flags: list[Any]) -> Json:
    return {**entry.to_json(), "flags": [f.to_json() for f in flags if f.entry_id == entry.id]}


@router.get("/records", summary="The contact log in time order, each entry with its conduct flags",
            response_model=EntriesOut)
def records_list(request: Request,
                 loan: Annotated[int | None, Query(description="Only entries about this loan.")] = None,
                 flagged: Annotated[bool, Query(description="Only entries with flags.")] = False) -> Json:
    from xieshang.services.records import conduct_flags, list_entries

    everything = list_entries(store_of(request))
    flags = conduct_flags(everything)
    ids = {f.entry_id for f in flags}
    shown = [e for e in everything if (loan is None or e.content.loan_id == loan) and (not flagged or e.id in ids)]
    return {"entries": [_entry_json(e, flags) for e in shown]}


Txt = Annotated[str | None, Form(max_length=20000)]


def contact_form(
    when: Annotated[str, Form(max_length=60, description="YYYY-MM-DD HH:MM, optional offset")],
    direction: Annotated[str, Form(max_length=20, description="incoming or outgoing")],
    channel: Annotated[str, Form(max_length=20, description="call, sms, app-chat, email, letter, visit")],
    counterparty: Annotated[str, Form(max_length=200)],
    summary: Annotated[str, Form(max_length=20000)],
    tz: Annotated[str | None, Form(max_length=60, description="+08:00 or Asia/Shanghai")] = None,
    outcome: Annotated[str | None, Form(max_length=20)] = None,
    count: Annotated[str | None, Form(max_length=10)] = None,
    counterparty_kind: Annotated[str | None, Form(max_length=20)] = None,
    phone: Annotated[str | None, Form(max_length=60)] = None,
    contacted: Annotated[str | None, Form(max_length=20)] = None,
    contacted_name: Annotated[str | None, Form(max_length=200)] = None,
    disclosed: Annotated[str | None, Form(max_length=10)] = None,
    their_promises: Txt = None,
    my_promises: Txt = None,
    loan: Annotated[str | None, Form(max_length=20)] = None,
) -> dict[str, str]:
    """The contact-log entry's form fields (adding and correcting take the same), as given."""
    given = {"when": when, "direction": direction, "channel": channel, "counterparty": counterparty,
             "summary": summary, "tz": tz, "outcome": outcome, "count": count,
             "counterparty_kind": counterparty_kind, "phone": phone, "contacted": contacted,
             "contacted_name": contacted_name, "disclosed": disclosed, "their_promises": their_promises,
             "my_promises": my_promises, "loan": loan}
    return {k: v for k, v in given.items() if v is not None}


ContactForm = Annotated[dict[str, str], Depends(contact_form)]


async def _received(attach: list[UploadFile] | None) -> list[tuple[str, bytes]]:
    from xieshang.web.routes.records import read_uploads

    return await read_uploads(list(attach or []))


@router.post("/records", status_code=201, summary="Log a contact (multipart form, attachments as `attach` files)",
             response_model=dict[str, Any])
async def records_add(
    request: Request,
    data: ContactForm,
    attach: Annotated[list[UploadFile] | None, File(description="Screenshots, recordings, PDFs.")] = None,
) -> Response:
    from starlette.concurrency import run_in_threadpool

    from xieshang.services.records import add_entry, conduct_flags, list_entries

    st = store_of(request)
    try:
        content = entry_content(data)
        received = await _received(attach)
        entry = await run_in_threadpool(lambda: add_entry(st, content, received=received))
    except FormErrors as exc:
        return _invalid(exc.errors)
    except UserError as exc:
        return _user_error(exc, record_error_field(exc))
    flags = await run_in_threadpool(lambda: conduct_flags(list_entries(st)))
    return JSONResponse(_entry_json(entry, flags), status_code=201)


@router.get("/records/verify", summary="Check the hash chain, the head and every attachment",
            response_model=VerifyOut)
def records_verify(request: Request) -> Json:
    from xieshang.services.records import verify_log
    from xieshang.web.routes.records import problem_texts

    report = verify_log(store_of(request))
    data = report.to_json()
    data["problems"] = [{**p, "message": m} for p, m in zip(data["problems"], problem_texts(report), strict=True)]
    return data


@router.get("/records/export", summary="The evidence bundle (zip), checked right after writing",
            responses={200: {"content": {"application/zip": {}}, "description": "The bundle."}},
            response_class=Response)
def records_export(request: Request) -> Response:
    from xieshang.web.routes.letters import attachment_headers
    from xieshang.web.routes.records import bundle_bytes

    try:
        data, name = bundle_bytes(request)
    except UserError as exc:
        return _user_error(exc, "")
    return Response(data, media_type="application/zip", headers=attachment_headers(name))


@router.get("/records/{entry_id}", summary="One entry with its attachments, hashes and flags",
            response_model=dict[str, Any])
def records_show(request: Request, entry_id: int) -> Response:
    from xieshang.services.records import conduct_flags, get_entry, list_entries

    st = store_of(request)
    try:
        entry = get_entry(st, entry_id)
    except UserError as exc:
        return _user_error(exc, "")
    return JSONResponse(_entry_json(entry, conduct_flags(list_entries(st))))


@router.post("/records/{entry_id}/correct", status_code=201,
             summary="Correct an entry: a new entry with the whole corrected content (multipart); the old one stays",
             response_model=dict[str, Any])
async def records_correct(
    request: Request, entry_id: int,
    data: ContactForm,
    attach: Annotated[list[UploadFile] | None, File()] = None,
) -> Response:
    from starlette.concurrency import run_in_threadpool

    from xieshang.services.records import conduct_flags, correct_entry, get_entry, list_entries

    st = store_of(request)
    try:
        old = get_entry(st, entry_id)
        content = entry_content(data)
        received = await _received(attach)
        changes = changes_between(old, content)
        entry = await run_in_threadpool(lambda: correct_entry(st, entry_id, changes, received=received))
    except FormErrors as exc:
        return _invalid(exc.errors)
    except UserError as exc:
        return _user_error(exc, record_error_field(exc))
    flags = await run_in_threadpool(lambda: conduct_flags(list_entries(st)))
    return JSONResponse(_entry_json(entry, flags), status_code=201)
