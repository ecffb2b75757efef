"""Verifying a hash chain of contact-log entries and naming what broke (pure).

Each entry stores the previous entry's hash and its own; the log's *head* (count and last hash)
is stored apart, so removing the newest entries is caught too. :func:`verify_chain` reports:

* ``edited`` — an entry's content (or its attachment list) no longer matches its hash, or it was
  changed and re-hashed so the next entry no longer links to it;
* ``missing`` — entries removed from the middle (a gap in the positions and a broken link);
* ``reordered`` — entries whose links say they were recorded in another order;
* ``truncated`` / ``head-mismatch`` / ``head-missing`` — the newest entries removed or replaced.

Anyone able to rewrite the whole file and recompute every hash can forge a log; the defence is
a copy of the head hash kept elsewhere (an exported bundle, a message to yourself).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from xieshang.records.model import GENESIS, hash_content

PROBLEM_KINDS = ("edited", "missing", "reordered", "truncated", "head-mismatch", "head-missing",
                 "attachment-missing", "attachment-changed", "file-missing", "file-changed", "file-extra",
                 "manifest")


@dataclass(frozen=True, slots=True)
class ChainRow:
    """What verification needs of a stored entry."""

    id: int
    hashed: dict[str, Any]
    prev_hash: str
    entry_hash: str


@dataclass(frozen=True, slots=True)
class Head:
    count: int
    head_hash: str


@dataclass(frozen=True, slots=True)
class Problem:
    """One finding: its kind, the entries it names, and details for the message."""

    kind: str
    entries: tuple[int, ...] = ()
    params: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "entries": list(self.entries), **self.params}


def _segments(rows: Sequence[ChainRow]) -> list[list[int]]:
    """The chain order of the rows present: follow the links from every row that starts a run."""
    present = {r.entry_hash for r in rows}
    following: dict[str, list[ChainRow]] = {}
    for r in rows:
        following.setdefault(r.prev_hash, []).append(r)
    starts = [r for r in rows if r.prev_hash == GENESIS or r.prev_hash not in present]
    seen: set[int] = set()
    runs: list[list[int]] = []
    for start in sorted(starts, key=lambda r: r.id):
        run: list[int] = []
        node: ChainRow | None = start
        while node is not None and node.id not in seen:
            seen.add(node.id)
            run.append(node.id)
            nxt = [n for n in following.get(node.entry_hash, []) if n.id not in seen]
            node = min(nxt, key=lambda n: n.id) if nxt else None
        runs.append(run)
    leftover = sorted(r.id for r in rows if r.id not in seen)  # a cycle (impossible without forging)
    if leftover:
        runs.append(leftover)
    return runs


def verify_chain(rows: Sequence[ChainRow], head: Head | None) -> list[Problem]:
    """Every problem in the chain, in position order; an empty list means intact."""
    ordered = sorted(rows, key=lambda r: r.id)
    problems: list[Problem] = []
    edited: set[int] = set()
    for r in ordered:
        if hash_content(r.hashed, r.prev_hash) != r.entry_hash:
            edited.add(r.id)

    by_hash = {r.entry_hash: r.id for r in ordered}
    missing: list[tuple[int, int]] = []
    relinked = False
    for i, r in enumerate(ordered):
        before = ordered[i - 1] if i else None
        expected = before.entry_hash if before else GENESIS
        if r.prev_hash == expected:
            continue
        low = before.id + 1 if before else 1
        if r.prev_hash in by_hash or r.prev_hash == GENESIS:
            relinked = True
        elif r.id > low:
            missing.append((low, r.id - 1))
        elif before is not None:
            edited.add(before.id)  # changed and re-hashed: the next entry still names the old hash
        else:
            missing.append((0, 0))  # the first entry links to something unknown

    for e in sorted(edited):
        problems.append(Problem("edited", (e,)))
    for low, high in missing:
        ids = tuple(range(low, high + 1)) if low else ()
        problems.append(Problem("missing", ids, {"first": low, "last": high}))
    if relinked:
        chain_order = [i for run in _segments(ordered) for i in run]
        id_order = [r.id for r in ordered]
        moved = tuple(sorted(a for a, b in zip(chain_order, id_order, strict=True) if a != b))
        if moved:
            problems.append(Problem("reordered", moved, {"order": ", ".join(f"#{i}" for i in chain_order)}))

    last = ordered[-1] if ordered else None
    if head is None:
        if last is not None:
            problems.append(Problem("head-missing"))
    elif last is None:
        if head.count:
            problems.append(Problem("truncated", tuple(range(1, head.count + 1)), {"first": 1, "last": head.count}))
    elif head.count > last.id:
        problems.append(Problem("truncated", tuple(range(last.id + 1, head.count + 1)),
                                {"first": last.id + 1, "last": head.count}))
    elif head.head_hash != last.entry_hash or head.count != last.id:
        problems.append(Problem("head-mismatch", (last.id,)))
    return problems
