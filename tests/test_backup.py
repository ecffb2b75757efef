"""Backup and restore end to end, on SQLite and on PostgreSQL: the real ``python -m xieshang``.

Restore into an empty store gives a byte-identical ``xieshang export`` and the same rows in
every table; the attachments come along; a non-empty store, a damaged file and a file whose
rows break a constraint are refused with nothing written; a backup taken during a burst of
writes from another process restores to a store whose hash chain verifies.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, text
from tests.child_env import child_env
from tests.records_helpers import png_bytes

from xieshang.services.backup import tables
from xieshang.store.db import open_store


def run(location: str, *args: str, check: int | None = 0, lang: str = "en",
        attachments: Path | None = None, key: str | None = None) -> subprocess.CompletedProcess[str]:
    env = child_env(("XIESHANG_", "LC_", "LANG", "DATABASE_URL"))
    env["XIESHANG_DB"] = location
    if key is not None:
        env["XIESHANG_KEY"] = key
    env["COLUMNS"] = "200"
    if attachments is not None:
        env["XIESHANG_ATTACHMENTS"] = str(attachments)
    proc = subprocess.run([sys.executable, "-m", "xieshang", *args, "--lang", lang], env=env,
                          capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=180)
    if check is not None:
        assert proc.returncode == check, (args, proc.stdout, proc.stderr)
    return proc


def rows(location: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, by primary key."""
    st = open_store(location, create=False)
    try:
        with st.engine.connect() as conn:
            return {t.name: [tuple(r) for r in conn.execute(select(t).order_by(*t.primary_key.columns))]
                    for t in tables()}
    finally:
        st.close()


def folder(tmp_path: Path, name: str) -> Path:
    """A per-store attachment folder (PostgreSQL stores share one unless told otherwise)."""
    return tmp_path / f"att-{name}"


def make_case(location: str, tmp_path: Path, attachments: Path, key: str | None = None) -> None:
    run(location, "demo", "--reset", attachments=attachments, key=key)
    shot = tmp_path / "shot.png"
    shot.write_bytes(png_bytes(42))
    run(location, "records", "add", "--when", "2025-11-20 23:40", "--tz", "+08:00", "--direction", "in",
        "--channel", "call", "--counterparty", "某催收公司", "--counterparty-kind", "agency",
        "--summary", "深夜来电，威胁通知家人。", "--attach", str(shot), attachments=attachments, key=key)


def test_restore_into_an_empty_store_is_identical(new_store_location: Callable[[], str], tmp_path: Path) -> None:
    source, target = new_store_location(), new_store_location()
    src_att, dst_att = folder(tmp_path, "src"), folder(tmp_path, "dst")
    make_case(source, tmp_path, src_att)
    file = tmp_path / "backups" / "case.zip"
    out = json.loads(run(source, "backup", str(file), "--json", attachments=src_att).stdout)
    assert out["attachments"] >= 1 and out["rows"] > 10
    with zipfile.ZipFile(file) as zf:
        manifest = json.loads(zf.read("manifest.json"))
    assert manifest["format"] == "xieshang-backup" and manifest["revision"]
    assert any(name.startswith("attachments/") for name in manifest["members"])

    restored = json.loads(run(target, "restore", str(file), "--json", attachments=dst_att).stdout)
    assert restored["rows"] == out["rows"]
    assert run(source, "export", attachments=src_att).stdout == run(target, "export", attachments=dst_att).stdout
    assert rows(source) == rows(target)
    assert sorted(p.name for p in dst_att.rglob("*") if p.is_file()) == \
        sorted(p.name for p in src_att.rglob("*") if p.is_file())
    verified = json.loads(run(target, "records", "verify", "--json", attachments=dst_att).stdout)
    assert verified["intact"] is True and verified["attachments"] >= 1
    # ids go on after the restored ones (PostgreSQL sequences moved on)
    loans = json.loads(run(target, "loan", "list", "--json", attachments=dst_att).stdout)
    paid = json.loads(run(target, "pay", "add", str(loans[0]["id"]), "100", "--json", attachments=dst_att).stdout)
    assert paid["id"] > max(r[0] for r in rows(source)["payment"])


def test_restore_refuses_a_store_with_data_and_damaged_files(new_store_location: Callable[[], str],
                                                           tmp_path: Path) -> None:
    source = new_store_location()
    att = folder(tmp_path, "src")
    make_case(source, tmp_path, att)
    file = tmp_path / "case.zip"
    run(source, "backup", str(file), attachments=att)
    before = rows(source)
    zh = run(source, "restore", str(file), check=2, lang="zh_CN", attachments=att).stderr
    assert "已经有数据" in zh and "Traceback" not in zh
    en = run(source, "restore", str(file), check=2, attachments=att).stderr
    assert "already holds data" in en
    assert rows(source) == before

    # one byte changed in a table: refused before anything is written
    damaged = tmp_path / "damaged.zip"
    with zipfile.ZipFile(file) as zin, zipfile.ZipFile(damaged, "w") as zout:
        for item in zin.infolist():
            data = zin.read(item)
            if item.filename == "tables/payment.jsonl":
                data = data.replace(b"800", b"900", 1)
            zout.writestr(item, data)
    target = new_store_location()
    err = run(target, "restore", str(damaged), check=2, attachments=folder(tmp_path, "dst")).stderr
    assert "tables/payment.jsonl" in err and "SHA-256" in err
    not_zip = tmp_path / "note.txt"
    not_zip.write_text("hello")
    assert "not a xieshang backup" in run(target, "restore", str(not_zip), check=2).stderr
    assert "There is no backup file" in run(target, "restore", str(tmp_path / "none.zip"), check=2).stderr
    newer = tmp_path / "newer.zip"
    with zipfile.ZipFile(file) as zin, zipfile.ZipFile(newer, "w") as zout:
        for item in zin.infolist():
            data = zin.read(item)
            if item.filename == "manifest.json":
                data = json.dumps({**json.loads(data), "revision": "zz99_from_the_future"}).encode()
            zout.writestr(item, data)
    assert "newer version" in run(target, "restore", str(newer), check=2).stderr
    assert all(not r for r in rows(target).values())


def test_restore_is_all_or_nothing(new_store_location: Callable[[], str], tmp_path: Path) -> None:
    """Rows that break a constraint (with a manifest that matches them) roll back everything,
    attachment files included."""
    import hashlib

    source = new_store_location()
    att = folder(tmp_path, "src")
    make_case(source, tmp_path, att)
    file = tmp_path / "case.zip"
    run(source, "backup", str(file), attachments=att)
    forged = tmp_path / "forged.zip"
    with zipfile.ZipFile(file) as zin:
        manifest = json.loads(zin.read("manifest.json"))
        members = {i.filename: zin.read(i) for i in zin.infolist()}
    lines = members["tables/payment.jsonl"].decode().splitlines()
    header = json.loads(lines[0])
    last = json.loads(lines[-1])
    last[header.index("amount_fen")] = -5  # breaks ck_payment_amount_positive, on the last table row
    lines[-1] = json.dumps(last)
    members["tables/payment.jsonl"] = ("\n".join(lines) + "\n").encode()
    data = members["tables/payment.jsonl"]
    manifest["members"]["tables/payment.jsonl"].update(sha256=hashlib.sha256(data).hexdigest(), size=len(data))
    members["manifest.json"] = json.dumps(manifest).encode()
    with zipfile.ZipFile(forged, "w") as zout:
        for name, blob in members.items():
            zout.writestr(name, blob)
    target = new_store_location()
    dst = folder(tmp_path, "dst")
    err = run(target, "restore", str(forged), check=2, attachments=dst).stderr
    assert "tables/payment.jsonl" in err and "Traceback" not in err
    assert all(not r for r in rows(target).values())
    assert not [p for p in dst.rglob("*") if p.is_file()] if dst.exists() else True
    run(target, "restore", str(file), attachments=dst)  # and the good file still goes in
    assert rows(target) == rows(source)


_WRITER = r"""
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from tests.records_helpers import content, png_bytes
from xieshang.services import records as svc
from xieshang.store.db import open_store

store = open_store(sys.argv[1])
folder = Path(sys.argv[2])
now = datetime(2025, 12, 1, tzinfo=UTC)
for i in range(int(sys.argv[3])):
    shot = folder / f"w{i}.png"
    shot.write_bytes(png_bytes(1000 + i))
    svc.add_entry(store, content(10, i % 60, day=1 + i % 28), [shot] if i % 3 == 0 else [],
                  now=now + timedelta(seconds=i))
    print(i, flush=True)
store.close()
"""


def test_backup_during_a_burst_of_writes_is_consistent(new_store_location: Callable[[], str], tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    from xieshang.services import backup as bk
    from xieshang.services import records as svc

    source = new_store_location()
    src_att = folder(tmp_path, "src")
    monkeypatch.setenv("XIESHANG_ATTACHMENTS", str(src_att))
    open_store(source).close()
    work = tmp_path / "uploads"
    work.mkdir()
    env = {**os.environ, "XIESHANG_ATTACHMENTS": str(src_att)}
    writer = subprocess.Popen([sys.executable, "-c", _WRITER, source, str(work), "150"], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              cwd=Path(__file__).resolve().parent.parent)
    backups: list[Path] = []
    try:
        assert writer.stdout is not None
        writer.stdout.readline()  # the writer is under way
        st = open_store(source)
        try:
            while writer.poll() is None and len(backups) < 12:
                file = tmp_path / f"b{len(backups)}.zip"
                bk.backup(st, file)
                backups.append(file)
        finally:
            st.close()
        _out, err = writer.communicate(timeout=300)
        assert writer.returncode == 0, err
    finally:
        if writer.poll() is None:
            writer.kill()
            writer.wait()
    assert len(backups) >= 2
    counts = []
    for i, file in enumerate(backups):
        target = new_store_location()
        dst_att = folder(tmp_path, f"dst{i}")
        monkeypatch.setenv("XIESHANG_ATTACHMENTS", str(dst_att))
        st = open_store(target)
        try:
            bk.restore(st, file)
            report = svc.verify_log(st)
            assert report.intact, (i, report.problems)
            counts.append(report.entries)
            if st.engine.dialect.name == "sqlite":
                with st.engine.connect() as conn:
                    assert conn.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
                    assert conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall() == []
        finally:
            st.close()
    assert counts == sorted(counts) and counts[-1] > counts[0] >= 1


def test_a_backup_moves_between_back_ends(pg_database: Callable[..., str], tmp_path: Path) -> None:
    """SQLite → PostgreSQL → SQLite: the same export, rows and attachments all the way."""
    lite = str(tmp_path / "first" / "case.sqlite")
    att = folder(tmp_path, "lite")
    make_case(lite, tmp_path, att)
    to_pg, back = tmp_path / "to-pg.zip", tmp_path / "back.zip"
    run(lite, "backup", str(to_pg), attachments=att)
    pg, pg_att = pg_database(), folder(tmp_path, "pg")
    run(pg, "restore", str(to_pg), attachments=pg_att)
    run(pg, "backup", str(back), attachments=pg_att)
    again, again_att = str(tmp_path / "again" / "case.sqlite"), folder(tmp_path, "again")
    run(again, "restore", str(back), attachments=again_att)
    export = run(lite, "export", attachments=att).stdout
    assert run(pg, "export", attachments=pg_att).stdout == export == run(again, "export", attachments=again_att).stdout
    assert rows(lite) == rows(pg) == rows(again)
    assert json.loads(run(again, "records", "verify", "--json", attachments=again_att).stdout)["intact"] is True


def test_an_encrypted_store_is_backed_up_encrypted(new_store_location: Callable[[], str], tmp_path: Path) -> None:
    """With encryption at rest the backup holds ciphertext and sealed files; the same key restores it."""
    from xieshang.store.crypto import generate_key

    key = generate_key()
    source, target = new_store_location(), new_store_location()
    src_att, dst_att = folder(tmp_path, "src"), folder(tmp_path, "dst")
    make_case(source, tmp_path, src_att, key=key)
    file = tmp_path / "secret.zip"
    run(source, "backup", str(file), attachments=src_att, key=key)
    with zipfile.ZipFile(file) as zf:
        everything = b"".join(zf.read(n) for n in zf.namelist())
    assert "深夜来电".encode() not in everything and png_bytes(42) not in everything
    run(target, "restore", str(file), attachments=dst_att, key=key)  # the empty target made its own keys first
    assert run(source, "export", attachments=src_att, key=key).stdout == \
        run(target, "export", attachments=dst_att, key=key).stdout
    assert json.loads(run(target, "records", "verify", "--json", attachments=dst_att, key=key).stdout)["intact"]
    refused = run(target, "status", check=2, attachments=dst_att, key=generate_key())
    assert "Traceback" not in refused.stderr


def test_a_backup_of_an_older_version_restores_and_is_upgraded(new_store_location: Callable[[], str],
                                                                tmp_path: Path) -> None:
    """A store at the first revision (as an old xieshang left it), backed up as it is, restores into
    a store of this version: migrated down, filled, migrated up in one transaction."""
    from alembic import command

    from xieshang.services import backup as bk
    from xieshang.store.db import Store, alembic_config, known_revisions, make_engine

    old_loc = new_store_location()
    engine = make_engine(old_loc if "://" in old_loc else f"sqlite:///{old_loc}")
    if "://" not in old_loc:
        Path(old_loc).parent.mkdir(parents=True)
    with engine.begin() as conn:
        if "://" in old_loc:
            command.downgrade(alembic_config(conn), "base")
        command.upgrade(alembic_config(conn), known_revisions()[0])
        conn.execute(text("INSERT INTO person (id, name, locale) VALUES (1, '老用户', 'zh_CN')"))
        conn.execute(text(
            "INSERT INTO loan (id, person_id, lender, profile_id, product, principal_fen, rate, term_months, "
            "start_date, method, overrides, contacts) VALUES (1, 1, '网商银行', 'wangshangdai', 'loan', 1200000, "
            "'0.0004/daily', 12, '2025-01-10', 'equal-installment', '{}', '[]')"))
        conn.execute(text("INSERT INTO payment (id, loan_id, paid_on, amount_fen) VALUES (1, 1, '2025-02-10', 110000)"))
    file = tmp_path / "old.zip"
    old = Store(location=old_loc, engine=engine)
    report = bk.backup(old, file)
    assert report.revision == known_revisions()[0]
    engine.dispose()
    target, att = new_store_location(), folder(tmp_path, "dst")
    run(target, "restore", str(file), attachments=att)
    assert run(target, "export", attachments=att).stdout == run(old_loc, "export", attachments=att).stdout
    listed = json.loads(run(target, "pay", "list", "--json", attachments=att).stdout)
    assert [p["amount"] for p in listed] == ["1100.00"]
    refused = run(target, "restore", str(file), check=2, attachments=att)
    assert "already holds data" in refused.stderr


def test_a_locked_store_is_a_clear_error_and_restore_can_be_tried_again(tmp_path: Path) -> None:
    """Another program holding the write lock: the restore is refused in words (no traceback),
    leaves no attachment file behind, and goes through once the lock is gone."""
    import sqlite3

    from xieshang.errors import UserError
    from xieshang.services import backup as bk

    source, att = str(tmp_path / "src" / "case.sqlite"), folder(tmp_path, "src")
    make_case(source, tmp_path, att)
    file = tmp_path / "case.zip"
    run(source, "backup", str(file), attachments=att)
    target = tmp_path / "dst" / "case.sqlite"
    st = open_store(str(target))
    holder = sqlite3.connect(target, timeout=0, isolation_level=None)
    try:
        holder.execute("BEGIN IMMEDIATE")
        with pytest.raises(UserError) as err:
            bk.restore(st, file)
        assert err.value.key == "error.case.db_locked"
        assert not [p for p in bk_folder(st).rglob("*") if p.is_file()]
        holder.execute("ROLLBACK")
        bk.restore(st, file)
    finally:
        holder.close()
        st.close()
    assert rows(str(target)) == rows(source)


def bk_folder(st: Any) -> Path:
    from xieshang.services.records import attachment_folder

    return attachment_folder(st)
