"""The Content-Security-Policy in a real browser: every page of the app (local mode, demo case),
the API docs (Swagger UI from the package) and the sign-in page of server mode load in Chromium
with the policy the server sends, and the browser reports no violation (``securitypolicyviolation``
events, recorded by a script injected before the page's own, and console messages) and makes no
request to any other host than the server's own 127.0.0.1 port.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.e2e.support import new_page, running_server
from tests.server_helpers import sqlite_env

RECORD_VIOLATIONS = """
window.__csp = [];
document.addEventListener('securitypolicyviolation', e => {
  window.__csp.push(`${e.violatedDirective} blocked ${e.blockedURI} at ${e.sourceFile}:${e.lineNumber}`);
});
"""

PAGES = ("/", "/guide", "/guide/situation", "/guide/overdue", "/loans", "/loans/1", "/loans/1/edit", "/loans/new",
         "/finances", "/plan", "/letters", "/records", "/agreements", "/credit", "/prevention", "/settings")


@pytest.fixture
def demo_server(tmp_path: Path) -> Iterator[str]:
    env = {**os.environ, "XIESHANG_DB": str(tmp_path / "store.sqlite"), "XIESHANG_LANG": "zh_CN"}
    with running_server(tmp_path, env, args=("--demo-if-empty",), ready="/") as url:
        yield url


class Watch:
    """What a page did that the policy forbids: violations, CSP console messages, foreign requests."""

    def __init__(self, page: Any, origin: str) -> None:
        self.page = page
        self.console: list[str] = []
        self.foreign: list[str] = []
        page.add_init_script(RECORD_VIOLATIONS)
        page.on("console", lambda m: self.console.append(m.text) if "Content Security Policy" in m.text else None)
        page.on("request", lambda r: None if r.url.startswith((origin + "/", "data:")) else self.foreign.append(r.url))

    def check(self, where: str) -> None:
        violations = self.page.evaluate("window.__csp || []")
        assert violations == [], f"{where}: CSP violations {violations}"
        assert self.console == [], f"{where}: CSP console messages {self.console}"
        assert self.foreign == [], f"{where}: requests leaving the server {self.foreign}"


def test_every_page_and_the_api_docs_load_under_the_policy(demo_server: str, browser: Any) -> None:
    page = new_page(browser, 1280)
    watch = Watch(page, demo_server)
    for path in PAGES:
        response = page.goto(demo_server + path)
        assert response is not None and response.status == 200, path
        csp = response.headers.get("content-security-policy", "")
        assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp, path
        page.wait_for_load_state("networkidle")
        watch.check(path)

    # htmx at work under the policy: a what-if on the plan page swaps in a new result
    page.goto(demo_server + "/plan")
    before = page.locator("#plan-result").inner_html()
    page.locator("#whatif input[type=text]").first.fill("9000")
    page.wait_for_function("b => document.querySelector('#plan-result').innerHTML !== b", arg=before, timeout=60000)
    watch.check("/plan what-if")

    page.goto(demo_server + "/api/docs")
    page.locator(".swagger-ui .opblock").first.wait_for(timeout=30000)
    assert page.locator(".swagger-ui .opblock").count() > 20
    page.wait_for_load_state("networkidle")
    watch.check("/api/docs")
    page.locator(".swagger-ui .opblock-summary").first.click()  # expanding an operation renders more UI
    page.locator(".swagger-ui .opblock-body").first.wait_for()
    watch.check("/api/docs expanded")
    page.context.close()


def test_the_sign_in_page_of_server_mode(tmp_path: Path, browser: Any) -> None:
    env = sqlite_env(XIESHANG_DATA_DIR=str(tmp_path / "data"), XIESHANG_LANG="zh_CN")
    with running_server(tmp_path, env, args=("--server",), ready="/login") as url:
        page = new_page(browser, 360)
        watch = Watch(page, url)
        response = page.goto(url + "/login")
        assert response is not None and response.headers.get("strict-transport-security", "").startswith("max-age=")
        page.wait_for_load_state("networkidle")
        watch.check("/login")
        page.context.close()
