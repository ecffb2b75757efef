"""The store's data revision: a token that changes in every committed transaction that writes.

One row of ``store_revision`` (migration r0007) holds a random token. :func:`install` hooks the
store's engine: any ``INSERT``/``UPDATE``/``DELETE`` (or DDL) run on a connection marks it, and
when that transaction commits a new token is written *inside the same transaction*, just
before the ``COMMIT``. So the token and the data change together, atomically, whatever wrote —
an ORM session, a Core statement, the CLI in another process while the server runs — on SQLite
and on PostgreSQL alike (there, concurrent writers queue on the row's lock). A rolled-back
transaction changes nothing.

:func:`current` reads the token: equal tokens mean equal data, so a result computed from the
store may be reused for as long as the token is unchanged (:mod:`xieshang.services.memo`).
The token is random, not a counter, so a store restored from a backup, or written again after
a restore, never reuses the token of different data.
"""

from __future__ import annotations

import secrets
from typing import Any

from sqlalchemy import Engine, Integer, String, event, text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Mapped, mapped_column

from xieshang.store.models import Base

_WROTE = "xieshang_wrote"
_WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE", "TRUNCATE", "CREATE", "DROP", "ALTER")
_INSTALLED = "xieshang_revision_installed"


class StoreRevision(Base):
    """The data revision of the store (one row, id 1)."""

    __tablename__ = "store_revision"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    token: Mapped[str] = mapped_column(String(32))


def _mark(conn: Connection, _cursor: Any, statement: str, _params: Any, _context: Any, _many: bool) -> None:
    if statement.lstrip()[:8].upper().startswith(_WRITES):
        conn.info[_WROTE] = True


def _bump(conn: Connection) -> None:
    """On commit of a transaction that wrote: a new token, in that transaction (raw DB-API cursor,
    so this write is not itself seen by :func:`_mark`)."""
    if not conn.info.pop(_WROTE, False):
        return
    token = secrets.token_hex(16)  # hex only: safe as a literal whatever the driver's paramstyle
    cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(f"UPDATE store_revision SET token = '{token}' WHERE id = 1")
        if cursor.rowcount == 0:
            cursor.execute(f"INSERT INTO store_revision (id, token) VALUES (1, '{token}')")
    finally:
        cursor.close()


def _forget(conn: Connection) -> None:
    conn.info.pop(_WROTE, None)


def install(engine: Engine) -> None:
    """Keep the revision of the store behind ``engine`` (once its schema is at head)."""
    if engine.__dict__.get(_INSTALLED):
        return
    event.listen(engine, "before_cursor_execute", _mark)
    event.listen(engine, "commit", _bump)
    event.listen(engine, "rollback", _forget)
    engine.__dict__[_INSTALLED] = True


def current(engine: Engine) -> str | None:
    """The store's revision token now, or ``None`` when it has none (then nothing may be reused)."""
    try:
        with engine.connect() as conn:
            value = conn.execute(text("SELECT token FROM store_revision WHERE id = 1")).scalar()
    except DBAPIError:
        return None
    return None if value is None else str(value)
