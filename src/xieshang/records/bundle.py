"""The evidence bundle (证据包): one zip that proves itself.

Layout::

    README.txt                    what this is and how to check it (zh + en)
    index.zh_CN.html, index.en.html, index.zh_CN.md, index.en.md   (and .pdf when available)
    entries.json                  every entry's hashed content, previous hash and hash, and the head
    flags.json, summary.json      the conduct flags and the per-lender summary
    attachments/<sha256>.<ext>    every attached file, once
    manifest.json                 SHA-256 and size of every file above
    SHA256SUMS                    the same, for ``sha256sum -c`` (also covers manifest.json)

:func:`check_bundle` needs nothing but the zip: it checks every file against the manifest and
``SHA256SUMS``, recomputes the hash chain from ``entries.json``, and checks every attachment
the entries name. The zip is written to a temporary file and moved into place.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import zipfile
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from xieshang.errors import UserError
from xieshang.records.attachments import MAX_ATTACHMENT_BYTES
from xieshang.records.chain import ChainRow, Head, Problem, verify_chain
from xieshang.records.conduct import ConductFlag
from xieshang.records.model import AttachmentRef, Entry, iso_utc
from xieshang.records.render import IndexData, attachment_path, render_html, render_markdown
from xieshang.records.summary import summarize

FORMAT = "xieshang-evidence-bundle"
VERSION = 1
MANIFEST = "manifest.json"
SUMS = "SHA256SUMS"
LANGS = ("zh_CN", "en")
#: Largest member read when checking (attachments are limited; indexes are far smaller).
_MAX_MEMBER = MAX_ATTACHMENT_BYTES + 16 * 1024 * 1024

#: Lays out the index (data, language) as PDF.
PdfRenderer = Callable[[IndexData, str], bytes]


def _json(data: Any) -> bytes:
    return (json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True) + "\n").encode("utf-8")


def _readme() -> bytes:
    from xieshang.i18n import t

    return "\n\n".join(t("records.bundle.readme", lang=lang) for lang in LANGS).encode("utf-8") + b"\n"


def bundle_files(*, entries: Sequence[Entry], flags: Sequence[ConductFlag], lenders: Mapping[int, str],
                 head: Head | None, read_attachment: Callable[[str], bytes], created: datetime,
                 pdf: PdfRenderer | None = None) -> dict[str, bytes]:
    """Every file of the bundle by its path (manifest and sums included)."""
    chronological = sorted(entries, key=lambda e: (e.content.occurred, e.id))
    summaries = summarize(entries, flags, lenders)
    data = IndexData(entries=chronological, flags=flags, summaries=summaries, lenders=lenders,
                     created=created, head_hash=head.head_hash if head else None)
    files: dict[str, bytes] = {"README.txt": _readme()}
    for lang in LANGS:
        html = render_html(data, lang)
        files[f"index.{lang}.html"] = html.encode("utf-8")
        files[f"index.{lang}.md"] = render_markdown(data, lang).encode("utf-8")
        if pdf is not None:
            files[f"index.{lang}.pdf"] = pdf(data, lang)
    files["entries.json"] = _json({
        "format": "xieshang-contact-log", "version": VERSION,
        "head": None if head is None else {"count": head.count, "hash": head.head_hash},
        "entries": [{"id": e.id, "content": e.content.hashed(e.recorded), "prev_hash": e.prev_hash,
                     "hash": e.entry_hash} for e in sorted(entries, key=lambda e: e.id)],
    })
    files["flags.json"] = _json([f.to_json() for f in flags])
    files["summary.json"] = _json([s.to_json() for s in summaries])
    for e in entries:
        for ref in e.content.attachments:
            files.setdefault(attachment_path(ref), read_attachment(ref.sha256))
    listing = [{"path": p, "sha256": hashlib.sha256(b).hexdigest(), "size": len(b)} for p, b in sorted(files.items())]
    files[MANIFEST] = _json({"format": FORMAT, "version": VERSION, "created": iso_utc(created),
                             "head_hash": head.head_hash if head else None, "entries": len(entries),
                             "files": listing})
    sums = [f"{hashlib.sha256(b).hexdigest()}  {p}" for p, b in sorted(files.items())]
    files[SUMS] = ("\n".join(sums) + "\n").encode("utf-8")
    return files


def write_bundle(path: Path, **kwargs: Any) -> None:
    """Build the bundle and write it to ``path`` atomically (see :func:`bundle_files`)."""
    files = bundle_files(**kwargs)
    folder = path.parent if str(path.parent) else Path(".")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    except OSError as exc:
        raise UserError("records.error.file_unwritable", path=str(path), detail=exc.strerror or str(exc)) from None
    try:
        with os.fdopen(fd, "wb") as fh:
            with zipfile.ZipFile(fh, "w", compression=zipfile.ZIP_DEFLATED) as zf:
                for name, data in files.items():
                    info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
                    info.compress_type = zipfile.ZIP_DEFLATED
                    info.external_attr = 0o644 << 16
                    zf.writestr(info, data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise UserError("records.error.file_unwritable", path=str(path), detail=exc.strerror or str(exc)) from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _read(zf: zipfile.ZipFile, name: str) -> bytes | None:
    try:
        info = zf.getinfo(name)
    except KeyError:
        return None
    if info.file_size > _MAX_MEMBER:
        return None
    try:
        return zf.read(info)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):  # a damaged member (bad CRC …)
        return b""


def check_bundle(path: Path) -> tuple[int, int, str | None, list[Problem]]:
    """(entries, attachments, head hash, problems) of the bundle at ``path``.

    A file that is not a bundle at all (not a zip, no manifest) is a :class:`UserError`; anything
    wrong inside a bundle is a :class:`Problem`, naming the file or entry.
    """
    try:
        zf = zipfile.ZipFile(path)
    except FileNotFoundError:
        raise UserError("records.error.bundle_missing", path=str(path)) from None
    except (zipfile.BadZipFile, OSError):
        raise UserError("records.error.not_a_bundle", path=str(path)) from None
    with zf:
        raw = _read(zf, MANIFEST)
        try:
            manifest = json.loads(raw or b"")
            if manifest.get("format") != FORMAT:
                raise ValueError(manifest.get("format"))
            listing = {str(f["path"]): (str(f["sha256"]), int(f["size"])) for f in manifest["files"]}
        except (ValueError, TypeError, KeyError, AttributeError):
            raise UserError("records.error.not_a_bundle", path=str(path)) from None
        if int(manifest.get("version", 0)) > VERSION:
            raise UserError("records.error.bundle_newer", path=str(path), version=manifest.get("version"))
        problems: list[Problem] = []
        actual: dict[str, str] = {}
        for name, (digest, _size) in sorted(listing.items()):
            data = _read(zf, name)
            if data is None:
                problems.append(Problem("file-missing", (), {"file": name}))
                continue
            actual[name] = hashlib.sha256(data).hexdigest()
            if actual[name] != digest:
                problems.append(Problem("file-changed", (), {"file": name}))
        for name in sorted(set(zf.namelist()) - set(listing) - {MANIFEST, SUMS}):
            problems.append(Problem("file-extra", (), {"file": name}))
        problems += _check_sums(zf, listing, raw or b"")
        entries, attachments, head_hash, chain_problems = _check_entries(zf, manifest)
        problems += chain_problems
    return entries, attachments, head_hash, problems


def _check_sums(zf: zipfile.ZipFile, listing: Mapping[str, tuple[str, int]], manifest: bytes) -> list[Problem]:
    sums = _read(zf, SUMS)
    if sums is None:
        return [Problem("file-missing", (), {"file": SUMS})]
    expected = {**{p: d for p, (d, _s) in listing.items()}, MANIFEST: hashlib.sha256(manifest).hexdigest()}
    found: dict[str, str] = {}
    for line in sums.decode("utf-8", "replace").splitlines():
        digest, _, name = line.partition("  ")
        if name:
            found[name] = digest
    if found != expected:
        return [Problem("manifest", (), {"file": SUMS})]
    return []


def _check_entries(zf: zipfile.ZipFile, manifest: Mapping[str, Any]) -> tuple[int, int, str | None, list[Problem]]:
    raw = _read(zf, "entries.json")
    if raw is None:
        return 0, 0, None, [Problem("file-missing", (), {"file": "entries.json"})]
    try:
        doc = json.loads(raw)
        head = None if doc.get("head") is None else Head(count=int(doc["head"]["count"]),
                                                          head_hash=str(doc["head"]["hash"]))
        rows = [ChainRow(id=int(e["id"]), hashed=dict(e["content"]), prev_hash=str(e["prev_hash"]),
                         entry_hash=str(e["hash"])) for e in doc["entries"]]
    except (ValueError, TypeError, KeyError, AttributeError):
        return 0, 0, None, [Problem("file-changed", (), {"file": "entries.json"})]
    problems = verify_chain(rows, head)
    head_hash = head.head_hash if head else None
    if manifest.get("head_hash") != head_hash:
        problems.append(Problem("manifest", (), {"file": MANIFEST}))
    count = 0
    for row in rows:
        for item in row.hashed.get("attachments") or []:
            count += 1
            try:
                ref = AttachmentRef.from_json(item)
                name = attachment_path(ref)
            except (ValueError, TypeError, KeyError):
                problems.append(Problem("edited", (row.id,)))
                continue
            data = _read(zf, name)
            if data is None:
                problems.append(Problem("attachment-missing", (row.id,), {"name": ref.name, "sha256": ref.sha256}))
            elif hashlib.sha256(data).hexdigest() != ref.sha256:
                problems.append(Problem("attachment-changed", (row.id,), {"name": ref.name, "sha256": ref.sha256}))
    return len(rows), count, head_hash, problems
