"""Concurrent writers on one case: no lost update, the contact log's hash chain does not fork.

20 clients — threads, each with its own :class:`~xieshang.store.db.Store` (its own engine and
connection) — start together on a barrier and write to the same case at once:

* payments on the same loan: afterwards exactly the 20 new payments are there, with exactly
  their sum;
* contact-log entries: each append reads and moves the head row ``contact_log_head``; afterwards
  the log has exactly 20 more entries, ids 1…n without a gap, each naming its predecessor's hash,
  and ``verify_log`` is intact.

On both back-ends (``store_location``: a throwaway PostgreSQL, and a SQLite file); under
``CI=true`` a missing PostgreSQL fails the run rather than skipping it (tests/conftest.py). On
SQLite payments may be refused with the "locked" message (one writer per file; the user is told,
nothing is lost silently); contact-log appends take the write lock first and all succeed.

Found: before ``services/records.py:_lock_head``, concurrent appends on PostgreSQL read the same
head and all but one failed on the entry's primary key (raw IntegrityError, the entry lost), and
the first appends on an empty log raced to create the head row.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from typing import Any, TypeVar

from tests.records_helpers import content, png_bytes

from xieshang.errors import UserError
from xieshang.services.case import add_payment, list_payments
from xieshang.services.demo import load_demo
from xieshang.services.records import add_entry, list_entries, verify_log
from xieshang.store.db import open_store

CLIENTS = 20
T = TypeVar("T")


def _together(location: str, work: Callable[[Any, int], T]) -> tuple[list[T], list[BaseException]]:
    """Run ``work(store, i)`` for i in 0…CLIENTS-1 in as many threads, each on its own store, all
    released at once; the results and the errors."""
    stores = [open_store(location) for _ in range(CLIENTS)]
    barrier = threading.Barrier(CLIENTS)
    results: list[T] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def run(i: int) -> None:
        try:
            barrier.wait(timeout=60)
            value = work(stores[i], i)
            with lock:
                results.append(value)
        except BaseException as exc:  # reported by the test
            with lock:
                errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(CLIENTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    for st in stores:
        st.close()
    assert not any(t.is_alive() for t in threads), "a writer hung"
    return results, errors


def test_concurrent_payments_on_one_loan_lose_nothing(store_location: str) -> None:
    store = open_store(store_location)
    load_demo(store)
    loan_id = 1
    before = list_payments(store, loan_id)
    amounts = [Decimal("100.00") + Decimal(i) / 100 for i in range(CLIENTS)]  # 100.00 … 100.19, all different

    results, errors = _together(store_location, lambda st, i: add_payment(st, loan_id, amounts[i]))
    if store_location.startswith("postgresql"):
        assert not errors, errors
        assert len(results) == CLIENTS
    else:
        # SQLite: one writer at a time per file, and a transaction that read first cannot wait for
        # the lock (SQLITE_BUSY_SNAPSHOT). A payment may be refused with the "locked" message
        # (exit 2 / an error on the page: the user knows, nothing is half-written); none is lost.
        assert all(isinstance(e, UserError) and e.key == "error.case.db_locked" for e in errors), errors
        assert results and len(results) + len(errors) == CLIENTS
    paid = sorted(p.amount for p in results)
    after = list_payments(store, loan_id)
    new = [p for p in after if p.id not in {q.id for q in before}]
    assert len(new) == len(results) and {p.id for p in new} == {p.id for p in results}
    assert sorted(p.amount for p in new) == paid
    assert sum((p.amount for p in after), Decimal(0)) == sum((p.amount for p in before), Decimal(0)) + sum(paid)
    store.close()


def test_concurrent_contact_log_appends_keep_one_chain(store_location: str) -> None:
    store = open_store(store_location)
    load_demo(store)
    add_entry(store, content(9, 0, summary="先有一条。"))  # the head row exists before the race …
    before = list_entries(store)

    def append(st: Any, i: int) -> int:
        return add_entry(st, content(10, i, summary=f"并发第{i}条 / concurrent {i}")).id

    ids, errors = _together(store_location, append)
    assert not errors, errors
    entries = sorted(list_entries(store), key=lambda e: e.id)
    assert len(entries) == len(before) + CLIENTS
    assert [e.id for e in entries] == list(range(1, len(entries) + 1))
    assert sorted(ids) == [e.id for e in entries][len(before):]
    assert {e.content.summary for e in entries} >= {f"并发第{i}条 / concurrent {i}" for i in range(CLIENTS)}
    for prev, nxt in itertools.pairwise(entries):
        assert nxt.prev_hash == prev.entry_hash, f"the chain forks at entry {nxt.id}"
    report = verify_log(store)
    assert report.intact, report.problems
    assert report.entries == len(entries) and report.head_hash == entries[-1].entry_hash
    store.close()


def test_concurrent_first_entries_with_attachments_on_an_empty_log(store_location: str) -> None:
    """The very first appends race to create the head row; each also brings its own attachment."""
    store = open_store(store_location)
    load_demo(store, reset=True)
    with store.transaction() as s:  # an empty log: no entry, no head row
        from sqlalchemy import delete

        from xieshang.store.models_records import ContactAttachmentRow, ContactEntryRow, ContactLogHead

        s.execute(delete(ContactAttachmentRow))
        s.execute(delete(ContactEntryRow))
        s.execute(delete(ContactLogHead))

    def append(st: Any, i: int) -> int:
        moment = content(11, i).occurred + timedelta(seconds=i)
        return add_entry(st, content(11, i, occurred=moment), received=[(f"shot-{i}.png", png_bytes(100 + i))]).id

    ids, errors = _together(store_location, append)
    assert not errors, errors
    assert sorted(ids) == list(range(1, CLIENTS + 1))
    report = verify_log(store)
    assert report.intact, report.problems
    assert report.entries == CLIENTS and report.attachments == CLIENTS
    store.close()
