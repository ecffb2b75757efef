"""Raw SQL on a test store of either back-end, for tests that tamper with the database directly.

:func:`raw` gives a connection in autocommit mode whose ``execute(sql, params)`` takes SQLite's
``?`` placeholders on both back-ends. On PostgreSQL, ``PRAGMA foreign_keys = OFF`` becomes
``SET session_replication_role = replica`` (foreign-key triggers off for this session; the test
server's user is a superuser), so one tampering script serves both.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from xieshang.store.db import Store


class _Pg:
    def __init__(self, store: Store) -> None:
        import psycopg

        url = store.engine.url
        host = url.query.get("host") or url.host
        self._conn = psycopg.connect(dbname=url.database, user=url.username, password=url.password,
                                     host=str(host) if host else None, port=url.port, autocommit=True)

    def execute(self, sql: str, params: tuple[Any, ...] = ()) -> Any:
        if sql.strip().upper().replace(" ", "") == "PRAGMAFOREIGN_KEYS=OFF":
            sql = "SET session_replication_role = replica"
        return self._conn.execute(sql.replace("?", "%s"), params)  # type: ignore[arg-type]

    def close(self) -> None:
        self._conn.close()


def raw(store: Store) -> Any:
    """An autocommit connection to ``store`` (sqlite3, or a psycopg wrapper that speaks ``?``)."""
    if store.engine.dialect.name == "sqlite":
        conn = sqlite3.connect(store.location)
        conn.isolation_level = None
        return conn
    return _Pg(store)


def is_url(location: object) -> bool:
    return "://" in str(location)


def server_rows(url: str) -> list[Any]:
    """Every row of every table of a server database (the SQLite tests compare file bytes too)."""
    from sqlalchemy import inspect, text

    from xieshang.store.db import make_engine

    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            names = sorted(inspect(conn).get_table_names())
            return [(t, [tuple(r) for r in conn.execute(text(f'SELECT * FROM "{t}" ORDER BY 1'))]) for t in names]
    finally:
        engine.dispose()
