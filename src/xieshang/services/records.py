"""The contact log (联系记录): add, correct, list, verify, check conduct, export and verify bundles.

Entries are append-only and hash-chained (:mod:`xieshang.records.model`,
:mod:`xieshang.records.chain`); a correction is a new entry that names the one it corrects.
Attachments are checked by content and kept once each, by SHA-256, in a folder next to the store
(:func:`attachment_folder`). Every write validates everything first (attachments included),
writes new attachment files, then the rows in one transaction; if that fails, the files it
added are taken back, so a refused command leaves the store as it was.

The complaint letter reads :func:`flagged_entries`.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, select

from xieshang import clock
from xieshang.errors import UserError
from xieshang.records.attachments import (
    MAX_ATTACHMENT_BYTES,
    AttachmentStore,
    SealedFileError,
    sha256_hex,
    sniff,
)
from xieshang.records.chain import ChainRow, Head, Problem, verify_chain
from xieshang.records.conduct import ConductFlag, check_entries
from xieshang.records.model import (
    CHANNELS,
    CONTACTED,
    COUNTERPARTY_KINDS,
    DIRECTIONS,
    GENESIS,
    OUTCOMES,
    AttachmentRef,
    Entry,
    EntryContent,
    entry_hash,
    from_utc,
    superseding,
)
from xieshang.records.summary import LenderSummary, lender_of, summarize
from xieshang.store.models import Loan
from xieshang.store.models_records import ContactAttachmentRow, ContactEntryRow, ContactLogHead

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from xieshang.records.bundle import PdfRenderer
    from xieshang.records.render import IndexData
    from xieshang.store.db import Store

#: Longest free texts accepted (summary, promises) and names.
MAX_TEXT = 20_000
MAX_NAME = 200
#: An entry may stand for at most this many calls or messages.
MAX_COUNT = 1000
#: How far in the future a contact time may lie (clock differences), before it is refused.
FUTURE_SLACK = timedelta(minutes=10)
_HEAD_ID = 1


# ---------------------------------------------------------------------------------------
# Results
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FlaggedEntry:
    """An entry with its conduct flags: what the complaint letter cites.

    ``entry`` is the current version (never one a correction superseded); ``lender`` is its
    loan's lender or, without a loan, the counterparty; ``flags`` are in the rules data's order,
    each with the rule id, title and source it cites.
    """

    entry: Entry
    lender: str
    flags: tuple[ConductFlag, ...]

    def to_json(self) -> dict[str, Any]:
        return {"entry": self.entry.to_json(), "lender": self.lender, "flags": [f.to_json() for f in self.flags]}


@dataclass(frozen=True, slots=True)
class VerifyReport:
    """The outcome of ``records verify`` / ``verify-bundle``: intact when there is no problem."""

    entries: int
    attachments: int
    head_hash: str | None
    problems: tuple[Problem, ...]

    @property
    def intact(self) -> bool:
        return not self.problems

    def to_json(self) -> dict[str, Any]:
        return {"intact": self.intact, "entries": self.entries, "attachments": self.attachments,
                "head_hash": self.head_hash, "problems": [p.to_json() for p in self.problems]}


# ---------------------------------------------------------------------------------------
# Attachments
# ---------------------------------------------------------------------------------------


def _schema_of(location: str) -> str | None:
    """The schema a server-database store is kept in (its URL's ``options=-csearch_path=…``, as
    server mode opens each case), or ``None``."""
    import re

    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        options = make_url(location).query.get("options")
    except (ArgumentError, ValueError):  # not a URL we can read: no schema
        return None
    for value in (options,) if isinstance(options, str) else options or ():
        m = re.search(r"-csearch_path=([A-Za-z0-9_]+)", value)
        if m:
            return m.group(1)
    return None


def attachment_folder(store: Store) -> Path:
    """``<store file>.attachments`` next to a SQLite store; for a server database, a folder in the
    user data dir (``XIESHANG_ATTACHMENTS`` overrides both). A case kept in a schema of its own
    (server mode on PostgreSQL) gets a subfolder named after the schema, so cases share no folder."""
    env = os.environ.get("XIESHANG_ATTACHMENTS", "").strip()
    if "://" not in store.location:
        return Path(env).expanduser().absolute() if env else Path(store.location + ".attachments")
    if env:
        base = Path(env).expanduser().absolute()
    else:
        from platformdirs import user_data_dir

        base = Path(user_data_dir("xieshang", appauthor=False)) / "attachments"
    schema = _schema_of(store.location)
    return base / schema if schema else base


def attachment_store(store: Store) -> AttachmentStore:
    """The attachment folder; with encryption at rest, files are sealed with the store's keyring."""
    from xieshang.store.crypto import keyring_of

    return AttachmentStore(attachment_folder(store), cipher=keyring_of(store.engine))


@dataclass(frozen=True, slots=True)
class _Upload:
    ref: AttachmentRef
    data: bytes


def read_upload(path: Path) -> tuple[AttachmentRef, bytes]:
    """Read and check one file to attach: it exists, fits the size limit, and its content is an
    accepted kind (by its bytes, never its name)."""
    name = path.name
    try:
        if path.is_dir():
            raise UserError("records.error.attach_is_dir", path=str(path))
        size = path.stat().st_size
        if size > MAX_ATTACHMENT_BYTES:
            raise UserError("records.error.attach_too_big", path=str(path), size=size,
                            limit=MAX_ATTACHMENT_BYTES // (1024 * 1024))
        data = path.read_bytes()
    except FileNotFoundError:
        raise UserError("records.error.attach_missing", path=str(path)) from None
    except OSError as exc:
        raise UserError("records.error.attach_unreadable", path=str(path), detail=exc.strerror or str(exc)) from None
    if len(data) > MAX_ATTACHMENT_BYTES:  # grew while we looked
        raise UserError("records.error.attach_too_big", path=str(path), size=len(data),
                        limit=MAX_ATTACHMENT_BYTES // (1024 * 1024))
    if not data:
        raise UserError("records.error.attach_empty", path=str(path))
    media = sniff(data)
    if media is None:
        raise UserError("records.error.attach_type", path=str(path))
    return AttachmentRef(sha256=sha256_hex(data), size=len(data), media_type=media, name=name[:255]), data


def attachment_limit() -> int:
    """The largest attachment accepted, in bytes."""
    return MAX_ATTACHMENT_BYTES


def check_upload(name: str, data: bytes) -> tuple[AttachmentRef, bytes]:
    """Check one file received in memory (a web upload) like :func:`read_upload`: not empty, within
    the size limit, and an accepted kind by its content; ``name`` is only kept as its label."""
    label = (name.replace("\\", "/").rsplit("/", 1)[-1].strip() or "upload")[:255]
    if len(data) > MAX_ATTACHMENT_BYTES:
        raise UserError("records.error.attach_too_big", path=label, size=len(data),
                        limit=MAX_ATTACHMENT_BYTES // (1024 * 1024))
    if not data:
        raise UserError("records.error.attach_empty", path=label)
    media = sniff(data)
    if media is None:
        raise UserError("records.error.attach_type", path=label)
    return AttachmentRef(sha256=sha256_hex(data), size=len(data), media_type=media, name=label), data


# ---------------------------------------------------------------------------------------
# Validation
# ---------------------------------------------------------------------------------------


def _text(value: str | None, field: str, *, required: bool = False, limit: int = MAX_TEXT) -> str | None:
    cleaned = value.strip() if value is not None else None
    if not cleaned:
        if required:
            raise UserError("records.error.required", field=field)
        return None
    if len(cleaned) > limit:
        raise UserError("records.error.too_long", field=field, limit=limit)
    return cleaned


def _choice(value: str, field: str, choices: Sequence[str]) -> str:
    if value not in choices:
        raise UserError("records.error.choice", field=field, value=value, choices=", ".join(choices))
    return value


def check_content(content: EntryContent, *, now: datetime | None = None) -> EntryContent:
    """The content cleaned (trimmed texts, a call's default outcome) or a :class:`UserError`."""
    moment = now or clock.now()
    if content.occurred.tzinfo is None or content.occurred.utcoffset() is None:
        raise UserError("records.error.naive_time")
    if content.occurred - moment > FUTURE_SLACK:
        raise UserError("records.error.future", when=content.occurred.isoformat())
    if content.occurred.year < 1990:
        raise UserError("records.error.too_old", when=content.occurred.isoformat())
    _choice(content.direction, "direction", DIRECTIONS)
    _choice(content.channel, "channel", CHANNELS)
    _choice(content.counterparty_kind, "counterparty_kind", COUNTERPARTY_KINDS)
    _choice(content.contacted, "contacted", CONTACTED)
    outcome = content.outcome
    if content.channel == "call":
        outcome = _choice(outcome or "connected", "outcome", OUTCOMES)
    elif outcome is not None:
        raise UserError("records.error.outcome_not_call", channel=content.channel)
    if not 1 <= content.count <= MAX_COUNT:
        raise UserError("records.error.count", value=content.count, limit=MAX_COUNT)
    if content.disclosed and not content.is_third_party:
        raise UserError("records.error.disclosed_to_borrower")
    counterparty = _text(content.counterparty, "counterparty", required=True, limit=MAX_NAME)
    assert counterparty is not None
    summary = _text(content.summary, "summary", required=True)
    assert summary is not None
    return replace(
        content,
        occurred=content.occurred.replace(microsecond=0),
        outcome=outcome,
        counterparty=counterparty,
        counterparty_phone=_text(content.counterparty_phone, "phone", limit=50),
        contacted_name=_text(content.contacted_name, "contacted_name", limit=MAX_NAME),
        summary=summary,
        their_promises=_text(content.their_promises, "their_promises"),
        my_promises=_text(content.my_promises, "my_promises"),
    )


# ---------------------------------------------------------------------------------------
# Rows ↔ entries
# ---------------------------------------------------------------------------------------


def _content(row: ContactEntryRow) -> EntryContent:
    return EntryContent(
        occurred=from_utc(row.occurred_utc, row.utc_offset_min), direction=row.direction, channel=row.channel,
        counterparty=row.counterparty, summary=row.summary, counterparty_kind=row.counterparty_kind,
        counterparty_phone=row.counterparty_phone, contacted=row.contacted, contacted_name=row.contacted_name,
        outcome=row.outcome, count=row.count, disclosed=bool(row.disclosed), their_promises=row.their_promises,
        my_promises=row.my_promises, loan_id=row.loan_id, corrects=row.corrects_id,
        attachments=tuple(AttachmentRef(sha256=a.sha256, size=a.size, media_type=a.media_type, name=a.name)
                          for a in row.attachments),
    )


def _entry(row: ContactEntryRow) -> Entry:
    return Entry(id=row.id, content=_content(row), recorded=row.recorded_utc.replace(tzinfo=UTC),
                 prev_hash=row.prev_hash, entry_hash=row.entry_hash)


def _read_all(s: Session) -> list[Entry]:
    entries = [_entry(r) for r in s.scalars(select(ContactEntryRow).order_by(ContactEntryRow.id))]
    later = superseding(entries)
    return [replace(e, corrected_by=later.get(e.id, ())) for e in entries]


def _naive_utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(tzinfo=None, microsecond=0)


def _lock_head(s: Session) -> ContactLogHead:
    """The head row, locked until the transaction ends, so concurrent appends take turns.

    The first statement is a write: ``INSERT … ON CONFLICT DO NOTHING`` of an empty head (count 0)
    when there is none. On SQLite that takes the database's write lock before anything is read
    (a deferred transaction that reads first could not take it later: "database is locked"); on
    PostgreSQL the row then exists and ``SELECT … FOR UPDATE`` locks it, so a second writer waits
    and reads the head the first one committed. Without this, two appends read the same head and
    one failed on the entry's primary key (an entry lost), or both raced to create the head.
    """
    dialect = s.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        s.execute(pg_insert(ContactLogHead).values(id=_HEAD_ID, count=0, head_hash=GENESIS)
                  .on_conflict_do_nothing(index_elements=["id"]))
    elif dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        s.execute(sqlite_insert(ContactLogHead).values(id=_HEAD_ID, count=0, head_hash=GENESIS)
                  .on_conflict_do_nothing(index_elements=["id"]))
    elif s.get(ContactLogHead, _HEAD_ID) is None:
        s.add(ContactLogHead(id=_HEAD_ID, count=0, head_hash=GENESIS))
        s.flush()
    head = s.get(ContactLogHead, _HEAD_ID, with_for_update=True, populate_existing=True)
    assert head is not None
    return head


def _append(s: Session, store: Store, content: EntryContent, now: datetime) -> Entry:
    head = _lock_head(s)
    if head.count == 0 and s.scalars(select(ContactEntryRow.id).limit(1)).first() is not None:
        raise UserError("records.error.head_missing", path=store.location)  # rolled back: no head is made
    recorded = now.astimezone(UTC).replace(microsecond=0)
    new_id = head.count + 1
    if s.get(ContactEntryRow, new_id) is not None:
        raise UserError("records.error.head_behind", id=new_id)
    digest = entry_hash(content, recorded, head.head_hash)
    row = ContactEntryRow(
        id=new_id, occurred_utc=_naive_utc(content.occurred), utc_offset_min=content.utc_offset_minutes,
        recorded_utc=_naive_utc(recorded), direction=content.direction, channel=content.channel,
        counterparty_kind=content.counterparty_kind, counterparty=content.counterparty,
        counterparty_phone=content.counterparty_phone, contacted=content.contacted,
        contacted_name=content.contacted_name, outcome=content.outcome, count=content.count,
        disclosed=content.disclosed, summary=content.summary, their_promises=content.their_promises,
        my_promises=content.my_promises, loan_id=content.loan_id, corrects_id=content.corrects,
        prev_hash=head.head_hash, entry_hash=digest,
    )
    s.add(row)
    s.flush()
    for i, ref in enumerate(content.attachments):
        s.add(ContactAttachmentRow(entry_id=new_id, position=i, sha256=ref.sha256, size=ref.size,
                                   media_type=ref.media_type, name=ref.name))
    head.count = new_id
    head.head_hash = digest
    s.flush()
    return Entry(id=new_id, content=content, recorded=recorded, prev_hash=row.prev_hash, entry_hash=digest)


def _write(store: Store, content: EntryContent, uploads: Sequence[_Upload], now: datetime,
           check: Any = None) -> Entry:
    """Write the attachment files, then the entry in one transaction; undo new files on failure."""
    files = attachment_store(store)
    written: list[str] = []
    try:
        for up in uploads:
            try:
                digest, new = files.put(up.data)
            except OSError as exc:
                raise UserError("records.error.attach_store", path=str(files.root),
                                detail=exc.strerror or str(exc)) from None
            if new:
                written.append(digest)
        with store.transaction() as s:
            _lock_head(s)  # first, before any read: concurrent appends take turns (see there)
            if check is not None:
                check(s)
            return _append(s, store, content, now)
    except BaseException:
        for digest in written:
            files.remove(digest)
        raise


def _check_loan(s: Session, loan_id: int | None) -> None:
    if loan_id is not None and s.get(Loan, loan_id) is None:
        raise UserError("records.error.no_loan", id=loan_id)


# ---------------------------------------------------------------------------------------
# Use-cases
# ---------------------------------------------------------------------------------------


def add_entry(store: Store, content: EntryContent, attach: Sequence[Path] = (), *,
              now: datetime | None = None, received: Sequence[tuple[str, bytes]] = ()) -> Entry:
    """Append one entry (with ``attach`` files, and ``received`` (name, bytes) uploads) to the log.
    Nothing is written if anything is refused."""
    moment = now or clock.now()
    if content.corrects is not None:
        raise UserError("records.error.use_correct")
    uploads = [_Upload(*read_upload(p)) for p in attach] + [_Upload(*check_upload(n, d)) for n, d in received]
    checked = check_content(replace(content, attachments=tuple(u.ref for u in uploads)), now=moment)
    return _write(store, checked, uploads, moment, check=lambda s: _check_loan(s, checked.loan_id))


#: Fields ``correct_entry`` may change (everything but the attachments, which are added to).
CORRECTABLE = ("occurred", "direction", "channel", "counterparty", "summary", "counterparty_kind",
               "counterparty_phone", "contacted", "contacted_name", "outcome", "count", "disclosed",
               "their_promises", "my_promises", "loan_id")


def correct_entry(store: Store, entry_id: int, changes: Mapping[str, Any], attach: Sequence[Path] = (), *,
                  now: datetime | None = None, received: Sequence[tuple[str, bytes]] = ()) -> Entry:
    """Append a correction of ``entry_id``: its fields with ``changes`` applied, its attachments
    plus ``attach`` and ``received`` uploads. The old entry stays as it was, marked as corrected."""
    moment = now or clock.now()
    unknown = sorted(set(changes) - set(CORRECTABLE))
    if unknown:
        raise UserError("records.error.choice", field="field", value=unknown[0], choices=", ".join(CORRECTABLE))
    old = get_entry(store, entry_id)
    if not changes and not attach and not received:
        raise UserError("records.error.nothing_to_correct", id=entry_id)
    uploads = [_Upload(*read_upload(p)) for p in attach] + [_Upload(*check_upload(n, d)) for n, d in received]
    merged = replace(old.content, **dict(changes))
    if "channel" in changes and changes["channel"] != "call" and "outcome" not in changes:
        merged = replace(merged, outcome=None)
    if "contacted" in changes and changes["contacted"] == "borrower" and "disclosed" not in changes:
        merged = replace(merged, disclosed=False)
    known = {a.sha256 for a in merged.attachments}
    extra = tuple(u.ref for u in uploads if u.ref.sha256 not in known)
    merged = replace(merged, corrects=entry_id, attachments=merged.attachments + extra)
    checked = check_content(merged, now=moment)

    def still_there(s: Session) -> None:
        _check_loan(s, checked.loan_id if "loan_id" in changes else None)
        if s.get(ContactEntryRow, entry_id) is None:
            raise UserError("records.error.no_entry", id=entry_id)

    return _write(store, checked, uploads, moment, check=still_there)


def list_entries(store: Store, *, loan_id: int | None = None, current_only: bool = False) -> list[Entry]:
    """Entries in chronological order (by when they happened, then position), each with the ids of
    the entries that correct it; ``current_only`` leaves out corrected ones."""
    with store.transaction() as s:
        entries = _read_all(s)
    if loan_id is not None:
        entries = [e for e in entries if e.content.loan_id == loan_id]
    if current_only:
        entries = [e for e in entries if not e.superseded]
    return sorted(entries, key=lambda e: (e.content.occurred, e.id))


def get_entry(store: Store, entry_id: int) -> Entry:
    with store.transaction() as s:
        entries = _read_all(s)
    for e in entries:
        if e.id == entry_id:
            return e
    raise UserError("records.error.no_entry", id=entry_id)


def lender_names(store: Store) -> dict[int, str]:
    """Loan id → lender name, for the loans in the store (the log works without a case too)."""
    with store.transaction() as s:
        return {row.id: row.lender for row in s.scalars(select(Loan))}


def _rules() -> tuple[list[Any], dict[str, Any]]:
    from xieshang.rules.loader import collection_rules, conduct_checks

    return conduct_checks(), {r.id: r for r in collection_rules()}


def conduct_flags(entries: Sequence[Entry]) -> list[ConductFlag]:
    """The flags of ``entries`` against the rules data in effect (shipped + user overrides)."""
    checks, rules = _rules()
    return check_entries(entries, checks, rules)


def flagged_entries(store: Store, loan_id: int | None = None) -> list[FlaggedEntry]:
    """Current entries with at least one conduct flag, chronologically; ``loan_id`` limits them to
    one loan. Counting checks (calls a day) always look at the whole log, so a limit crossed
    across entries is found. This is what the complaint letter cites."""
    entries = list_entries(store)
    flags = conduct_flags(entries)
    lenders = lender_names(store)
    by_entry: dict[int, list[ConductFlag]] = {}
    for f in flags:
        by_entry.setdefault(f.entry_id, []).append(f)
    out = []
    for e in entries:
        if e.id not in by_entry or e.superseded:
            continue
        if loan_id is not None and e.content.loan_id != loan_id:
            continue
        out.append(FlaggedEntry(entry=e, lender=lender_of(e, lenders), flags=tuple(by_entry[e.id])))
    return out


def lender_summaries(store: Store) -> list[LenderSummary]:
    entries = list_entries(store)
    return summarize(entries, conduct_flags(entries), lender_names(store))


def verify_log(store: Store) -> VerifyReport:
    """Check the chain, the head and every attachment file; the report names what is wrong."""
    with store.transaction() as s:
        entries = _read_all(s)
        head_row = s.get(ContactLogHead, _HEAD_ID)
        head = None if head_row is None else Head(count=head_row.count, head_hash=head_row.head_hash)
    rows = [ChainRow(id=e.id, hashed=e.content.hashed(e.recorded), prev_hash=e.prev_hash,
                     entry_hash=e.entry_hash) for e in entries]
    problems = verify_chain(rows, head)
    files = attachment_store(store)
    checked: dict[str, str | None] = {}
    count = 0
    for e in entries:
        for ref in e.content.attachments:
            count += 1
            if ref.sha256 not in checked:
                try:
                    checked[ref.sha256] = sha256_hex(files.read(ref.sha256)) if files.has(ref.sha256) else None
                except SealedFileError:  # encrypted and does not open: its bytes were changed
                    checked[ref.sha256] = ""
                except (OSError, ValueError):
                    checked[ref.sha256] = None
            actual = checked[ref.sha256]
            if actual is None:
                problems.append(Problem("attachment-missing", (e.id,), {"name": ref.name, "sha256": ref.sha256}))
            elif actual != ref.sha256:
                problems.append(Problem("attachment-changed", (e.id,), {"name": ref.name, "sha256": ref.sha256}))
    return VerifyReport(entries=len(entries), attachments=count,
                        head_hash=head.head_hash if head else None, problems=tuple(problems))


def chain_export(store: Store) -> tuple[list[Entry], Head | None]:
    with store.transaction() as s:
        entries = _read_all(s)
        head_row = s.get(ContactLogHead, _HEAD_ID)
        head = None if head_row is None else Head(count=head_row.count, head_hash=head_row.head_hash)
    return entries, head


def pdf_renderer() -> PdfRenderer | None:
    """The index as PDF through the documents area's renderer (WeasyPrint), when this
    installation can render PDF; else ``None`` and bundles carry HTML and Markdown only."""
    try:
        from xieshang.documents.render import to_pdf
        from xieshang.records.render import index_document
    except ImportError:
        return None
    try:
        importlib.import_module("weasyprint")
    except (ImportError, OSError):  # OSError: the system libraries (pango) are missing
        return None

    def render(data: IndexData, lang: str) -> bytes:
        return to_pdf(index_document(data, lang))

    return render


def pdf_available() -> bool:
    return pdf_renderer() is not None


def export_bundle(store: Store, path: Path, *, now: datetime | None = None) -> VerifyReport:
    """Write the evidence bundle ``path`` (zip, atomically). Refused when the log is not intact
    (``records verify`` names the problem) or empty. Returns the report of the bundle just written."""
    from xieshang.records.bundle import write_bundle

    report = verify_log(store)
    if not report.intact:
        raise UserError("records.error.export_tampered", count=len(report.problems))
    entries, head = chain_export(store)
    if not entries:
        raise UserError("records.error.export_empty")
    files = attachment_store(store)
    write_bundle(path, entries=entries, flags=conduct_flags(entries), lenders=lender_names(store),
                 head=head, read_attachment=files.read, created=now or clock.now(), pdf=pdf_renderer())
    return verify_bundle(path)


def verify_bundle(path: Path) -> VerifyReport:
    """Check a bundle on its own: every file against the manifest, the chain, the attachments."""
    from xieshang.records.bundle import check_bundle

    entries, attachments, head_hash, problems = check_bundle(path)
    return VerifyReport(entries=entries, attachments=attachments, head_hash=head_hash, problems=tuple(problems))


# ---------------------------------------------------------------------------------------
# Demo
# ---------------------------------------------------------------------------------------

_DEMO_TZ = timezone(timedelta(hours=8))


def demo_entries(today: date, loan_ids: Mapping[str, int]) -> list[EntryContent]:
    """A few realistic entries for the demo case, oldest first; the night call to a relative and
    the "collection fee" are meant to be flagged. ``loan_ids`` maps ``wsd``/``card``/``wld`` to ids."""

    def at(days_ago: int, hh: int, mm: int) -> datetime:
        return datetime.combine(today - timedelta(days=days_ago), time(hh, mm), tzinfo=_DEMO_TZ)

    return [
        EntryContent(occurred=at(30, 10, 5), direction="incoming", channel="call", counterparty="网商银行客服",
                     counterparty_kind="lender", counterparty_phone="95188", outcome="connected",
                     summary="客服提醒第三期已逾期，告知罚息按日计算。我说明收入下降，询问能否协商分期。",
                     their_promises="把协商申请转给贷后部门，3个工作日内回电。", my_promises="先还800元。",
                     loan_id=loan_ids.get("wsd")),
        EntryContent(occurred=at(20, 14, 30), direction="outgoing", channel="call", counterparty="招商银行信用卡中心",
                     counterparty_kind="lender", counterparty_phone="95555", outcome="connected",
                     summary="我致电申请个性化分期（停息分期），对方要求提交收入证明和困难说明。",
                     their_promises="收到材料后15个工作日内答复。", my_promises="一周内提交材料。",
                     loan_id=loan_ids.get("card")),
        EntryContent(occurred=at(12, 23, 40), direction="incoming", channel="call", counterparty="某催收公司（自称受托催收）",
                     counterparty_kind="agency", counterparty_phone="0571-8xxxxxxx", outcome="connected",
                     contacted="relative", contacted_name="母亲", disclosed=True,
                     summary="深夜打给我母亲，说我欠网商贷的钱不还，让她转告我尽快还款。",
                     loan_id=loan_ids.get("wsd")),
        EntryContent(occurred=at(11, 9, 15), direction="incoming", channel="call", counterparty="某催收公司（自称受托催收）",
                     counterparty_kind="agency", counterparty_phone="0571-8xxxxxxx", outcome="unanswered", count=8,
                     summary="上午连续来电8次，均未接听。", loan_id=loan_ids.get("wsd")),
        EntryContent(occurred=at(5, 16, 0), direction="incoming", channel="sms", counterparty="106xxxxxxxx",
                     counterparty_kind="agency",
                     summary="短信称须先交500元催收服务费才能办理减免，否则“上门走访”。",
                     loan_id=loan_ids.get("wsd")),
    ]


def load_demo_records(store: Store, *, today: date | None = None, reset: bool = False,
                      loan_ids: Mapping[str, int] | None = None) -> list[Entry]:
    """Write the demo's contact log (after the demo case). ``reset`` clears an existing log first;
    without it an existing log is left alone and nothing is added."""
    day = today or clock.today()
    with store.transaction() as s:
        if loan_ids is None:
            ids: dict[str, int] = {}
            for loan in s.scalars(select(Loan).order_by(Loan.id)):
                role = {"wangshangdai": "wsd", "weilidai": "wld"}.get(loan.profile_id)
                role = "card" if loan.product == "card" else role
                if role is not None:
                    ids.setdefault(role, loan.id)
        else:
            ids = dict(loan_ids)
    contents = [check_content(c, now=datetime.combine(day, time(23, 59), tzinfo=_DEMO_TZ))
                for c in demo_entries(day, ids)]
    with store.transaction() as s:
        if reset:
            s.execute(delete(ContactAttachmentRow))
            s.execute(delete(ContactEntryRow))
            s.execute(delete(ContactLogHead))
            s.flush()
        elif s.scalars(select(ContactEntryRow.id).limit(1)).first() is not None:
            return []
        known = {row_id for row_id in s.scalars(select(Loan.id))}
        out = []
        for c in contents:
            content = c if c.loan_id is None or c.loan_id in known else replace(c, loan_id=None)
            # recorded shortly after the contact, as a careful borrower would
            out.append(_append(s, store, content, content.occurred + timedelta(minutes=20)))
        return out


# ---------------------------------------------------------------------------------------
# Input parsing shared by the faces
# ---------------------------------------------------------------------------------------

#: Other spellings accepted for the enumerated fields (Chinese and common English words).
ALIASES: dict[str, dict[str, str]] = {
    "direction": {"in": "incoming", "inbound": "incoming", "来": "incoming", "对方": "incoming", "来电": "incoming",
                  "out": "outgoing", "outbound": "outgoing", "去": "outgoing", "我方": "outgoing", "去电": "outgoing"},
    "channel": {"phone": "call", "电话": "call", "短信": "sms", "text": "sms", "app": "app-chat", "chat": "app-chat",
                "wechat": "app-chat", "微信": "app-chat", "聊天": "app-chat", "邮件": "email", "mail": "email",
                "信件": "letter", "信": "letter", "上门": "visit", "外访": "visit"},
    "counterparty_kind": {"bank": "lender", "机构": "lender", "贷款机构": "lender", "银行": "lender",
                          "催收": "agency", "催收公司": "agency", "collector": "agency", "个人": "person",
                          "court": "authority", "police": "authority", "法院": "authority", "公安": "authority",
                          "不明": "unknown"},
    "contacted": {"me": "borrower", "self": "borrower", "本人": "borrower", "我": "borrower",
                  "family": "relative", "亲属": "relative", "家人": "relative", "亲友": "relative",
                  "work": "employer", "单位": "employer", "公司": "employer", "同事": "colleague",
                  "contact": "contact-list", "contacts": "contact-list", "通讯录": "contact-list", "其他": "other"},
    "outcome": {"answered": "connected", "接通": "connected", "已接通": "connected", "missed": "unanswered",
                "未接": "unanswered", "未接通": "unanswered"},
}
_CHOICES = {"direction": DIRECTIONS, "channel": CHANNELS, "counterparty_kind": COUNTERPARTY_KINDS,
            "contacted": CONTACTED, "outcome": OUTCOMES}


def parse_choice(field: str, value: str) -> str:
    """A value of an enumerated field, from its own name or an alias (case-insensitive)."""
    key = value.strip().lower()
    if key in _CHOICES[field]:
        return key
    found = ALIASES.get(field, {}).get(key)
    if found is None:
        raise UserError("records.error.choice", field=field, value=value, choices=", ".join(_CHOICES[field]))
    return found


def parse_tz(text: str) -> tzinfo:
    """``+08:00``, ``-0500``, ``UTC`` or an IANA name (``Asia/Shanghai``)."""
    return clock.parse_zone(text)


def parse_when(text: str | None, tz: str | None = None, *, now: datetime | None = None) -> datetime:
    """When a contact happened: ISO-like ``YYYY-MM-DD HH:MM[:SS]`` with an optional offset; a time
    without one is read in ``tz``, else in the borrower's zone (:func:`xieshang.clock.zone`, not
    this computer's). ``None``: now."""
    zone = parse_tz(tz) if tz else clock.zone()
    if text is None or not text.strip():
        return (now or clock.now()).astimezone(zone)
    import re

    m = re.fullmatch(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})[ T]+(\d{1,2}):(\d{2})(?::(\d{2}))?\s*(Z|[+-]\d{2}:?\d{2})?",
                     text.strip(), re.IGNORECASE)
    if m is None:  # a date alone is not enough to check the hours
        raise UserError("records.error.bad_time", value=text)
    y, mo, d, hh, mi, ss, off = m.groups()
    value = f"{y}-{int(mo):02d}-{int(d):02d}T{int(hh):02d}:{mi}:{ss or '00'}{(off or '').upper()}"
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise UserError("records.error.bad_time", value=text) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=zone)
    # keep the fixed offset the user meant, so the stored offset is the one in force then
    offset = parsed.utcoffset()
    assert offset is not None
    return parsed.astimezone(timezone(offset))
