"""The case store: migrations from empty and from every earlier revision, connection settings,
refusing databases it must not touch, creating or refusing directories."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from decimal import Decimal
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text

from xieshang.errors import UserError
from xieshang.rates import AnnualRate, DailyRate, MonthlyRate
from xieshang.store.codec import from_fen, rate_from_text, rate_to_text, to_fen
from xieshang.store.db import (
    SCHEMA_HEAD,
    alembic_config,
    head_revision,
    known_revisions,
    make_engine,
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
