"""The app factory and its error boundary.

:func:`create_app` opens the store once (migrated to head, like every CLI command) and wires:

- the per-request language (:class:`LanguageMiddleware`, see :mod:`xieshang.web.context`);
- a same-origin check on writes (:class:`OriginMiddleware`): a page on another site cannot
  make the browser post to the local server (the app has no login: it is single-user);
- the pages (``routes/*``), ``/static`` (assets shipped in the package) and ``/api`` (JSON,
  with FastAPI's OpenAPI schema at ``/api/openapi.json`` and docs at ``/api/docs``, Swagger UI
  from the package);
- hardening headers on every answer (:mod:`xieshang.web.security`: CSP, frame-ancestors, HSTS
  in server mode …);
- error handling: a :class:`UserError` becomes the message in the user's language (404 for an
  unknown id), an unknown path a 404 page, and any other exception is logged and answered with
  a friendly page (or JSON under ``/api``), never a traceback.
"""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

from xieshang.errors import UserError
from xieshang.i18n import language_scope, t
from xieshang.web.context import LANG_COOKIE, package_dir, render, request_language

if TYPE_CHECKING:
    from fastapi import FastAPI, Request
    from starlette.responses import Response
    from starlette.types import ASGIApp, Message, Receive, Scope, Send

    from xieshang.services.access import Server
    from xieshang.store.db import Store

log = logging.getLogger("xieshang.web")

#: Error keys that mean "no such thing": answered with 404.
NOT_FOUND_KEYS = frozenset({"error.case.unknown_loan", "error.case.unknown_payment", "web.error.not_found"})
#: Error keys that mean "there is no case yet": pages send the user to the start page.
NO_CASE_KEYS = frozenset({"error.case.no_case", "error.case.no_store"})


class LanguageMiddleware:
    """Runs each HTTP request inside :func:`language_scope` of its language."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        cookie_lang = None
        for name, value in scope.get("headers", []):
            if name == b"cookie":
                for part in value.decode("latin-1").split(";"):
                    key, _, val = part.strip().partition("=")
                    if key == LANG_COOKIE:
                        cookie_lang = val
        lang = request_language((query.get("lang") or [None])[0], cookie_lang)
        if lang and lang != cookie_lang and not scope.get("path", "").startswith("/api"):
            # A page asked for with ?lang= keeps that language on the next pages and across
            # redirects (e.g. to /start), as the switch does.
            cookie = f"{LANG_COOKIE}={lang}; Max-Age=31536000; Path=/; SameSite=lax".encode("latin-1")
            inner = send

            async def send(message: Message) -> None:
                if message["type"] == "http.response.start":
                    message = {**message, "headers": [*message.get("headers", []), (b"set-cookie", cookie)]}
                await inner(message)

        with language_scope(lang):
            await self.app(scope, receive, send)


#: No id in the store is larger than SQLite's 64-bit integer.
MAX_ID = 2**63 - 1


def _beyond_ids(part: str) -> bool:
    """``part`` reads as an integer (as FastAPI parses one: sign, ``_``) beyond any id."""
    text = part.strip()
    if not re.fullmatch(r"[+-]?[0-9_]+", text):
        return False
    digits = text.lstrip("+-").replace("_", "").lstrip("0")
    return len(digits) > 19 or (bool(digits) and int(digits) > MAX_ID)


class IdRangeMiddleware:
    """A path with a number past any id the store can hold (``/loans/99999999999999999999``) is
    sent to a path that does not exist, so it gets the usual 404 (page or JSON) instead of
    reaching a lookup that SQLite cannot even run (an overflow, answered 500)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            path = scope.get("path", "")
            if any(_beyond_ids(part) for part in path.split("/")):
                unknown = ("/api" if path.startswith("/api/") else "") + "/-/unknown-id"
                scope = {**scope, "path": unknown, "raw_path": unknown.encode("ascii")}
        await self.app(scope, receive, send)


class OriginMiddleware:
    """Refuses a write (POST, PUT, PATCH, DELETE) whose ``Origin`` is another site (403)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] not in ("GET", "HEAD", "OPTIONS"):
            headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope.get("headers", [])}
            origin = headers.get("origin")
            if origin and origin != "null" and urlsplit(origin).netloc != headers.get("host", ""):
                body = t("web.error.foreign_origin").encode("utf-8")
                start: Message = {"type": "http.response.start", "status": 403,
                                  "headers": [(b"content-type", b"text/plain; charset=utf-8")]}
                await send(start)
                await send({"type": "http.response.body", "body": body})
                return
        await self.app(scope, receive, send)


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api")


def _error_json(status: int, key: str, text: str, **extra: Any) -> Response:
    from fastapi.responses import JSONResponse

    return JSONResponse({"error": {"key": key, "message": text, **extra}}, status_code=status)


def create_app(store: Store | None = None, *, location: str | None = None, server: Server | None = None) -> FastAPI:
    """The web app on ``store`` (or the store at ``location``, or the configured one); with ``server``,
    server mode: accounts, and one case store per borrower (:mod:`xieshang.web.server`)."""
    from contextlib import asynccontextmanager

    from fastapi import FastAPI
    from fastapi.exceptions import RequestValidationError
    from fastapi.responses import RedirectResponse
    from fastapi.staticfiles import StaticFiles
    from starlette.exceptions import HTTPException as StarletteHTTPException

    from xieshang import __version__
    from xieshang.web.routes import api, home, loans, settings

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> Any:
        yield
        if owned:
            app.state.store.close()

    owned = store is None and server is None
    if store is None and server is None:
        from xieshang.services import open_case_store
        from xieshang.store.db import open_store

        store = open_store(location, create=True) if location else open_case_store(create=True)

    app = FastAPI(title="xieshang 协商", version=__version__, lifespan=lifespan, docs_url=None,
                  redoc_url=None, openapi_url="/api/openapi.json",
                  description="The JSON API of xieshang: the same services as the CLI and the pages. "
                              "Amounts are strings in yuan with two decimals, dates YYYY-MM-DD. "
                              "Add ?lang=en for English texts.")
    app.state.store = store
    app.state.server = None
    if server is not None:
        from xieshang.web.server import install

        install(app, server)
    app.add_middleware(OriginMiddleware)
    app.add_middleware(IdRangeMiddleware)
    app.add_middleware(LanguageMiddleware)
    from xieshang.web.security import SecurityHeadersMiddleware, install_docs

    # Outermost: every answer gets the hardening headers, also the ones the other middleware send.
    app.add_middleware(SecurityHeadersMiddleware, hsts=server is not None and server.cookie_secure)
    install_docs(app)
    app.mount("/static", StaticFiles(directory=str(package_dir("static"))), name="static")
    for module in (home, loans, settings):
        app.include_router(module.router)
    app.include_router(api.router, prefix="/api")
    from xieshang.web.routes import api_documents, letters, records  # documents and contact log (issue 7)

    for module in (letters, records):
        app.include_router(module.router)
    app.include_router(api_documents.router, prefix="/api")
    from xieshang.web.routes import agreements, api_after, credit, prevention  # after the agreement (issue 7)

    for module in (agreements, credit, prevention):
        app.include_router(module.router)
    app.include_router(api_after.router, prefix="/api")
    from xieshang.web.routes import api_plan, finances, plan  # finances and the plan builder (issue 7)

    for module in (finances, plan):
        app.include_router(module.router)
    app.include_router(api_plan.router, prefix="/api")

    @app.exception_handler(UserError)
    async def user_error(request: Request, exc: UserError) -> Response:
        from xieshang.web.forms import message

        text = message(exc)
        if exc.key in NOT_FOUND_KEYS or ".error.unknown_" in exc.key:  # any area's unknown id
            status = 404
        elif exc.key in NO_CASE_KEYS:
            status = 409
        else:
            status = 400 if not _wants_json(request) else 422
        if _wants_json(request):
            return _error_json(status, exc.key, text)
        if status == 409:
            return RedirectResponse("/start", status_code=303)
        return render(request, "error.html", {"status": status, "message": text}, status_code=status)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        key = "web.error.not_found" if exc.status_code == 404 else "web.error.http"
        text = t(key, status=exc.status_code)
        if _wants_json(request):
            return _error_json(exc.status_code, key, text)
        return render(request, "error.html", {"status": exc.status_code, "message": text},
                      status_code=exc.status_code)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> Response:
        errors = [{"loc": [str(x) for x in e.get("loc", ())], "msg": str(e.get("msg", ""))} for e in exc.errors()]
        text = t("web.error.bad_request")
        if _wants_json(request):
            return _error_json(422, "web.error.bad_request", text, detail=errors)
        # A page whose path parameter is not even an id (/loans/abc) does not exist.
        return render(request, "error.html", {"status": 404, "message": t("web.error.not_found")}, status_code=404)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        # Runs outside the language middleware: pick the request's language again.
        with language_scope(request_language(request.query_params.get("lang"), request.cookies.get(LANG_COOKIE))):
            text = t("web.error.unexpected")
            if _wants_json(request):
                return _error_json(500, "web.error.unexpected", text)
            return render(request, "error.html", {"status": 500, "message": text}, status_code=500)

    return app
