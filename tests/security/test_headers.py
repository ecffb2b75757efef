"""Hardening headers and no CDN (issue 12, item 8).

Every answer — pages, the JSON API, static files, errors, redirects, the server-mode sign-in
page and its refusals — carries the Content-Security-Policy, X-Frame-Options, nosniff and
Referrer-Policy; HSTS only in server mode. No template holds an inline script, an event-handler
attribute, a ``javascript:`` URL or a style attribute (the policy would block them). ``/api/docs``
loads Swagger UI from the package (the files whose version and hashes VENDORED.md records), not
from a CDN. The browser side (no violation reported, no request leaving the server) is
``tests/e2e/test_csp_browser.py``.
"""

from __future__ import annotations

import hashlib
import re
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from tests.server_helpers import add_account, client_for, fast_hashing, make_server, sign_in

from xieshang.store.db import Store
from xieshang.web.context import package_dir
from xieshang.web.security import CSP

REQUIRED = {
    "content-security-policy": CSP,
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
}


def _hardened(response: object, *, hsts: bool) -> None:
    headers = response.headers  # type: ignore[attr-defined]
    where = f"{response.request.method} {response.request.url}"  # type: ignore[attr-defined]
    for name, value in REQUIRED.items():
        assert headers.get(name) == value, f"{where}: {name} = {headers.get(name)!r}"
    assert ("strict-transport-security" in headers) is hsts, where
    if hsts:
        assert headers["strict-transport-security"].startswith("max-age=31536000")


def test_the_policy_forbids_inline_script_framing_and_foreign_hosts() -> None:
    directives = dict(d.strip().split(" ", 1) for d in CSP.split(";"))
    assert directives["script-src"] == "'self'"  # no 'unsafe-inline', no 'unsafe-eval', no host
    assert directives["style-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert directives["default-src"] == "'self'" and directives["object-src"] == "'none'"
    assert "http" not in CSP and "*" not in CSP


@pytest.fixture
def store(store_location: str) -> Iterator[Store]:
    from xieshang.store.db import open_store

    st = open_store(store_location)
    yield st
    st.close()


def test_local_mode_pages_api_static_and_errors(demo: TestClient) -> None:
    for path in ("/", "/loans/1", "/plan", "/records", "/settings", "/api/status", "/api/openapi.json",
                 "/api/docs", "/static/app.css", "/static/htmx.min.js", "/static/swagger/swagger-ui-bundle.js",
                 "/no-such-page", "/api/loans/999999", "/loans/abc"):
        _hardened(demo.get(path, follow_redirects=False), hsts=False)
    _hardened(demo.post("/loans/1/delete", headers={"origin": "https://evil.example"}), hsts=False)  # 403
    _hardened(demo.post("/api/loans", json={"nonsense": 1}), hsts=False)  # 422


def test_an_answer_with_its_own_policy_keeps_it(demo: TestClient) -> None:
    """Attachments are served with a stricter, sandboxing policy: it is not replaced."""
    from xieshang.web.security import SecurityHeadersMiddleware

    async def app(scope: object, receive: object, send: object) -> None:
        await send({"type": "http.response.start", "status": 200,  # type: ignore[operator]
                    "headers": [(b"content-security-policy", b"default-src 'none'; sandbox")]})
        await send({"type": "http.response.body", "body": b"x"})  # type: ignore[operator]

    r = TestClient(SecurityHeadersMiddleware(app)).get("/")  # type: ignore[arg-type]
    assert r.headers.get_list("content-security-policy") == ["default-src 'none'; sandbox"]
    assert r.headers["x-frame-options"] == "DENY"


def test_server_mode_adds_hsts_everywhere(tmp_path: Path) -> None:
    with fast_hashing():
        server = make_server(tmp_path)
        try:
            add_account(server, "alice", "borrower", "Alice")
            anonymous = client_for(server)
            for path in ("/login", "/static/app.css", "/api/status", "/loans"):  # 200, 200, 401, 303
                _hardened(anonymous.get(path, follow_redirects=False), hsts=True)
            alice = sign_in(server, "alice")
            for path in ("/account", "/api/session", "/api/docs", "/start"):
                _hardened(alice.client.get(path, follow_redirects=False), hsts=True)
            _hardened(alice.client.post("/account/access", data={}), hsts=True)  # 403: no CSRF token
        finally:
            server.close()


TEMPLATES = package_dir("templates")
INLINE = [
    (re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I), "inline <script>"),
    (re.compile(r"\son[a-z]+\s*=", re.I), "event-handler attribute"),
    (re.compile(r"javascript:", re.I), "javascript: URL"),
    (re.compile(r"\sstyle\s*=", re.I), "style attribute"),
    (re.compile(r"<style\b", re.I), "<style> element"),
    (re.compile(r"\bhx-on\b|hx-on:", re.I), "hx-on (evaluated script)"),
    (re.compile(r"https?://", re.I), "a URL of another host"),
]


def test_no_template_holds_inline_script_or_style() -> None:
    files = sorted(TEMPLATES.rglob("*.html"))
    assert len(files) > 20
    found = [f"{f.relative_to(TEMPLATES)}: {what}" for f in files for rx, what in INLINE if rx.search(f.read_text())]
    assert found == []


def test_the_checks_catch_what_they_look_for() -> None:
    bad = ['<script>alert(1)</script>', '<a onclick="x()">', '<a href="javascript:x()">', '<p style="x">',
           '<style>p{}</style>', '<div hx-on:click="x">', '<script src="https://cdn.example/x.js"></script>']
    for sample in bad:
        assert any(rx.search(sample) for rx, _ in INLINE), sample
    assert not any(rx.search('<script src="/static/htmx.min.js" defer></script>') for rx, _ in INLINE)


def test_api_docs_come_from_the_package(demo: TestClient) -> None:
    page = demo.get("/api/docs").text
    sources = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert sources and all(s.startswith("/static/") for s in sources), sources
    assert "cdn" not in page.lower() and not re.search(r"<script(?![^>]*\bsrc=)", page)
    for src in sources:
        assert demo.get(src).status_code == 200, src
    assert demo.get("/api/openapi.json").status_code == 200
    assert demo.get("/api/redoc").status_code == 404


def test_vendored_swagger_ui_is_the_recorded_version() -> None:
    static = package_dir("static")
    vendored = (static / "VENDORED.md").read_text()
    recorded = dict(re.findall(r"\| `(swagger/[^`]+)` \| `([0-9a-f]{64})` \|", vendored))
    assert set(recorded) == {"swagger/swagger-ui-bundle.js", "swagger/swagger-ui.css"}
    for name, digest in recorded.items():
        assert hashlib.sha256((static / name).read_bytes()).hexdigest() == digest, name
    assert "swagger-ui-dist@5.35.0" in vendored and (static / "swagger" / "LICENSE").is_file()
    bundle = (static / "swagger" / "swagger-ui-bundle.js").read_text()
    assert 'version:"5.35.0"' in bundle or "5.35.0" in bundle
