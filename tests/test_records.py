"""The contact log service: entries, corrections, attachments by content, and tamper evidence
(an edited byte of an attachment, a changed field, a deleted entry, two swapped entries, the
newest entry removed) — each detected and named."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import closing
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from tests.records_helpers import SAMPLES, content, png_bytes, write
from tests.store_helpers import raw

from xieshang.errors import UserError
from xieshang.records import attachments as att
from xieshang.records.attachments import sniff
from xieshang.records.chain import ChainRow, Head, verify_chain
from xieshang.records.model import GENESIS, entry_hash
from xieshang.services import records as svc
from xieshang.store.db import Store, open_store

NOW = datetime(2025, 12, 1, tzinfo=UTC)


@pytest.fixture
def store(store_location: str) -> Iterator[Store]:
    st_ = open_store(store_location)
    yield st_
    st_.close()


def _db(store: Store) -> Any:
    return raw(store)  # SQLite or PostgreSQL, autocommit, ``?`` placeholders


def _kinds(report: svc.VerifyReport) -> list[tuple[str, tuple[int, ...]]]:
    return [(p.kind, p.entries) for p in report.problems]


def _log(store: Store, tmp_path: Path, n: int = 4) -> list[int]:
    ids = []
    for i in range(n):
        files = [write(tmp_path / f"shot{i}.png", png_bytes(i))] if i % 2 == 0 else []
        ids.append(svc.add_entry(store, content(9 + i, summary=f"第{i + 1}次来电"), files, now=NOW).id)
    return ids


# -- attachments by content ------------------------------------------------------------------


@pytest.mark.parametrize("media", sorted(SAMPLES))
def test_sniff_accepts_each_kind_by_content(media: str) -> None:
    assert sniff(SAMPLES[media]) == media


@pytest.mark.parametrize("data", [b"MZ\x90\x00\x03\x00\x00\x00", b"PK\x03\x04zipdata", b"\x00\x01\x02\x03binary",
                                  b"\x7fELF\x02\x01\x01", b"", b"   \n"])
def test_sniff_refuses_other_content(data: bytes) -> None:
    assert sniff(data) is None


def test_type_is_told_by_content_never_by_name(store: Store, tmp_path: Path) -> None:
    disguised = write(tmp_path / "recording.mp3", SAMPLES["image/png"])  # a PNG named .mp3
    e = svc.add_entry(store, content(), [disguised], now=NOW)
    assert e.content.attachments[0].media_type == "image/png"
    exe = write(tmp_path / "screenshot.png", b"MZ\x90\x00 not an image")
    with pytest.raises(UserError) as err:
        svc.add_entry(store, content(), [exe], now=NOW)
    assert err.value.key == "records.error.attach_type"


def test_attachments_are_content_addressed_once(store: Store, tmp_path: Path) -> None:
    a = write(tmp_path / "a.png", png_bytes(7))
    b = write(tmp_path / "copy-of-a.png", png_bytes(7))
    e1 = svc.add_entry(store, content(), [a], now=NOW)
    e2 = svc.add_entry(store, content(11), [b], now=NOW)
    sha = e1.content.attachments[0].sha256
    assert e2.content.attachments[0].sha256 == sha
    path = svc.attachment_folder(store) / sha[:2] / sha[2:]
    assert path.read_bytes() == png_bytes(7)
    assert [p for p in svc.attachment_folder(store).rglob("*") if p.is_file()] == [path]


def _state(store: Store) -> tuple[list[object], list[Path]]:
    with closing(_db(store)) as conn:
        rows = [conn.execute(f"SELECT * FROM {t} ORDER BY 1").fetchall()
                for t in ("contact_entry", "contact_attachment", "contact_log_head")]
    folder = svc.attachment_folder(store)
    return rows, sorted(p for p in folder.rglob("*")) if folder.exists() else []


@pytest.mark.parametrize("problem", ["type", "too-big", "missing", "empty", "bad-field", "no-loan"])
def test_refused_upload_writes_nothing(store: Store, tmp_path: Path, problem: str,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    svc.add_entry(store, content(), [write(tmp_path / "first.png", png_bytes(1))], now=NOW)
    before = _state(store)
    good = write(tmp_path / "good.png", png_bytes(2))
    c = content(12)
    files = [good]
    if problem == "type":
        files.append(write(tmp_path / "x.pdf", b"\x00\x01 not a pdf"))
    elif problem == "too-big":
        monkeypatch.setattr(svc, "MAX_ATTACHMENT_BYTES", 100)
        files.append(write(tmp_path / "big.pdf", b"%PDF-" + b"0" * 200))
    elif problem == "missing":
        files.append(tmp_path / "nowhere.png")
    elif problem == "empty":
        files.append(write(tmp_path / "empty.txt", b""))
    elif problem == "bad-field":
        c = replace(c, channel="sms", outcome="connected")  # only calls have an outcome
    elif problem == "no-loan":
        c = replace(c, loan_id=99)  # checked inside the transaction, after the files were written
    with pytest.raises(UserError):
        svc.add_entry(store, c, files, now=NOW)
    assert _state(store) == before


def test_validation(store: Store) -> None:
    with pytest.raises(UserError, match="naive"):
        svc.add_entry(store, content(occurred=datetime(2025, 11, 1, 10)), now=NOW)  # type: ignore[arg-type]
    with pytest.raises(UserError) as err:
        svc.add_entry(store, content(occurred=NOW + timedelta(days=1)), now=NOW)
    assert err.value.key == "records.error.future"
    with pytest.raises(UserError) as err:
        svc.add_entry(store, content(disclosed=True), now=NOW)
    assert err.value.key == "records.error.disclosed_to_borrower"
    with pytest.raises(UserError) as err:
        svc.add_entry(store, content(summary="  "), now=NOW)
    assert err.value.key == "records.error.required"
    assert svc.list_entries(store) == []


def test_time_is_stored_as_utc_with_the_original_offset(store: Store) -> None:
    e = svc.add_entry(store, content(23, 40), now=NOW)
    with closing(_db(store)) as conn:
        utc, offset = conn.execute("SELECT occurred_utc, utc_offset_min FROM contact_entry").fetchone()
    assert str(utc).startswith("2025-11-10 15:40") and offset == 480
    back = svc.get_entry(store, e.id)
    assert back.occurred.isoformat() == "2025-11-10T23:40:00+08:00"
    assert back.to_json()["occurred_utc"] == "2025-11-10T15:40:00Z"


def test_parse_when_and_choices() -> None:
    assert svc.parse_when("2025-11-20 23:40", "+08:00").isoformat() == "2025-11-20T23:40:00+08:00"
    assert svc.parse_when("2025-11-20T23:40-05:00").utcoffset() == timedelta(hours=-5)
    assert svc.parse_when("2025-07-01 09:00", "Asia/Shanghai").utcoffset() == timedelta(hours=8)
    for bad in ("2025-11-20", "yesterday", "2025-13-01 10:00"):
        with pytest.raises(UserError):
            svc.parse_when(bad, "+08:00")
    with pytest.raises(UserError):
        svc.parse_tz("Mars/Olympus")
    assert svc.parse_choice("channel", "电话") == "call"
    assert svc.parse_choice("contacted", "通讯录") == "contact-list"
    with pytest.raises(UserError):
        svc.parse_choice("channel", "pigeon")


# -- corrections --------------------------------------------------------------------------------


def test_correction_is_a_new_entry_and_the_old_one_stays(store: Store, tmp_path: Path) -> None:
    old = svc.add_entry(store, content(23, 30, contacted="relative", contacted_name="母亲"),
                        [write(tmp_path / "a.png", png_bytes(3))], now=NOW)
    new = svc.correct_entry(store, old.id, {"occurred": content(20, 30).occurred},
                            [write(tmp_path / "b.txt", SAMPLES["text/plain"])], now=NOW)
    assert new.id == old.id + 1 and new.content.corrects == old.id
    assert len(new.content.attachments) == 2 and new.content.contacted_name == "母亲"
    entries = {e.id: e for e in svc.list_entries(store)}
    assert entries[old.id].corrected_by == (new.id,)
    assert entries[old.id].occurred.hour == 23  # unchanged
    assert [e.id for e in svc.list_entries(store, current_only=True)] == [new.id]
    # the night flag went with the correction (20:30), the third-party flag stays on the new entry
    checks = {(f.entry.id, c.check) for f in svc.flagged_entries(store) for c in f.flags}
    assert checks == {(new.id, "third-party")}
    assert svc.verify_log(store).intact
    with pytest.raises(UserError):
        svc.correct_entry(store, 99, {"summary": "x"}, now=NOW)
    with pytest.raises(UserError):
        svc.correct_entry(store, old.id, {}, now=NOW)


# -- tamper evidence ------------------------------------------------------------------------------


def test_intact_log_verifies(store: Store, tmp_path: Path) -> None:
    _log(store, tmp_path)
    report = svc.verify_log(store)
    assert report.intact and report.entries == 4 and report.attachments == 2
    with closing(_db(store)) as conn:
        assert report.head_hash == conn.execute("SELECT entry_hash FROM contact_entry WHERE id = 4").fetchone()[0]


def test_one_byte_of_an_attachment_edited(store: Store, tmp_path: Path) -> None:
    _log(store, tmp_path)
    e3 = svc.get_entry(store, 3)
    sha = e3.content.attachments[0].sha256
    path = svc.attachment_folder(store) / sha[:2] / sha[2:]
    data = bytearray(path.read_bytes())
    data[-5] ^= 0x01
    path.write_bytes(bytes(data))
    report = svc.verify_log(store)
    assert _kinds(report) == [("attachment-changed", (3,))]
    assert report.problems[0].params["name"] == "shot2.png"
    path.unlink()
    assert _kinds(svc.verify_log(store)) == [("attachment-missing", (3,))]


@pytest.mark.parametrize("column, value", [("summary", "'改过的摘要'"), ("count", "2"), ("utc_offset_min", "0"),
                                           ("contacted", "'borrower'"), ("recorded_utc", "'2030-01-01 00:00:00'")])
def test_one_field_changed_in_the_database(store: Store, tmp_path: Path, column: str, value: str) -> None:
    _log(store, tmp_path)
    with closing(_db(store)) as conn:
        if column == "contacted":
            conn.execute("UPDATE contact_entry SET contacted = 'relative' WHERE id = 2")
        else:
            conn.execute(f"UPDATE contact_entry SET {column} = {value} WHERE id = 2")
    assert _kinds(svc.verify_log(store)) == [("edited", (2,))]


def test_attachment_row_removed_or_changed(store: Store, tmp_path: Path) -> None:
    _log(store, tmp_path)
    with closing(_db(store)) as conn:
        conn.execute("UPDATE contact_attachment SET name = 'other.png' WHERE entry_id = 1")
    assert _kinds(svc.verify_log(store)) == [("edited", (1,))]


def test_edited_and_rehashed_entry_is_caught_by_its_successor(store: Store, tmp_path: Path) -> None:
    _log(store, tmp_path)
    e2 = svc.get_entry(store, 2)
    forged = replace(e2.content, summary="其实没有来电")
    digest = entry_hash(forged, e2.recorded, e2.prev_hash)
    with closing(_db(store)) as conn:
        conn.execute("UPDATE contact_entry SET summary = ?, entry_hash = ? WHERE id = 2", (forged.summary, digest))
    assert _kinds(svc.verify_log(store)) == [("edited", (2,))]


def test_entry_deleted(store: Store, tmp_path: Path) -> None:
    _log(store, tmp_path)
    with closing(_db(store)) as conn:
        conn.execute("DELETE FROM contact_entry WHERE id = 2")
    report = svc.verify_log(store)
    assert _kinds(report) == [("missing", (2,))]
    assert report.problems[0].params == {"first": 2, "last": 2}


def test_first_and_newest_entries_deleted(store: Store, tmp_path: Path) -> None:
    _log(store, tmp_path)
    with closing(_db(store)) as conn:
        conn.execute("DELETE FROM contact_entry WHERE id IN (1, 4)")
    assert _kinds(svc.verify_log(store)) == [("missing", (1,)), ("truncated", (4,))]
    with closing(_db(store)) as conn:
        conn.execute("DELETE FROM contact_log_head")
    assert ("head-missing", ()) in _kinds(svc.verify_log(store))
    with pytest.raises(UserError) as err:  # no silent append to a log whose head is gone
        svc.add_entry(store, content(), now=NOW)
    assert err.value.key == "records.error.head_missing"


def test_two_entries_swapped(store: Store, tmp_path: Path) -> None:
    _log(store, tmp_path)
    with closing(_db(store)) as conn:
        conn.execute("PRAGMA foreign_keys = OFF")
        for a, b in ((2, -2), (3, 2), (-2, 3)):
            conn.execute("UPDATE contact_entry SET id = ? WHERE id = ?", (b, a))
            conn.execute("UPDATE contact_attachment SET entry_id = ? WHERE entry_id = ?", (b, a))
    report = svc.verify_log(store)
    assert _kinds(report) == [("reordered", (2, 3))]
    assert report.problems[0].params["order"] == "#1, #3, #2, #4"


def test_appending_continues_the_chain(store: Store, tmp_path: Path) -> None:
    ids = _log(store, tmp_path, 2)
    e = svc.add_entry(store, content(20), now=NOW)
    assert e.id == ids[-1] + 1 and e.prev_hash == svc.get_entry(store, ids[-1]).entry_hash
    assert svc.get_entry(store, ids[0]).prev_hash == GENESIS
    assert svc.verify_log(store).intact


@given(st.integers(min_value=0, max_value=5), st.sampled_from(["summary", "count", "channel", "counterparty"]),
       st.text(min_size=1, max_size=5))
def test_any_single_change_is_detected_by_the_pure_chain(position: int, field: str, text: str) -> None:
    rows = []
    prev = GENESIS
    for i in range(6):
        hashed = content(8 + i, summary=f"s{i}").hashed(NOW)
        h = entry_hash(content(8 + i, summary=f"s{i}"), NOW, prev)
        rows.append(ChainRow(id=i + 1, hashed=hashed, prev_hash=prev, entry_hash=h))
        prev = h
    head = Head(count=6, head_hash=prev)
    assert verify_chain(rows, head) == []
    target = rows[position]
    changed = dict(target.hashed)
    changed[field] = changed[field] + 1 if field == "count" else f"{changed[field]}{text}"
    rows[position] = replace(target, hashed=changed)
    problems = verify_chain(rows, head)
    assert [(p.kind, p.entries) for p in problems] == [("edited", (position + 1,))]


def test_attachment_store_paths(tmp_path: Path) -> None:
    folder = att.AttachmentStore(tmp_path / "a")
    digest, new = folder.put(b"%PDF-1.4 x")
    assert new and folder.has(digest) and folder.put(b"%PDF-1.4 x") == (digest, False)
    with pytest.raises(ValueError):
        folder.path_of("../../etc/passwd")
