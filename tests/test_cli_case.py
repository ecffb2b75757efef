"""The case commands end to end: a real ``python -m xieshang`` against a temporary store."""

from __future__ import annotations

import ctypes
import json
import os
import sqlite3
import stat
import subprocess
import sys
from collections.abc import Callable
from contextlib import closing
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from tests.child_env import child_env
from tests.store_helpers import is_url, server_rows

from xieshang import clock

TODAY = clock.today()
START = TODAY - timedelta(days=100)


def _drop_root_powers() -> None:
    """In the child: drop the capabilities that let root ignore file permissions."""
    libc = ctypes.CDLL(None, use_errno=True)
    for cap in (1, 2, 3):  # CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_FOWNER
        if libc.prctl(24, cap, 0, 0, 0) != 0:  # PR_CAPBSET_DROP: gone from the bounding set after exec
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")


def run(db: Path | str, *args: str, lang: str | None = None, check: int | None = 0,
        as_plain_user: bool = False) -> subprocess.CompletedProcess[str]:
    env = child_env(("XIESHANG_", "LC_", "LANG"))
    env["XIESHANG_DB"] = str(db)
    env["COLUMNS"] = "200"
    argv = [sys.executable, "-m", "xieshang", *args]
    if lang:
        argv += ["--lang", lang]
    proc = subprocess.run(argv, env=env, capture_output=True, text=True, stdin=subprocess.DEVNULL,
                          preexec_fn=_drop_root_powers if as_plain_user and os.geteuid() == 0 else None,
                          timeout=120)
    if check is not None:
        assert proc.returncode == check, (args, proc.stdout, proc.stderr)
    return proc


def js(db: Path | str, *args: str) -> Any:
    return json.loads(run(db, *args, "--json").stdout)


def snapshot(db: Path | str) -> tuple[bytes, list[Any]]:
    """The store's bytes and every row of every table (a server database: its rows)."""
    if is_url(db):
        return b"", server_rows(str(db))
    db = Path(db)
    data = db.read_bytes()
    try:
        with closing(sqlite3.connect(db)) as conn:
            tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table' ORDER BY name")]
            rows = [(t, conn.execute(f"SELECT * FROM {t} ORDER BY 1").fetchall()) for t in tables]
    except sqlite3.DatabaseError:
        rows = []  # not a database at all: the bytes say everything
    return data, rows


def refused(db: Path | str, *args: str, contains: str, lang: str | None = None) -> str:
    """The command exits 2 with a message, no traceback, and the store is exactly as it was."""
    before = snapshot(db) if is_url(db) or Path(db).exists() else None
    proc = run(db, *args, lang=lang, check=2)
    assert contains in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stderr
    after = snapshot(db) if is_url(db) or Path(db).exists() else None
    assert after == before
    return proc.stderr


@pytest.fixture
def db(store_location: str) -> str:
    """A store with a case, on SQLite and on PostgreSQL (``XIESHANG_DB`` is a path or a URL)."""
    run(store_location, "init", "--name", "李四")
    return store_location


def add_wsd(db: Path | str) -> int:
    out = js(db, "loan", "add", "--profile", "wangshangdai", "--principal", "2万", "--rate", "日息万四",
             "--months", "12", "--start", START.isoformat(), "--contract-no", "C-001",
             "--contact", "phone=95188", "--set", "grace_days=3", "--notes", "第一笔")
    return int(out["id"])


def test_init_loan_pay_flow(db: str) -> None:
    refused(db, "init", "--name", "王五", contains="已经有案件")
    loan_id = add_wsd(db)
    card = js(db, "loan", "add", "--profile", "credit-card", "--lender", "招商银行信用卡",
              "--statement-balance", "15,000", "--statement-date", (TODAY - timedelta(days=60)).isoformat(),
              "--due-date", (TODAY - timedelta(days=40)).isoformat())
    assert card["product"] == "card" and card["statement_balance"] == "15000.00"

    loans = js(db, "loan", "list")
    assert [x["id"] for x in loans] == [loan_id, card["id"]]
    assert loans[0]["principal"] == "20000.00" and loans[0]["rate"] == "0.0004/daily"
    assert loans[0]["overrides"] == {"grace_days": "3"}
    assert loans[0]["contacts"] == [{"channel": "phone", "value": "95188"}]
    listing = run(db, "loan", "list").stdout
    assert "招商银行信用卡" in listing

    shown = js(db, "loan", "show", str(loan_id))
    assert shown["terms"]["principal"] == "20000.00"
    assert shown["status"]["dpd"] > 0 and shown["status"]["stage"].startswith("M")
    early = js(db, "loan", "show", str(loan_id), "--as-of", (START + timedelta(days=5)).isoformat())
    assert early["status"]["dpd"] == 0
    text = run(db, "loan", "show", str(loan_id)).stdout
    assert "逾期天数" in text and "结清金额" in text
    assert "Days past due" in run(db, "loan", "show", str(card["id"]), lang="en").stdout

    pay = js(db, "pay", "add", str(loan_id), "1,800.50", "--date", (START + timedelta(days=31)).isoformat(),
             "--channel", "支付宝", "--note", "first")
    assert pay["amount"] == "1800.50" and pay["channel"] == "支付宝"
    js(db, "pay", "add", str(card["id"]), "500")
    assert len(js(db, "pay", "list")) == 2
    assert [p["id"] for p in js(db, "pay", "list", str(loan_id))] == [pay["id"]]
    assert "1,800.50" in run(db, "pay", "list").stdout
    removed = js(db, "pay", "remove", str(pay["id"]))
    assert removed["id"] == pay["id"]
    assert len(js(db, "pay", "list")) == 1

    fig = js(db, "lender-says", str(loan_id), "21000", "--date", TODAY.isoformat())
    assert fig["amount"] == "21000.00"
    assert js(db, "loan", "show", str(loan_id))["loan"]["lender_figures"][0]["amount"] == "21000.00"

    edited = js(db, "loan", "edit", str(loan_id), "--principal", "21000", "--unset", "grace_days")
    assert edited["principal"] == "21000.00" and edited["overrides"] == {}
    assert "Updated loan" in run(db, "loan", "edit", str(loan_id), "--notes", "x", lang="en").stdout

    refused(db, "loan", "remove", str(card["id"]), contains="--yes")
    out = run(db, "loan", "remove", str(card["id"]), "--yes").stdout
    assert "已删除" in out
    assert [x["id"] for x in js(db, "loan", "list")] == [loan_id]
    assert js(db, "pay", "list") == []  # the card's payment went with it


def test_export_import_export_is_byte_identical(db: str, tmp_path: Path,
                                               new_store_location: Callable[[], str]) -> None:
    run(db, "demo", "--reset")
    loan_id = add_wsd(db)
    run(db, "pay", "add", str(loan_id), "123.45", "--date", (START + timedelta(days=1)).isoformat())
    first = tmp_path / "out" / "case.json"
    first.parent.mkdir()
    run(db, "export", str(first))
    stdout = run(db, "export").stdout
    assert stdout.encode() == first.read_bytes()
    doc = json.loads(stdout)
    assert doc["format"] == "xieshang-case" and doc["version"] == 1 and len(doc["loans"]) == 5
    assert list(doc) == ["format", "version", "person", "loans"]

    other = new_store_location()
    result = json.loads(run(other, "import", str(first), "--json").stdout)
    assert result["loans"] == 5
    second = tmp_path / "out" / "again.json"
    run(other, "export", str(second))
    assert second.read_bytes() == first.read_bytes()
    assert [p.name for p in first.parent.iterdir() if p.name.startswith(".")] == []  # no temp files left

    # importing over an existing case needs --replace
    refused(other, "import", str(first), contains="--replace")
    run(other, "import", str(first), "--replace")
    assert run(other, "export").stdout.encode() == first.read_bytes()


def test_demo(tmp_path: Path) -> None:
    db = tmp_path / "demo.sqlite"
    run(db, "demo")
    loans = js(db, "loan", "list")
    assert len(loans) == 4 and {x["product"] for x in loans} == {"loan", "card"}
    refused(db, "demo", contains="--reset")
    run(db, "demo", "--reset")
    assert "Loaded the demo" in run(db, "demo", "--reset", lang="en").stdout


def test_bad_input_exits_2_and_changes_nothing(db: str, tmp_path: Path) -> None:
    loan_id = add_wsd(db)
    run(db, "pay", "add", str(loan_id), "100", "--date", START.isoformat())
    refused(db, "pay", "add", "99", "100", contains="没有编号为 99 的借款")
    refused(db, "pay", "add", "99", "100", lang="en", contains="There is no loan with id 99")
    refused(db, "loan", "show", "99", contains="99")
    refused(db, "loan", "remove", "99", "--yes", contains="99")
    refused(db, "pay", "list", "abc", contains="abc")
    refused(db, "pay", "remove", "999", contains="999")
    refused(db, "pay", "add", str(loan_id), "100", "--date", (START - timedelta(days=1)).isoformat(),
            contains="早于放款日")
    refused(db, "pay", "add", str(loan_id), "100", "--date", (TODAY + timedelta(days=1)).isoformat(),
            lang="en", contains="after today")
    refused(db, "pay", "add", str(loan_id), "--", "-100", contains="不能为负数")
    refused(db, "pay", "add", str(loan_id), "0", contains="必须大于 0")
    refused(db, "pay", "add", str(loan_id), "12.345", contains="两位小数")
    refused(db, "pay", "add", str(loan_id), "10", "--date", "2025/13/01", contains="无法识别的日期")
    refused(db, "loan", "add", "--profile", "wangshangdai", "--months", "12", "--start", START.isoformat(),
            contains="--principal")
    refused(db, "loan", "add", "--profile", "wangshangdai", "--principal", "100", "--months", "12",
            "--start", START.isoformat(), "--set", "nonsense", contains="--set")
    refused(db, "loan", "add", "--profile", "credit-card", "--principal", "100", lang="en", contains="--principal")

    good = tmp_path / "good.json"
    run(db, "export", str(good))
    doc = json.loads(good.read_text())
    cases = {
        "corrupt.json": ('{"format": "xieshang-case", "version": 1, "person": {', "不是有效的 JSON"),
        "foreign.json": (json.dumps({"name": "something else", "items": [1, 2]}), "不是 xieshang 的导出文件"),
        "newer.json": (json.dumps({**doc, "version": 2}), "格式版本是 2"),
        "invalid.json": (json.dumps({**doc, "loans": [{**doc["loans"][0], "principal": "-5"}]}), "有误"),
    }
    for name, (content, message) in cases.items():
        path = tmp_path / name
        path.write_text(content, encoding="utf-8")
        refused(db, "import", str(path), "--replace", contains=message)
    refused(db, "import", str(tmp_path / "missing.json"), contains="missing.json")
    # a store that does not exist yet is not created by a failed import
    fresh = tmp_path / "fresh" / "case.sqlite"
    refused(fresh, "import", str(tmp_path / "corrupt.json"), contains="JSON")
    assert not fresh.exists()


def test_commands_before_init_and_db_from_newer_version(tmp_path: Path) -> None:
    none = tmp_path / "none.sqlite"
    refused(none, "loan", "list", contains="xieshang init")
    assert not none.exists()
    db = tmp_path / "newer.sqlite"
    run(db, "init", "--name", "x")
    with closing(sqlite3.connect(db)) as conn:
        conn.execute("UPDATE alembic_version SET version_num = 'ffff_newer'")
        conn.commit()
    refused(db, "loan", "list", contains="更新版本")
    refused(db, "pay", "add", "1", "5", lang="en", contains="newer version")
    garbage = tmp_path / "garbage.sqlite"
    garbage.write_text("not a database " * 100)
    refused(garbage, "loan", "list", contains="不是 xieshang 的数据库")


def test_missing_value_without_terminal_is_an_error(db: str, tmp_path: Path) -> None:
    refused(db, "loan", "add", contains="--profile")
    fresh = tmp_path / "fresh.sqlite"
    proc = run(fresh, "init", check=2)
    assert "--name" in proc.stderr


def test_read_only_directory(tmp_path: Path) -> None:
    if os.geteuid() == 0:  # root ignores permissions unless it drops its capabilities
        probe = subprocess.run([sys.executable, "-c", "pass"], preexec_fn=_drop_root_powers, check=False)
        if probe.returncode != 0:
            pytest.skip("cannot drop root's file-permission capabilities here")
    folder = tmp_path / "ro"
    db = folder / "case.sqlite"
    run(db, "demo")
    folder.chmod(stat.S_IRUSR | stat.S_IXUSR | stat.S_IRGRP | stat.S_IXGRP | stat.S_IROTH | stat.S_IXOTH)
    db.chmod(0o444)
    try:
        before = snapshot(db)
        proc = run(db, "pay", "add", "1", "10", check=2, as_plain_user=True)
        assert "只读" in proc.stderr and "Traceback" not in proc.stderr
        proc = run(db, "loan", "list", check=2, as_plain_user=True, lang="en")
        assert "read-only" in proc.stderr
        sub = folder / "new" / "case.sqlite"
        proc = run(sub, "init", "--name", "x", check=2, as_plain_user=True)
        assert "无法使用目录" in proc.stderr
        assert snapshot(db) == before
        assert not sub.parent.exists()
    finally:
        folder.chmod(0o755)
        db.chmod(0o644)
