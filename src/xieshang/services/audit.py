"""The audit log of server mode: who viewed or changed which case, when, and through which path.

Kept in the accounts store, not in the case store, so it survives an import that replaces the
case and nobody with access to a case can edit its log. The web app writes one entry per request
that opened a case (:func:`record`, from :mod:`xieshang.web.server`), grants and revocations add
their own; the borrower reads the log of their own case (:func:`entries`) and nobody else does.
With a key every column but the id, the account id and the time is encrypted; the case is found
by ``case_key``, its keyed hash.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import select

from xieshang.services.accounts import AccountInfo, now_utc
from xieshang.store.accounts_models import AuditEntry

if TYPE_CHECKING:
    from xieshang.store.db import Store

ACTIONS = ("view", "change", "grant", "revoke")
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass(frozen=True)
class AuditInfo:
    at: datetime
    username: str
    role: str
    action: str
    method: str
    path: str
    status: int


def action_of(method: str) -> str:
    return "view" if method.upper() in SAFE_METHODS else "change"


def record(st: Store, account: AccountInfo, case_id: str, *, method: str, path: str, status: int,
           action: str | None = None, at: datetime | None = None) -> None:
    with st.transaction() as s:
        s.add(AuditEntry(case_id=case_id, account_id=account.id, username=account.username,
                         role=account.role, action=action or action_of(method), method=method.upper()[:8],
                         path=path[:500], status=str(status), at=at or now_utc()))


def entries(st: Store, owner: AccountInfo, *, limit: int = 200) -> list[AuditInfo]:
    """The newest entries of the borrower's own case (nothing for anyone else)."""
    if owner.role != "borrower" or owner.case_id is None:
        return []
    with st.transaction() as s:
        rows = s.scalars(select(AuditEntry).where(AuditEntry.case_key == owner.case_id)  # hashed like the column
                         .order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).limit(limit))
        return [AuditInfo(r.at, r.username, r.role, r.action, r.method, r.path, int(r.status)) for r in rows]
