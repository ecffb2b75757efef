"""Who may open which case, in server mode: the one place case access is decided.

Each borrower's case is a tenant of its own: a normal case store (``<data dir>/cases/<case
id>.sqlite``), so every existing service, given that store, can only ever read or change that
one case — scoping by construction, not by a ``WHERE`` in each query. What this module adds is
the gate in front of it: :func:`open_case` turns (the signed-in account, a case id) into the
case's :class:`~xieshang.store.db.Store`, or raises the same not-found error as an unknown id
(the web app answers 404), so nobody learns that a case they may not see exists.

The rules: a borrower opens their own case; a counsellor opens a case while its borrower's
grant is in force (revoking takes effect on the very next request: nothing is cached but the
open database engine); an admin manages accounts and opens no case at all.

Where cases live: :func:`case_location` is the single place that maps a case id to a store. With
SQLite (the default) it is a file per case under the data dir; when ``XIESHANG_DB`` is a
PostgreSQL URL, a schema per case (``case_<id>``) in that database, reached through the URL's
``search_path`` — the case store's own migrations run inside it unchanged — and the accounts
store in the schema ``accounts`` (or wherever ``XIESHANG_ACCOUNTS_DB`` points).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import select

from xieshang.errors import UserError
from xieshang.services.accounts import AccountInfo, now_utc
from xieshang.store.accounts_models import Account, CaseFile, Grant

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from xieshang.store.db import Store

NOT_FOUND = "web.error.not_found"


@dataclass
class Server:
    """Server mode's open state: the accounts store, the data dir and the case stores opened so far."""

    accounts: Store
    data_dir: Path
    cookie_secure: bool = True
    #: A PostgreSQL URL: cases are schemas in that database instead of files under ``data_dir``.
    cases_url: str | None = None
    _cases: dict[str, Store] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def case_store(self, case_id: str) -> Store:
        """The (cached) store of a case id that exists; the caller has checked access."""
        from xieshang.store.db import open_store

        with self._lock:
            st = self._cases.get(case_id)
            if st is None:
                st = open_store(case_location(self.data_dir, case_id, self.cases_url), create=True)
                self._cases[case_id] = st
            return st

    def close(self) -> None:
        with self._lock:
            for st in self._cases.values():
                st.close()
            self._cases.clear()
        self.accounts.close()


def open_server(data_dir: Path | None = None, *, database_url: str | None = None) -> Server:
    """Server mode's state: SQLite files under ``data_dir``, or schemas in ``database_url`` for
    PostgreSQL. ``None`` means the store location the CLI would use (``--db``, ``XIESHANG_DB`` …) when
    that is a URL; ``""`` means SQLite whatever the environment says."""
    import os

    from xieshang.store.accounts_db import ACCOUNTS_DB_ENV, configured_data_dir, open_accounts_store
    from xieshang.store.db import configured_location

    folder = data_dir or configured_data_dir()
    base = configured_location() if database_url is None else database_url
    base = _psycopg(base) if "://" in base else ""
    accounts_url = os.environ.get(ACCOUNTS_DB_ENV, "").strip() or (schema_url(base, "accounts") if base else None)
    return Server(accounts=open_accounts_store(folder, url=accounts_url), data_dir=folder, cases_url=base or None)


def _psycopg(url: str) -> str:
    """``postgresql://`` / ``postgres://`` → the psycopg 3 driver xieshang ships with."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def schema_url(base_url: str, schema: str) -> str:
    """``base_url`` whose connections use ``schema`` (created if missing) as their ``search_path``."""
    from sqlalchemy import text
    from sqlalchemy.engine import make_url

    from xieshang.store.db import make_engine

    if not schema.replace("_", "").isalnum():
        raise UserError(NOT_FOUND)
    engine = make_engine(base_url)
    try:
        with engine.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
    finally:
        engine.dispose()
    url = make_url(base_url).update_query_dict({"options": f"-csearch_path={schema}"})
    return url.render_as_string(hide_password=False)


def case_location(data_dir: Path, case_id: str, base_url: str | None = None) -> str:
    """Where a case's store lives: a SQLite file, or a PostgreSQL schema of ``base_url``.
    Case ids are random hex made by the accounts service."""
    if not case_id.isalnum() or len(case_id) > 32:
        raise UserError(NOT_FOUND)
    if base_url:
        return schema_url(base_url, f"case_{case_id.lower()}")
    return str(data_dir / "cases" / f"{case_id}.sqlite")


def _active_grant(s: Session, case_id: str, counsellor_id: int) -> Grant | None:
    return s.scalar(select(Grant).where(Grant.case_id == case_id, Grant.counsellor_id == counsellor_id,
                                        Grant.revoked_at.is_(None)))


def may_open(st: Store, account: AccountInfo, case_id: str | None) -> bool:
    """Whether ``account`` may see the case ``case_id`` right now (read from the database each time)."""
    if not case_id:
        return False
    with st.transaction() as s:
        case = s.get(CaseFile, case_id)
        if case is None:
            return False
        if account.role == "borrower":
            return case.owner_id == account.id
        if account.role == "counsellor":
            return _active_grant(s, case_id, account.id) is not None
        return False  # admin: accounts, no case content


def case_for(account: AccountInfo, active_case_id: str | None) -> str | None:
    """The case a request of this account is about: a borrower's own, a counsellor's opened one."""
    if account.role == "borrower":
        return account.case_id
    if account.role == "counsellor":
        return active_case_id
    return None


def open_case(server: Server, account: AccountInfo, case_id: str | None) -> Store:
    """The case's store, or the not-found error when ``account`` may not open it (or it does not exist)."""
    if not may_open(server.accounts, account, case_id):
        raise UserError(NOT_FOUND)
    assert case_id is not None
    return server.case_store(case_id)


# --- grants ----------------------------------------------------------------------------


@dataclass(frozen=True)
class GrantInfo:
    id: int
    case_id: str
    counsellor: str
    counsellor_name: str
    borrower: str
    borrower_name: str
    granted_at: datetime
    revoked_at: datetime | None


def _grant_info(s: Session, g: Grant) -> GrantInfo:
    counsellor = s.get(Account, g.counsellor_id)
    case = s.get(CaseFile, g.case_id)
    owner = s.get(Account, case.owner_id) if case is not None else None
    assert counsellor is not None and owner is not None
    return GrantInfo(g.id, g.case_id, counsellor.username, counsellor.display_name, owner.username,
                     owner.display_name, g.granted_at, g.revoked_at)


def _own_case(account: AccountInfo) -> str:
    if account.role != "borrower" or account.case_id is None:
        raise UserError(NOT_FOUND)
    return account.case_id


def grant(st: Store, owner: AccountInfo, counsellor_username: str, *, now: datetime | None = None) -> GrantInfo:
    """The borrower lets a counsellor (by user name) see their case; granting twice changes nothing."""
    case_id = _own_case(owner)
    with st.transaction() as s:
        counsellor = s.scalar(select(Account).where(Account.username == counsellor_username.strip().lower(),
                                                    Account.role == "counsellor", Account.disabled_at.is_(None)))
        if counsellor is None:
            raise UserError("accounts.error.no_counsellor", username=counsellor_username.strip())
        g = _active_grant(s, case_id, counsellor.id)
        if g is None:
            g = Grant(case_id=case_id, counsellor_id=counsellor.id, granted_at=now or now_utc())
            s.add(g)
            s.flush()
        return _grant_info(s, g)


def revoke(st: Store, owner: AccountInfo, grant_id: int, *, now: datetime | None = None) -> GrantInfo:
    """End a grant of the borrower's own case (another case's grant id is not found)."""
    case_id = _own_case(owner)
    with st.transaction() as s:
        g = s.get(Grant, grant_id)
        if g is None or g.case_id != case_id:
            raise UserError(NOT_FOUND)
        if g.revoked_at is None:
            g.revoked_at = now or now_utc()
        return _grant_info(s, g)


def grants_of_case(st: Store, owner: AccountInfo) -> list[GrantInfo]:
    case_id = _own_case(owner)
    with st.transaction() as s:
        rows = s.scalars(select(Grant).where(Grant.case_id == case_id).order_by(Grant.granted_at.desc(), Grant.id))
        return [_grant_info(s, g) for g in rows]


def granted_cases(st: Store, counsellor: AccountInfo) -> list[GrantInfo]:
    """The cases a counsellor may open now."""
    if counsellor.role != "counsellor":
        return []
    with st.transaction() as s:
        rows = s.scalars(select(Grant).where(Grant.counsellor_id == counsellor.id, Grant.revoked_at.is_(None))
                         .order_by(Grant.granted_at.desc()))
        return [_grant_info(s, g) for g in rows]
