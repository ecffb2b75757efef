"""The case store: migrations from empty and from every earlier revision, connection settings,
refusing databases it must not touch, creating or refusing directories."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from contextlib import closing
from decimal import Decimal
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text
from tests.child_env import child_env

from xieshang.errors import UserError
from xieshang.rates import AnnualRate, DailyRate, MonthlyRate
from xieshang.store.codec import from_fen, rate_from_text, rate_to_text, to_fen
from xieshang.store.db import (
    SCHEMA_HEAD,
    alembic_config,
    configured_location,
    head_revision,
    known_revisions,
    make_engine,
    normalize_url,
    open_store,
)
from xieshang.store.models import Base


def _revision(path: Path) -> str:
    with closing(sqlite3.connect(path)) as conn:
        return str(conn.execute("SELECT version_num FROM alembic_version").fetchone()[0])


def _schema_diff(path: Path) -> list[object]:
    engine = make_engine(f"sqlite:///{path}")
    try:
        with engine.connect() as conn:
            return list(compare_metadata(MigrationContext.configure(conn), Base.metadata))
    finally:
        engine.dispose()


def test_revisions_form_one_line() -> None:
    revs = known_revisions()
    assert revs, "at least one migration ships with the package"
    assert revs[-1] == head_revision() == SCHEMA_HEAD
    assert len(set(revs)) == len(revs)


def test_empty_database_migrates_to_head_and_matches_models(tmp_path: Path) -> None:
    db = tmp_path / "new.sqlite"
    open_store(str(db)).close()
    assert _revision(db) == head_revision()
    assert _schema_diff(db) == []


@pytest.mark.parametrize("index", range(len(known_revisions())))
def test_every_earlier_revision_migrates_to_head(tmp_path: Path, index: int) -> None:
    rev = known_revisions()[index]
    db = tmp_path / f"at-{rev}.sqlite"
    engine = make_engine(f"sqlite:///{db}")
    with engine.begin() as conn:
        command.upgrade(alembic_config(conn), rev)
    engine.dispose()
    assert _revision(db) == rev
    open_store(str(db)).close()
    assert _revision(db) == head_revision()
    assert _schema_diff(db) == []


def test_loop_over_all_revisions_then_down_and_up(tmp_path: Path) -> None:
    """Walk up one revision at a time, then down to nothing and back up to head."""
    db = tmp_path / "walk.sqlite"
    engine = make_engine(f"sqlite:///{db}")
    for rev in known_revisions():
        with engine.begin() as conn:
            command.upgrade(alembic_config(conn), rev)
        assert _revision(db) == rev
    with engine.begin() as conn:
        command.downgrade(alembic_config(conn), "base")
    with engine.connect() as conn:
        tables = {r[0] for r in conn.execute(text("SELECT name FROM sqlite_master WHERE type='table'"))}
    assert tables <= {"alembic_version"}
    engine.dispose()
    open_store(str(db)).close()
    assert _schema_diff(db) == []


def test_connections_use_wal_and_foreign_keys(tmp_path: Path) -> None:
    store = open_store(str(tmp_path / "s.sqlite"))
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        with pytest.raises(Exception, match=r"(?i)foreign key"):
            conn.exec_driver_sql("INSERT INTO payment (loan_id, paid_on, amount_fen) VALUES (999, '2025-01-01', 100)")
    store.close()


def test_database_from_a_newer_version_is_refused_untouched(tmp_path: Path) -> None:
    db = tmp_path / "newer.sqlite"
    open_store(str(db)).close()
    with closing(sqlite3.connect(db)) as conn:
        conn.execute("UPDATE alembic_version SET version_num = 'zz99_from_the_future'")
        conn.commit()
    before = db.read_bytes()
    with pytest.raises(UserError) as exc:
        open_store(str(db))
    assert exc.value.key == "error.case.db_newer"
    assert db.read_bytes() == before
    assert _revision(db) == "zz99_from_the_future"


def test_foreign_sqlite_and_garbage_files_are_refused(tmp_path: Path) -> None:
    other = tmp_path / "other.sqlite"
    with closing(sqlite3.connect(other)) as conn:
        conn.execute("CREATE TABLE notes (x TEXT)")
        conn.commit()
    with pytest.raises(UserError) as exc:
        open_store(str(other))
    assert exc.value.key == "error.case.not_a_store"
    garbage = tmp_path / "garbage.sqlite"
    garbage.write_bytes(b"this is not a database at all, just text " * 50)
    before = garbage.read_bytes()
    with pytest.raises(UserError) as exc2:
        open_store(str(garbage))
    assert exc2.value.key == "error.case.not_a_store"
    assert garbage.read_bytes() == before


def test_missing_parent_directories_are_created(tmp_path: Path) -> None:
    db = tmp_path / "a" / "b" / "c" / "case.sqlite"
    open_store(str(db)).close()
    assert db.is_file()


def test_directory_that_cannot_be_created_is_a_user_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(UserError) as exc:
        open_store(str(blocker / "sub" / "case.sqlite"))
    assert exc.value.key == "error.case.dir_unusable"
    with pytest.raises(UserError) as exc2:
        open_store(str(tmp_path))
    assert exc2.value.key == "error.case.db_is_dir"


def test_missing_store_is_not_created_when_only_reading(tmp_path: Path) -> None:
    db = tmp_path / "none.sqlite"
    with pytest.raises(UserError) as exc:
        open_store(str(db), create=False)
    assert exc.value.key == "error.case.no_store"
    assert not db.exists()


def test_codec_round_trips() -> None:
    for amount in (Decimal("0.01"), Decimal("1234.50"), Decimal("99999999999.99")):
        assert from_fen(to_fen(amount)) == amount
        assert str(from_fen(to_fen(amount))) == f"{amount:.2f}"
    with pytest.raises(ValueError):
        to_fen(Decimal("1.005"))
    for rate in (DailyRate(Decimal("0.0005")), AnnualRate(Decimal("0.146")), MonthlyRate(Decimal("0.01"))):
        assert rate_from_text(rate_to_text(rate)) == rate
    assert rate_to_text(DailyRate(Decimal("0.0005"))) == "0.0005/daily"
    assert rate_to_text(DailyRate(Decimal("1E-7"))) == "0.0000001/daily"


# ---------------------------------------------------------------------------------------
# The same migrations on PostgreSQL (a throwaway server, see tests/conftest.py)
# ---------------------------------------------------------------------------------------


def _pg_revision(url: str) -> str:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return str(conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one())
    finally:
        engine.dispose()


def _pg_schema_diff(url: str) -> list[object]:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return list(compare_metadata(MigrationContext.configure(conn), Base.metadata))
    finally:
        engine.dispose()


def test_empty_postgresql_database_migrates_to_head_and_matches_models(pg_database: Callable[..., str]) -> None:
    url = pg_database(empty=True)
    open_store(url).close()
    assert _pg_revision(url) == head_revision()
    assert _pg_schema_diff(url) == []


@pytest.mark.parametrize("index", range(len(known_revisions())))
def test_every_earlier_revision_migrates_to_head_on_postgresql(pg_database: Callable[..., str], index: int) -> None:
    rev = known_revisions()[index]
    url = pg_database(empty=True)
    engine = make_engine(url)
    with engine.begin() as conn:
        command.upgrade(alembic_config(conn), rev)
    engine.dispose()
    assert _pg_revision(url) == rev
    open_store(url).close()
    assert _pg_revision(url) == head_revision()
    assert _pg_schema_diff(url) == []


def test_postgresql_walk_all_revisions_then_down_and_up(pg_database: Callable[..., str]) -> None:
    url = pg_database(empty=True)
    engine = make_engine(url)
    try:
        for rev in known_revisions():
            with engine.begin() as conn:
                command.upgrade(alembic_config(conn), rev)
            assert _pg_revision(url) == rev
        with engine.begin() as conn:
            command.downgrade(alembic_config(conn), "base")
        with engine.connect() as conn:
            tables = set(inspect(conn).get_table_names())
        assert tables <= {"alembic_version"}
    finally:
        engine.dispose()
    open_store(url).close()
    assert _pg_schema_diff(url) == []


def test_postgresql_store_from_a_newer_version_is_refused_and_urls_are_normalised(
        pg_database: Callable[..., str]) -> None:
    url = pg_database()
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = 'zz99_from_the_future'"))
    engine.dispose()
    with pytest.raises(UserError) as exc:
        open_store(url)
    assert exc.value.key == "error.case.db_newer"
    assert _pg_revision(url) == "zz99_from_the_future"
    plain = url.replace("postgresql+psycopg://", "postgresql://")
    with pytest.raises(UserError):
        open_store(plain)  # the same database through a plain postgresql:// URL (psycopg 3)
    assert normalize_url("postgres://u:secret@h/db") == "postgresql+psycopg://u:secret@h/db"


def test_postgresql_location_hides_the_password(pg_database: Callable[..., str]) -> None:
    url = pg_database().replace("xieshang@", "xieshang:s3cret@")  # trust auth ignores the password
    store = open_store(url)
    try:
        assert "s3cret" not in store.location and "***" in store.location
    finally:
        store.close()


def test_database_url_is_read_when_xieshang_db_is_not_set(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("XIESHANG_DB", raising=False)
    monkeypatch.setenv("DATABASE_URL", "postgresql://u@h/db")
    assert configured_location() == "postgresql://u@h/db"
    monkeypatch.setenv("XIESHANG_DB", "/tmp/x.sqlite")
    assert configured_location() == "/tmp/x.sqlite"


def test_database_url_option_and_variable_choose_the_store(tmp_path: Path) -> None:
    """``--database-url`` wins over ``XIESHANG_DB``; ``DATABASE_URL`` is used when nothing else is set."""
    import subprocess
    import sys

    def run(env_extra: dict[str, str], *args: str) -> None:
        env = child_env(("XIESHANG_", "DATABASE_URL"))
        proc = subprocess.run([sys.executable, "-m", "xieshang", *args], env={**env, **env_extra},
                              capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=120, check=False)
        assert proc.returncode == 0, proc.stderr

    named, option, from_env = tmp_path / "named.sqlite", tmp_path / "option.sqlite", tmp_path / "env.sqlite"
    run({"XIESHANG_DB": str(named)}, "--database-url", str(option), "init", "--name", "甲")
    assert option.is_file() and not named.exists()
    run({"DATABASE_URL": str(from_env)}, "init", "--name", "乙")
    assert from_env.is_file()
