"""Searchable encrypted values, and writes that never use a retired key.

:class:`BlindIndex` is the column type of a value that must be found by equality although the
value itself is encrypted (``budget_line.category_key``, ``audit_entry.case_key``): with a key,
the database holds ``xsidx:<key id>:<HMAC-SHA256>`` under a key derived from the store's active
data key (:meth:`~xieshang.store.crypto.Keyring.index`), and a comparison in a query is hashed the
same way (SQLAlchemy runs the literal through the column's type), so ``WHERE category_key = :x``
works unchanged. Without a key the value is stored as it is. Each such column names the encrypted
column it is computed from (:data:`SOURCES`), so ``keys enable`` / ``keys rotate`` recompute it.

:func:`guard_writes`: several processes may have a store open (``serve --workers``, the CLI).
When one runs ``keys rotate``, the others still hold the old keyring: they read new values
because a key id they do not know makes the keyring reload (:meth:`Keyring.refresh`), but a
write would still be sealed with the retired key, which rotation deletes once nothing uses it.
So a transaction that wrote checks, just before its ``COMMIT``, that its active key is still the
store's active key (on PostgreSQL holding a share lock on that row until the commit, so a rotation
waits for it; SQLite has one writer at a time anyway). If not, the keyring is reloaded and the
transaction is refused (``crypto.error.key_changed``: nothing is written; the next attempt works).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, String, event
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.types import TypeDecorator

from xieshang.store.crypto import INDEX_PREFIX, CryptoError, keyring_of

#: (table, index column) → the column it is the keyed hash of (every :class:`BlindIndex` column).
SOURCES: dict[tuple[str, str], str] = {("budget_line", "category_key"): "category",
                                       ("audit_entry", "case_key"): "case_id"}
_GUARDED = "xieshang_key_guard"
_WRITES = ("INSERT", "UPDATE", "DELETE")
_WROTE = "xieshang_key_guard_wrote"


class BlindIndex(TypeDecorator[str]):
    """A keyed hash of another column's value, searchable by equality (see the module docstring)."""

    impl = String(100)
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        if value is None:
            return None
        ring = keyring_of(dialect)
        return value if ring is None else ring.index(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> str | None:
        return None if value is None else str(value)


def keep_index(model: Any, column: str, source: str) -> None:
    """Every ORM insert or update of ``model`` sets ``column`` from ``source`` (hashed on the way in)."""

    def sync(_mapper: Any, _conn: Connection, target: Any) -> None:
        setattr(target, column, getattr(target, source))

    event.listen(model, "before_insert", sync)
    event.listen(model, "before_update", sync)


def is_index(value: object) -> bool:
    return isinstance(value, str) and value.startswith(INDEX_PREFIX)


def _mark(conn: Connection, _cursor: Any, statement: str, _params: Any, _context: Any, _many: bool) -> None:
    if statement.lstrip()[:8].upper().startswith(_WRITES):
        conn.info[_WROTE] = True


def _check(conn: Connection) -> None:
    if not conn.info.pop(_WROTE, False):
        return
    ring = keyring_of(conn.dialect)
    if ring is None:
        return
    kid = ring.active
    lock = " FOR SHARE" if conn.dialect.name == "postgresql" else ""
    cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:  # the key id is hex made by new_kid(): safe as a literal whatever the paramstyle
        cursor.execute(f"SELECT active FROM crypto_key WHERE kid = '{kid}'{lock}" if kid.isalnum() else "SELECT 0")
        row = cursor.fetchone()
    finally:
        cursor.close()
    if row is None or not row[0]:
        ring.refresh()
        raise CryptoError("crypto.error.key_changed")


def _forget(conn: Connection) -> None:
    conn.info.pop(_WROTE, None)


def guard_writes(engine: Engine) -> None:
    """Refuse a commit sealed with a key the store no longer has active (see the module docstring)."""
    if engine.__dict__.get(_GUARDED):
        return
    event.listen(engine, "before_cursor_execute", _mark)
    event.listen(engine, "commit", _check)
    event.listen(engine, "rollback", _forget)
    engine.__dict__[_GUARDED] = True
