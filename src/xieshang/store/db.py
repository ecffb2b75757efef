"""Opening the case store: where it lives, connection settings, migrations on open.

The default store is one SQLite file, ``<user data dir>/xieshang/xieshang.sqlite``
(platformdirs); ``XIESHANG_DB`` (set by the root ``--db`` or ``--database-url`` option) names
another file, or a SQLAlchemy URL (``postgresql+psycopg://…``) for a server database;
``DATABASE_URL`` is read when ``XIESHANG_DB`` is not set. ``postgresql://`` URLs use psycopg 3.
The same migrations serve SQLite and PostgreSQL (docs/server.md).

Every SQLite connection runs in WAL mode with foreign keys on. The pysqlite driver's own
transaction handling is switched off and ``BEGIN`` is emitted explicitly, so schema changes
and data changes are both atomic. Opening runs the shipped Alembic migrations up to head; a
database stamped with a revision this version does not know (written by a newer xieshang) is
refused and left untouched.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, inspect, make_url, text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DatabaseError, OperationalError
from sqlalchemy.orm import Session

from xieshang.errors import UserError


def _schema_head() -> str:
    """The newest revision shipped: migrations form one chain named ``rNNNN_<what>.py``, NNNN = id."""
    folder = resources.files("xieshang.store") / "migrations" / "versions"
    ids = [e.name[1:5] for e in folder.iterdir()
           if e.name.startswith("r") and e.name.endswith(".py") and e.name[1:5].isdigit()]
    return max(ids)


#: The newest schema revision this version ships (a test keeps it equal to Alembic's head).
#: Opening a store already at this revision skips loading Alembic entirely.
SCHEMA_HEAD = _schema_head()

ENV_VAR = "XIESHANG_DB"
URL_ENV_VAR = "DATABASE_URL"
APP_NAME = "xieshang"
FILE_NAME = "xieshang.sqlite"


def migrations_dir() -> Path:
    """The folder of the shipped Alembic scripts (inside the installed package)."""
    return Path(str(resources.files("xieshang.store") / "migrations"))


def default_path() -> Path:
    from platformdirs import user_data_dir

    return Path(user_data_dir(APP_NAME, appauthor=False)) / FILE_NAME


def _is_url(value: str) -> bool:
    return "://" in value


def configured_location() -> str:
    """``XIESHANG_DB`` if set, else ``DATABASE_URL`` if set, else the default file path."""
    value = os.environ.get(ENV_VAR, "").strip() or os.environ.get(URL_ENV_VAR, "").strip()
    return value or str(default_path())


def normalize_url(url: str) -> str:
    """``postgresql://`` and ``postgres://`` (as hosting services write them) mean psycopg 3 here."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def alembic_config(connection: Connection | None = None) -> Any:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(migrations_dir()))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def known_revisions() -> list[str]:
    """Every revision shipped with this version, oldest first."""
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(alembic_config())
    return [rev.revision for rev in reversed(list(script.walk_revisions()))]


def head_revision() -> str:
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def _sqlite_on_connect(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy (not the driver) decide where transactions begin; see _sqlite_on_begin.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
    finally:
        cursor.close()


def _sqlite_on_begin(connection: Connection) -> None:
    connection.exec_driver_sql("BEGIN")


def make_engine(url: str) -> Engine:
    """An engine for ``url`` with the store's connection settings (SQLite: WAL, foreign keys)."""
    engine = create_engine(normalize_url(url))
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_on_connect)
        event.listen(engine, "begin", _sqlite_on_begin)
    return engine


@dataclass
class Store:
    """An open case store. Use :meth:`transaction` for every unit of work."""

    location: str
    engine: Engine
    #: "case" (a case store) or "accounts" (server mode's accounts store): which tables it has.
    kind: str = "case"

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """One session in one transaction: committed on success, rolled back on any error."""
        try:
            with Session(self.engine, expire_on_commit=False) as session, session.begin():
                yield session
        except OperationalError as exc:
            raise _db_error(self.location, exc) from exc

    def close(self) -> None:
        self.engine.dispose()


def _db_error(location: str, exc: Exception) -> UserError:
    text = str(getattr(exc, "orig", exc))
    if "readonly" in text or "read-only" in text or "unable to open" in text:
        return UserError("error.case.db_readonly", path=location)
    if "locked" in text or "busy" in text:
        return UserError("error.case.db_locked", path=location)
    if "disk is full" in text or "No space left" in text:
        return UserError("error.case.db_full", path=location)
    if "disk I/O error" in text:
        return UserError("error.case.db_io", path=location)
    return UserError("error.case.db_failed", path=location, detail=text)


def _prepare_sqlite_file(path: Path, *, create: bool) -> None:
    if path.exists():
        if path.is_dir():
            raise UserError("error.case.db_is_dir", path=str(path))
        if not os.access(path, os.R_OK | os.W_OK) or not os.access(path.parent, os.W_OK | os.X_OK):
            raise UserError("error.case.db_readonly", path=str(path))
        return
    if not create:
        raise UserError("error.case.no_store", path=str(path))
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UserError("error.case.dir_unusable", path=str(path.parent), detail=exc.strerror or str(exc)) from exc
    if not path.parent.is_dir() or not os.access(path.parent, os.W_OK | os.X_OK):
        raise UserError("error.case.dir_unusable", path=str(path.parent), detail="read-only")


def _stamped(conn: Connection) -> set[str] | None:
    """The revisions in ``alembic_version``, or ``None`` when there is no such table."""
    if not inspect(conn).has_table("alembic_version"):
        return None
    return {str(r[0]) for r in conn.execute(text("SELECT version_num FROM alembic_version"))}


def _check_and_migrate(store: Store) -> None:
    with store.engine.connect() as conn:
        if _stamped(conn) == {SCHEMA_HEAD}:
            return  # the usual case: nothing to migrate, no Alembic import
    from alembic import command
    from alembic.runtime.migration import MigrationContext

    known = set(known_revisions())
    head = head_revision()
    with store.engine.begin() as conn:
        current = set(MigrationContext.configure(conn).get_current_heads())
        unknown = sorted(current - known)
        if unknown:
            raise UserError("error.case.db_newer", path=store.location, revision=", ".join(unknown))
        if not current and set(inspect(conn).get_table_names()) - {"alembic_version"}:
            raise UserError("error.case.not_a_store", path=store.location)
        if current != {head}:
            command.upgrade(alembic_config(conn), "head")


def open_store(location: str | None = None, *, create: bool = True) -> Store:
    """Open (and, with ``create``, create) the store and bring its schema to head.

    ``create=False`` refuses a missing SQLite file instead of creating it, so read-only
    commands never leave an empty store behind.
    """
    loc = location or configured_location()
    if _is_url(loc):
        url = normalize_url(loc)
        loc = make_url(url).render_as_string(hide_password=True)  # messages never show a password
    else:
        path = Path(loc).expanduser().absolute()
        _prepare_sqlite_file(path, create=create)
        loc = str(path)
        url = f"sqlite:///{path}"
    store = Store(location=loc, engine=make_engine(url))
    try:
        _check_and_migrate(store)
        from xieshang.store.revision import install

        install(store.engine)  # every committed write changes the store's revision (store/revision.py)
        from xieshang.store.crypto import unlock

        unlock(store)  # encryption at rest: attach the keyring (or refuse a missing/wrong key)
    except UserError:
        store.close()
        raise
    except (DatabaseError, sqlite3.DatabaseError) as exc:
        store.close()
        text = str(getattr(exc, "orig", exc))
        if "not a database" in text or "malformed" in text:
            raise UserError("error.case.not_a_store", path=loc) from exc
        raise _db_error(loc, exc) from exc
    return store
