"""Alembic environment: runs on the connection :mod:`xieshang.store.db` hands over.

No ``alembic.ini`` is needed. For development, ``alembic`` can still be pointed at this folder
with ``-x url=sqlite:///path`` (or ``sqlalchemy.url`` set in a config of your own).
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine
from sqlalchemy.engine import Connection

from xieshang.store.models import Base


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=True,  # SQLite needs batch mode to alter tables
        compare_type=True,
    )
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
    engine = create_engine(url)
    with engine.begin() as conn:
        _run(conn)


if context.is_offline_mode():  # pragma: no cover - the store never runs offline
    raise RuntimeError("offline (SQL script) mode is not supported")
run()
