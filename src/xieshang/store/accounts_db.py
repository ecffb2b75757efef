"""Opening the accounts store of server mode: where it lives and its own migrations.

Server mode (see :mod:`xieshang.services.access`) keeps its data under one *data dir*:
``<data dir>/accounts.sqlite`` for accounts, sessions, grants and the audit log, and
``<data dir>/cases/<case id>.sqlite`` for each borrower's case, a normal case store. The data
dir is ``XIESHANG_DATA_DIR`` (the ``--data-dir`` option), else ``<user data dir>/xieshang/server``.
``XIESHANG_ACCOUNTS_DB`` may name the accounts store as a SQLAlchemy URL instead (PostgreSQL).

The accounts store is migrated on open like a case store, by its own Alembic chain in
``accounts_migrations`` (version table ``accounts_alembic_version``); a store stamped with a
revision this version does not know is refused.
"""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path
from typing import Any

from sqlalchemy import inspect, text

from xieshang.errors import UserError
from xieshang.store.db import APP_NAME, Store, _prepare_sqlite_file, make_engine

DATA_DIR_ENV = "XIESHANG_DATA_DIR"
ACCOUNTS_DB_ENV = "XIESHANG_ACCOUNTS_DB"
ACCOUNTS_FILE = "accounts.sqlite"
VERSION_TABLE = "accounts_alembic_version"


def default_data_dir() -> Path:
    from platformdirs import user_data_dir

    return Path(user_data_dir(APP_NAME, appauthor=False)) / "server"


def configured_data_dir() -> Path:
    value = os.environ.get(DATA_DIR_ENV, "").strip()
    return Path(value).expanduser().absolute() if value else default_data_dir()


def _config(connection: Any = None) -> Any:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(resources.files("xieshang.store") / "accounts_migrations"))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def accounts_head() -> str:
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(_config()).get_current_head()
    assert head is not None
    return head


def _migrate(store: Store) -> None:
    from alembic import command
    from alembic.script import ScriptDirectory

    known = {rev.revision for rev in ScriptDirectory.from_config(_config()).walk_revisions()}
    with store.engine.begin() as conn:
        current: set[str] = set()
        if inspect(conn).has_table(VERSION_TABLE):
            current = {str(r[0]) for r in conn.execute(text(f"SELECT version_num FROM {VERSION_TABLE}"))}
        unknown = sorted(current - known)
        if unknown:
            raise UserError("error.case.db_newer", path=store.location, revision=", ".join(unknown))
        if current != {accounts_head()}:
            command.upgrade(_config(conn), "head")


def open_accounts_store(data_dir: Path | None = None, *, url: str | None = None) -> Store:
    """The accounts store (created and migrated to head if needed)."""
    location = url or os.environ.get(ACCOUNTS_DB_ENV, "").strip()
    if location:
        store = Store(location=location, engine=make_engine(location), kind="accounts")
    else:
        path = (data_dir or configured_data_dir()) / ACCOUNTS_FILE
        _prepare_sqlite_file(path, create=True)
        store = Store(location=str(path), engine=make_engine(f"sqlite:///{path}"), kind="accounts")
    try:
        _migrate(store)
        from xieshang.store.crypto import unlock

        unlock(store)  # encrypted like a case store when a key is configured (display names, audit log)
    except Exception:
        store.close()
        raise
    return store
