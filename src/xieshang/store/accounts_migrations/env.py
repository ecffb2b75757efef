"""Alembic environment of the accounts store (server mode); see :mod:`xieshang.store.accounts_db`.

Its own chain (``aNNNN_<what>.py``) and version table (``accounts_alembic_version``), so it can
share a PostgreSQL database with case schemas without touching the case store's ``alembic_version``.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine
from sqlalchemy.engine import Connection

from xieshang.store.accounts_models import AccountsBase

VERSION_TABLE = "accounts_alembic_version"


def _run(connection: Connection) -> None:
    context.configure(connection=connection, target_metadata=AccountsBase.metadata, render_as_batch=True,
                      compare_type=True, version_table=VERSION_TABLE)
    with context.begin_transaction():
        context.run_migrations()


def run() -> None:
    config = context.config
    connection = config.attributes.get("connection")
    if isinstance(connection, Connection):
        _run(connection)
        return
    url = context.get_x_argument(as_dictionary=True).get("url") or config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("no database: pass -x url=... or set sqlalchemy.url")
    with create_engine(url).begin() as conn:
        _run(conn)


if context.is_offline_mode():  # pragma: no cover - the store never runs offline
    raise RuntimeError("offline (SQL script) mode is not supported")
run()
