"""Encryption at rest: plaintext stores unchanged, ``keys enable``/``rotate``/``status``, wrong and
missing keys refused in zh/en, sealed attachments still addressed by their plaintext SHA-256, the
contact log's hash chain intact after every rotation, and a failed or interrupted rotation
losing nothing. Services on both back-ends; the CLI end to end on SQLite."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from contextlib import closing
from datetime import date
from decimal import Decimal
from hashlib import sha256
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from tests.child_env import child_env
from tests.records_helpers import content, png_bytes, write

from xieshang.services import keys as keys_service
from xieshang.services.case import PersonInfo, add_payment, get_person, init_case, list_loans
from xieshang.services.demo import load_demo
from xieshang.services.records import add_entry, attachment_folder, list_entries, verify_log
from xieshang.services.transfer import export_case
from xieshang.store import crypto
from xieshang.store.crypto import CryptoError, generate_key
from xieshang.store.db import Store, open_store

SECRET_PHONE = "13800138000"
SECRET_ID = "110101199003074512"
SECRET_SUMMARY = "深夜打给我母亲催债"


@pytest.fixture(autouse=True)
def _no_key_in_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for var in ("XIESHANG_KEY", "XIESHANG_PASSPHRASE"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setattr(crypto, "passphrase_prompt", None)
    yield


def _fill(store: Store, tmp_path: Path) -> None:
    load_demo(store, today=date(2026, 11, 1))
    with store.transaction() as s:  # the demo borrower gets a phone and an ID number
        s.execute(text("UPDATE person SET phone = :p, id_number = :i"), {"p": SECRET_PHONE, "i": SECRET_ID})
    loan = list_loans(store)[0]
    add_payment(store, loan.id, Decimal("100.00"), on=date(2026, 10, 1), note="微信转账备注", today=date(2026, 11, 1))
    add_entry(store, content(summary=SECRET_SUMMARY, counterparty_phone="0571-88886666", contacted="relative",
                             contacted_name="母亲"), attach=[write(tmp_path / "shot.png", png_bytes(7))])


def _raw_dump(store: Store) -> str:
    """Every value of every table as the database holds it."""
    out: list[str] = []
    with store.engine.connect() as conn:
        for table in ("person", "loan", "payment", "contact_entry"):
            out.extend(repr(tuple(r)) for r in conn.execute(text(f"SELECT * FROM {table}")))
    return "\n".join(out)


def _files(store: Store) -> list[Path]:
    return sorted(p for p in attachment_folder(store).rglob("*") if p.is_file())


def _snapshot(store: Store) -> tuple[str, list[tuple[str, ...]], str | None]:
    entries = [(e.content.summary, e.content.counterparty_phone or "", e.entry_hash) for e in list_entries(store)]
    return export_case(store), entries, verify_log(store).head_hash


def test_plaintext_store_is_written_as_before(store_location: str, tmp_path: Path) -> None:
    store = open_store(store_location)
    _fill(store, tmp_path)
    raw = _raw_dump(store)
    assert SECRET_PHONE in raw and SECRET_SUMMARY in raw and "xsenc:" not in raw
    assert _files(store)[0].read_bytes() == png_bytes(7)
    report = keys_service.status(store)
    assert not report.encrypted and report.plaintext_files == 1 and report.plaintext_values > 5
    store.close()


def test_enable_rotate_and_the_chain_still_verifies(store_location: str, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    store = open_store(store_location)
    _fill(store, tmp_path)
    before = _snapshot(store)
    assert verify_log(store).intact
    key = generate_key()
    monkeypatch.setenv("XIESHANG_KEY", key)
    store.close()
    with pytest.raises(CryptoError) as refused:  # a key set, but the data is still plaintext
        open_store(store_location)
    assert refused.value.key == "crypto.error.plaintext_store"
    with crypto.plaintext_allowed():
        store = open_store(store_location)
    first = keys_service.enable(store, keys_service.NewMaster("key", key))
    assert first.files == 1 and first.values >= 8
    store.close()

    store = open_store(store_location)
    raw = _raw_dump(store)
    for secret in (SECRET_PHONE, SECRET_ID, SECRET_SUMMARY, "母亲", "微信转账备注", "0571-88886666"):
        assert secret not in raw
    sealed = _files(store)[0]
    digest = sha256(png_bytes(7)).hexdigest()
    assert sealed == attachment_folder(store) / digest[:2] / digest[2:]  # still named by the plaintext
    assert sealed.read_bytes().startswith(b"\x00XSENC1\x00") and png_bytes(7) not in sealed.read_bytes()
    assert _snapshot(store) == before  # same case, same entries, same head hash
    report = verify_log(store)
    assert report.intact and report.attachments == 1

    second = keys_service.rotate(store)
    assert second.kid != first.kid and second.removed_keys == (first.kid,) and second.files == 1
    assert _snapshot(store) == before and verify_log(store).intact
    status = keys_service.status(store)
    assert [(k.kid, k.active) for k in status.keys] == [(second.kid, True)]
    assert status.plaintext_values == 0 and status.plaintext_files == 0
    store.close()

    # a new master: a passphrase; the old key no longer opens the store
    store = open_store(store_location)
    third = keys_service.rotate(store, keys_service.NewMaster("passphrase", "correct horse battery"))
    store.close()
    with pytest.raises(CryptoError) as wrong:
        open_store(store_location)
    assert wrong.value.key == "crypto.error.need_passphrase"
    monkeypatch.delenv("XIESHANG_KEY")
    monkeypatch.setenv("XIESHANG_PASSPHRASE", "wrong horse battery")
    with pytest.raises(CryptoError) as wrong:
        open_store(store_location)
    assert wrong.value.key == "crypto.error.wrong_passphrase"
    monkeypatch.setenv("XIESHANG_PASSPHRASE", "correct horse battery")
    store = open_store(store_location)
    assert _snapshot(store) == before and verify_log(store).intact
    assert [k.kid for k in keys_service.status(store).keys] == [third.kid]
    store.close()


def test_a_new_store_with_a_key_is_encrypted_from_the_first_write(store_location: str,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XIESHANG_PASSPHRASE", "a long enough passphrase")
    store = open_store(store_location)
    init_case(store, PersonInfo(name="李四", phone=SECRET_PHONE, id_number=SECRET_ID))
    assert SECRET_PHONE not in _raw_dump(store) and "xsenc:1:" in _raw_dump(store)
    store.close()
    store = open_store(store_location)
    person = get_person(store)
    assert person is not None and person.phone == SECRET_PHONE and person.id_number == SECRET_ID
    assert keys_service.status(store).kind == "passphrase"
    store.close()


def test_a_value_starting_like_a_ciphertext_stays_plain_text(store_location: str) -> None:
    store = open_store(store_location)
    init_case(store, PersonInfo(name="王五", phone="xsenc:1:abcd:zzz"))
    store.close()
    store = open_store(store_location)
    person = get_person(store)
    assert person is not None and person.phone == "xsenc:1:abcd:zzz"
    store.close()


def test_changed_ciphertexts_are_caught(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db = tmp_path / "s.sqlite"
    monkeypatch.setenv("XIESHANG_KEY", generate_key())
    store = open_store(str(db))
    _fill(store, tmp_path)
    with store.engine.begin() as conn:
        raw = conn.execute(text("SELECT summary FROM contact_entry WHERE id = 6")).scalar_one()
        flipped = raw[:-3] + ("A" if raw[-3] != "A" else "B") + raw[-2:]
        conn.execute(text("UPDATE contact_entry SET summary = :s WHERE id = 6"), {"s": flipped})
    with pytest.raises(CryptoError) as bad:
        list_entries(store)
    assert bad.value.key == "crypto.error.corrupt_value"
    with store.engine.begin() as conn:
        conn.execute(text("UPDATE contact_entry SET summary = :s WHERE id = 6"), {"s": raw})
    blob = bytearray(_files(store)[0].read_bytes())
    blob[-1] ^= 1
    _files(store)[0].write_bytes(bytes(blob))
    report = verify_log(store)
    assert [p.kind for p in report.problems] == ["attachment-changed"]
    store.close()


def test_a_failed_rotation_changes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db = tmp_path / "s.sqlite"
    monkeypatch.setenv("XIESHANG_KEY", generate_key())
    store = open_store(str(db))
    _fill(store, tmp_path)
    files_before = {p: p.read_bytes() for p in _files(store)}
    snapshot = _snapshot(store)
    real = keys_service._rewrite_values

    def fail_half_way(conn: Any, kind: str = "case") -> int:
        real(conn, kind)
        raise OSError("disk gone")

    monkeypatch.setattr(keys_service, "_rewrite_values", fail_half_way)
    with pytest.raises(OSError):
        keys_service.rotate(store)
    store.close()
    store = open_store(str(db))
    assert {p: p.read_bytes() for p in _files(store)} == files_before
    assert _snapshot(store) == snapshot and len(keys_service.status(store).keys) == 1
    assert not list(attachment_folder(store).rglob("*.rekey"))
    store.close()


class _Crash(BaseException):
    """Stands for the process being killed."""


def test_a_crash_between_commit_and_file_swap_loses_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db = tmp_path / "s.sqlite"
    key = generate_key()
    monkeypatch.setenv("XIESHANG_KEY", key)
    store = open_store(str(db))
    _fill(store, tmp_path)
    snapshot = _snapshot(store)
    calls: list[int] = []
    real_replace = os.replace

    def crash(src: Any, dst: Any) -> None:
        calls.append(1)
        raise _Crash  # the process dies right after the commit

    monkeypatch.setattr(keys_service.os, "replace", crash)
    with pytest.raises(_Crash):
        keys_service.rotate(store)
    monkeypatch.setattr(keys_service.os, "replace", real_replace)
    assert calls
    store.close()
    store = open_store(str(db))
    status = keys_service.status(store)
    assert len(status.keys) == 2 and sum(k.files for k in status.keys if not k.active) == 1
    assert _snapshot(store) == snapshot and verify_log(store).intact  # old key still there for the file
    keys_service.rotate(store)  # finishes the job
    status = keys_service.status(store)
    assert len(status.keys) == 1 and status.keys[0].files == 1
    assert not list(attachment_folder(store).rglob("*.rekey"))
    assert _snapshot(store) == snapshot and verify_log(store).intact
    store.close()


# ---------------------------------------------------------------------------------------
# The CLI, end to end
# ---------------------------------------------------------------------------------------


def run(db: Path, *args: str, env: dict[str, str] | None = None, lang: str | None = None,
        check: int | None = 0) -> subprocess.CompletedProcess[str]:
    base = child_env(("XIESHANG_", "LC_", "LANG"))
    base.update({"XIESHANG_DB": str(db), "COLUMNS": "200", **(env or {})})
    argv = [sys.executable, "-m", "xieshang", *args] + (["--lang", lang] if lang else [])
    proc = subprocess.run(argv, env=base, capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=120)
    if check is not None:
        assert proc.returncode == check, (args, proc.stdout, proc.stderr)
    return proc


def test_cli_enable_rotate_status_and_clear_errors(tmp_path: Path) -> None:
    db = tmp_path / "s.sqlite"
    run(db, "demo")
    shot = write(tmp_path / "shot.png", png_bytes(3))
    run(db, "records", "add", "--channel", "sms", "--direction", "incoming", "--counterparty", "某催收",
        "--summary", SECRET_SUMMARY, "--attach", str(shot), "--when", "2026-11-01 10:00", "--tz", "+08:00")
    export = run(db, "export").stdout
    head = run(db, "records", "verify", "--json").stdout
    pw = {"XIESHANG_PASSPHRASE": "correct horse battery"}
    assert "xieshang keys enable" in run(db, "status", env=pw, check=2).stderr
    enabled = run(db, "keys", "enable", "--passphrase", env=pw, lang="en")
    assert "Encrypted:" in enabled.stdout
    with closing(sqlite3.connect(db)) as conn:
        assert SECRET_SUMMARY not in repr(conn.execute("SELECT * FROM contact_entry").fetchall())
    assert run(db, "export", env=pw).stdout == export
    assert run(db, "records", "verify", "--json", env=pw).stdout == head

    missing = run(db, "status", check=2)
    assert "已加密" in missing.stderr and "XIESHANG_PASSPHRASE" in missing.stderr and "Traceback" not in missing.stderr
    wrong = run(db, "status", env={"XIESHANG_PASSPHRASE": "nope nope"}, lang="en", check=2)
    assert "Wrong passphrase" in wrong.stderr
    bad_key = run(db, "status", env={"XIESHANG_KEY": "short"}, lang="en", check=2)
    assert "passphrase" in bad_key.stderr  # this store is opened by its passphrase

    new_key = generate_key()
    rotated = run(db, "keys", "rotate", "--new-key", "--json", env={**pw, "XIESHANG_NEW_KEY": new_key})
    assert '"files": 1' in rotated.stdout
    k = {"XIESHANG_KEY": new_key}
    assert run(db, "export", env=k).stdout == export
    assert run(db, "records", "verify", "--json", env=k).stdout == head
    status = run(db, "keys", "status", env=k, lang="en").stdout
    assert "XIESHANG_KEY" in status and "1 attachments" in status
    wrong_key = run(db, "status", env={"XIESHANG_KEY": generate_key()}, check=2)
    assert "不匹配" in wrong_key.stderr


def _on_a_terminal(argv: list[str], env: dict[str, str], answers: list[bytes]) -> tuple[str, int]:
    """Run ``argv`` on a pseudo-terminal, typing each answer after each prompt; (output, exit code)."""
    import pty
    import select
    import time

    pid, fd = pty.fork()
    if pid == 0:  # pragma: no cover - the child
        os.execve(argv[0], argv, env)
    out = b""
    pending = list(answers)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.2)
        if not ready:
            continue
        try:
            chunk = os.read(fd, 4096)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
        if pending and out.rstrip().endswith((b":", "：".encode())):
            os.write(fd, pending.pop(0) + b"\n")
    _, status = os.waitpid(pid, 0)
    return out.decode("utf-8", "replace"), os.waitstatus_to_exitcode(status)


def test_the_cli_asks_for_the_passphrase_on_a_terminal(tmp_path: Path) -> None:
    db = tmp_path / "s.sqlite"
    run(db, "demo")
    run(db, "keys", "enable", "--passphrase", env={"XIESHANG_PASSPHRASE": "typed passphrase"})
    env = child_env(("XIESHANG_", "LC_", "LANG"))
    env["XIESHANG_DB"] = str(db)
    exe = [sys.executable, "-m", "xieshang", "--lang", "en", "records", "verify"]
    out, code = _on_a_terminal(exe, env, [b"typed passphrase"])
    assert code == 0 and "Passphrase of the store" in out and "Intact" in out and "typed" not in out
    out, code = _on_a_terminal(exe, env, [b"not the passphrase"])
    assert code == 2 and "Wrong passphrase" in out


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_the_web_app_reads_and_serves_an_encrypted_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from fastapi.testclient import TestClient

    from xieshang.web.app import create_app

    monkeypatch.setenv("XIESHANG_KEY", generate_key())
    store = open_store(str(tmp_path / "s.sqlite"))
    _fill(store, tmp_path)
    assert SECRET_SUMMARY not in _raw_dump(store)
    client = TestClient(create_app(store), raise_server_exceptions=False)
    page = client.get("/records")
    assert page.status_code == 200 and SECRET_SUMMARY in page.text
    digest = sha256(png_bytes(7)).hexdigest()
    served = client.get(f"/records/attachments/{digest}")
    assert served.status_code == 200 and served.content == png_bytes(7)  # the plaintext, not the sealed file
    assert _files(store)[0].read_bytes() != png_bytes(7)
    store.close()
