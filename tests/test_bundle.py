"""Evidence bundles: round trip (what goes in is what verify-bundle and sha256sum see), every
attachment and index inside, and tampered bundles detected and named without the store."""

from __future__ import annotations

import hashlib
import json
import zipfile
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from tests.records_helpers import SAMPLES, content, png_bytes, write

from xieshang.errors import UserError
from xieshang.services import records as svc
from xieshang.store.db import Store, open_store

NOW = datetime(2025, 12, 1, tzinfo=UTC)


@pytest.fixture
def store(tmp_path: Path, store_location: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Store]:
    monkeypatch.setattr(svc, "pdf_renderer", lambda: None)  # PDF has its own end-to-end test
    st = open_store(store_location)
    svc.add_entry(st, content(23, 40, contacted="relative", contacted_name="母亲", disclosed=True, loan_id=None,
                              summary="深夜给我母亲打电话说我欠钱。"), [write(tmp_path / "call.mp3", SAMPLES["audio/mpeg"])],
                  now=NOW)
    svc.add_entry(st, content(10, summary="He said he was from the police.", counterparty="ACME Collections"),
                  [write(tmp_path / "shot.png", png_bytes(5)), write(tmp_path / "mail.eml", SAMPLES["message/rfc822"])],
                  now=NOW)
    svc.add_entry(st, content(11, channel="sms", outcome=None, summary="提醒还款。"), now=NOW)
    yield st
    st.close()


def _rewrite(src: Path, dst: Path, change: dict[str, bytes | None], extra: dict[str, bytes] | None = None) -> None:
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w") as zout:
        for name in zin.namelist():
            data = zin.read(name)
            if name in change:
                new = change[name]
                if new is None:
                    continue
                data = new
            zout.writestr(name, data)
        for name, data in (extra or {}).items():
            zout.writestr(name, data)


def _kinds(path: Path) -> list[tuple[str, tuple[int, ...], str]]:
    return [(p.kind, p.entries, str(p.params.get("file", p.params.get("name", ""))))
            for p in svc.verify_bundle(path).problems]


def test_round_trip(store: Store, tmp_path: Path) -> None:
    out = tmp_path / "evidence.zip"
    report = svc.export_bundle(store, out, now=NOW)
    assert report.intact and report.entries == 3 and report.attachments == 3
    assert report.head_hash == svc.verify_log(store).head_hash
    with zipfile.ZipFile(out) as zf:
        names = set(zf.namelist())
        assert {"manifest.json", "SHA256SUMS", "entries.json", "flags.json", "summary.json", "README.txt",
                "index.zh_CN.html", "index.en.html", "index.zh_CN.md", "index.en.md"} <= names
        for e in svc.list_entries(store):
            for a in e.content.attachments:
                stored = zf.read(next(n for n in names if n.startswith(f"attachments/{a.sha256}.")))
                assert hashlib.sha256(stored).hexdigest() == a.sha256
        # SHA256SUMS works with the standard tool's format and covers the manifest
        sums = dict(reversed(line.split("  ", 1)) for line in zf.read("SHA256SUMS").decode().splitlines())
        for name, digest in sums.items():
            assert hashlib.sha256(zf.read(name)).hexdigest() == digest
        assert set(sums) == names - {"SHA256SUMS"}
        flags = json.loads(zf.read("flags.json"))
        assert {(f["entry_id"], f["check"]) for f in flags} >= {(1, "night"), (1, "third-party"), (1, "disclosed"),
                                                               (2, "impersonation")}
        zh = zf.read("index.zh_CN.html").decode()
        en = zf.read("index.en.md").decode()
    assert "母亲" in zh and "夜间催收" in zh and "<script" not in zh and "http" not in zh.split("<body>")[0]
    assert "Contact at night" in en and "ACME Collections" in en
    assert "2025-11-10 23:40 (UTC+08:00)" in en


def test_export_refuses_a_tampered_log_and_an_empty_one(store: Store, tmp_path: Path,
                                                        new_store_location: Callable[[], str]) -> None:
    from contextlib import closing

    from tests.store_helpers import raw

    with closing(raw(store)) as conn:
        conn.execute("UPDATE contact_entry SET summary = 'x' WHERE id = 3")
    with pytest.raises(UserError) as err:
        svc.export_bundle(store, tmp_path / "b.zip", now=NOW)
    assert err.value.key == "records.error.export_tampered"
    assert not (tmp_path / "b.zip").exists()
    empty = open_store(new_store_location())
    with pytest.raises(UserError):
        svc.export_bundle(empty, tmp_path / "c.zip", now=NOW)
    empty.close()


@pytest.fixture
def bundle(store: Store, tmp_path: Path) -> Path:
    out = tmp_path / "evidence.zip"
    svc.export_bundle(store, out, now=NOW)
    return out


def _attachment_name(bundle: Path, suffix: str) -> str:
    with zipfile.ZipFile(bundle) as zf:
        return next(n for n in zf.namelist() if n.startswith("attachments/") and n.endswith(suffix))


def test_tampered_attachment_in_bundle(bundle: Path, tmp_path: Path) -> None:
    name = _attachment_name(bundle, ".png")
    with zipfile.ZipFile(bundle) as zf:
        data = bytearray(zf.read(name))
    data[-6] ^= 0xFF
    bad = tmp_path / "bad.zip"
    _rewrite(bundle, bad, {name: bytes(data)})
    assert _kinds(bad) == [("file-changed", (), name), ("attachment-changed", (2,), "shot.png")]


def test_edited_entry_in_bundle(bundle: Path, tmp_path: Path) -> None:
    with zipfile.ZipFile(bundle) as zf:
        doc = json.loads(zf.read("entries.json"))
    doc["entries"][2]["content"]["summary"] = "没有来过短信"
    bad = tmp_path / "bad.zip"
    _rewrite(bundle, bad, {"entries.json": json.dumps(doc).encode()})
    assert _kinds(bad) == [("file-changed", (), "entries.json"), ("edited", (3,), "")]


def test_consistently_forged_manifest_still_breaks_the_chain(bundle: Path, tmp_path: Path) -> None:
    """Even with manifest and sums recomputed, an edit shows in the hash chain."""
    with zipfile.ZipFile(bundle) as zf:
        files = {n: zf.read(n) for n in zf.namelist()}
    doc = json.loads(files["entries.json"])
    del doc["entries"][1]
    files["entries.json"] = json.dumps(doc).encode()
    manifest = json.loads(files["manifest.json"])
    for f in manifest["files"]:
        f["sha256"] = hashlib.sha256(files[f["path"]]).hexdigest()
    files["manifest.json"] = json.dumps(manifest).encode()
    files["SHA256SUMS"] = "".join(f"{hashlib.sha256(b).hexdigest()}  {n}\n" for n, b in files.items()
                                  if n != "SHA256SUMS").encode()
    bad = tmp_path / "forged.zip"
    with zipfile.ZipFile(bad, "w") as zf:
        for n, b in files.items():
            zf.writestr(n, b)
    assert _kinds(bad) == [("missing", (2,), "")]


def test_missing_and_extra_files(bundle: Path, tmp_path: Path) -> None:
    name = _attachment_name(bundle, ".mp3")
    bad = tmp_path / "bad.zip"
    _rewrite(bundle, bad, {name: None}, extra={"attachments/evil.png": png_bytes(9)})
    assert _kinds(bad) == [("file-missing", (), name), ("file-extra", (), "attachments/evil.png"),
                           ("attachment-missing", (1,), "call.mp3")]


def test_not_a_bundle(tmp_path: Path) -> None:
    junk = write(tmp_path / "junk.zip", b"not a zip")
    with pytest.raises(UserError) as err:
        svc.verify_bundle(junk)
    assert err.value.key == "records.error.not_a_bundle"
    other = tmp_path / "other.zip"
    with zipfile.ZipFile(other, "w") as zf:
        zf.writestr("hello.txt", "hi")
    with pytest.raises(UserError):
        svc.verify_bundle(other)
    with pytest.raises(UserError) as err:
        svc.verify_bundle(tmp_path / "absent.zip")
    assert err.value.key == "records.error.bundle_missing"
