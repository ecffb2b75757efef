"""Server mode of the web app: sign-in sessions, CSRF, case access and the audit log.

Installed by :func:`install` only when the app is created with a :class:`~xieshang.services.access.Server`
(``xieshang serve --server`` or ``XIESHANG_MODE=server``); local single-user mode never runs any of it.

:class:`ServerMiddleware`, per HTTP request:

1. reads the session cookie (``__Host-xieshang_session``: Secure, HttpOnly, SameSite=Strict, path /)
   and looks the session up in the accounts store; the account is checked on every request;
2. without a session, anything but the public paths (sign-in, invitation, static files, language)
   goes to ``/login`` (pages) or gets 401 (``/api``);
3. a write (POST, PUT, PATCH, DELETE) must carry the session's CSRF token, in the
   ``X-CSRF-Token`` header (htmx sends it from ``hx-headers`` on ``<body>``; API clients set it)
   or the ``csrf_token`` form field (the first field of a multipart form); otherwise 403 and the
   route never runs;
4. HTML answers get the token as a hidden field in every ``<form method="post">``, so a page
   written without knowing about server mode is still protected and still works;
5. when the request opened a case (through :func:`case_store`, which ``store_of`` calls), one
   audit entry: who, which case, view or change, method, path, status, time.

:func:`case_store` is where ``store_of(request)`` goes in server mode: the case of the signed-in
account (a borrower's own, the one a counsellor opened), through :func:`xieshang.services.access.open_case`.
"""

from __future__ import annotations

import hmac
import re
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, quote

from starlette.concurrency import run_in_threadpool

from xieshang.errors import UserError
from xieshang.i18n import t

if TYPE_CHECKING:
    from fastapi import FastAPI, Request
    from starlette.types import ASGIApp, Message, Receive, Scope, Send

    from xieshang.services.access import Server
    from xieshang.services.accounts import SessionInfo
    from xieshang.store.db import Store

SESSION_COOKIE = "__Host-xieshang_session"
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf_token"
#: Paths anyone may reach without signing in (exact, or a prefix ending in "/").
PUBLIC = ("/login", "/static/", "/invite/", "/lang/")
#: What the CSRF check reads at most: a urlencoded form whole, of a multipart form the first part.
MAX_FORM_BYTES = 1024 * 1024
FIRST_PART_BYTES = 64 * 1024
SAFE = frozenset({"GET", "HEAD", "OPTIONS"})
_FORM_TAG = re.compile(r"<form\b[^>]*\bmethod\s*=\s*[\"']?post\b[^>]*>", re.I)

_current: ContextVar[SessionInfo | None] = ContextVar("xieshang_session", default=None)


def current_session() -> SessionInfo | None:
    """The signed-in session of this request (``None`` in local mode or signed out)."""
    return _current.get()


def csrf_token() -> str:
    """For templates: the session's CSRF token, or "" (local mode, signed out)."""
    sess = _current.get()
    return sess.csrf_token if sess is not None else ""


def is_public(path: str) -> bool:
    return any(path == p or (p.endswith("/") and path.startswith(p)) for p in PUBLIC)


def server_of(request: Request) -> Server:
    server = getattr(request.app.state, "server", None)
    assert server is not None
    return server  # type: ignore[no-any-return]


def session_of(request: Request) -> SessionInfo:
    """The signed-in session (the middleware let the request through only with one)."""
    sess = request.scope.get("state", {}).get("xieshang_session")
    if sess is None:
        raise UserError("web.error.not_found")
    return sess  # type: ignore[no-any-return]


def case_store(request: Request) -> Store:
    """The case store this request may use, or the not-found error; remembered for the audit log."""
    from xieshang.services.access import case_for, open_case
    from xieshang.services.accounts import set_active_case

    sess = session_of(request)
    case_id = case_for(sess.account, sess.active_case_id)
    server = server_of(request)
    try:
        store = open_case(server, sess.account, case_id)
    except UserError:
        if sess.active_case_id is not None:  # access taken back: the counsellor's home is /cases again
            set_active_case(server.accounts, sess.id, None)
        raise
    request.scope.setdefault("state", {})["xieshang_case"] = case_id
    return store


def _cookie(headers: list[tuple[bytes, bytes]], name: str) -> str | None:
    for key, value in headers:
        if key == b"cookie":
            for part in value.decode("latin-1").split(";"):
                k, _, v = part.strip().partition("=")
                if k == name:
                    return v
    return None


def _header(headers: list[tuple[bytes, bytes]], name: str) -> str | None:
    raw = name.encode("latin-1")
    for key, value in headers:
        if key.lower() == raw:
            return value.decode("latin-1")
    return None


async def _plain(send: Send, status: int, text: str, *, location: str | None = None, json: bool = False) -> None:
    import json as jsonlib

    if json:
        body = jsonlib.dumps({"error": {"key": "accounts.error.http", "message": text}}, ensure_ascii=False)
        ctype = b"application/json"
    else:
        body, ctype = text, b"text/plain; charset=utf-8"
    headers = [(b"content-type", ctype)]
    if location:
        headers.append((b"location", location.encode("latin-1")))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body.encode("utf-8")})


class ServerMiddleware:
    """Sessions, CSRF and the audit log around every request (see the module docstring)."""

    def __init__(self, app: ASGIApp, server: Server) -> None:
        self.app = app
        self.server = server

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        from xieshang.services import accounts

        headers = scope.get("headers", [])
        path: str = scope["path"]
        api = path.startswith("/api")
        token = _cookie(headers, SESSION_COOKIE)
        sess = await run_in_threadpool(accounts.session_for, self.server.accounts, token) if token else None
        scope.setdefault("state", {})["xieshang_session"] = sess
        if sess is None and not is_public(path):
            if api:
                await _plain(send, 401, t("accounts.error.sign_in"), json=True)
            else:
                target = path + ("?" + scope["query_string"].decode("latin-1") if scope.get("query_string") else "")
                await _plain(send, 303, "", location="/login?next=" + quote(target, safe=""))
            return
        if sess is not None and scope["method"] == "GET" and path == "/":
            home = {"admin": "/admin", "counsellor": None if sess.active_case_id else "/cases"}.get(sess.account.role)
            if home:
                await _plain(send, 303, "", location=home)
                return
        if scope["method"] not in SAFE and sess is not None:
            checked = await self._check_csrf(scope, receive, send, sess)
            if checked is None:
                return
            receive = checked
        status = 500
        html = False
        chunks: list[bytes] = []
        start: dict[str, Any] = {}

        async def wrapped(message: Message) -> None:
            nonlocal status, html
            if message["type"] == "http.response.start":
                status = int(message["status"])
                ctype = (_header(list(message.get("headers", [])), "content-type") or "").lower()
                html = sess is not None and ctype.startswith("text/html") and scope["method"] != "HEAD"
                if html:
                    start.update(message)
                    return
            elif html and message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
                if message.get("more_body"):
                    return
                body = _inject(b"".join(chunks).decode("utf-8"), sess.csrf_token if sess else "").encode("utf-8")
                hdrs = [(k, v) for k, v in start.get("headers", []) if k.lower() != b"content-length"]
                hdrs.append((b"content-length", str(len(body)).encode("latin-1")))
                await send({**start, "headers": hdrs})
                await send({"type": "http.response.body", "body": body})
                return
            await send(message)

        token_ctx = _current.set(sess)
        try:
            await self.app(scope, receive, wrapped)
        finally:
            _current.reset(token_ctx)
            case_id = scope.get("state", {}).get("xieshang_case")
            if sess is not None and case_id:
                from xieshang.services import audit

                await run_in_threadpool(audit.record, self.server.accounts, sess.account, case_id,
                                        method=scope["method"], path=path, status=status)

    async def _check_csrf(self, scope: Scope, receive: Receive, send: Send, sess: SessionInfo) -> Receive | None:
        """The request's receive (replaying what was read), or ``None`` after a 403 was sent.

        With the header nothing is read. Otherwise the token is a form field: a urlencoded body is
        read whole (small by nature); of a multipart body (uploads of up to 50 MB) only the first
        part is read — the injected field is the form's first, so browsers send it first — and the
        rest streams on untouched, so memory stays bounded whatever the upload.
        """
        headers = scope.get("headers", [])
        api = scope["path"].startswith("/api")
        sent_token = _header(headers, CSRF_HEADER)
        prefix = b""
        more = True
        if sent_token is None:
            raw_type = _header(headers, "content-type") or ""
            ctype = raw_type.lower()
            boundary = _boundary(raw_type)  # case matters: WebKit's boundaries are mixed case
            limit = FIRST_PART_BYTES if boundary else MAX_FORM_BYTES
            while more and len(prefix) <= limit:
                message = await receive()
                prefix += message.get("body", b"")
                more = bool(message.get("more_body"))
                if boundary and prefix.count(b"--" + boundary) >= 2:
                    break
            if boundary:
                sent_token = _first_part_token(prefix, boundary)
            elif ctype.startswith("application/x-www-form-urlencoded") and not more:
                found = parse_qs(prefix.decode("latin-1")).get(CSRF_FIELD)
                sent_token = found[0] if found else None
        if not sent_token or not hmac.compare_digest(sent_token.encode(), sess.csrf_token.encode()):
            await _plain(send, 403, t("accounts.error.csrf"), json=api)
            return None
        if not prefix:
            return receive
        replayed = False
        rest_pending = more

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                if rest_pending:
                    return await receive()
                return {"type": "http.request", "body": b"", "more_body": False}
            replayed = True
            return {"type": "http.request", "body": prefix, "more_body": rest_pending}

        return replay


def _boundary(content_type: str) -> bytes | None:
    if not content_type.lower().startswith("multipart/form-data"):
        return None
    for part in content_type.split(";")[1:]:
        key, _, value = part.strip().partition("=")
        if key.lower() == "boundary" and value:
            return value.strip('"').encode("latin-1")
    return None


def _first_part_token(body: bytes, boundary: bytes) -> str | None:
    """The value of the multipart body's first part when that part is the CSRF field."""
    marker = b"--" + boundary
    start = body.find(marker)
    end = body.find(b"\r\n" + marker, start + len(marker))
    if start < 0 or end < 0:
        return None
    head, sep, value = body[start + len(marker):end].partition(b"\r\n\r\n")
    if not sep or f'name="{CSRF_FIELD}"'.encode() not in head:
        return None
    return value.decode("latin-1")


def _inject(html: str, token: str) -> str:
    """Put the CSRF field into every POST form that does not carry it yet."""
    from markupsafe import escape

    field = f'<input type="hidden" name="{CSRF_FIELD}" value="{escape(token)}">'

    def add(match: re.Match[str]) -> str:
        return match.group(0) + field

    out = _FORM_TAG.sub(add, html)
    return out.replace(field + field, field)


def install(app: FastAPI, server: Server) -> None:
    """Server mode on ``app``: the state, the middleware (innermost: added first) and the account pages."""
    from xieshang.web.routes import accounts as account_routes

    app.state.server = server
    app.add_middleware(ServerMiddleware, server=server)
    app.include_router(account_routes.router)
