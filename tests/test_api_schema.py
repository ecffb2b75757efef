"""The JSON API against its own OpenAPI schema, fuzzed by schemathesis in-process (ASGI).

Every operation in ``/api/openapi.json`` is a test case of its own, so endpoints added later
are picked up without touching this file. Each runs against a fresh temporary store holding
the demo case, with a bounded number of generated requests (valid and invalid ones), and
asserts: no 5xx, every status code and content type documented, every JSON answer valid
against the documented schema. A failure names the operation and the request to replay.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

#: Requests generated per operation, and the seconds an operation may take before the rest of
#: its examples are skipped (the plan optimizer or a PDF takes ~1 s a request): the whole file
#: stays well under a minute on two cores however many endpoints are added. Raise both
#: (``XIESHANG_SCHEMA_EXAMPLES``, ``XIESHANG_SCHEMA_SECONDS``) for a longer local run.
MAX_EXAMPLES = int(os.environ.get("XIESHANG_SCHEMA_EXAMPLES", "25"))
SECONDS_PER_OPERATION = float(os.environ.get("XIESHANG_SCHEMA_SECONDS", "2.5"))
_started: dict[str, float] = {}

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


def _app() -> Any:
    """The app whose schema is fuzzed. Its store is swapped per test (see ``demo_store``); the
    one opened here stays empty and only serves the schema at collection time."""
    from xieshang.store.db import open_store
    from xieshang.web.app import create_app

    folder = Path(tempfile.mkdtemp(prefix="xieshang-schema-"))
    atexit.register(shutil.rmtree, folder, True)
    return create_app(open_store(str(folder / "collect.sqlite"), create=True))


APP = _app()
# Loaded at import so that pytest makes one test per operation. (``schemathesis.pytest.from_fixture``
# would load it lazily, but breaks on pytest 9's private node attributes.)
schema = schemathesis.openapi.from_asgi("/api/openapi.json", APP)


@pytest.fixture(autouse=True)
def demo_store(tmp_path: Path) -> Iterator[None]:
    """A fresh store with the demo case for every operation: writes in one test stay in it."""
    from xieshang.services.demo import load_demo
    from xieshang.store.db import open_store

    store = open_store(str(tmp_path / "store.sqlite"), create=True)
    load_demo(store)
    before = APP.state.store
    APP.state.store = store
    try:
        yield
    finally:
        APP.state.store = before
        store.close()


@schema.parametrize()
@settings(max_examples=MAX_EXAMPLES, deadline=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
def test_api_answers_as_its_schema_says(case: Any) -> None:
    started = _started.setdefault(case.operation.label, time.monotonic())
    if time.monotonic() - started > SECONDS_PER_OPERATION:
        return  # past its time budget, an operation's further examples are generated but not sent
    case.call_and_validate(checks=CHECKS)


def test_the_schema_lists_the_api(tmp_path: Path) -> None:
    """The fuzzing above would pass vacuously on an empty schema: make sure it is not."""
    from fastapi.testclient import TestClient

    from xieshang.store.db import open_store
    from xieshang.web.app import create_app

    store = open_store(str(tmp_path / "store.sqlite"), create=True)
    with TestClient(create_app(store)) as client:
        paths = client.get("/api/openapi.json").json()["paths"]
    store.close()
    assert {"/api/status", "/api/loans", "/api/loans/{loan_id}", "/api/export"} <= set(paths)


def test_found_by_fuzzing_ids_and_amounts_beyond_the_store_are_refused_not_crashed() -> None:
    """Regressions schemathesis found: an id or an amount past SQLite's 64-bit integer was a 500.
    (Runs on the demo store of ``demo_store``.)"""
    from fastapi.testclient import TestClient

    huge = 2**63
    with TestClient(APP, raise_server_exceptions=False) as client:
        for method, path in (("GET", f"/api/loans/{huge}"), ("DELETE", f"/api/loans/{huge}"),
                             ("GET", f"/api/loans/{huge}/timeline"), ("DELETE", f"/api/payments/{huge}"),
                             ("GET", f"/api/loans/-{huge * 10**5}"), ("GET", f"/api/loans/+{huge}"),
                             ("GET", f"/loans/{huge}"), ("GET", f"/loans/{huge}/edit")):
            r = client.request(method, path)
            assert r.status_code == 404, path
            assert r.headers["content-type"].startswith("application/json" if path.startswith("/api") else "text/html")
        before = client.get("/api/export").json()
        for amount in (92233720368547759, 10**32):
            r = client.post("/api/loans/1/payments?lang=en", json={"amount": amount})
            assert r.status_code == 422 and "implausibly large" in r.json()["error"]["message"]
        assert client.get("/api/export").json() == before  # nothing written
