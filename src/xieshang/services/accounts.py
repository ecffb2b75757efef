"""Accounts of server mode: people, passwords, invitations, sessions and sign-in limits.

Every function takes the *accounts* store (:func:`xieshang.store.accounts_db.open_accounts_store`),
never a case store. Passwords are hashed with argon2id (the cost in ``login_limits.toml``, rehashed on
sign-in when it changes); invitation and session tokens are 256-bit random values of which
only the SHA-256 is stored, so a copy of the database signs nobody in. Sign-in failures are
counted per account and per address over the windows of ``login_limits.toml``; at the limit
the password is not even checked. An unknown user and a wrong password get the same answer and
take the same time (a dummy hash is verified).
"""

from __future__ import annotations

import hashlib
import re
import secrets
import tomllib
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, func, select

from xieshang import clock
from xieshang.errors import UserError
from xieshang.store.accounts_models import ROLES, Account, CaseFile, Invitation, LoginAttempt, WebSession

if TYPE_CHECKING:
    from argon2 import PasswordHasher
    from sqlalchemy.orm import Session

    from xieshang.store.db import Store

USERNAME = re.compile(r"^[a-z0-9][a-z0-9_.-]{2,31}$")
MAX_PASSWORD = 1024


@dataclass(frozen=True)
class Window:
    failures: int
    seconds: int


@dataclass(frozen=True)
class LoginLimits:
    """The data-driven limits (``services/login_limits.toml``)."""

    account: Window
    ip: Window
    session_hours: int
    invitation_days: int
    min_password: int


@cache
def limits() -> LoginLimits:
    raw: dict[str, Any] = tomllib.loads(
        (resources.files("xieshang.services") / "login_limits.toml").read_text(encoding="utf-8"))
    return LoginLimits(account=Window(int(raw["account"]["failures"]), int(raw["account"]["window_seconds"])),
                       ip=Window(int(raw["ip"]["failures"]), int(raw["ip"]["window_seconds"])),
                       session_hours=int(raw["session"]["hours"]),
                       invitation_days=int(raw["invitation"]["days"]),
                       min_password=int(raw["password"]["min_length"]))


@dataclass(frozen=True)
class AccountInfo:
    id: int
    username: str
    display_name: str
    role: str
    case_id: str | None  # the borrower's own case


@dataclass(frozen=True)
class SessionInfo:
    """A signed-in browser: who, its CSRF token, and the case a counsellor has opened."""

    id: int
    account: AccountInfo
    csrf_token: str
    active_case_id: str | None


def now_utc() -> datetime:
    return clock.system_now().replace(tzinfo=None)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@cache
def _hasher() -> PasswordHasher:
    return password_hasher()


def password_hasher() -> PasswordHasher:
    """argon2id with the cost of ``login_limits.toml`` ``[argon2]``."""
    from argon2 import PasswordHasher

    raw = tomllib.loads((resources.files("xieshang.services") / "login_limits.toml").read_text(encoding="utf-8"))
    cost = raw["argon2"]
    return PasswordHasher(time_cost=int(cost["time_cost"]), memory_cost=int(cost["memory_kib"]),
                          parallelism=int(cost["parallelism"]))


@cache
def _dummy_hash() -> str:
    return _hasher().hash(secrets.token_urlsafe(16))


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def _verify(stored: str, password: str) -> bool:
    from argon2.exceptions import InvalidHashError, VerificationError

    try:
        return _hasher().verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


def check_username(username: str) -> str:
    name = username.strip().lower()
    if not USERNAME.match(name):
        raise UserError("accounts.error.bad_username")
    return name


def check_password(password: str, confirm: str | None = None) -> str:
    if len(password) < limits().min_password:
        raise UserError("accounts.error.short_password", min=limits().min_password)
    if len(password) > MAX_PASSWORD:
        raise UserError("accounts.error.long_password", max=MAX_PASSWORD)
    if confirm is not None and confirm != password:
        raise UserError("accounts.error.password_mismatch")
    return password


def check_role(role: str) -> str:
    if role not in ROLES:
        raise UserError("accounts.error.bad_role", role=role, roles=", ".join(ROLES))
    return role


def _info(s: Session, acc: Account) -> AccountInfo:
    case_id = s.scalar(select(CaseFile.id).where(CaseFile.owner_id == acc.id))
    return AccountInfo(acc.id, acc.username, acc.display_name, acc.role, case_id)


def _create(s: Session, username: str, display_name: str, role: str, password: str, now: datetime) -> Account:
    name = check_username(username)
    check_role(role)
    check_password(password)
    shown = display_name.strip() or name
    if len(shown) > 200:
        raise UserError("accounts.error.long_name")
    if s.scalar(select(Account.id).where(Account.username == name)) is not None:
        raise UserError("accounts.error.username_taken", username=name)
    acc = Account(username=name, display_name=shown, role=role, password_hash=hash_password(password),
                  created_at=now)
    s.add(acc)
    s.flush()
    if role == "borrower":
        s.add(CaseFile(id=secrets.token_hex(16), owner_id=acc.id, created_at=now))
        s.flush()
    return acc


def create_account(st: Store, username: str, password: str, *, role: str = "borrower",
                   display_name: str = "", now: datetime | None = None) -> AccountInfo:
    """A new account (a borrower gets their own empty case file)."""
    with st.transaction() as s:
        acc = _create(s, username, display_name, role, password, now or now_utc())
        return _info(s, acc)


def get_account(st: Store, account_id: int) -> AccountInfo | None:
    with st.transaction() as s:
        acc = s.get(Account, account_id)
        return None if acc is None or acc.disabled_at is not None else _info(s, acc)


def find_account(st: Store, username: str) -> AccountInfo | None:
    with st.transaction() as s:
        acc = s.scalar(select(Account).where(Account.username == username.strip().lower()))
        return None if acc is None or acc.disabled_at is not None else _info(s, acc)


def list_accounts(st: Store) -> list[AccountInfo]:
    with st.transaction() as s:
        return [_info(s, a) for a in s.scalars(select(Account).order_by(Account.id))]


# --- invitations ------------------------------------------------------------------------


def create_invitation(st: Store, role: str, *, created_by: int | None = None,
                      now: datetime | None = None) -> str:
    """A one-time sign-up token for ``role`` (valid for ``[invitation] days``); only its hash is kept."""
    check_role(role)
    at = now or now_utc()
    token = secrets.token_urlsafe(32)
    with st.transaction() as s:
        s.add(Invitation(token_hash=token_hash(token), role=role, created_by=created_by, created_at=at,
                         expires_at=at + timedelta(days=limits().invitation_days)))
    return token


def _open_invitation(s: Session, token: str, now: datetime) -> Invitation:
    inv = s.scalar(select(Invitation).where(Invitation.token_hash == token_hash(token)))
    if inv is None or inv.used_at is not None or inv.expires_at <= now:
        raise UserError("accounts.error.invitation_invalid")
    return inv


def invitation_role(st: Store, token: str, *, now: datetime | None = None) -> str:
    with st.transaction() as s:
        return _open_invitation(s, token, now or now_utc()).role


def accept_invitation(st: Store, token: str, username: str, password: str, *, display_name: str = "",
                      confirm: str | None = None, now: datetime | None = None) -> AccountInfo:
    """Sign up with an invitation: the account and (borrower) case file, the invitation used up."""
    at = now or now_utc()
    check_password(password, confirm)
    with st.transaction() as s:
        inv = _open_invitation(s, token, at)
        acc = _create(s, username, display_name, inv.role, password, at)
        inv.used_at, inv.used_by = at, acc.id
        return _info(s, acc)


# --- signing in ------------------------------------------------------------------------


def _failures(s: Session, column: Any, value: str, window: Window, now: datetime) -> int:
    since = now - timedelta(seconds=window.seconds)
    return int(s.scalar(select(func.count(LoginAttempt.id))
                        .where(column == value, LoginAttempt.ok.is_(False), LoginAttempt.at > since)) or 0)


def authenticate(st: Store, username: str, password: str, *, ip: str, now: datetime | None = None) -> AccountInfo:
    """The account whose password this is, or ``accounts.error.bad_login`` / ``too_many``."""
    at = now or now_utc()
    name = username.strip().lower()[:64]
    lim = limits()
    with st.transaction() as s:
        if (_failures(s, LoginAttempt.username, name, lim.account, at) >= lim.account.failures
                or _failures(s, LoginAttempt.ip, ip, lim.ip, at) >= lim.ip.failures):
            s.add(LoginAttempt(username=name, ip=ip[:64], at=at, ok=False))
            raise_later: UserError | None = UserError("accounts.error.too_many",
                                                      minutes=max(lim.account.seconds, lim.ip.seconds) // 60)
        else:
            raise_later = None
    if raise_later is not None:
        raise raise_later
    with st.transaction() as s:
        acc = s.scalar(select(Account).where(Account.username == name))
        ok = False
        if acc is not None and acc.disabled_at is None and len(password) <= MAX_PASSWORD:
            ok = _verify(acc.password_hash, password)
            if ok and _hasher().check_needs_rehash(acc.password_hash):
                acc.password_hash = hash_password(password)
        else:
            _verify(_dummy_hash(), password[:MAX_PASSWORD])  # same time for an unknown name
        s.add(LoginAttempt(username=name, ip=ip[:64], at=at, ok=ok))
        info = _info(s, acc) if ok and acc is not None else None
    if info is None:
        raise UserError("accounts.error.bad_login")
    return info


def start_session(st: Store, account_id: int, *, now: datetime | None = None) -> tuple[str, SessionInfo]:
    """A new session: the cookie token (shown once) and its info."""
    at = now or now_utc()
    token = secrets.token_urlsafe(32)
    with st.transaction() as s:
        acc = s.get(Account, account_id)
        if acc is None:
            raise UserError("accounts.error.bad_login")
        row = WebSession(token_hash=token_hash(token), account_id=account_id, csrf_token=secrets.token_urlsafe(32),
                         created_at=at, expires_at=at + timedelta(hours=limits().session_hours))
        s.add(row)
        s.flush()
        return token, SessionInfo(row.id, _info(s, acc), row.csrf_token, None)


def session_for(st: Store, token: str | None, *, now: datetime | None = None) -> SessionInfo | None:
    """The live session of a cookie token, or ``None`` (unknown, expired, account disabled)."""
    if not token or len(token) > 200:
        return None
    at = now or now_utc()
    with st.transaction() as s:
        row = s.scalar(select(WebSession).where(WebSession.token_hash == token_hash(token)))
        if row is None:
            return None
        acc = s.get(Account, row.account_id)
        if row.expires_at <= at or acc is None or acc.disabled_at is not None:
            s.delete(row)
            return None
        return SessionInfo(row.id, _info(s, acc), row.csrf_token, row.active_case_id)


def set_active_case(st: Store, session_id: int, case_id: str | None) -> None:
    with st.transaction() as s:
        row = s.get(WebSession, session_id)
        if row is not None:
            row.active_case_id = case_id


def end_session(st: Store, token: str | None) -> None:
    if token:
        with st.transaction() as s:
            s.execute(delete(WebSession).where(WebSession.token_hash == token_hash(token)))


def change_password(st: Store, account_id: int, old: str, new: str, confirm: str, *,
                    keep_session: int | None = None) -> None:
    """A new password (the old one checked); every other session of the account is signed out."""
    check_password(new, confirm)
    with st.transaction() as s:
        acc = s.get(Account, account_id)
        if acc is None or not _verify(acc.password_hash, old[:MAX_PASSWORD]):
            raise UserError("accounts.error.wrong_password")
        acc.password_hash = hash_password(new)
        q = delete(WebSession).where(WebSession.account_id == account_id)
        if keep_session is not None:
            q = q.where(WebSession.id != keep_session)
        s.execute(q)


def disable_account(st: Store, username: str, *, now: datetime | None = None) -> AccountInfo:
    """Stop an account from signing in (its sessions end at once); its case and log are kept."""
    with st.transaction() as s:
        acc = s.scalar(select(Account).where(Account.username == username.strip().lower()))
        if acc is None:
            raise UserError("accounts.error.no_account", username=username.strip())
        if acc.disabled_at is None:
            acc.disabled_at = now or now_utc()
        s.execute(delete(WebSession).where(WebSession.account_id == acc.id))
        return _info(s, acc)


def prune(st: Store, *, now: datetime | None = None) -> None:
    """Forget expired sessions and sign-in attempts older than both windows."""
    at = now or now_utc()
    keep = timedelta(seconds=max(limits().account.seconds, limits().ip.seconds))
    with st.transaction() as s:
        s.execute(delete(WebSession).where(WebSession.expires_at <= at))
        s.execute(delete(LoginAttempt).where(LoginAttempt.at <= at - keep))
