"""Shared set-up of the server-mode tests: a data dir with an admin, two borrowers and a counsellor,
and TestClients signed in as each (over https, so the Secure session cookie is sent)."""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from xieshang.services.access import Server, open_server
from xieshang.services.accounts import AccountInfo, create_account
from xieshang.web.app import create_app

PASSWORD = "correct horse battery"
#: Variables that would point a server-mode subprocess at another database than its data dir.
DB_VARS = ("XIESHANG_DB", "DATABASE_URL", "XIESHANG_ACCOUNTS_DB")


def sqlite_env(**extra: str) -> dict[str, str]:
    """The environment for a ``xieshang`` subprocess in server mode on SQLite files."""
    import os

    return {**{k: v for k, v in os.environ.items() if k not in DB_VARS}, **extra}
BASE = "https://testserver"


@dataclass
class Party:
    account: AccountInfo
    client: TestClient
    csrf: str


@contextmanager
def fast_hashing() -> Iterator[None]:
    """A cheap argon2 cost for tests (the real one takes ~0.3 s a hash on a busy 2-core machine);
    what is tested (hashing, verifying, rehashing on sign-in) is the same code."""
    from argon2 import PasswordHasher

    from xieshang.services import accounts

    fast = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(accounts, "_hasher", lambda: fast)
        accounts._dummy_hash.cache_clear()
        yield
    accounts._dummy_hash.cache_clear()


def make_server(tmp_path: Path) -> Server:
    """Server mode on SQLite files in ``tmp_path`` (even when the suite runs with a PostgreSQL ``XIESHANG_DB``)."""
    return open_server(tmp_path / "data", database_url="")


def client_for(server: Server) -> TestClient:
    return TestClient(create_app(server=server), base_url=BASE, raise_server_exceptions=False)


def csrf_of(html: str) -> str:
    m = re.search(r'"X-CSRF-Token": "([^"]+)"', html)
    assert m is not None, "a signed-in page carries the CSRF token for htmx"
    return m.group(1)


def sign_in(server: Server, username: str, password: str = PASSWORD) -> Party:
    from xieshang.services.accounts import find_account

    client = client_for(server)
    r = client.post("/login", data={"username": username, "password": password, "next": "/account"},
                    follow_redirects=False)
    assert r.status_code == 303, r.text
    page = client.get("/account")
    assert page.status_code == 200
    acc = find_account(server.accounts, username)
    assert acc is not None
    return Party(acc, client, csrf_of(page.text))


def add_account(server: Server, username: str, role: str, name: str = "") -> AccountInfo:
    return create_account(server.accounts, username, PASSWORD, role=role, display_name=name or username)
