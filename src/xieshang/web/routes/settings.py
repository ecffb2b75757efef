"""Settings: the language (also switchable on every page), where the data lives, export and import."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import UploadFile

from xieshang import clock
from xieshang.errors import UserError
from xieshang.i18n import normalize
from xieshang.web.context import LANG_COOKIE, render, store_of
from xieshang.web.forms import message

router = APIRouter(include_in_schema=False)

#: Largest import file accepted (bytes); a real case export is a few kilobytes.
MAX_IMPORT_BYTES = 5 * 1024 * 1024


def _safe_next(target: str | None) -> str:
    """Only a local path (no scheme, no host) is a place to go back to."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


@router.get("/lang/{code}")
def switch_language(code: str, next: str = "/") -> Response:
    lang = normalize(code)
    response = RedirectResponse(_safe_next(next), status_code=303)
    if lang is not None:
        response.set_cookie(LANG_COOKIE, lang, max_age=3600 * 24 * 365, samesite="lax")
    return response


def _page(request: Request, *, errors: dict[str, str] | None = None, status_code: int = 200,
          imported: str | None = None) -> Response:
    from xieshang.services.case import counts, get_person

    st = store_of(request)
    return render(request, "settings.html", {"location": st.location, "person": get_person(st), "counts": counts(st),
                                             "errors": errors or {}, "imported": imported, "area": "settings"},
                  status_code=status_code)


@router.get("/settings")
def settings_page(request: Request) -> Response:
    return _page(request, imported=request.query_params.get("imported"))


@router.get("/settings/export")
def export(request: Request) -> Response:
    from xieshang.services.transfer import export_case

    text = export_case(store_of(request))
    name = f"xieshang-case-{clock.today().isoformat()}.json"
    return Response(text, media_type="application/json; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@router.post("/settings/import")
async def import_case_form(request: Request) -> Response:
    from starlette.concurrency import run_in_threadpool

    from xieshang.services.transfer import import_case

    form = await request.form()
    upload = form.get("file")
    replace = form.get("replace") == "1"
    if not isinstance(upload, UploadFile) or not upload.filename:
        return _page(request, errors={"file": message(UserError("web.error.no_file"))}, status_code=422)
    data = await upload.read(MAX_IMPORT_BYTES + 1)
    if len(data) > MAX_IMPORT_BYTES:
        return _page(request, errors={"file": message(UserError("web.error.too_large", limit="5 MB"))},
                     status_code=422)
    try:
        _, loans = await run_in_threadpool(lambda: import_case(store_of(request), data, source=upload.filename or "-",
                                                               replace=replace))
    except UserError as exc:
        key = "web.error.import_replace" if exc.key == "error.case.import_case_exists" else None
        text = message(UserError(key)) if key else message(exc)
        return _page(request, errors={"file": text}, status_code=422)
    return RedirectResponse(f"/settings?imported={len(loans)}", status_code=303)
