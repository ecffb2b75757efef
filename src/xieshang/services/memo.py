"""Reusing computed results while the store's data is unchanged (the web app's pages).

:func:`remember` keys a result by the store (its location), the store's data revision
(:mod:`xieshang.store.revision`: changes in every committed write, from any process), the
language of the request and what the caller asks for (a name and its inputs: the as-of date,
the what-if…). A different revision is a different key, so a write anywhere — a service, the
CLI while the server runs, another worker — is never answered with a result from before it.

The revision is read before computing and again after; the result is kept only if they are
equal (a write that landed meanwhile could have been half seen). At most :data:`MAX_ENTRIES`
results are kept, least recently used dropped first. Concurrent requests for one missing key
compute it once: the others wait for that result. Exceptions (a :class:`UserError`) are
never kept. Results are shared between requests and must not be changed by their users.

``XIESHANG_WEB_CACHE=0`` switches it off (every call computes; for measuring).
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any, TypeVar

from xieshang.i18n import current_language

if TYPE_CHECKING:
    from xieshang.store.db import Store

T = TypeVar("T")

#: How many computed results one process keeps.
MAX_ENTRIES = 256

_lock = threading.Lock()
_entries: OrderedDict[Hashable, Any] = OrderedDict()
_pending: dict[Hashable, threading.Event] = {}
_pinned: ContextVar[tuple[str, str | None] | None] = ContextVar("xieshang_memo_pinned", default=None)
stats = {"hits": 0, "misses": 0}


def enabled() -> bool:
    return os.environ.get("XIESHANG_WEB_CACHE", "1").strip() != "0"


def revision(store: Store) -> str | None:
    from xieshang.store.revision import current

    return current(store.engine)


def clear() -> None:
    """Forget every kept result (tests)."""
    with _lock:
        _entries.clear()
        stats.update(hits=0, misses=0)


def size() -> int:
    with _lock:
        return len(_entries)


@contextmanager
def pinned(store: Store) -> Iterator[None]:
    """Within: one read of the revision serves every :func:`remember` on ``store`` (one page, so
    its parts also agree with each other). A result computed meanwhile is still checked against
    a fresh read before it is kept."""
    mark = _pinned.set((store.location, revision(store) if enabled() else None))
    try:
        yield
    finally:
        _pinned.reset(mark)


def remember(store: Store, name: str, inputs: Hashable, compute: Callable[[], T]) -> T:
    """``compute()``, or its result kept from an earlier call with the same store data and inputs."""
    if not enabled():
        return compute()
    pin = _pinned.get()
    rev = pin[1] if pin is not None and pin[0] == store.location else revision(store)
    if rev is None:
        return compute()
    key = (store.location, rev, current_language(), name, inputs)
    while True:
        with _lock:
            if key in _entries:
                _entries.move_to_end(key)
                stats["hits"] += 1
                return _entries[key]  # type: ignore[no-any-return]
            waiting = _pending.get(key)
            if waiting is None:
                mine = _pending[key] = threading.Event()
                stats["misses"] += 1
                break
        waiting.wait()  # someone else computes it; then look again (or compute, if they failed)
    try:
        value = compute()
        if revision(store) == rev:
            with _lock:
                _entries[key] = value
                _entries.move_to_end(key)
                while len(_entries) > MAX_ENTRIES:
                    _entries.popitem(last=False)
        return value
    finally:
        with _lock:
            _pending.pop(key, None)
        mine.set()
