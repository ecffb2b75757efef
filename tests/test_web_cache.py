"""The store's data revision and the web app's cache of computed results (services/memo.py).

The revision changes in every committed write (an ORM session, a Core statement, another
process) and in nothing else, on SQLite and PostgreSQL; the dashboard and the live what-if are
answered from the cache only while it is unchanged, so a write through any service — or
through the CLI in another process while the app runs — shows at once; the cache is bounded.
"""

from __future__ import annotations

import functools
import os
import subprocess
import sys
import warnings
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import text

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from xieshang import clock
from xieshang.planner.options import OFFER_KINDS, Offer
from xieshang.services import memo
from xieshang.services.case import add_payment, list_loans
from xieshang.services.demo import load_demo
from xieshang.services.plan import WhatIf, plan_case, record_offer
from xieshang.store.db import Store, open_store
from xieshang.store.revision import current
from xieshang.web.app import create_app

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

WHATIF = "/plan/result?income=12000"
HTMX = {"HX-Request": "true"}


@pytest.fixture(autouse=True)
def _fresh_cache(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.delenv("XIESHANG_WEB_CACHE", raising=False)
    memo.clear()
    yield
    memo.clear()


@pytest.fixture
def store(store_location: str) -> Iterator[Store]:
    st = open_store(store_location)
    yield st
    st.close()


@pytest.fixture
def demo(store: Store) -> TestClient:
    load_demo(store)
    return TestClient(create_app(store), raise_server_exceptions=False)


def _rev(store: Store) -> str:
    value = current(store.engine)
    assert value is not None
    return value


def test_revision_changes_on_every_committed_write_and_only_then(store: Store) -> None:
    before = _rev(store)
    load_demo(store)  # ORM writes
    after_demo = _rev(store)
    assert after_demo != before
    list_loans(store)  # reads change nothing
    plan_case(store, whatif=WhatIf(income=Decimal(12000)))
    assert _rev(store) == after_demo
    loan = list_loans(store)[0]
    record_offer(store, loan.id, Offer(kind="instalment", refused=True))  # a Core DELETE, then an insert
    after_offer = _rev(store)
    assert after_offer != after_demo
    with pytest.raises(RuntimeError), store.transaction() as s:  # rolled back: no change
        s.execute(text("UPDATE loan SET lender = 'x'"))
        raise RuntimeError
    assert _rev(store) == after_offer
    with store.engine.begin() as conn:  # a Core write outside any session
        conn.execute(text("UPDATE loan SET lender = lender"))
    assert _rev(store) != after_offer


def test_dashboard_is_cached_until_a_service_writes(demo: TestClient, store: Store) -> None:
    first = demo.get("/")
    assert first.status_code == 200
    hits = memo.stats["hits"]
    again = demo.get("/")
    assert again.text == first.text
    assert memo.stats["hits"] > hits  # answered from the cache
    loan = list_loans(store)[0]
    add_payment(store, loan.id, Decimal("1234.56"), on=clock.today())
    after = demo.get("/")
    assert after.status_code == 200
    assert after.text != first.text  # the payment shows at once


def test_whatif_is_cached_per_input_and_follows_writes(demo: TestClient, store: Store) -> None:
    a = demo.get(WHATIF, headers=HTMX)
    assert a.status_code == 200
    misses = memo.stats["misses"]
    assert demo.get(WHATIF, headers=HTMX).text == a.text
    assert memo.stats["misses"] == misses  # same inputs, same data: nothing recomputed
    b = demo.get("/plan/result?income=9000", headers=HTMX)
    assert b.status_code == 200 and b.text != a.text  # other inputs: computed
    en = demo.get(WHATIF + "&lang=en", headers=HTMX)
    assert en.text != a.text  # the language is part of the key
    loan = list_loans(store)[0]
    for kind in OFFER_KINDS:  # every option of one lender refused now
        record_offer(store, loan.id, Offer(kind=kind, refused=True))
    fresh = plan_case(store, whatif=WhatIf(income=Decimal(12000)))
    shown = demo.get(WHATIF, headers=HTMX)
    assert shown.status_code == 200
    assert shown.text != a.text
    best = fresh.optimal
    if best is not None and best.feasible:
        from xieshang.web.context import money

        assert money(best.total_paid) in shown.text  # the new plan, not the kept one


def test_a_write_from_another_process_shows_at_once(demo: TestClient, store: Store) -> None:
    first = demo.get("/")
    assert demo.get("/").text == first.text
    loan = list_loans(store)[0]
    location = store.engine.url.render_as_string(hide_password=False) if "://" in store.location else store.location
    env = {**os.environ, "XIESHANG_DB": location, "XIESHANG_LANG": "en"}
    done = subprocess.run([sys.executable, "-m", "xieshang", "pay", "add", str(loan.id), "777.77",
                           "--date", clock.today().isoformat()], env=env, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert demo.get("/").text != first.text


def test_a_write_while_computing_is_not_kept(store: Store) -> None:
    load_demo(store)
    loan = list_loans(store)[0]

    def compute() -> int:
        add_payment(store, loan.id, Decimal("1.00"), on=clock.today())  # the data changes meanwhile
        return 1

    memo.remember(store, "t", (), compute)
    assert memo.size() == 0


def test_the_cache_is_bounded(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(memo, "MAX_ENTRIES", 5)
    for i in range(12):
        assert memo.remember(store, "n", i, functools.partial(int, i * 2)) == i * 2
    assert memo.size() == 5
    assert memo.remember(store, "n", 11, lambda: -1) == 22  # the newest are kept
    assert memo.remember(store, "n", 0, lambda: -1) == -1  # the oldest were dropped


def test_switched_off(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XIESHANG_WEB_CACHE", "0")
    assert memo.remember(store, "n", 1, lambda: 1) == 1
    assert memo.remember(store, "n", 1, lambda: 2) == 2
    assert memo.size() == 0


def test_revision_in_a_new_sqlite_store_is_kept_by_backup_restore(tmp_path: Path) -> None:
    from xieshang.services.backup import backup, restore

    src = open_store(str(tmp_path / "a.sqlite"))
    dst = open_store(str(tmp_path / "b.sqlite"))
    try:
        load_demo(src)
        report = backup(src, tmp_path / "b.zip")
        restore(dst, Path(report.path))
        assert current(dst.engine) is not None
        assert len(list_loans(dst)) == len(list_loans(src))
    finally:
        src.close()
        dst.close()
