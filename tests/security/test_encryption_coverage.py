"""Encryption at rest covers what identifies people (issue 12, item 7), on SQLite and PostgreSQL.

* Every text or JSON column of the case store and of the accounts store is either encrypted, a
  keyed hash (:class:`~xieshang.store.crypto_guard.BlindIndex`), or listed in :data:`CLEAR` with
  the reason it stays readable (the list docs/server.md gives). A new column that is none of these
  fails the test until someone decides.
* With a key set, a case holding a distinct marker in every encrypted column (written through the
  services, then every covered column of every row overwritten with its own marker) and an
  accounts store with a marker display name and audit path: none of the markers is in the raw
  database — the SQLite file, its WAL and shared-memory files, byte for byte, or on PostgreSQL a
  dump of every table's rows as text — while reading through the app, export, backup/restore and
  ``keys rotate`` all still give them back. A budget line is still found by its category and the
  audit log by its case (keyed hashes).
* ``keys enable`` on a plaintext store, and opening a store encrypted by the previous version
  (which left names readable), leave none of the markers on disk either (SQLite rewrites the file).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import JSON, String, Text, select, text, update
from tests.records_helpers import content, png_bytes

from xieshang.services import keys as keys_service
from xieshang.store import crypto
from xieshang.store.crypto import EncryptedJSON, EncryptedText, generate_key
from xieshang.store.crypto_guard import BlindIndex
from xieshang.store.db import Store, open_store

TODAY = date(2026, 11, 1)

#: Columns that stay readable with a key, and why (docs/server.md, "What stays readable").
CLEAR: dict[tuple[str, str], str] = {
    **{("loan", c): "loan terms the engine computes with (no person in them)"
       for c in ("profile_id", "product", "rate", "method", "overrides")},
    ("person", "locale"): "the language of the documents",
    ("contact_entry", "direction"): "enumeration", ("contact_entry", "channel"): "enumeration",
    ("contact_entry", "counterparty_kind"): "enumeration", ("contact_entry", "contacted"): "enumeration",
    ("contact_entry", "outcome"): "enumeration",
    ("contact_entry", "prev_hash"): "hash chain (SHA-256 of the plaintext entry)",
    ("contact_entry", "entry_hash"): "hash chain", ("contact_log_head", "head_hash"): "hash chain",
    ("contact_attachment", "sha256"): "the file's address (SHA-256 of its plaintext)",
    ("contact_attachment", "media_type"): "the file's type, from its first bytes",
    ("crypto_key", "kid"): "key id", ("crypto_key", "wrapped"): "data key, wrapped by the master key",
    ("crypto_master", "kind"): "key or passphrase", ("crypto_master", "kdf"): "KDF name",
    ("crypto_master", "salt"): "KDF salt", ("crypto_master", "params"): "KDF parameters",
    ("crypto_master", "key_check"): "key-check value (AES-GCM of a constant)",
    ("store_revision", "token"): "random token",
    ("budget_line", "month"): "YYYY-MM", ("budget_line", "kind"): "income or expense",
    ("finance_item", "kind"): "enumeration", ("finance_item", "frequency"): "enumeration",
    ("finance_item", "stability"): "enumeration",
    ("saved_plan", "objective"): "enumeration", ("task", "kind"): "enumeration",
    ("agreement", "status"): "enumeration", ("agreement", "rate"): "rate text",
    ("agreement", "waivers"): "waived components and amounts",
    ("credit_entry", "status_code"): "report code", ("credit_entry", "classification"): "enumeration",
    ("document_made", "kind"): "enumeration", ("document_made", "lang"): "language",
    ("document_made", "format"): "file format", ("document_made", "hardship_reason"): "enumeration",
    **{("plan_offer", c): "offer terms" for c in ("kind", "interest", "reduced_annual_rate", "waiver_share", "chance")},
    **{("saved_proposal", c): "proposal terms" for c in ("option", "interest", "reduced_annual_rate")},
}
#: The accounts store's readable columns.
CLEAR_ACCOUNTS: dict[tuple[str, str], str] = {
    ("account", "username"): "the sign-in name: looked up before any case is open, unique",
    ("account", "role"): "borrower, counsellor or admin: decides access on every request",
    ("account", "password_hash"): "argon2id hash",
    ("case_file", "id"): "random case id (it names the case's file or schema anyway)",
    ("access_grant", "case_id"): "random case id", ("web_session", "active_case_id"): "random case id",
    ("web_session", "token_hash"): "SHA-256 of the cookie", ("web_session", "csrf_token"): "random token",
    ("invitation", "token_hash"): "SHA-256 of the link's token", ("invitation", "role"): "role",
    ("login_attempt", "username"): "the sign-in limits count by it in SQL, before any account is known",
    ("login_attempt", "ip"): "the sign-in limits count by client address",
    ("crypto_key", "kid"): "key id", ("crypto_key", "wrapped"): "wrapped data key",
    ("crypto_master", "kind"): "", ("crypto_master", "kdf"): "", ("crypto_master", "salt"): "",
    ("crypto_master", "params"): "", ("crypto_master", "key_check"): "",
}


def _text_columns(metadata: Any) -> Iterator[tuple[str, str, Any]]:
    for table in metadata.sorted_tables:
        for col in table.columns:
            if isinstance(col.type, (String, Text, JSON, EncryptedText, EncryptedJSON, BlindIndex)):
                yield table.name, col.name, col.type


def _case_metadata() -> Any:
    from xieshang.store.models import Base

    return Base.metadata


def _accounts_metadata() -> Any:
    from xieshang.store.accounts_models import AccountsBase

    return AccountsBase.metadata


@pytest.mark.parametrize(("metadata", "clear"), [(_case_metadata, CLEAR), (_accounts_metadata, CLEAR_ACCOUNTS)],
                         ids=["case", "accounts"])
def test_every_text_column_is_encrypted_hashed_or_listed_as_clear(metadata: Any, clear: dict[Any, str]) -> None:
    undecided = [f"{t}.{c}" for t, c, ty in _text_columns(metadata())
                 if not isinstance(ty, (EncryptedText, EncryptedJSON, BlindIndex)) and (t, c) not in clear]
    assert undecided == [], "encrypt these or list them in CLEAR with the reason (and in docs/server.md)"
    stale = [f"{t}.{c}" for t, c in clear if (t, c) not in {(a, b) for a, b, _ in _text_columns(metadata())}]
    assert stale == []


def test_the_names_the_review_found_readable_are_encrypted_now() -> None:
    """Issue 12's list: the borrower's name, contract numbers, payment channel, counterparty,
    attachment file names, task titles, income labels; display names and the audit log."""
    enc = {(t, c) for t, c, ty in _text_columns(_case_metadata()) if isinstance(ty, (EncryptedText, EncryptedJSON))}
    assert {("person", "name"), ("loan", "contract_no"), ("payment", "channel"), ("contact_entry", "counterparty"),
            ("contact_attachment", "name"), ("task", "title"), ("finance_item", "name"),
            ("budget_line", "category"), ("loan", "lender")} <= enc
    acc = {(t, c) for t, c, ty in _text_columns(_accounts_metadata()) if isinstance(ty, EncryptedText)}
    assert {("account", "display_name"), ("audit_entry", "username"), ("audit_entry", "path"),
            ("audit_entry", "case_id"), ("audit_entry", "role"), ("audit_entry", "status")} <= acc


# ---------------------------------------------------------------------------------------
# Markers on disk
# ---------------------------------------------------------------------------------------

@pytest.fixture
def key(monkeypatch: pytest.MonkeyPatch) -> str:
    value = generate_key()
    monkeypatch.setenv("XIESHANG_KEY", value)
    monkeypatch.delenv("XIESHANG_PASSPHRASE", raising=False)
    monkeypatch.setattr(crypto, "passphrase_prompt", None)
    return value


def raw_text(store: Store) -> bytes:
    """Everything the database holds as bytes: the SQLite files, or every row of every table of
    the PostgreSQL schema as text (a dump of the tables)."""
    if store.engine.dialect.name == "sqlite":
        base = Path(store.location)
        return b"".join(p.read_bytes() for p in (base, Path(f"{base}-wal"), Path(f"{base}-shm")) if p.exists())
    out: list[str] = []
    with store.engine.connect() as conn:
        names = conn.execute(text("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")).scalars()
        for name in list(names):
            out.extend(str(r[0]) for r in conn.execute(text(f'SELECT CAST(t AS text) FROM "{name}" t')))
    return "\n".join(out).encode("utf-8")


def _found(raw: bytes, markers: list[str]) -> list[str]:
    return [m for m in markers if m.encode("utf-8") in raw]


def fill_every_table(store: Store, tmp_path: Path) -> list[str]:
    """The demo plus whatever fills the tables it leaves empty, each free text a marker; the
    markers given through the services."""
    from fastapi.testclient import TestClient

    from xieshang.planner.options import Offer
    from xieshang.services import credit, prevention, records, reminders
    from xieshang.services.demo import load_demo
    from xieshang.services.letters import LetterRequest, make_document
    from xieshang.services.plan import record_offer
    from xieshang.web.app import create_app

    load_demo(store, today=TODAY)
    given = ["SVC预算类别工资甲", "SVC征信渠道乙", "SVC征信账户丙", "SVC任务标题丁", "SVC催收员戊",
             "SVC身份证照片己.png", "SVC报价备注庚"]
    prevention.set_budget_line(store, "2026-11", "income", given[0], planned=Decimal("5000"))
    check = credit.add_check(store, on=TODAY, channel=given[1], today=TODAY)
    credit.add_entry(store, check.id, account=given[2], status_code="1", overdue=Decimal("100"), loan_id=1)
    reminders.add_task(store, given[3], TODAY, loan_id=1)
    records.add_entry(store, content(counterparty=given[4]), received=[(given[5], png_bytes(3))],
                      now=datetime(2026, 10, 30, 12, 0, tzinfo=UTC))
    record_offer(store, 1, Offer(kind="waiver", waiver_share=Decimal("0.3"), note=given[6]), today=TODAY)
    make_document(store, LetterRequest(kind="negotiation", loan_id=1, lang="zh_CN", as_of=TODAY), save_file=False)
    client = TestClient(create_app(store), raise_server_exceptions=True)
    assert client.post("/plan/save", data={"objective": "cost", "months": "60"},
                       follow_redirects=False).status_code == 303
    return given


def overwrite_with_markers(store: Store) -> dict[tuple[str, str, int], Any]:
    """Every encrypted column of every row gets its own marker (through the column types, as any
    write does); the markers by (table, column, row number)."""
    from xieshang.store.models import Base

    markers: dict[tuple[str, str, int], Any] = {}
    counter = itertools.count()
    with store.transaction() as s:
        for table in Base.metadata.sorted_tables:
            cols = [c for c in table.columns if isinstance(c.type, (EncryptedText, EncryptedJSON))]
            if not cols:
                continue
            pk = list(table.primary_key.columns)
            rows = s.execute(select(*pk)).all()
            assert rows, f"{table.name} has no row: the test must fill it"
            for i, row in enumerate(rows):
                values: dict[str, Any] = {}
                for col in cols:
                    mark = f"MK{next(counter):03d}·{table.name}.{col.name}·秘密"
                    values[col.name] = {"m": mark} if isinstance(col.type, EncryptedJSON) else mark
                    markers[(table.name, col.name, i)] = values[col.name]
                s.execute(update(table).where(*[c == v for c, v in zip(pk, row, strict=True)]).values(**values))
    return markers


def _texts(markers: dict[Any, Any]) -> list[str]:
    return [v["m"] if isinstance(v, dict) else v for v in markers.values()]


def test_no_marker_reaches_the_disk_and_the_app_still_reads_them(store_location: str, key: str,
                                                                   tmp_path: Path) -> None:
    from xieshang.services import backup, prevention
    from xieshang.services.transfer import export_case

    store = open_store(store_location)
    try:
        given = fill_every_table(store, tmp_path)
        assert _found(raw_text(store), given) == []
        budget = prevention.budget(store, "2026-11")
        assert [ln.category for ln in budget.lines] == [given[0]]
        prevention.set_budget_line(store, "2026-11", "income", given[0], actual=Decimal("4800"))  # found by hash
        assert len(prevention.budget(store, "2026-11").lines) == 1

        from xieshang.services.case import get_person

        name = get_person(store).name
        assert name and name in str(export_case(store))  # the export is the readable copy, by design
        markers = overwrite_with_markers(store)
        texts = _texts(markers)
        assert _found(raw_text(store), texts) == []
        with store.engine.connect() as conn:  # read back through the types: every marker decrypts
            from xieshang.store.models import Base

            seen = {str(v) for t in Base.metadata.sorted_tables for row in conn.execute(select(t)) for v in row}
        assert all(any(m in v for v in seen) for m in texts)

        keys_service.rotate(store)
        assert _found(raw_text(store), texts) == []
        archive = tmp_path / "backup.zip"
        backup.backup(store, archive)
        assert _found(archive.read_bytes(), texts) == []
    finally:
        store.close()
    if "://" in store_location:
        return  # the restore round trip is the SQLite file's (PostgreSQL: one database per test)
    target = open_store(str(tmp_path / "restored" / "case.sqlite"))
    try:
        backup.restore(target, archive)
        assert _found(raw_text(target), texts) == []
        assert prevention.budget(target, "2026-11").lines  # found again after the restore
    finally:
        target.close()


def test_keys_enable_leaves_no_plaintext_on_disk(store_location: str, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("XIESHANG_KEY", raising=False)
    monkeypatch.delenv("XIESHANG_PASSPHRASE", raising=False)
    monkeypatch.setattr(crypto, "passphrase_prompt", None)
    store = open_store(store_location)
    try:
        given = fill_every_table(store, tmp_path)
        texts = _texts(overwrite_with_markers(store)) + given[1:]  # the budget category was overwritten
        assert _found(raw_text(store), texts)  # plaintext before: the check can see them
        keys_service.enable(store, keys_service.NewMaster("key", generate_key()))
        assert _found(raw_text(store), texts) == []
        assert prevention_lines(store) == 1
    finally:
        store.close()


def prevention_lines(store: Store) -> int:
    from xieshang.services import prevention

    return len(prevention.budget(store, "2026-11").lines)


def test_a_store_encrypted_by_the_previous_version_is_sealed_on_open(store_location: str, key: str,
                                                                       tmp_path: Path) -> None:
    """The previous version encrypted notes and phones but wrote names, labels and file names as
    they are (and no category hash): opened now with its key, all of it is encrypted."""
    store = open_store(store_location)
    try:
        fill_every_table(store, tmp_path)
        with store.transaction() as s:  # what the previous version left: readable names, cover 1
            s.execute(text("UPDATE person SET name = 'OLD旧版姓名王五'"))
            s.execute(text("UPDATE loan SET contract_no = 'OLD合同号HT-0001'"))
            s.execute(text("UPDATE budget_line SET category = 'OLD旧类别', category_key = 'OLD旧类别'"))
            s.execute(text("UPDATE crypto_master SET params = :p"), {"p": '{"n": 0, "r": 0, "p": 0}'})
        assert _found(raw_text(store), ["OLD旧版姓名王五"])
    finally:
        store.close()
    store = open_store(store_location)
    try:
        assert _found(raw_text(store), ["OLD旧版姓名王五", "OLD合同号HT-0001", "OLD旧类别"]) == []
        from xieshang.services import prevention
        from xieshang.services.case import get_person

        assert get_person(store).name == "OLD旧版姓名王五"
        assert [ln.category for ln in prevention.budget(store, "2026-11").lines] == ["OLD旧类别"]
    finally:
        store.close()


def test_the_accounts_store_keeps_display_names_and_the_audit_log_encrypted(store_location: str, key: str,
                                                                             tmp_path: Path) -> None:
    from xieshang.services import audit
    from xieshang.services.access import schema_url
    from xieshang.services.accounts import create_account, find_account
    from xieshang.store.accounts_db import open_accounts_store

    url = schema_url(store_location, "accounts") if "://" in store_location else None
    st = open_accounts_store(tmp_path / "data", url=url)
    try:
        owner = create_account(st, "bob", "correct horse battery", role="borrower", display_name="鲍勃秘密名DISPLAY")
        helper = create_account(st, "carol", "correct horse battery", role="counsellor",
                                display_name="咨询员秘密名DISPLAY")
        assert owner.case_id
        for n in range(3):
            audit.record(st, helper, owner.case_id, method="POST", path=f"/records/SECRETPATH{n}", status=303)
        raw = raw_text(st) if url else Path(st.location).read_bytes() + _wal(Path(st.location))
        assert _found(raw, ["鲍勃秘密名DISPLAY", "咨询员秘密名DISPLAY", "SECRETPATH0", "SECRETPATH2"]) == []
        with st.engine.connect() as conn:  # the audit rows as stored: case, user, role, action, method, path, status
            rows = conn.execute(text("SELECT case_id, username, role, action, method, path, status, case_key "
                                     "FROM audit_entry")).all()
        assert len(rows) == 3
        for row in rows:
            assert all(str(v).startswith("xsenc:1:") for v in row[:7]), row
            assert str(row[7]).startswith("xsidx:") and owner.case_id not in str(row[7])
        got = audit.entries(st, owner)  # found by the case's keyed hash, read back decrypted
        assert [e.path for e in got] == [f"/records/SECRETPATH{n}" for n in (2, 1, 0)]
        assert got[0].username == "carol" and got[0].status == 303 and got[0].action == "change"
        found = find_account(st, "bob")
        assert found is not None and found.display_name == "鲍勃秘密名DISPLAY"
        keys_service.rotate(st)
        assert [e.path for e in audit.entries(st, owner)] == [f"/records/SECRETPATH{n}" for n in (2, 1, 0)]
    finally:
        st.close()


def _wal(path: Path) -> bytes:
    wal = Path(f"{path}-wal")
    return wal.read_bytes() if wal.exists() else b""


def test_a_store_open_elsewhere_follows_a_rotation(store_location: str, key: str) -> None:
    """Two openings of one store (as two workers hold it): after ``keys rotate`` through one, the
    other reads the re-encrypted values (its keyring reloads), and its first write under the retired
    key is refused with nothing written, the next one goes through under the new key."""
    from xieshang.services.case import add_payment, get_person, list_loans
    from xieshang.services.demo import load_demo

    first = open_store(store_location)
    second = open_store(store_location)
    try:
        load_demo(first, today=TODAY)
        assert get_person(second).name == get_person(first).name
        old = crypto.keyring_of(second.engine)
        assert old is not None
        retired = old.active
        keys_service.rotate(first)
        assert get_person(second).name == get_person(first).name  # new key id: reloaded
        loan = list_loans(first)[0]
        count = len(loan.payments)
        old.active = retired  # as if nothing had been read since the rotation
        old.keys.setdefault(retired, b"\0" * 32)
        with pytest.raises(crypto.CryptoError) as refused:
            add_payment(second, loan.id, Decimal("1.00"), on=date(2026, 10, 3), note="不该写入", today=TODAY)
        assert refused.value.key == "crypto.error.key_changed"
        assert len(list_loans(first)[0].payments) == count
        add_payment(second, loan.id, Decimal("2.00"), on=date(2026, 10, 3), note="第二次写入", today=TODAY)
        after = list_loans(first)[0].payments
        assert len(after) == count + 1 and after[-1].note == "第二次写入"  # readable by the other opening
    finally:
        second.close()
        first.close()


def test_keys_enable_for_a_whole_server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A server whose cases hold data from before a key was set: ``keys enable --server`` encrypts
    the accounts store and every case; ``keys status --server`` says so for each."""
    import json
    import subprocess
    import sys

    from tests.child_env import child_env

    env = child_env(("XIESHANG_", "DATABASE_URL"))
    env.update({"XIESHANG_DATA_DIR": str(tmp_path / "data"), "XIESHANG_LANG": "en"})

    def run(*args: str, extra: dict[str, str] | None = None, stdin: str = "") -> str:
        proc = subprocess.run([sys.executable, "-m", "xieshang", *args], env={**env, **(extra or {})}, input=stdin,
                              capture_output=True, text=True, timeout=300)
        assert proc.returncode == 0, (args, proc.stdout, proc.stderr)
        return proc.stdout

    for user in ("ann", "ben"):
        run("admin", "create-user", "--username", user, "--role", "borrower", "--name", f"{user}-显示名MARK",
            "--password-stdin", stdin="correct horse battery\n")
    from xieshang.services.access import open_server
    from xieshang.services.demo import load_demo
    from xieshang.store.accounts_models import CaseFile

    monkeypatch.delenv("XIESHANG_KEY", raising=False)
    monkeypatch.delenv("XIESHANG_PASSPHRASE", raising=False)
    server = open_server(tmp_path / "data", database_url="")
    try:
        with server.accounts.transaction() as s:
            ids = list(s.scalars(select(CaseFile.id)))
        for case_id in ids:
            load_demo(server.case_store(case_id), today=TODAY)
    finally:
        server.close()
    secret = generate_key()
    out = json.loads(run("keys", "enable", "--server", "--key", "--json", extra={"XIESHANG_KEY": secret}))
    assert out[0]["store"] == "accounts" and {r["store"] for r in out[1:]} == {f"case {i}" for i in ids}
    assert all(r["result"]["values"] > 0 for r in out)  # display names, then each case's values
    status = json.loads(run("keys", "status", "--server", "--json", extra={"XIESHANG_KEY": secret}))
    assert len(status) == 3 and all(r["result"]["encrypted"] and r["result"]["plaintext_values"] == 0 for r in status)
    raw = b"".join(p.read_bytes() for p in (tmp_path / "data").rglob("*.sqlite*"))
    assert "显示名MARK".encode() not in raw
