"""Server mode accounts (issue 8, part 2) and the audit log (part 5), through the real app:
sign-in and out, the session cookie's flags, sessions stored as hashes, CSRF on forms, htmx and
the API, login rate limits per account and per address, sign-up by invitation (once, not after
expiry), password change, the role pages, the audit log page, the ``xieshang admin`` CLI, and
local mode left exactly as it was."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from tests.server_helpers import (
    PASSWORD,
    add_account,
    client_for,
    csrf_of,
    fast_hashing,
    make_server,
    sign_in,
    sqlite_env,
)

from xieshang.i18n import t
from xieshang.services import accounts
from xieshang.services.access import Server
from xieshang.store.accounts_models import AuditEntry, WebSession

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


@pytest.fixture(autouse=True)
def _fast() -> Iterator[None]:
    with fast_hashing():
        yield


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    srv = make_server(tmp_path)
    add_account(srv, "admin", "admin", "The Admin")
    add_account(srv, "alice", "borrower", "Alice")
    add_account(srv, "carol", "counsellor", "Carol")
    yield srv
    srv.close()


def test_signed_out_requests_go_to_sign_in(server: Server) -> None:
    c = client_for(server)
    r = c.get("/loans?x=1", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login?next=%2Floans%3Fx%3D1"
    r = c.get("/api/status")
    assert r.status_code == 401 and r.json()["error"]["message"] == t("accounts.error.sign_in")
    assert c.post("/api/loans", json={}).status_code == 401
    for lang in ("zh_CN", "en"):
        page = c.get(f"/login?lang={lang}")
        assert page.status_code == 200 and t("accounts.login.title", lang=lang) in page.text
        assert 'autocomplete="current-password"' in page.text
    assert c.get("/static/app.css").status_code == 200


def test_sign_in_sets_a_hardened_cookie_and_stores_only_a_hash(server: Server) -> None:
    c = client_for(server)
    r = c.post("/login", data={"username": "Alice", "password": PASSWORD, "next": "//evil.example/"},
               follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/"  # no open redirect
    cookie = r.headers["set-cookie"]
    assert cookie.startswith("__Host-xieshang_session=")
    low = cookie.lower()
    assert "httponly" in low and "secure" in low and "samesite=strict" in low and "path=/" in low
    token = cookie.split(";")[0].split("=", 1)[1]
    with server.accounts.transaction() as s:
        stored = s.scalars(select(WebSession.token_hash)).all()
    assert stored == [accounts.token_hash(token)] and token not in stored
    page = c.get("/start")
    assert t("accounts.bar.signed_in", name="Alice", role=t("accounts.role.borrower")) in page.text
    # sign out: the session is gone from the server, the old cookie is worthless
    csrf = csrf_of(page.text)
    r = c.post("/logout", data={"csrf_token": csrf}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login"
    with server.accounts.transaction() as s:
        assert s.scalar(select(func.count(WebSession.id))) == 0
    c.cookies.set("__Host-xieshang_session", token)
    assert c.get("/api/status").status_code == 401


def test_wrong_password_and_unknown_user_get_the_same_answer(server: Server) -> None:
    c = client_for(server)
    a = c.post("/login?lang=en", data={"username": "alice", "password": "wrong password!"})
    b = c.post("/login?lang=en", data={"username": "nobody", "password": "wrong password!"})
    assert a.status_code == b.status_code == 422
    msg = t("accounts.error.bad_login", lang="en")
    assert msg in a.text and msg in b.text
    assert "xieshang_session" not in a.headers.get("set-cookie", "")


def test_sessions_expire(server: Server) -> None:
    acc = accounts.find_account(server.accounts, "alice")
    assert acc is not None
    token, _ = accounts.start_session(server.accounts, acc.id)
    assert accounts.session_for(server.accounts, token) is not None
    later = accounts.now_utc() + timedelta(hours=accounts.limits().session_hours, seconds=1)
    assert accounts.session_for(server.accounts, token, now=later) is None


def test_csrf_is_required_on_every_write(server: Server) -> None:
    alice = sign_in(server, "alice")
    c = alice.client
    # no token, a wrong token: 403 and nothing happens
    assert c.post("/start/demo", follow_redirects=False).status_code == 403
    assert c.post("/start/demo", data={"csrf_token": "x" * 43}, follow_redirects=False).status_code == 403
    assert c.post("/api/demo", headers={"X-CSRF-Token": "nope"}).status_code == 403
    r = c.post("/api/demo")
    assert r.status_code == 403 and r.json()["error"]["message"] == t("accounts.error.csrf")
    assert c.get("/api/status").status_code == 409  # still no case
    # the form field (as the injected hidden input sends it), the header (htmx, API)
    assert c.post("/start/demo", data={"csrf_token": alice.csrf}, follow_redirects=False).status_code == 303
    assert c.get("/api/status").status_code == 200
    r = c.post("/api/loans/1/payments", json={"amount": "10"}, headers={"X-CSRF-Token": alice.csrf})
    assert r.status_code == 201
    # multipart (the import form) carries it as a field too
    export = c.get("/settings/export").content
    r = c.post("/settings/import", data={"csrf_token": alice.csrf, "replace": "1"},
               files={"file": ("case.json", export, "application/json")}, follow_redirects=False)
    assert r.status_code == 303
    # only the first part is read (the injected field comes first): a big upload streams on to the
    # route, which applies its own limit; a token that is not the first part does not count
    big = b"x" * (8 * 1024 * 1024)
    r = c.post("/settings/import?lang=en", data={"csrf_token": alice.csrf},
               files={"file": ("big.json", big, "application/json")})
    assert r.status_code == 422 and "larger than" in r.text
    r = c.post("/settings/import", data={"replace": "1", "csrf_token": alice.csrf},
               files={"file": ("case.json", export, "application/json")}, follow_redirects=False)
    assert r.status_code == 403
    # a browser's boundary (mixed case, as WebKit makes them), written by hand
    boundary = "----WebKitFormBoundaryAbCdEfGh12345678"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\n{alice.csrf}\r\n"
            f"--{boundary}\r\nContent-Disposition: form-data; name=\"replace\"\r\n\r\n1\r\n"
            f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"c.json\"\r\n"
            f"Content-Type: application/json\r\n\r\n").encode() + export + f"\r\n--{boundary}--\r\n".encode()
    r = c.post("/settings/import", content=body, headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
               follow_redirects=False)
    assert r.status_code == 303
    r = c.post("/settings/import", data={"replace": "1"}, files={"file": ("case.json", export, "application/json")},
               follow_redirects=False)
    assert r.status_code == 403


def test_every_post_form_on_a_page_carries_the_token(server: Server) -> None:
    alice = sign_in(server, "alice")
    alice.client.post("/start/demo", data={"csrf_token": alice.csrf})
    for url in ("/", "/loans/1", "/settings", "/account", "/account/access", "/guide"):
        html = alice.client.get(url).text
        forms = re.findall(r"<form\b[^>]*method=\"post\"[^>]*>(.{0,200})", html, re.S | re.I)
        assert forms or url in ("/", "/guide"), url
        for tail in forms:
            assert f'name="csrf_token" value="{alice.csrf}"' in tail, url
        assert f'"X-CSRF-Token": "{alice.csrf}"' in html


def test_login_is_rate_limited_per_account(server: Server) -> None:
    c = client_for(server)
    lim = accounts.limits().account.failures
    for _ in range(lim):
        assert c.post("/login", data={"username": "alice", "password": "not the password"}).status_code == 422
    r = c.post("/login?lang=en", data={"username": "alice", "password": PASSWORD}, follow_redirects=False)
    assert r.status_code == 429 and "Too many failed sign-ins" in r.text
    # another account from the same address is not locked by Alice's failures
    r = c.post("/login", data={"username": "carol", "password": PASSWORD}, follow_redirects=False)
    assert r.status_code == 303
    # after the window, Alice can sign in again
    later = accounts.now_utc() + timedelta(seconds=accounts.limits().account.seconds + 1)
    assert accounts.authenticate(server.accounts, "alice", PASSWORD, ip="10.0.0.1", now=later).username == "alice"


def test_login_is_rate_limited_per_address(server: Server) -> None:
    lim = accounts.limits().ip.failures
    for i in range(lim):
        with pytest.raises(accounts.UserError):
            accounts.authenticate(server.accounts, f"user{i}", "guess guess", ip="192.0.2.7")
    with pytest.raises(accounts.UserError) as exc:
        accounts.authenticate(server.accounts, "carol", PASSWORD, ip="192.0.2.7")
    assert exc.value.key == "accounts.error.too_many"
    assert accounts.authenticate(server.accounts, "carol", PASSWORD, ip="192.0.2.8").username == "carol"


def test_sign_up_by_invitation_once(server: Server) -> None:
    token = accounts.create_invitation(server.accounts, "borrower")
    c = client_for(server)
    page = c.get(f"/invite/{token}?lang=en")
    assert page.status_code == 200 and "Borrower" in page.text
    r = c.post(f"/invite/{token}?lang=en", data={"username": "dan", "password": "short", "confirm": "short"})
    assert r.status_code == 422 and "too short" in r.text
    r = c.post(f"/invite/{token}", data={"username": "alice", "password": PASSWORD, "confirm": PASSWORD})
    assert r.status_code == 422  # taken
    r = c.post(f"/invite/{token}", data={"username": "dan", "display_name": "Dan", "password": PASSWORD,
                                         "confirm": PASSWORD}, follow_redirects=False)
    assert r.status_code == 303 and "__Host-xieshang_session" in r.headers["set-cookie"]
    dan = accounts.find_account(server.accounts, "dan")
    assert dan is not None and dan.role == "borrower" and dan.case_id
    # used: gone for everyone, as is an unknown or expired link
    other = client_for(server)
    assert other.get(f"/invite/{token}").status_code == 404
    assert other.post(f"/invite/{token}", data={"username": "eve", "password": PASSWORD,
                                                "confirm": PASSWORD}).status_code == 404
    assert other.get("/invite/not-a-token").status_code == 404
    old = accounts.create_invitation(server.accounts, "counsellor",
                                     now=accounts.now_utc() - timedelta(days=accounts.limits().invitation_days + 1))
    assert other.get(f"/invite/{old}").status_code == 404


def test_password_change_signs_out_other_sessions(server: Server) -> None:
    first = sign_in(server, "alice")
    second = sign_in(server, "alice")
    h = {"X-CSRF-Token": first.csrf}
    r = first.client.post("/account/password?lang=en", data={"old": "bad", "new": "new password 1",
                                                            "confirm": "new password 1"}, headers=h)
    assert r.status_code == 422 and "current password is wrong" in r.text
    r = first.client.post("/account/password", data={"old": PASSWORD, "new": "new password 1",
                                                     "confirm": "new password 2"}, headers=h)
    assert r.status_code == 422
    r = first.client.post("/account/password", data={"old": PASSWORD, "new": "new password 1",
                                                     "confirm": "new password 1"}, headers=h, follow_redirects=False)
    assert r.status_code == 303
    assert first.client.get("/account").status_code == 200
    assert second.client.get("/account", follow_redirects=False).status_code == 303  # signed out
    assert sign_in(server, "alice", "new password 1").account.username == "alice"


def test_admin_invites_and_sees_accounts_not_cases(server: Server) -> None:
    admin = sign_in(server, "admin")
    r = admin.client.get("/", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/admin"
    page = admin.client.get("/admin")
    assert "alice" in page.text and "carol" in page.text
    r = admin.client.post("/admin/invite", data={"role": "counsellor"}, headers={"X-CSRF-Token": admin.csrf})
    m = re.search(r"https://testserver/invite/([A-Za-z0-9_-]+)", r.text)
    assert r.status_code == 200 and m is not None
    assert accounts.invitation_role(server.accounts, m.group(1)) == "counsellor"
    assert admin.client.get("/api/status").status_code == 404


def test_the_borrower_reads_the_audit_log(server: Server) -> None:
    alice = sign_in(server, "alice")
    carol = sign_in(server, "carol")
    alice.client.post("/start/demo", data={"csrf_token": alice.csrf})
    alice.client.post("/account/access", data={"counsellor": "carol", "csrf_token": alice.csrf})
    case = alice.account.case_id
    carol.client.post(f"/cases/{case}/open", headers={"X-CSRF-Token": carol.csrf})
    assert carol.client.get("/loans/2").status_code == 200
    assert carol.client.get("/cases").status_code == 200
    page = alice.client.get("/account/audit?lang=en")
    assert page.status_code == 200
    rows = re.findall(r"<li class=\"flag\">(.*?)</li>", page.text, re.S)
    text = [re.sub(r"<[^>]+>", " ", row) for row in rows]
    assert any("carol" in row and "viewed" in row and "GET /loans/2" in row for row in text)
    assert any("alice" in row and "allowed access" in row for row in text)
    assert any("alice" in row and "changed" in row and "POST /start/demo" in row for row in text)
    with server.accounts.transaction() as s:
        assert s.scalar(select(func.count(AuditEntry.id)).where(AuditEntry.path == "/cases")) == 0


def test_counsellor_page_lists_granted_cases(server: Server) -> None:
    alice = sign_in(server, "alice")
    carol = sign_in(server, "carol")
    assert carol.client.get("/", follow_redirects=False).headers["location"] == "/cases"
    assert t("accounts.cases.none") in carol.client.get("/cases").text
    r = alice.client.post("/account/access?lang=en", data={"counsellor": "admin"},
                          headers={"X-CSRF-Token": alice.csrf})
    assert r.status_code == 422 and "no counsellor" in r.text  # only counsellors can be granted
    alice.client.post("/account/access", data={"counsellor": "carol"}, headers={"X-CSRF-Token": alice.csrf})
    assert "Alice" in carol.client.get("/cases").text


def test_admin_cli_creates_users_and_invitations(tmp_path: Path) -> None:
    env = sqlite_env(XIESHANG_DATA_DIR=str(tmp_path / "d"), XIESHANG_LANG="en")
    exe = [sys.executable, "-m", "xieshang"]
    r = subprocess.run([*exe, "admin", "create-user", "--username", "root", "--role", "admin",
                        "--password-stdin"], input=PASSWORD + "\n", env=env, capture_output=True, text=True,
                       check=False)
    assert r.returncode == 0, r.stderr
    assert "Account root (Admin) created." in r.stdout
    r = subprocess.run([*exe, "admin", "create-user", "--username", "xavier", "--password-stdin"], input="short\n",
                       env=env, capture_output=True, text=True, check=False)
    assert r.returncode == 2 and "too short" in r.stderr
    r = subprocess.run([*exe, "admin", "invite", "--role", "borrower", "--base-url", "https://xs.example"],
                       env=env, capture_output=True, text=True, check=False)
    assert r.returncode == 0 and "https://xs.example/invite/" in r.stdout
    r = subprocess.run([*exe, "admin", "users", "--json"], env=env, capture_output=True, text=True, check=False)
    assert r.returncode == 0 and '"username": "root"' in r.stdout


def test_local_mode_has_no_accounts(tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    from xieshang.store.db import open_store
    from xieshang.web.app import create_app

    st = open_store(str(tmp_path / "s.sqlite"))
    try:
        c = TestClient(create_app(st), raise_server_exceptions=False)
        assert c.get("/login").status_code == 404
        assert c.get("/account").status_code == 404
        assert c.post("/start/demo", follow_redirects=False).status_code == 303  # no token needed locally
        page = c.get("/")
        assert "X-CSRF-Token" not in page.text and "csrf_token" not in page.text
        assert t("web.footer.local") in page.text
    finally:
        st.close()


def test_a_changed_cost_rehashes_at_sign_in(server: Server) -> None:
    from argon2 import PasswordHasher

    with server.accounts.transaction() as s:
        from xieshang.store.accounts_models import Account

        before = s.scalar(select(Account.password_hash).where(Account.username == "alice"))
    assert before is not None and before.startswith("$argon2id$")
    stronger = PasswordHasher(time_cost=2, memory_cost=2048, parallelism=1)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(accounts, "_hasher", lambda: stronger)
        accounts.authenticate(server.accounts, "alice", PASSWORD, ip="203.0.113.1")
    with server.accounts.transaction() as s:
        after = s.scalar(select(Account.password_hash).where(Account.username == "alice"))
    assert after != before and after is not None and "t=2" in after


def test_the_shipped_cost_is_rfc_9106s() -> None:
    h = accounts.password_hasher()
    assert (h.time_cost, h.memory_cost, h.parallelism) == (3, 65536, 4)
    assert h.verify(h.hash(PASSWORD), PASSWORD)


def test_signing_in_forgets_expired_sessions_and_old_attempts(server: Server) -> None:
    from xieshang.store.accounts_models import LoginAttempt

    acc = accounts.find_account(server.accounts, "alice")
    assert acc is not None
    long_ago = accounts.now_utc() - timedelta(days=2)
    accounts.start_session(server.accounts, acc.id, now=long_ago)
    with pytest.raises(accounts.UserError):
        accounts.authenticate(server.accounts, "alice", "wrong password", ip="198.51.100.1", now=long_ago)
    sign_in(server, "alice")
    with server.accounts.transaction() as s:
        assert s.scalar(select(func.count(WebSession.id))) == 1
        assert s.scalar(select(func.count(LoginAttempt.id)).where(LoginAttempt.at <= long_ago)) == 0


def test_api_clients_get_the_token_from_api_session(server: Server) -> None:
    alice = sign_in(server, "alice")
    info = alice.client.get("/api/session").json()
    assert info == {"username": "alice", "role": "borrower", "csrf_token": alice.csrf, "case": True}
    r = alice.client.post("/api/demo", headers={"X-CSRF-Token": info["csrf_token"]})
    assert r.status_code == 200, r.text
    assert client_for(server).get("/api/session").status_code == 401


def test_a_disabled_account_is_signed_out_and_cannot_sign_in(server: Server, tmp_path: Path) -> None:
    alice = sign_in(server, "alice")
    assert alice.client.get("/api/session").status_code == 200
    accounts.disable_account(server.accounts, "alice")
    assert alice.client.get("/api/session").status_code == 401
    r = client_for(server).post("/login", data={"username": "alice", "password": PASSWORD})
    assert r.status_code == 422
    with pytest.raises(accounts.UserError):
        accounts.disable_account(server.accounts, "nobody")
    env = sqlite_env(XIESHANG_DATA_DIR=str(tmp_path / "data"), XIESHANG_LANG="en")
    r = subprocess.run([sys.executable, "-m", "xieshang", "admin", "disable", "--username", "carol"], env=env,
                       capture_output=True, text=True, check=False)
    assert r.returncode == 0 and "Account carol disabled" in r.stdout, r.stderr
    assert accounts.find_account(server.accounts, "carol") is None
