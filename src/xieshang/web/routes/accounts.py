"""Server mode's own pages: sign in and out, sign up by invitation, the account (password),
who may see my case (grant, revoke), the audit log of my case, a counsellor's cases, and admin.

Only input and presentation: accounts, grants and the audit log are
:mod:`xieshang.services.accounts`, :mod:`~xieshang.services.access` and :mod:`~xieshang.services.audit`.
Mounted only in server mode (:func:`xieshang.web.server.install`). A page that is not for the
signed-in role answers 404, like an unknown id.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from xieshang.errors import UserError
from xieshang.services import access, accounts, audit
from xieshang.web.context import render
from xieshang.web.forms import message
from xieshang.web.routes.settings import _safe_next
from xieshang.web.server import SESSION_COOKIE, server_of, session_of

router = APIRouter(include_in_schema=False)

Text = Annotated[str, Form()]


def _see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def _signed_in(request: Request, token: str, target: str) -> Response:
    response = _see_other(target)
    response.set_cookie(SESSION_COOKIE, token, max_age=accounts.limits().session_hours * 3600, path="/",
                        secure=server_of(request).cookie_secure, httponly=True, samesite="strict")
    return response


def _role(request: Request, *roles: str) -> accounts.SessionInfo:
    sess = session_of(request)
    if sess.account.role not in roles:
        raise UserError("web.error.not_found")
    return sess


# --- sign in / out ---------------------------------------------------------------------


@router.get("/login")
def login_page(request: Request, next: str = "/") -> Response:
    if request.state.xieshang_session is not None:
        return _see_other(_safe_next(next))
    return render(request, "login.html", {"values": {"next": _safe_next(next)}, "error": None, "area": "login", "server_page": True,
                                           "min_password": accounts.limits().min_password})


@router.post("/login")
def login(request: Request, username: Text = "", password: Text = "", next: Text = "/") -> Response:
    st = server_of(request).accounts
    ip = request.client.host if request.client else "-"
    try:
        acc = accounts.authenticate(st, username, password, ip=ip)
    except UserError as exc:
        status = 429 if exc.key == "accounts.error.too_many" else 422
        return render(request, "login.html", {"values": {"username": username, "next": _safe_next(next)},
                                              "error": message(exc), "area": "login", "server_page": True,
                                           "min_password": accounts.limits().min_password}, status_code=status)
    accounts.prune(st)  # forget expired sessions and old attempts, a little at every sign-in
    token, _ = accounts.start_session(st, acc.id)
    return _signed_in(request, token, _safe_next(next))


@router.post("/logout")
def logout(request: Request) -> Response:
    accounts.end_session(server_of(request).accounts, request.cookies.get(SESSION_COOKIE))
    response = _see_other("/login")
    response.delete_cookie(SESSION_COOKIE, path="/", secure=server_of(request).cookie_secure, httponly=True,
                           samesite="strict")
    return response


def _invitation_role(request: Request, token: str) -> str:
    """The invited role, or the not-found error (unknown, used or expired: the same answer)."""
    try:
        return accounts.invitation_role(server_of(request).accounts, token)
    except UserError as exc:
        raise UserError("web.error.not_found") from exc


@router.get("/invite/{token}")
def invite_page(request: Request, token: str) -> Response:
    role = _invitation_role(request, token)
    return render(request, "invite.html", {"role": role, "token": token, "values": {}, "errors": {},
                                           "area": "login", "server_page": True,
                                           "min_password": accounts.limits().min_password})


@router.post("/invite/{token}")
def invite_accept(request: Request, token: str, username: Text = "", display_name: Text = "",
                  password: Text = "", confirm: Text = "") -> Response:
    st = server_of(request).accounts
    role = _invitation_role(request, token)
    try:
        acc = accounts.accept_invitation(st, token, username, password, display_name=display_name,
                                         confirm=confirm)
    except UserError as exc:
        if exc.key == "accounts.error.invitation_invalid":
            raise UserError("web.error.not_found") from exc
        field = {"accounts.error.bad_username": "username", "accounts.error.username_taken": "username",
                 "accounts.error.long_name": "display_name",
                 "accounts.error.password_mismatch": "confirm"}.get(exc.key, "password")
        return render(request, "invite.html", {"role": role, "token": token, "errors": {field: message(exc)},
                                               "values": {"username": username, "display_name": display_name},
                                               "area": "login", "server_page": True,
                                           "min_password": accounts.limits().min_password}, status_code=422)
    new_token, _ = accounts.start_session(st, acc.id)
    return _signed_in(request, new_token, "/")


@router.get("/api/session")
def api_session(request: Request) -> Response:
    """For API clients: who is signed in, the CSRF token to send as ``X-CSRF-Token`` on writes."""
    from fastapi.responses import JSONResponse

    sess = session_of(request)
    return JSONResponse({"username": sess.account.username, "role": sess.account.role,
                         "csrf_token": sess.csrf_token,
                         "case": access.case_for(sess.account, sess.active_case_id) is not None})


# --- my account ------------------------------------------------------------------------


def _account_page(request: Request, *, errors: dict[str, str] | None = None, done: str | None = None,
                  status_code: int = 200) -> Response:
    sess = session_of(request)
    return render(request, "account.html", {"me": sess.account, "errors": errors or {}, "done": done,
                                            "area": "account"}, status_code=status_code)


@router.get("/account")
def account_page(request: Request) -> Response:
    return _account_page(request, done=request.query_params.get("done"))


@router.post("/account/password")
def change_password(request: Request, old: Text = "", new: Text = "", confirm: Text = "") -> Response:
    sess = session_of(request)
    try:
        accounts.change_password(server_of(request).accounts, sess.account.id, old, new, confirm,
                                 keep_session=sess.id)
    except UserError as exc:
        field = {"accounts.error.wrong_password": "old", "accounts.error.password_mismatch": "confirm"}.get(
            exc.key, "new")
        return _account_page(request, errors={field: message(exc)}, status_code=422)
    return _see_other("/account?done=password")


# --- who may see my case ---------------------------------------------------------------


def _access_page(request: Request, *, error: str | None = None, value: str = "", status_code: int = 200) -> Response:
    sess = _role(request, "borrower")
    grants = access.grants_of_case(server_of(request).accounts, sess.account)
    return render(request, "access.html", {"grants": grants, "error": error, "value": value, "area": "account"},
                  status_code=status_code)


@router.get("/account/access")
def access_page(request: Request) -> Response:
    return _access_page(request)


@router.post("/account/access")
def grant_access(request: Request, counsellor: Text = "") -> Response:
    sess = _role(request, "borrower")
    server = server_of(request)
    try:
        g = access.grant(server.accounts, sess.account, counsellor)
    except UserError as exc:
        return _access_page(request, error=message(exc), value=counsellor, status_code=422)
    audit.record(server.accounts, sess.account, g.case_id, method="POST", path=request.url.path, status=303,
                 action="grant")
    return _see_other("/account/access")


@router.post("/account/access/{grant_id}/revoke")
def revoke_access(request: Request, grant_id: int) -> Response:
    sess = _role(request, "borrower")
    server = server_of(request)
    g = access.revoke(server.accounts, sess.account, grant_id)
    audit.record(server.accounts, sess.account, g.case_id, method="POST", path=request.url.path, status=303,
                 action="revoke")
    return _see_other("/account/access")


@router.get("/account/audit")
def audit_page(request: Request) -> Response:
    sess = _role(request, "borrower")
    rows = audit.entries(server_of(request).accounts, sess.account)
    return render(request, "audit.html", {"rows": rows, "area": "account"})


# --- a counsellor's cases --------------------------------------------------------------


@router.get("/cases")
def cases_page(request: Request) -> Response:
    sess = _role(request, "counsellor")
    rows = access.granted_cases(server_of(request).accounts, sess.account)
    return render(request, "cases.html", {"rows": rows, "active": sess.active_case_id, "area": "cases"})


@router.post("/cases/{case_id}/open")
async def open_case(request: Request, case_id: str) -> Response:
    sess = _role(request, "counsellor")
    st = server_of(request).accounts
    if not await run_in_threadpool(access.may_open, st, sess.account, case_id):
        raise UserError("web.error.not_found")
    await run_in_threadpool(accounts.set_active_case, st, sess.id, case_id)
    return _see_other("/")


@router.post("/cases/close")
def close_case(request: Request) -> Response:
    sess = _role(request, "counsellor")
    accounts.set_active_case(server_of(request).accounts, sess.id, None)
    return _see_other("/cases")


# --- admin -----------------------------------------------------------------------------


def _admin_page(request: Request, *, link: str | None = None, status_code: int = 200) -> Response:
    _role(request, "admin")
    rows = accounts.list_accounts(server_of(request).accounts)
    return render(request, "admin.html", {"rows": rows, "link": link, "area": "admin"}, status_code=status_code)


@router.get("/admin")
def admin_page(request: Request) -> Response:
    return _admin_page(request)


@router.post("/admin/invite")
def admin_invite(request: Request, role: Text = "borrower") -> Response:
    sess = _role(request, "admin")
    token = accounts.create_invitation(server_of(request).accounts, role, created_by=sess.account.id)
    return _admin_page(request, link=str(request.base_url).rstrip("/") + f"/invite/{token}")
