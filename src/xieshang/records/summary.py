"""Per-lender summary of the contact log (pure)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from xieshang.records.conduct import ConductFlag
from xieshang.records.model import Entry, current


@dataclass(frozen=True, slots=True)
class LenderSummary:
    """What one lender (and the agencies collecting for it) did, over the current entries."""

    lender: str
    entries: int
    incoming: int
    calls: int  # calls the other side made, counting ``count``
    unanswered: int
    third_party: int
    flags: int
    flagged_entries: int
    first: date
    last: date
    checks: tuple[tuple[str, int], ...]  # flag count per check id, in first-seen order

    def to_json(self) -> dict[str, Any]:
        return {"lender": self.lender, "entries": self.entries, "incoming": self.incoming, "calls": self.calls,
                "unanswered": self.unanswered, "third_party": self.third_party, "flags": self.flags,
                "flagged_entries": self.flagged_entries, "first": self.first.isoformat(),
                "last": self.last.isoformat(), "checks": dict(self.checks)}


def lender_of(entry: Entry, lenders: Mapping[int, str]) -> str:
    """The lender an entry is about: its loan's lender when known, else the counterparty's name."""
    loan = entry.content.loan_id
    if loan is not None and loan in lenders:
        return lenders[loan]
    return entry.content.counterparty


def summarize(entries: Sequence[Entry], flags: Sequence[ConductFlag], lenders: Mapping[int, str]) -> list[LenderSummary]:
    """One summary per lender, most flags first, then by name."""
    by_entry: dict[int, list[ConductFlag]] = {}
    for f in flags:
        by_entry.setdefault(f.entry_id, []).append(f)
    groups: dict[str, list[Entry]] = {}
    for e in current(list(entries)):
        groups.setdefault(lender_of(e, lenders), []).append(e)
    out = []
    for lender, group in groups.items():
        checks: dict[str, int] = {}
        for e in group:
            for f in by_entry.get(e.id, []):
                checks[f.check] = checks.get(f.check, 0) + 1
        incoming = [e for e in group if e.content.direction == "incoming"]
        calls = [e for e in incoming if e.content.channel == "call"]
        days = [e.content.occurred.date() for e in group]
        out.append(LenderSummary(
            lender=lender, entries=len(group), incoming=len(incoming),
            calls=sum(e.content.count for e in calls),
            unanswered=sum(e.content.count for e in calls if e.content.outcome == "unanswered"),
            third_party=sum(1 for e in incoming if e.content.is_third_party),
            flags=sum(checks.values()), flagged_entries=sum(1 for e in group if e.id in by_entry),
            first=min(days), last=max(days), checks=tuple(checks.items()),
        ))
    return sorted(out, key=lambda s: (-s.flags, s.lender))
