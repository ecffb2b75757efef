"""``xieshang records …`` end to end: a real ``python -m xieshang`` against a temporary store."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Any

from tests.child_env import child_env
from tests.records_helpers import SAMPLES, png_bytes, write
from tests.store_helpers import raw

from xieshang.store.db import open_store


def run(db: Path | str, *args: str, lang: str | None = None, check: int | None = 0) -> subprocess.CompletedProcess[str]:
    env = child_env(("XIESHANG_", "LC_", "LANG"))
    env["XIESHANG_DB"] = str(db)
    env["COLUMNS"] = "200"
    argv = [sys.executable, "-m", "xieshang", *args] + (["--lang", lang] if lang else [])
    proc = subprocess.run(argv, env=env, capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=120)
    if check is not None:
        assert proc.returncode == check, (args, proc.stdout, proc.stderr)
    return proc


def js(db: Path | str, *args: str) -> Any:
    return json.loads(run(db, *args, "--json").stdout)


def _snapshot(db: Path) -> tuple[bytes, list[Path]]:
    folder = Path(str(db) + ".attachments")
    return db.read_bytes(), sorted(folder.rglob("*")) if folder.exists() else []


@contextmanager
def _raw(location: str) -> Iterator[Any]:
    """Autocommit raw SQL on the store at ``location`` (SQLite or PostgreSQL)."""
    store = open_store(location, create=False)
    try:
        with closing(raw(store)) as conn:
            yield conn
    finally:
        store.close()


def test_add_list_show_correct_verify_export(tmp_path: Path) -> None:
    db = tmp_path / "s.sqlite"
    shot = write(tmp_path / "wechat.png", png_bytes(1))
    audio = write(tmp_path / "call.m4a", SAMPLES["audio/mp4"])
    added = js(db, "records", "add", "--when", "2025-11-20 23:40", "--tz", "+08:00", "--direction", "来电",
               "--channel", "电话", "--counterparty", "某催收公司", "--counterparty-kind", "agency",
               "--contacted", "relative", "--contacted-name", "母亲", "--disclosed",
               "--summary", "对方自称法院工作人员，让她转告我还钱。", "--attach", str(shot), "--attach", str(audio))
    assert added["id"] == 1 and added["occurred"] == "2025-11-20T23:40:00+08:00"
    assert added["occurred_utc"] == "2025-11-20T15:40:00Z" and added["outcome"] == "connected"
    assert [a["media_type"] for a in added["attachments"]] == ["image/png", "audio/mp4"]
    assert {f["check"] for f in added["flags"]} == {"night", "third-party", "disclosed", "impersonation"}
    assert all(f["citation"] for f in added["flags"])

    run(db, "records", "add", "--when", "2025-11-21T10:00+08:00", "--direction", "out", "--channel", "sms",
        "--counterparty", "网商银行", "--summary", "I asked for an instalment plan.", "--i-promised", "pay 500 on 1 Dec")
    listed = js(db, "records", "list")["entries"]
    assert [e["id"] for e in listed] == [1, 2] and listed[1]["my_promises"] == "pay 500 on 1 Dec"
    assert [e["id"] for e in js(db, "records", "list", "--flagged")["entries"]] == [1]
    shown = js(db, "records", "show", "1")
    assert shown["hash"] == listed[0]["hash"] and shown["prev_hash"] == "0" * 64

    fixed = js(db, "records", "correct", "1", "--when", "2025-11-20 21:40", "--tz", "+08:00")
    assert fixed["corrects"] == 1 and "night" not in {f["check"] for f in fixed["flags"]}
    assert js(db, "records", "show", "1")["corrected_by"] == [3]
    flagged = js(db, "records", "flags")["flagged"]
    assert [f["entry"]["id"] for f in flagged] == [3]

    text = run(db, "records", "list", lang="en").stdout
    assert "corrected by #3" in text and "a relative (母亲)" in text
    ok = run(db, "records", "verify")
    assert "完整" in ok.stdout and js(db, "records", "verify")["intact"] is True

    bundle = tmp_path / "evidence.zip"
    exported = js(db, "records", "export", str(bundle))
    assert exported["intact"] and exported["entries"] == 3 and exported["attachments"] == 4
    with zipfile.ZipFile(bundle) as zf:
        names = zf.namelist()
    if exported["pdf"]:
        assert {"index.zh_CN.pdf", "index.en.pdf"} <= set(names)
        with zipfile.ZipFile(bundle) as zf:
            assert zf.read("index.en.pdf").startswith(b"%PDF-")
    checked = run(db, "records", "verify-bundle", str(bundle), lang="en")
    assert "Bundle intact" in checked.stdout
    # the bundle stands alone: no store needed
    alone = run(tmp_path / "nowhere" / "x.sqlite", "records", "verify-bundle", str(bundle), "--json")
    assert json.loads(alone.stdout)["intact"] is True
    assert not (tmp_path / "nowhere").exists()


def test_tampering_exits_1_and_names_the_entry(tmp_path: Path, store_location: str) -> None:
    db = store_location  # SQLite and PostgreSQL
    for hour in (9, 10, 11):
        run(db, "records", "add", "--when", f"2025-11-20 {hour}:00", "--tz", "+08:00", "--direction", "in",
            "--channel", "call", "--counterparty", "X", "--summary", f"call {hour}")
    with _raw(db) as conn:
        conn.execute("UPDATE contact_entry SET summary = 'changed' WHERE id = 2")
    bad = run(db, "records", "verify", lang="en", check=1)
    assert "Entry #2 was edited" in bad.stdout
    data = json.loads(run(db, "records", "verify", "--json", check=1).stdout)
    assert data["intact"] is False and data["problems"][0]["kind"] == "edited" and data["problems"][0]["entries"] == [2]
    refused = run(db, "records", "export", str(tmp_path / "b.zip"), check=2)
    assert refused.stdout == "" and "records verify" in refused.stderr and "Traceback" not in refused.stderr

    with _raw(db) as conn:
        conn.execute("UPDATE contact_entry SET summary = 'call 10' WHERE id = 2")
        conn.execute("DELETE FROM contact_entry WHERE id = 2")
    gone = run(db, "records", "verify", check=1)
    assert "缺少第 2–2 条记录" in gone.stdout


def test_tampered_bundle_exits_1(tmp_path: Path) -> None:
    db = tmp_path / "s.sqlite"
    shot = write(tmp_path / "a.png", png_bytes(2))
    run(db, "records", "add", "--when", "2025-11-20 10:00", "--tz", "+08:00", "--direction", "in", "--channel",
        "sms", "--counterparty", "X", "--summary", "要求交催收费", "--attach", str(shot))
    bundle = tmp_path / "b.zip"
    run(db, "records", "export", str(bundle))
    bad = tmp_path / "bad.zip"
    with zipfile.ZipFile(bundle) as zin, zipfile.ZipFile(bad, "w") as zout:
        for name in zin.namelist():
            data = zin.read(name)
            if name.startswith("attachments/"):
                data = data[:-1] + bytes([data[-1] ^ 1])
            zout.writestr(name, data)
    out = run(db, "records", "verify-bundle", str(bad), lang="en", check=1)
    assert "a.png" in out.stdout and "was changed" in out.stdout


def test_user_errors_exit_2_and_change_nothing(tmp_path: Path) -> None:
    db = tmp_path / "s.sqlite"
    run(db, "records", "add", "--when", "2025-11-20 10:00", "--direction", "in", "--channel", "call",
        "--counterparty", "X", "--summary", "first", "--attach", str(write(tmp_path / "ok.png", png_bytes(3))))
    before = _snapshot(db)
    exe = write(tmp_path / "photo.png", b"MZ\x90\x00\x03 this is a program")
    cases = [
        ("records", "add", "--direction", "in", "--channel", "call", "--counterparty", "X", "--summary", "s",
         "--attach", str(write(tmp_path / "new.png", png_bytes(4))), "--attach", str(exe)),
        ("records", "add", "--direction", "sideways", "--channel", "call", "--counterparty", "X", "--summary", "s"),
        ("records", "add", "--direction", "in", "--channel", "sms", "--outcome", "connected", "--counterparty", "X",
         "--summary", "s"),
        ("records", "add", "--when", "tomorrow", "--direction", "in", "--channel", "sms", "--counterparty", "X",
         "--summary", "s"),
        ("records", "add", "--direction", "in", "--channel", "sms", "--counterparty", "X"),  # no summary, no tty
        ("records", "add", "--direction", "in", "--channel", "sms", "--counterparty", "X", "--summary", "s",
         "--loan", "7"),
        ("records", "show", "9"),
        ("records", "correct", "9", "--summary", "x"),
        ("records", "export", str(tmp_path / "b.txt")),
        ("records", "verify-bundle", str(write(tmp_path / "junk.zip", b"junk"))),
    ]
    for args in cases:
        proc = run(db, *args, check=2)
        assert proc.stdout == "" and proc.stderr.strip() and "Traceback" not in proc.stderr, args
        assert _snapshot(db) == before, args
    en = run(db, *cases[0], lang="en", check=2)
    assert "not an accepted kind by its content" in en.stderr


def test_demo_has_a_flagged_night_call_to_a_relative(tmp_path: Path) -> None:
    db = tmp_path / "s.sqlite"
    run(db, "demo")
    flagged = js(db, "records", "flags")["flagged"]
    night = [f for f in flagged if {"night", "third-party"} <= {x["check"] for x in f["flags"]}]
    assert night and night[0]["entry"]["contacted"]["kind"] == "relative"
    assert night[0]["lender"] == "网商银行 网商贷"
    assert js(db, "records", "verify")["intact"] is True
    before = [e["summary"] for e in js(db, "records", "list")["entries"]]
    run(db, "demo", "--reset")  # the log is replaced with the case, not appended to
    assert [e["summary"] for e in js(db, "records", "list")["entries"]] == before
    assert js(db, "records", "verify")["intact"] is True
