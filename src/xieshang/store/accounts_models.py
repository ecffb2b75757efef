"""The schema of the *accounts* store of server mode (not of a case store).

Server mode keeps every borrower's case in a store of its own (see
:mod:`xieshang.services.access`); what is about people and access lives here, in a separate
database with its own migration chain (``accounts_migrations``, version table
``accounts_alembic_version``), so a case store never holds another person's data and the case
schema stays exactly what local mode uses:

- :class:`Account` — a user with a role (borrower, counsellor, admin) and an argon2 hash;
- :class:`CaseFile` — one borrower's case: an opaque random id naming its case store;
- :class:`Grant` — a borrower lets a counsellor see their case (revoked by setting ``revoked_at``);
- :class:`Invitation` — a one-time sign-up link (only the SHA-256 of its token is stored);
- :class:`WebSession` — a signed-in browser (only the SHA-256 of the cookie token is stored);
- :class:`LoginAttempt` — failed and successful sign-ins, for rate limiting;
- :class:`AuditEntry` — who viewed or changed which case, when, and through which path.

With a key (``XIESHANG_KEY`` / a passphrase) the store is encrypted like a case store: its own
``crypto_master``/``crypto_key`` (the same tables, copied into this metadata at the end), the
display names and the audit log's columns encrypted, the audit log's case found by a keyed hash.

Times are UTC, stored naive (``DateTime`` without zone) for SQLite/PostgreSQL portability.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, Integer, MetaData, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from xieshang.store.crypto import EncryptedText  # display names and the audit log are encrypted at rest
from xieshang.store.crypto_guard import BlindIndex, keep_index
from xieshang.store.models import NAMING_CONVENTION

ROLES = ("borrower", "counsellor", "admin")


class AccountsBase(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Account(AccountsBase):
    __tablename__ = "account"
    __table_args__ = (CheckConstraint("role IN ('borrower', 'counsellor', 'admin')", name="role"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(EncryptedText(200))
    role: Mapped[str] = mapped_column(String(16))
    password_hash: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    disabled_at: Mapped[datetime | None] = mapped_column(DateTime)


class CaseFile(AccountsBase):
    __tablename__ = "case_file"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("account.id", ondelete="CASCADE"), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)


class Grant(AccountsBase):
    __tablename__ = "access_grant"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("case_file.id", ondelete="CASCADE"), index=True)
    counsellor_id: Mapped[int] = mapped_column(ForeignKey("account.id", ondelete="CASCADE"), index=True)
    granted_at: Mapped[datetime] = mapped_column(DateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime)


class Invitation(AccountsBase):
    __tablename__ = "invitation"
    __table_args__ = (CheckConstraint("role IN ('borrower', 'counsellor', 'admin')", name="role"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    created_by: Mapped[int | None] = mapped_column(ForeignKey("account.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    expires_at: Mapped[datetime] = mapped_column(DateTime)
    used_at: Mapped[datetime | None] = mapped_column(DateTime)
    used_by: Mapped[int | None] = mapped_column(ForeignKey("account.id", ondelete="SET NULL"))


class WebSession(AccountsBase):
    __tablename__ = "web_session"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id", ondelete="CASCADE"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    active_case_id: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    expires_at: Mapped[datetime] = mapped_column(DateTime)


class LoginAttempt(AccountsBase):
    __tablename__ = "login_attempt"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), index=True)
    ip: Mapped[str] = mapped_column(String(64), index=True)
    at: Mapped[datetime] = mapped_column(DateTime, index=True)
    ok: Mapped[bool]


class AuditEntry(AccountsBase):
    __tablename__ = "audit_entry"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[str] = mapped_column(EncryptedText(32), index=True)
    #: the keyed hash of ``case_id``: a case's entries are found by it (see store/crypto_guard.py)
    case_key: Mapped[str | None] = mapped_column(BlindIndex(), index=True)
    account_id: Mapped[int | None] = mapped_column(ForeignKey("account.id", ondelete="SET NULL"))
    username: Mapped[str] = mapped_column(EncryptedText(64))
    role: Mapped[str] = mapped_column(EncryptedText(16))
    action: Mapped[str] = mapped_column(EncryptedText(16))  # view | change | grant | revoke
    method: Mapped[str] = mapped_column(EncryptedText(8))
    path: Mapped[str] = mapped_column(EncryptedText(500))
    status: Mapped[str] = mapped_column(EncryptedText())  # the HTTP status, as text
    at: Mapped[datetime] = mapped_column(DateTime, index=True)


keep_index(AuditEntry, "case_key", "case_id")


keep_index(AuditEntry, "case_key", "case_id")


def _crypto_tables() -> None:
    """The accounts store has the case store's two crypto tables (migration a0002)."""
    from xieshang.store.models_crypto import CryptoKey, CryptoMaster

    for model in (CryptoMaster, CryptoKey):
        model.__table__.to_metadata(AccountsBase.metadata)  # type: ignore[attr-defined]


_crypto_tables()
