"""Keys of a whole server (``xieshang keys … --server``): the accounts store and every case store.

Server mode keeps one store per case and one accounts store (:mod:`xieshang.services.access`);
each is encrypted on its own (its own data keys and, with a passphrase, its own salt) under the
same master key or passphrase. ``enable`` encrypts every store still plaintext (the accounts store
is encrypted on open anyway once a key is configured), ``rotate`` re-encrypts every store under a
new data key (and a new master key when one is given), ``status`` reports each. Stop the server
first, as for a single store.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select

from xieshang.services import keys
from xieshang.store.db import Store


@dataclass(frozen=True)
class StoreResult:
    """What one command did to one store of the server."""

    name: str  # "accounts" or "case <id>"
    result: Any  # RekeyReport, KeyStatus, or None (already encrypted: nothing to do)

    def to_json(self) -> dict[str, Any]:
        return {"store": self.name, "result": None if self.result is None else self.result.to_json()}


@contextmanager
def server_stores(data_dir: Path | None = None) -> Iterator[list[tuple[str, Store]]]:
    """The accounts store and every case store of the server, opened even while plaintext."""
    from xieshang.services.access import open_server
    from xieshang.store import crypto
    from xieshang.store.accounts_models import CaseFile

    with crypto.plaintext_allowed():
        server = open_server(data_dir)
        try:
            with server.accounts.transaction() as s:
                ids = list(s.scalars(select(CaseFile.id).order_by(CaseFile.created_at, CaseFile.id)))
            stores = [("accounts", server.accounts)] + [(f"case {i}", server.case_store(i)) for i in ids]
            yield stores
        finally:
            server.close()


def _each(data_dir: Path | None, act: Callable[[Store], Any]) -> list[StoreResult]:
    with server_stores(data_dir) as stores:
        return [StoreResult(name, act(store)) for name, store in stores]


def enable_all(master: keys.NewMaster, data_dir: Path | None = None) -> list[StoreResult]:
    from xieshang.store.crypto import keyring_of

    return _each(data_dir, lambda st: None if keyring_of(st.engine) is not None else keys.enable(st, master))


def rotate_all(new_master: keys.NewMaster | None = None, data_dir: Path | None = None) -> list[StoreResult]:
    return _each(data_dir, lambda st: keys.rotate(st, new_master))


def status_all(data_dir: Path | None = None) -> list[StoreResult]:
    return _each(data_dir, keys.status)
