"""Documents (/letters): the kinds of letter and what each is for, a form for what a letter needs,
a preview in the page, downloads (PDF, DOCX, Markdown) and the checklists with the guide to paid
debt-negotiation agencies. Everything goes through :mod:`xieshang.services.letters`, like
``xieshang letter``; the missing facts the service lists are shown next to the preview.

A preview neither writes nor records anything (GET); a download records the document made
(POST), like ``letter make``, but writes no file on the server: the browser saves it.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from markupsafe import Markup

from xieshang import clock
from xieshang.errors import UserError
from xieshang.i18n import current_language, t
from xieshang.web import guide
from xieshang.web.context import render, store_of
from xieshang.web.docforms import KIND_GROUPS, LETTER_FIELDS, letter_form_error, letter_request
from xieshang.web.forms import FormErrors, message

if TYPE_CHECKING:
    from xieshang.services.letters import MadeDocument

router = APIRouter(include_in_schema=False)

#: Download formats offered, with their content type.
MEDIA_TYPES = {"pdf": "application/pdf",
               "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
               "md": "text/markdown; charset=utf-8", "html": "text/html; charset=utf-8"}
DOWNLOADS = ("pdf", "docx", "md")
DOC_LANGS = ("zh_CN", "en", "zh_TW", "zh_HK")


def attachment_headers(filename: str, **extra: str) -> dict[str, str]:
    """``Content-Disposition: attachment`` with the file name (ASCII, so no encoding needed)."""
    safe = re.sub(r"[^A-Za-z0-9._-]", "_", filename)
    return {"Content-Disposition": f'attachment; filename="{safe}"', "X-Content-Type-Options": "nosniff", **extra}


def download_response(made: MadeDocument, name: str) -> Response:
    headers = attachment_headers(name, **({"X-Xieshang-Document-Id": str(made.record_id)}
                                          if made.record_id is not None else {}))
    return Response(made.content, media_type=MEDIA_TYPES[made.fmt], headers=headers)


def preview_fragment(html_doc: bytes) -> Markup:
    """The body of a rendered document, to show inside the page: headings moved down one level
    (the page has its own h1), the cover and body as sections. The renderer escapes every text."""
    text = html_doc.decode("utf-8")
    start, end = text.find("<body>"), text.rfind("</body>")
    body = text[start + len("<body>"):end] if start >= 0 and end > start else ""
    for n in (3, 2, 1):
        body = body.replace(f"<h{n}>", f"<h{n + 1}>").replace(f"</h{n}>", f"</h{n + 1}>")
    body = body.replace("<main>", '<div class="doc-body">').replace("</main>", "</div>")
    return Markup(body)


def _say(web_key: str, key: str, params: dict[str, Any]) -> str:
    """The web's wording (``webdocs.…``) where the CLI's names a flag, else the service's text."""
    text = t(web_key, **params)
    return t(key, **params) if text.startswith(web_key) else text


def missing_and_notices(made: MadeDocument) -> tuple[list[str], list[str]]:
    """What the service left out of the document, and its notices, in the page's words."""
    missing = [_say(f"webdocs.missing.{m.key}", f"letter.missing.{m.key}", dict(m.params)) for m in made.missing]
    notices = [_say("webdocs.notice." + k.rsplit(".", 1)[-1], k, p) for k, p in made.notices]
    return missing, notices


def _loans(request: Request) -> list[Any]:
    from xieshang.services.case import list_loans

    return list_loans(store_of(request))


def _states(request: Request, key: str) -> list[guide.StepState] | None:
    """The guided start's steps when the page was opened from it (``?guide=1``)."""
    if request.query_params.get("guide") != "1":
        return None
    return guide.progress(request.cookies.get(guide.GUIDE_COOKIE), has_loans=bool(_loans(request)))


def _defaults(request: Request, loans: list[Any]) -> dict[str, str]:
    from xieshang.services.letters import default_loan_id

    loan_id: int | None = None
    if loans:
        try:
            loan_id = default_loan_id(store_of(request))
        except UserError:
            loan_id = None
        loan_id = loan_id or loans[0].id
    return {"kind": "negotiation", "loan": "" if loan_id is None else str(loan_id), "doc_lang": current_language(),
            "interest": "continues"}


def _values(data: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in LETTER_FIELDS:
        items = data.getlist(name) if hasattr(data, "getlist") else [data.get(name)]
        items = [str(v) for v in items if v is not None]
        if name in ("waive", "issue"):
            out[name] = items
        elif items:
            out[name] = items[0]
    return out


def _page(request: Request, *, values: dict[str, Any], errors: dict[str, str] | None = None,
          preview: MadeDocument | None = None, checklist: str | None = None, status_code: int = 200) -> Response:
    from xieshang.documents import KINDS
    from xieshang.documents.data import HARDSHIP_TYPES, TOPICS
    from xieshang.services.case import has_case
    from xieshang.services.letters import list_made, preview_checklist

    st = store_of(request)
    loans = _loans(request) if has_case(st) else []
    kind = values.get("kind") or "negotiation"
    chosen = next((ln for ln in loans if str(ln.id) == str(values.get("loan", ""))), None)
    check_html = None
    errors = dict(errors or {})
    if checklist:
        lang = values.get("doc_lang") or "zh_CN"
        try:
            check_html = preview_fragment(preview_checklist(checklist, lang if lang in DOC_LANGS else "zh_CN"))
        except UserError as exc:
            errors["checklist"] = message(exc)
            status_code = 422
    ctx = {
        "area": "letters", "key": "negotiate", "states": _states(request, "negotiate"), "loans": loans,
        "has_card": any(ln.product == "card" for ln in loans), "chosen": chosen, "kinds": KINDS,
        "groups": KIND_GROUPS.get(kind, ()), "kind": kind, "hardships": HARDSHIP_TYPES, "topics": TOPICS,
        "doc_langs": DOC_LANGS, "downloads": DOWNLOADS, "values": values, "errors": errors,
        "preview": preview, "preview_html": None if preview is None else preview_fragment(preview.content),
        "missing": [] if preview is None else missing_and_notices(preview)[0],
        "notices": [] if preview is None else missing_and_notices(preview)[1],
        "checklist": checklist, "checklist_html": check_html,
        "made": list(reversed(list_made(st))) if loans else [], "guide": request.query_params.get("guide") == "1",
    }
    return render(request, "letters.html", ctx, status_code=status_code)


@router.get("/letters")
def letters_page(request: Request) -> Response:
    """The page; ``?kind=…&loan=…`` (or the kind select, swapped by htmx) keeps what was typed."""
    loans = _loans(request) if _has_case(request) else []
    values = {**_defaults(request, loans), **{k: v for k, v in _values(request.query_params).items() if v}}
    return _page(request, values=values, checklist=request.query_params.get("checklist") or None)


def _has_case(request: Request) -> bool:
    from xieshang.services.case import has_case

    return has_case(store_of(request))


@router.get("/letters/preview")
def letters_preview(request: Request) -> Response:
    """The document in the page, with what is missing; nothing written or recorded."""
    from xieshang.services.letters import preview_document

    values = _values(request.query_params)
    try:
        req = letter_request(values)
        made = preview_document(store_of(request), req)
    except FormErrors as exc:
        return _page(request, values=values, errors=exc.errors, status_code=422)
    except UserError as exc:
        if exc.key in ("error.case.no_case", "error.case.no_store"):
            raise
        return _page(request, values=values, errors=letter_form_error(exc).errors, status_code=422)
    return _page(request, values=values, preview=made)


@router.post("/letters/download")
async def letters_download(request: Request) -> Response:
    """The document as a file (``format`` pdf, docx or md), recorded as made; nothing on disk."""
    from starlette.concurrency import run_in_threadpool

    from xieshang.services.letters import default_filename, make_document

    form = await request.form()
    values = _values(form)
    fmt = str(form.get("format") or "pdf")
    try:
        if fmt not in DOWNLOADS:
            raise FormErrors({"": t("letter.error.bad_format", value=fmt)})
        req = letter_request(values, fmt=fmt)
        made = await run_in_threadpool(lambda: make_document(store_of(request), req, save_file=False))
    except FormErrors as exc:
        return _page(request, values=values, errors=exc.errors, status_code=422)
    except UserError as exc:
        if exc.key in ("error.case.no_case", "error.case.no_store"):
            raise
        return _page(request, values=values, errors=letter_form_error(exc).errors, status_code=422)
    name = default_filename(made.kind, made.loan_id, made.lang, made.as_of, made.fmt)
    return download_response(made, name)


@router.post("/letters/checklist")
async def checklist_download(request: Request) -> Response:
    """The checklist of one hardship type with the paid-agency guide, as a file."""
    from starlette.concurrency import run_in_threadpool

    from xieshang.services.letters import default_filename, make_checklist

    form = await request.form()
    hardship = str(form.get("checklist") or "")
    fmt = str(form.get("format") or "pdf")
    lang = str(form.get("doc_lang") or "zh_CN")
    loans = _loans(request) if _has_case(request) else []
    values = {**_defaults(request, loans), "doc_lang": lang}
    try:
        if fmt not in DOWNLOADS:
            raise UserError("letter.error.bad_format", value=fmt)
        if lang not in DOC_LANGS:
            raise UserError("letter.error.bad_lang", value=lang)
        made = await run_in_threadpool(lambda: make_checklist(store_of(request), hardship, lang=lang, fmt_=fmt,
                                                              save_file=False))
    except UserError as exc:
        return _page(request, values=values, errors={"checklist": message(exc)}, status_code=422)
    return download_response(made, default_filename(f"checklist-{hardship}", None, lang, clock.today(), fmt))
