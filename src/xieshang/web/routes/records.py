"""The contact log (/records): a timeline of every call, message, letter and visit with its conduct
flags (each naming the rule it cites), a form to log a contact with attachments uploaded from a
phone, corrections as new entries, the chain check and the evidence bundle. Everything goes
through :mod:`xieshang.services.records`, like ``xieshang records``.

An upload over the size limit or of a kind the service does not accept is refused next to the
file field and nothing is saved: the service checks every file before it writes anything.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import UploadFile

from xieshang import clock
from xieshang.errors import UserError
from xieshang.i18n import current_language, t
from xieshang.web import guide
from xieshang.web.context import is_htmx, render, store_of
from xieshang.web.docforms import (
    ENTRY_FIELDS,
    changes_between,
    entry_content,
    entry_values,
    record_form_error,
)
from xieshang.web.forms import FormErrors, message
from xieshang.web.routes.letters import attachment_headers

if TYPE_CHECKING:
    from xieshang.records.conduct import ConductFlag
    from xieshang.records.model import Entry
    from xieshang.services.records import VerifyReport

router = APIRouter(include_in_schema=False)

#: What the file inputs offer on a phone (the service still checks every file by its content).
ACCEPT = "image/*,audio/*,application/pdf"


def _limit_mb() -> int:
    from xieshang.services.records import attachment_limit

    return attachment_limit() // (1024 * 1024)


def _see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


async def read_uploads(files: list[Any]) -> list[tuple[str, bytes]]:
    """The uploaded files as (name, bytes), refusing one over the limit as soon as it is seen
    (read at most one byte past the limit) — nothing is saved before every file passed."""
    from xieshang.services.records import attachment_limit

    limit = attachment_limit()
    out: list[tuple[str, bytes]] = []
    for f in files:
        if not isinstance(f, UploadFile) or not (f.filename or "").strip():
            continue  # an empty file input sends a part with no name
        data = await f.read(limit + 1)
        name = Path(f.filename or "upload").name
        if len(data) > limit:
            raise UserError("records.error.attach_too_big", path=name, size=f.size or len(data),
                            limit=limit // (1024 * 1024))
        out.append((name, data))
    return out


def problem_texts(report: VerifyReport) -> list[str]:
    """Each problem of a verify report in the page's language, naming the entries (as the CLI does)."""
    lang = current_language()
    out = []
    for p in report.problems:
        entries = "、".join(str(i) for i in p.entries) if lang != "en" else ", ".join(f"#{i}" for i in p.entries)
        out.append(t(f"records.problem.{p.kind}", **{**p.params, "entries": entries}))
    return out


def _flags_by_entry(flags: list[ConductFlag]) -> dict[int, list[ConductFlag]]:
    by_entry: dict[int, list[ConductFlag]] = {}
    for f in flags:
        by_entry.setdefault(f.entry_id, []).append(f)
    return by_entry


def _options() -> dict[str, list[tuple[str, str]]]:
    from xieshang.records.model import CHANNELS, CONTACTED, COUNTERPARTY_KINDS, DIRECTIONS, OUTCOMES

    def opts(kind: str, values: tuple[str, ...]) -> list[tuple[str, str]]:
        return [(v, t(f"records.{kind}.{v}")) for v in values]

    return {"direction": opts("direction", DIRECTIONS), "channel": opts("channel", CHANNELS),
            "counterparty_kind": opts("counterparty", COUNTERPARTY_KINDS), "contacted": opts("contacted", CONTACTED),
            "outcome": opts("outcome", OUTCOMES)}


def _new_values() -> dict[str, str]:
    now = clock.now_local()
    return {"when": now.strftime("%Y-%m-%dT%H:%M"), "tz": now.strftime("%z")[:3] + ":" + now.strftime("%z")[3:], "direction": "incoming", "channel": "call",
            "outcome": "connected", "count": "1", "counterparty_kind": "lender", "contacted": "borrower"}


def _page(request: Request, *, values: dict[str, str] | None = None, errors: dict[str, str] | None = None,
          correcting: Entry | None = None, report: VerifyReport | None = None,
          status_code: int = 200) -> Response:
    from xieshang.services.case import has_case, list_loans
    from xieshang.services.records import conduct_flags, lender_names, list_entries, pdf_available

    st = store_of(request)
    entries = list_entries(st)
    flags = _flags_by_entry(conduct_flags(entries))
    order = "oldest" if request.query_params.get("order") == "oldest" else "newest"
    shown = entries if order == "oldest" else list(reversed(entries))
    states = None
    if request.query_params.get("guide") == "1":
        states = guide.progress(request.cookies.get(guide.GUIDE_COOKIE),
                                has_loans=bool(list_loans(st)) if has_case(st) else False)
    ctx = {
        "area": "records", "key": "after", "states": states, "guide": states is not None, "entries": shown,
        "order": order, "flags": flags, "flag_count": sum(len(v) for k, v in flags.items()),
        "lenders": lender_names(st), "loans": list_loans(st) if has_case(st) else [], "options": _options(),
        "values": values or _new_values(), "errors": errors or {}, "correcting": correcting, "report": report,
        "problems": [] if report is None else problem_texts(report), "accept": ACCEPT,
        "pdf": pdf_available(), "limit_mb": _limit_mb(), "flash": request.query_params, "lang_code": current_language(),
    }
    return render(request, "records.html", ctx, status_code=status_code)


@router.get("/records")
def records_page(request: Request) -> Response:
    return _page(request)


@router.get("/records/verify")
def records_verify(request: Request) -> Response:
    """The chain check: intact, or what was edited, removed or reordered (a read, so GET)."""
    from xieshang.services.records import verify_log

    report = verify_log(store_of(request))
    if is_htmx(request):
        return render(request, "partials/records_verify.html",
                      {"report": report, "problems": problem_texts(report)})
    return _page(request, report=report)


async def _form(request: Request) -> tuple[dict[str, str], list[Any]]:
    form = await request.form()
    data = {k: v for k, v in form.multi_items() if isinstance(v, str) and k in ENTRY_FIELDS}
    return data, [v for k, v in form.multi_items() if k == "attach"]


@router.post("/records/new")
async def add(request: Request) -> Response:
    from starlette.concurrency import run_in_threadpool

    from xieshang.services.records import add_entry

    data, files = await _form(request)
    try:
        content = entry_content(data)
        received = await read_uploads(files)
        entry = await run_in_threadpool(lambda: add_entry(store_of(request), content, received=received))
    except FormErrors as exc:
        return _page(request, values=data, errors=exc.errors, status_code=422)
    except UserError as exc:
        return _page(request, values=data, errors=record_form_error(exc).errors, status_code=422)
    suffix = "&guide=1" if request.query_params.get("guide") == "1" else ""
    return _see_other(f"/records?added={entry.id}{suffix}#entry-{entry.id}")


@router.get("/records/{entry_id}/correct")
def correct_form(request: Request, entry_id: int) -> Response:
    old = _entry(request, entry_id)
    return _page(request, values=entry_values(old), correcting=old)


def _entry(request: Request, entry_id: int) -> Entry:
    from xieshang.services.records import get_entry

    try:
        return get_entry(store_of(request), entry_id)
    except UserError as exc:
        raise UserError("web.error.not_found") from exc


@router.post("/records/{entry_id}/correct")
async def correct(request: Request, entry_id: int) -> Response:
    from starlette.concurrency import run_in_threadpool

    from xieshang.services.records import correct_entry

    old = _entry(request, entry_id)
    data, files = await _form(request)
    try:
        content = entry_content(data)
        received = await read_uploads(files)
        changes = changes_between(old, content)
        entry = await run_in_threadpool(lambda: correct_entry(store_of(request), entry_id, changes,
                                                              received=received))
    except FormErrors as exc:
        return _page(request, values=data, errors=exc.errors, correcting=old, status_code=422)
    except UserError as exc:
        errors = record_form_error(exc).errors
        return _page(request, values=data, errors=errors, correcting=old, status_code=422)
    return _see_other(f"/records?corrected={entry.id}#entry-{entry.id}")


@router.get("/records/attachments/{sha256}")
def attachment(request: Request, sha256: str) -> Response:
    """An attachment of an entry (only one the log names), shown inline with its own type."""
    from xieshang.services.records import attachment_store, list_entries

    refs = {a.sha256: a for e in list_entries(store_of(request)) for a in e.content.attachments}
    ref = refs.get(sha256.lower())
    files = attachment_store(store_of(request))
    if ref is None or not files.has(ref.sha256):
        raise UserError("web.error.not_found")
    headers = {"Content-Disposition": "inline", "X-Content-Type-Options": "nosniff",
               "Content-Security-Policy": "default-src 'none'; img-src 'self'; media-src 'self'; sandbox"}
    return Response(files.read(ref.sha256), media_type=ref.media_type, headers=headers)


def bundle_bytes(request: Request) -> tuple[bytes, str]:
    """Write the evidence bundle to a temporary folder (the service checks it) and read it back."""
    from xieshang.services.records import export_bundle

    now = clock.now()
    name = f"xieshang-evidence-{now.strftime('%Y%m%d-%H%M%S')}.zip"
    with tempfile.TemporaryDirectory(prefix="xieshang-bundle-") as folder:
        path = Path(folder) / name
        export_bundle(store_of(request), path, now=now)
        return path.read_bytes(), name


@router.get("/records/export")
def export(request: Request) -> Response:
    """The evidence bundle as a zip download; refused (on the page) when the log is empty or not intact."""
    try:
        data, name = bundle_bytes(request)
    except UserError as exc:
        return _page(request, errors={"export": message(exc)}, status_code=422)
    return Response(data, media_type="application/zip", headers=attachment_headers(name))
