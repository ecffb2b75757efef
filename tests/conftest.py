"""Shared test set-up: a Hypothesis profile without deadlines, and the two store back-ends.

The property tests in ``test_status_properties.py`` multiply their example counts by the
``XIESHANG_EXAMPLES`` environment variable (default 1), e.g.
``XIESHANG_EXAMPLES=10 python -m pytest tests/test_status_properties.py`` for a deeper run.

Store back-ends: a test that asks for ``store_location`` (or ``new_store_location`` for more
than one store) runs twice, ``[sqlite]`` on a file under ``tmp_path`` and ``[postgresql]`` on a
fresh database of a throwaway PostgreSQL server (:mod:`tests.pg_cluster`). The server starts
once per pytest-xdist worker, the first time a ``[postgresql]`` test needs it, and stops when
the session ends (also on failure). A database per test is ``CREATE DATABASE … TEMPLATE`` of
one migrated at start-up, which takes milliseconds. ``[postgresql]`` tests also get their own
``XIESHANG_ATTACHMENTS`` folder. ``module_store_location`` is the same for a store a whole module
shares. Without Debian's server programs they are skipped, except under ``CI=true``, where they fail. ``XIESHANG_TEST_BACKENDS=sqlite`` (or ``postgresql``) runs
only one of them.

The day: the whole run sees one day, ``XIESHANG_TODAY`` (:mod:`xieshang.clock`), set here before
any test module is imported and inherited by every CLI and server the tests start, so a run that
crosses midnight, or a test that computes "today" itself, never disagrees with the code. The
caller may set it (and ``TZ``, the machine's zone): ``scripts/test-dates`` runs the tests of
:data:`DATE_SENSITIVE` again under awkward days (month ends, 29 February, 31 December, the eve of
a daylight-saving change elsewhere) as part of ``make test``.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from hypothesis import settings
from tests.pg_cluster import Cluster, server_bin

from xieshang import clock

if TYPE_CHECKING:
    from fastapi.testclient import TestClient

    from xieshang.store.db import Store

settings.register_profile("xieshang", deadline=None)
settings.load_profile("xieshang")

os.environ.setdefault(clock.TODAY_VAR, clock.today().isoformat())

#: Test modules whose figures or lists depend on the day they run (the demo's relative dates,
#: "start today" defaults, due-soon windows, the calendar, credit checks, the overview): run again
#: under fixed awkward days by ``scripts/test-dates`` (``pytest -m dates``).
DATE_SENSITIVE = frozenset({
    "test_afford", "test_agreement", "test_agreement_cli", "test_budget", "test_calendar", "test_cli_overview",
    "test_credit", "test_overview", "test_web_after", "test_agreements_browser",
})


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if item.path.stem in DATE_SENSITIVE:
            item.add_marker(pytest.mark.dates)


BACKENDS = [b for b in os.environ.get("XIESHANG_TEST_BACKENDS", "sqlite,postgresql").split(",") if b]
_TEMPLATE = "xs_template"
_counter = itertools.count(1)


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[Cluster]:
    """The worker's throwaway PostgreSQL server with a migrated template database."""
    bindir = server_bin()
    if bindir is None:
        message = "PostgreSQL server programs not found (apt-get install postgresql)"
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(message + ": CI must run the PostgreSQL tests")
        pytest.skip(message)
    cluster = Cluster(bindir)
    try:
        cluster.start()
        cluster.admin(f"CREATE DATABASE {_TEMPLATE}")
        from xieshang.store.db import open_store

        open_store(cluster.url(_TEMPLATE)).close()
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture
def pg_database(request: pytest.FixtureRequest, tmp_path: Path,
                monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., str]]:
    """A factory of fresh PostgreSQL databases (URLs), migrated to head or (``empty=True``)
    without any table; dropped after the test."""
    cluster: Cluster = request.getfixturevalue("pg_cluster")
    monkeypatch.setenv("XIESHANG_ATTACHMENTS", str(tmp_path / "pg-attachments"))
    made: list[str] = []

    def make(empty: bool = False) -> str:
        name = f"t_{os.getpid()}_{next(_counter)}"
        cluster.admin(f"CREATE DATABASE {name} TEMPLATE {'template0' if empty else _TEMPLATE}")
        made.append(name)
        return cluster.url(name)

    yield make
    if cluster.running:
        cluster.admin(*(f"DROP DATABASE IF EXISTS {n} WITH (FORCE)" for n in made))


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """``sqlite`` or ``postgresql``: the store back-end this run of the test uses."""
    return str(request.param)


@pytest.fixture
def new_store_location(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Callable[[], str]:
    """A factory of locations for new, empty stores of the test's back-end: a SQLite file path
    (not yet created) or a PostgreSQL URL (a migrated, empty database)."""
    if backend == "postgresql":
        factory: Callable[[], str] = request.getfixturevalue("pg_database")
        return factory
    names = itertools.count(1)
    return lambda: str(tmp_path / f"store-{next(names)}" / "case.sqlite")


@pytest.fixture
def store_location(new_store_location: Callable[[], str]) -> str:
    """One new, empty store's location (``XIESHANG_DB`` value) on the test's back-end."""
    return new_store_location()


@pytest.fixture(scope="module", params=BACKENDS)
def module_store_location(request: pytest.FixtureRequest,
                          tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Like ``store_location``, for a store that a whole module shares (set up once per back-end)."""
    folder = tmp_path_factory.mktemp("module-store")
    if request.param != "postgresql":
        yield str(folder / "case.sqlite")
        return
    cluster: Cluster = request.getfixturevalue("pg_cluster")
    name = f"m_{os.getpid()}_{next(_counter)}"
    cluster.admin(f"CREATE DATABASE {name} TEMPLATE {_TEMPLATE}")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("XIESHANG_ATTACHMENTS", str(folder / "pg-attachments"))
        yield cluster.url(name)
    if cluster.running:
        cluster.admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


# -- the web app's TestClient fixtures ---------------------------------------------------------
# A test module defines ``store`` (a SQLite file, or ``store_location`` for both back-ends); these
# build on it. A module may define its own ``client`` or ``demo`` instead.


@pytest.fixture
def client(store: Store) -> TestClient:
    from fastapi.testclient import TestClient

    from xieshang.web.app import create_app

    return TestClient(create_app(store), raise_server_exceptions=False)


@pytest.fixture
def demo(store: Store, client: TestClient) -> TestClient:
    """The app on a store holding the demo case."""
    from xieshang.services.demo import load_demo

    load_demo(store)
    return client
