"""A contact-log entry and its hash (pure: no files, no database).

An entry's hash is SHA-256 over the canonical JSON (sorted keys, no spaces, UTF-8) of its
content, its attachments' references (each with its SHA-256) and the previous entry's hash
(:data:`GENESIS` for the first), so editing, removing or reordering anything changes a hash.
The id (the position in the chain) is not part of the content: positions are checked by the
links between entries.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

#: The "previous hash" of the first entry.
GENESIS = "0" * 64
#: Version of the hashed content layout; part of every hash.
CONTENT_VERSION = 1

DIRECTIONS = ("incoming", "outgoing")
CHANNELS = ("call", "sms", "app-chat", "email", "letter", "visit")
#: Who spoke for the other side. ``authority``: a real court, police or regulator (not collection).
COUNTERPARTY_KINDS = ("lender", "agency", "person", "authority", "unknown")
#: Who was contacted: the borrower or a third party.
CONTACTED = ("borrower", "relative", "employer", "colleague", "contact-list", "other")
#: How a call ended (calls only).
OUTCOMES = ("connected", "unanswered")


@dataclass(frozen=True, slots=True)
class AttachmentRef:
    """A stored file: its SHA-256 (the storage key), size, type by content and original name."""

    sha256: str
    size: int
    media_type: str
    name: str

    def to_json(self) -> dict[str, Any]:
        return {"sha256": self.sha256, "size": self.size, "media_type": self.media_type, "name": self.name}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> AttachmentRef:
        return cls(sha256=str(data["sha256"]), size=int(data["size"]), media_type=str(data["media_type"]),
                   name=str(data["name"]))


@dataclass(frozen=True, slots=True)
class EntryContent:
    """What happened, as the borrower recorded it. ``occurred`` is timezone-aware."""

    occurred: datetime
    direction: str
    channel: str
    counterparty: str
    summary: str
    counterparty_kind: str = "unknown"
    counterparty_phone: str | None = None
    contacted: str = "borrower"
    contacted_name: str | None = None
    outcome: str | None = None
    count: int = 1
    disclosed: bool = False
    their_promises: str | None = None
    my_promises: str | None = None
    loan_id: int | None = None
    corrects: int | None = None
    attachments: tuple[AttachmentRef, ...] = ()

    @property
    def is_third_party(self) -> bool:
        return self.contacted != "borrower"

    @property
    def utc_offset_minutes(self) -> int:
        offset = self.occurred.utcoffset()
        assert offset is not None, "occurred must be timezone-aware"
        return int(offset.total_seconds() // 60)

    def hashed(self, recorded: datetime) -> dict[str, Any]:
        """The canonical content that goes into the hash (without the previous hash)."""
        return {
            "v": CONTENT_VERSION,
            "occurred": iso_local(self.occurred),
            "recorded": iso_utc(recorded),
            "direction": self.direction,
            "channel": self.channel,
            "counterparty": {"kind": self.counterparty_kind, "name": self.counterparty,
                             "phone": self.counterparty_phone},
            "contacted": {"kind": self.contacted, "name": self.contacted_name},
            "outcome": self.outcome,
            "count": self.count,
            "disclosed": self.disclosed,
            "summary": self.summary,
            "their_promises": self.their_promises,
            "my_promises": self.my_promises,
            "loan_id": self.loan_id,
            "corrects": self.corrects,
            "attachments": [a.to_json() for a in self.attachments],
        }


@dataclass(frozen=True, slots=True)
class Entry:
    """A stored entry: its position ``id``, content, when it was recorded, and its chain links."""

    id: int
    content: EntryContent
    recorded: datetime
    prev_hash: str
    entry_hash: str
    corrected_by: tuple[int, ...] = field(default=())

    @property
    def occurred(self) -> datetime:
        return self.content.occurred

    @property
    def superseded(self) -> bool:
        return bool(self.corrected_by)

    def to_json(self) -> dict[str, Any]:
        c = self.content
        return {
            "id": self.id,
            "occurred": iso_local(c.occurred),
            "occurred_utc": iso_utc(c.occurred),
            "utc_offset_minutes": c.utc_offset_minutes,
            "recorded": iso_utc(self.recorded),
            "direction": c.direction,
            "channel": c.channel,
            "counterparty": {"kind": c.counterparty_kind, "name": c.counterparty, "phone": c.counterparty_phone},
            "contacted": {"kind": c.contacted, "name": c.contacted_name},
            "outcome": c.outcome,
            "count": c.count,
            "disclosed": c.disclosed,
            "summary": c.summary,
            "their_promises": c.their_promises,
            "my_promises": c.my_promises,
            "loan_id": c.loan_id,
            "corrects": c.corrects,
            "corrected_by": list(self.corrected_by),
            "attachments": [a.to_json() for a in c.attachments],
            "prev_hash": self.prev_hash,
            "hash": self.entry_hash,
        }


def canonical_json(data: Any) -> bytes:
    """Sorted keys, no insignificant whitespace, UTF-8: the same bytes for the same content."""
    return json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"),
                      allow_nan=False).encode("utf-8")


def hash_content(hashed: dict[str, Any], prev_hash: str) -> str:
    """The entry hash: SHA-256 of the canonical JSON of the content plus the previous hash."""
    return hashlib.sha256(canonical_json({"content": hashed, "prev": prev_hash})).hexdigest()


def entry_hash(content: EntryContent, recorded: datetime, prev_hash: str) -> str:
    return hash_content(content.hashed(recorded), prev_hash)


def iso_local(moment: datetime) -> str:
    """``2025-11-20T23:15:00+08:00``: the local time with its offset, to the second."""
    if moment.tzinfo is None:
        raise ValueError("a naive datetime has no offset")
    offset = moment.utcoffset()
    assert offset is not None
    fixed = moment.astimezone(timezone(offset)).replace(microsecond=0)
    return fixed.isoformat()


def iso_utc(moment: datetime) -> str:
    """``2025-11-20T15:15:00Z``."""
    if moment.tzinfo is None:
        raise ValueError("a naive datetime has no offset")
    return moment.astimezone(UTC).replace(microsecond=0, tzinfo=None).isoformat() + "Z"


def from_utc(naive_utc: datetime, offset_minutes: int) -> datetime:
    """A stored (naive UTC, offset) pair back to the aware local time it was entered as."""
    return naive_utc.replace(tzinfo=UTC).astimezone(timezone(timedelta(minutes=offset_minutes)))


def superseding(entries: list[Entry]) -> dict[int, tuple[int, ...]]:
    """For each corrected entry id, the ids of the entries that correct it."""
    out: dict[int, list[int]] = {}
    for e in entries:
        if e.content.corrects is not None:
            out.setdefault(e.content.corrects, []).append(e.id)
    return {k: tuple(v) for k, v in out.items()}


def current(entries: list[Entry]) -> list[Entry]:
    """The entries that no later entry corrects (what the log says now), in chronological order."""
    return sorted((e for e in entries if not e.superseded), key=lambda e: (e.content.occurred, e.id))
