"""Server mode isolation, generated from the app's route table (issue 8, part 3).

Every route of the app is found by walking ``app.routes``; nothing here lists the case pages by
hand, so a page or API route added later is checked the day it lands:

- every route with a path parameter is classified by the parameter's type and name; one the
  test cannot fill (an unknown string parameter) fails :func:`test_every_route_parameter_can_be_exercised`
  until it is taught here — a new id-taking route cannot slip through untested;
- a borrower (Alice, whose case has a person and nothing else) gets 404 for every id of another
  borrower's objects (Bob: the demo case), for reads *and* writes, and Bob's case is unchanged;
- for reads the test first checks that the id is real for Bob, so the 404 means "not yours" and
  not "no such id anywhere"; a GET route for which no id is real for Bob fails as unexercised;
- Bob's marker texts (his name, his lenders) appear in no answer to Alice or to the admin;
- the admin opens no case at all (the audit log, written whenever a case store is opened, has no
  entry of the admin), and a counsellor loses access on the request right after the revocation.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, text
from tests.records_helpers import content, png_bytes
from tests.server_helpers import Party, add_account, client_for, fast_hashing, sign_in

from xieshang import clock
from xieshang.planner.options import OFFER_KINDS
from xieshang.services.access import Server, grants_of_case, open_server
from xieshang.services.case import PersonInfo, init_case
from xieshang.services.demo import load_demo
from xieshang.services.transfer import export_case
from xieshang.store.accounts_models import AuditEntry

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

#: Texts only Bob's case contains (set into his demo case below).
BOB_NAME = "BOBSECRETNAME鲍勃"
BOB_LENDER = "BOBSECRETLENDER"
#: Ids tried for an integer parameter: the demo case has objects with these ids in every table it fills.
IDS = (1, 2, 3)
#: Values for string path parameters that are not object ids (a route key, a language, a kind).
#: A new string parameter must be added here (with a value that reaches the handler), or the
#: coverage test fails.
STR_VALUES: dict[str, tuple[str, ...]] = {
    "key": ("situation", "finances", "plan", "negotiate", "after"),
    "code": ("en",),
    "kind": ("negotiation", "waiver", "hardship", "complaint"),
    "fmt": ("md", "html"),
    "format": ("md", "html"),
    "name": ("SHA256SUMS",),
    "hardship": ("job-loss", "illness"),
}
#: Values for one route's parameter, where its name means something else elsewhere.
ROUTE_VALUES: dict[tuple[str, str], tuple[str, ...]] = {
    ("/plan/forget/{loan_id}/{kind}", "kind"): OFFER_KINDS[:2],
    ("/api/plan/offers/{loan_id}/{kind}", "kind"): OFFER_KINDS[:2],
}
#: Bodies a write needs to get past the input checks that come before the id is looked up
#: (the generic sample from the body's schema is used for every other write).
BODIES: dict[str, dict[str, Any]] = {
    "/api/agreements/{agreement_id}/status": {"status": "cancelled"},
}
#: String parameters that are object ids: their values are read from Bob's case (see ``world``).
STR_IDS = ("sha256",)
#: Filled by the ``world`` fixture: values of the STR_IDS that are real in Bob's case.
BOB_STR_IDS: dict[str, list[str]] = {}
#: Routes that are not about a case: the sign-in and account pages of server mode (tested in
#: test_accounts.py and below by name), the language switch and static files.
ACCOUNT_MODULE = "xieshang.web.routes.accounts"
WRITE = ("POST", "PUT", "PATCH", "DELETE")


@dataclass(frozen=True)
class RouteInfo:
    path: str
    methods: frozenset[str]
    params: dict[str, Any]  # name → annotation
    module: str
    body: Any  # the pydantic body field, or None
    api: bool

    def urls(self) -> list[str]:
        """Every concrete URL to try, filling each parameter from IDS or STR_VALUES."""
        out = [self.path]
        for name, ann in self.params.items():
            values = [str(i) for i in IDS] if ann is int else list(
                ROUTE_VALUES.get((self.path, name), STR_VALUES.get(name, ())))
            if name in STR_IDS:
                values = list(BOB_STR_IDS.get(name, ()))
            out = [u.replace("{" + name + "}", v) for u in out for v in values]
        return out


def _walk(routes: list[Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
    for route in routes:
        original = getattr(route, "original_router", None)
        if original is not None:  # FastAPI ≥ 0.160 keeps included routers as wrappers
            ctx = getattr(route, "include_context", None)
            yield from _walk(list(original.routes), prefix + str(getattr(ctx, "prefix", "") or ""))
        else:
            yield prefix + str(getattr(route, "path", "")), route


def route_table(app: Any) -> list[RouteInfo]:
    from fastapi.routing import APIRoute

    out = []
    for path, route in _walk(list(app.routes)):
        if not isinstance(route, APIRoute):
            continue
        params = {p.name: p.field_info.annotation for p in route.dependant.path_params}
        out.append(RouteInfo(path, frozenset(route.methods), params, route.endpoint.__module__, route.body_field,
                             path.startswith("/api")))
    return out


def _sample(schema: dict[str, Any], defs: dict[str, Any]) -> Any:
    """A plausible value for a JSON schema (so a write reaches its handler past validation)."""
    if "$ref" in schema:
        return _sample(defs[schema["$ref"].split("/")[-1]], defs)
    for key in ("anyOf", "oneOf", "allOf"):
        if key in schema:
            options = [s for s in schema[key] if s.get("type") != "null"]
            return _sample(options[0], defs) if options else None
    kind = schema.get("type")
    if kind == "object":
        props = schema.get("properties", {})
        return {k: _sample(v, defs) for k, v in props.items() if k in schema.get("required", [])}
    if kind == "array":
        return []
    if kind == "integer":
        return 1
    if kind == "number":
        return 100
    if kind == "boolean":
        return False
    if "enum" in schema:
        return schema["enum"][0]
    if schema.get("format") == "date":
        return clock.today().isoformat()
    return "100"


def body_for(route: RouteInfo) -> dict[str, Any]:
    """Keyword arguments for the client: a JSON body, or form fields for a form route."""
    from fastapi import params
    from pydantic import TypeAdapter

    if route.path in BODIES:
        return {"json": BODIES[route.path]}
    if route.body is None:
        return {}
    schema = TypeAdapter(route.body.field_info.annotation).json_schema()
    value = _sample(schema, schema.get("$defs", {}))
    if isinstance(route.body.field_info, params.Form):  # form/multipart: every field as text
        return {"data": {k: str(v) for k, v in (value or {}).items() if not isinstance(v, list)}}
    return {"json": value if value is not None else {}}


@dataclass
class World:
    server: Server
    app_routes: list[RouteInfo]
    alice: Party
    bob: Party
    carol: Party
    admin: Party


@pytest.fixture(scope="module")
def postgres(request: pytest.FixtureRequest) -> Iterator[str]:
    """A PostgreSQL database for the second run of every test: ``XIESHANG_TEST_PG_URL``, else a
    database of the worker's throwaway cluster (``pg_cluster`` of tests/conftest.py: skipped
    without Debian's server programs, failed instead under ``CI=true``)."""
    import os
    import secrets

    given = os.environ.get("XIESHANG_TEST_PG_URL", "").strip()
    if given:
        yield given
        return
    cluster = request.getfixturevalue("pg_cluster")
    name = "iso_" + secrets.token_hex(4)
    cluster.admin(f"CREATE DATABASE {name}")
    yield cluster.url(name)
    if cluster.running:
        cluster.admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def world(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    url = request.getfixturevalue("postgres") if request.param == "postgresql" else ""
    with fast_hashing(), pytest.MonkeyPatch.context() as mp:
        if url:  # the cases' attachment folders under a temporary folder, not the user data dir
            mp.setenv("XIESHANG_ATTACHMENTS", str(tmp_path_factory.mktemp("pg-attachments")))
        yield from _world(tmp_path_factory, url)


def _world(tmp_path_factory: pytest.TempPathFactory, url: str) -> Iterator[World]:
    server = open_server(Path(tmp_path_factory.mktemp("iso")) / "data", database_url=url)
    assert (server.cases_url is not None) == bool(url)
    add_account(server, "admin", "admin")
    alice = add_account(server, "alice", "borrower", "Alice")
    bob = add_account(server, "bob", "borrower", "Bob")
    add_account(server, "carol", "counsellor", "Carol")
    assert alice.case_id and bob.case_id
    init_case(server.case_store(alice.case_id), PersonInfo(name="Alice"))
    bob_store = server.case_store(bob.case_id)
    load_demo(bob_store)
    from xieshang.services.agreements import demo_agreement
    from xieshang.services.records import add_entry

    demo_agreement(bob_store, 1)

    shot = Path(tmp_path_factory.mktemp("files")) / "shot.png"
    shot.write_bytes(png_bytes(42))
    entry = add_entry(bob_store, content(), [shot])
    BOB_STR_IDS["sha256"] = [a.sha256 for a in entry.content.attachments]
    with bob_store.transaction() as s:
        s.execute(text("UPDATE person SET name = :n"), {"n": BOB_NAME})
        s.execute(text("UPDATE loan SET lender = :n || id"), {"n": BOB_LENDER})
    app_routes = route_table(client_for(server).app)
    w = World(server, app_routes, sign_in(server, "alice"), sign_in(server, "bob"), sign_in(server, "carol"),
              sign_in(server, "admin"))
    yield w
    server.close()


def _case_routes(w: World) -> list[RouteInfo]:
    return [r for r in w.app_routes if r.module != ACCOUNT_MODULE]


def _request(party: Party, method: str, url: str, route: RouteInfo) -> Any:
    headers = {"X-CSRF-Token": party.csrf}
    if method in WRITE:
        if route.api:
            return party.client.request(method, url, headers=headers, follow_redirects=False, **body_for(route))
        return party.client.request(method, url, headers=headers, data={"csrf_token": party.csrf},
                                    follow_redirects=False)
    return party.client.request(method, url, headers=headers, follow_redirects=False)


def _bob_snapshot(w: World) -> str:
    assert w.bob.account.case_id
    return export_case(w.server.case_store(w.bob.account.case_id))


def test_the_route_table_is_found(world: World) -> None:
    paths = {r.path for r in world.app_routes}
    assert {"/loans/{loan_id}", "/api/loans/{loan_id}", "/payments/{payment_id}/delete", "/login",
            "/account/access/{grant_id}/revoke", "/cases/{case_id}/open"} <= paths


def test_each_case_is_a_store_of_its_own(world: World) -> None:
    """SQLite: a file per case under the data dir; PostgreSQL: a schema per case, no files."""
    bob_case = world.bob.account.case_id
    assert bob_case
    cases = world.server.data_dir / "cases"
    if world.server.cases_url is None:
        assert (cases / f"{bob_case}.sqlite").is_file()
        return
    assert not cases.exists()
    from xieshang.store.db import make_engine

    engine = make_engine(world.server.cases_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(text(f'SELECT lender FROM "case_{bob_case}".loan')).scalars().all()
            schemas = set(conn.execute(text("SELECT schema_name FROM information_schema.schemata")).scalars())
    finally:
        engine.dispose()
    assert rows and all(r.startswith(BOB_LENDER) for r in rows)
    assert {"accounts", f"case_{bob_case}", f"case_{world.alice.account.case_id}"} <= schemas


def test_every_route_parameter_can_be_exercised(world: World) -> None:
    """A route whose parameter the test cannot fill fails here: teach STR_VALUES, or give it an int id."""
    unknown = [f"{sorted(r.methods)} {r.path}: {name}"
               for r in _case_routes(world) for name, ann in r.params.items()
               if ann is not int and name not in STR_VALUES and name not in STR_IDS]
    assert not unknown, "routes with parameters the isolation test cannot fill:\n" + "\n".join(unknown)


def test_a_borrower_gets_404_for_another_borrowers_objects(world: World) -> None:
    before = _bob_snapshot(world)
    unexercised: list[str] = []
    failures: list[str] = []
    id_routes = [r for r in _case_routes(world)
                 if any(a is int or n in STR_IDS for n, a in r.params.items())]
    assert len(id_routes) >= 10
    for route in id_routes:
        for method in sorted(route.methods - {"HEAD", "OPTIONS"}):
            urls = route.urls()
            if method == "GET":
                real = [u for u in urls if _request(world.bob, "GET", u, route).status_code not in (404, 405)]
                if not real:
                    unexercised.append(f"GET {route.path}")
                    continue
                urls = real
            for url in urls:
                r = _request(world.alice, method, url, route)
                if r.status_code != 404 or BOB_NAME in r.text or BOB_LENDER in r.text:
                    failures.append(f"{method} {url} → {r.status_code}")
    assert not failures, "Alice reached Bob's objects:\n" + "\n".join(failures)
    assert not unexercised, ("no id is real for Bob on these routes (extend the demo or IDS):\n"
                             + "\n".join(unexercised))
    assert _bob_snapshot(world) == before, "Alice's writes changed Bob's case"


def test_no_answer_to_another_borrower_shows_the_case(world: World) -> None:
    for route in _case_routes(world):
        if "GET" not in route.methods:
            continue
        for url in route.urls():
            r = _request(world.alice, "GET", url, route)
            assert r.status_code < 500, f"GET {url} → {r.status_code}"
            assert BOB_NAME not in r.text and BOB_LENDER not in r.text, f"GET {url} shows Bob's case to Alice"
    # and Bob does see his own case (the marker is real)
    assert BOB_LENDER in world.bob.client.get("/loans").text


def test_the_admin_opens_no_case(world: World) -> None:
    answered: set[str] = set()
    for route in _case_routes(world):
        for method in sorted(route.methods - {"HEAD", "OPTIONS"}):
            for url in route.urls():
                r = _request(world.admin, method, url, route)
                assert r.status_code < 500, f"{method} {url} → {r.status_code}"
                assert BOB_NAME not in r.text and BOB_LENDER not in r.text, f"{method} {url} shows a case to the admin"
                if 200 <= r.status_code < 300:
                    answered.add(f"{method} {route.path}")
    with world.server.accounts.transaction() as s:
        opened = s.scalars(select(AuditEntry.path).where(AuditEntry.username == "admin")).all()
    # whatever answered 2xx (reference data such as /api/profiles) did so without opening a case:
    assert opened == [], f"the admin opened a case through {opened} (answered: {sorted(answered)})"
    assert world.admin.client.get("/api/status").status_code == 404
    assert world.admin.client.get("/loans/1").status_code == 404


def test_a_counsellor_sees_a_case_only_while_granted(world: World) -> None:
    bob, carol, alice = world.bob, world.carol, world.alice
    bob_case, alice_case = bob.account.case_id, alice.account.case_id
    h = {"X-CSRF-Token": carol.csrf}
    # before any grant: neither case opens, and case pages answer 404
    for case in (bob_case, alice_case, "0" * 32):
        assert carol.client.post(f"/cases/{case}/open", headers=h, follow_redirects=False).status_code == 404
    assert carol.client.get("/api/status").status_code == 404
    # Bob grants Carol: she opens his case and sees it; Alice's stays closed
    r = bob.client.post("/account/access", data={"counsellor": "carol"}, headers={"X-CSRF-Token": bob.csrf},
                        follow_redirects=False)
    assert r.status_code == 303
    assert carol.client.post(f"/cases/{alice_case}/open", headers=h, follow_redirects=False).status_code == 404
    r = carol.client.post(f"/cases/{bob_case}/open", headers=h, follow_redirects=False)
    assert r.status_code == 303
    assert BOB_LENDER in carol.client.get("/loans").text
    assert carol.client.get("/api/loans/1").status_code == 200
    r = carol.client.post("/api/loans/1/payments", json={"amount": "1.00", "date": clock.today().isoformat()},
                          headers=h)
    assert r.status_code == 201, r.text
    # Alice cannot revoke Bob's grant (its id is not hers), Bob can
    grants = [g.id for g in grants_of_case(world.server.accounts, bob.account)]
    assert grants
    r = alice.client.post(f"/account/access/{grants[0]}/revoke", headers={"X-CSRF-Token": alice.csrf},
                          follow_redirects=False)
    assert r.status_code == 404
    assert carol.client.get("/api/loans/1").status_code == 200
    r = bob.client.post(f"/account/access/{grants[0]}/revoke", headers={"X-CSRF-Token": bob.csrf},
                        follow_redirects=False)
    assert r.status_code == 303
    # the very next requests: gone, reads and writes
    assert carol.client.get("/api/loans/1").status_code == 404
    assert carol.client.get("/loans/1").status_code == 404
    assert carol.client.post("/api/loans/1/payments", json={"amount": "1.00"}, headers=h).status_code == 404
    assert BOB_LENDER not in carol.client.get("/loans").text
    assert carol.client.post(f"/cases/{bob_case}/open", headers=h, follow_redirects=False).status_code == 404
    r = carol.client.get("/", follow_redirects=False)  # the closed case is forgotten: home is the list again
    assert r.status_code == 303 and r.headers["location"] == "/cases"
    # the audit log shows Bob what Carol did, the grant and the revocation
    page = bob.client.get("/account/audit").text
    assert "carol" in page and "/api/loans/1/payments" in page
    with world.server.accounts.transaction() as s:
        actions = set(s.scalars(select(AuditEntry.action).where(AuditEntry.case_id == bob_case)))
    assert {"view", "change", "grant", "revoke"} <= actions


def test_account_pages_of_other_roles_are_not_found(world: World) -> None:
    assert world.alice.client.get("/admin").status_code == 404
    assert world.alice.client.get("/cases").status_code == 404
    assert world.carol.client.get("/account/access").status_code == 404
    assert world.carol.client.get("/account/audit").status_code == 404
    assert world.admin.client.get("/account/audit").status_code == 404
    assert world.admin.client.get("/account/access").status_code == 404
    r = world.alice.client.post(f"/cases/{world.bob.account.case_id}/open",
                                headers={"X-CSRF-Token": world.alice.csrf}, follow_redirects=False)
    assert r.status_code == 404


def test_the_test_itself_sees_signatures() -> None:
    # RouteInfo.urls fills ints and known strings only
    r = RouteInfo("/x/{loan_id}/{key}", frozenset({"GET"}), {"loan_id": int, "key": str}, "m", None, False)
    assert "/x/1/situation" in r.urls() and len(r.urls()) == len(IDS) * len(STR_VALUES["key"])
    assert inspect.isfunction(_sample)


def test_server_mode_follows_a_postgresql_store_location(postgres: str, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """``xieshang --db postgresql://… serve --server`` (and the admin CLI) put accounts and cases in
    that database; a plain ``postgresql://`` URL gets the psycopg 3 driver."""
    monkeypatch.setenv("XIESHANG_DB", postgres.replace("postgresql+psycopg://", "postgresql://"))
    monkeypatch.delenv("XIESHANG_ACCOUNTS_DB", raising=False)
    server = open_server(tmp_path / "data")
    try:
        assert server.cases_url is not None and server.cases_url.startswith("postgresql+psycopg://")
        assert "search_path" in server.accounts.location or "search_path%3D" in server.accounts.location
        assert not (tmp_path / "data" / "accounts.sqlite").exists()
    finally:
        server.close()


def test_each_postgresql_case_keeps_its_attachments_in_a_folder_of_its_own(
        postgres: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Server mode on PostgreSQL: a case's attachment files go to a folder named after its schema,
    so two cases share no folder (and a file one borrower attached is not in the other's)."""
    from xieshang.services.records import add_entry, attachment_folder, verify_log

    monkeypatch.setenv("XIESHANG_ATTACHMENTS", str(tmp_path / "attachments"))
    with fast_hashing():
        server = open_server(tmp_path / "data", database_url=postgres)
        try:
            stores, folders = [], []
            for i, name in enumerate(("dora", "ed")):
                acc = add_account(server, f"{name}{clock.today():%m%d}", "borrower")
                assert acc.case_id is not None
                st = server.case_store(acc.case_id)
                init_case(st, PersonInfo(name=name))
                add_entry(st, content(), received=[(f"{name}.png", png_bytes(200 + i))])
                stores.append(st)
                folders.append(attachment_folder(st))
            assert folders[0] != folders[1]
            assert {f.parent for f in folders} == {tmp_path / "attachments"}
            for st, folder in zip(stores, folders, strict=True):
                assert folder.name.startswith("case_") and folder.name in st.location
                assert len([p for p in folder.rglob("*") if p.is_file()]) == 1
                assert verify_log(st).intact
        finally:
            server.close()
