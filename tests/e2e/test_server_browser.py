"""Server mode end to end in a real browser: ``xieshang admin create-user`` and ``xieshang serve
--server`` as real processes on a free loopback port, driven by Playwright through Debian's
Chromium at 360 px. A borrower signs in (the Secure, SameSite=Strict cookie works on loopback),
loads the demo through a form that carries the injected CSRF field, grants access and reads
the audit log; a counsellor is granted access, opens the case, and loses
it when the borrower takes it back. Screenshots go to ``$XIESHANG_ARTIFACTS`` like the other tests.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.e2e.support import new_page as _page
from tests.e2e.support import no_horizontal_scroll as _no_horizontal_scroll
from tests.e2e.support import running_server
from tests.e2e.test_letters_records import _png
from tests.server_helpers import sqlite_env

PASSWORD = "correct horse battery"


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    env = sqlite_env(XIESHANG_DATA_DIR=str(tmp_path / "data"), XIESHANG_LANG="zh_CN")
    for user, role in (("alice", "borrower"), ("carol", "counsellor")):
        subprocess.run([sys.executable, "-m", "xieshang", "admin", "create-user", "--username", user, "--role", role,
                        "--name", user.title(), "--password-stdin"], input=PASSWORD + "\n", env=env, check=True,
                       capture_output=True, text=True)
    with running_server(tmp_path, env, args=("--server",), ready="/login") as url:
        yield url


def _sign_in(page: Any, server: str, user: str) -> None:
    page.goto(server + "/")
    assert "/login" in page.url
    page.get_by_label("用户名").fill(user)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_load_state()


def test_a_borrower_and_a_counsellor_on_a_phone(server: str, browser: Any, shots: Path, tmp_path: Path) -> None:
    alice = _page(browser, 360)
    alice.goto(server + "/login")
    _no_horizontal_scroll(alice)
    alice.screenshot(path=str(shots / "server-login-360.png"), full_page=True)
    _sign_in(alice, server, "alice")
    assert alice.url.endswith("/start")
    cookie = next(c for c in alice.context.cookies() if c["name"] == "__Host-xieshang_session")
    assert cookie["httpOnly"] and cookie["secure"] and cookie["sameSite"] == "Strict"
    assert alice.locator('form[action="/start/demo"] input[name="csrf_token"]').count() == 1
    alice.get_by_role("button", name="载入演示").click()
    alice.wait_for_url(server + "/")
    assert alice.locator("article.debt").count() == 4
    _no_horizontal_scroll(alice)

    # a multipart form with an upload: the injected CSRF field goes first, the file streams after it
    alice.goto(server + "/records")
    alice.locator("#f-when").fill("2026-01-05T23:30")
    alice.locator("#f-tz").fill("+08:00")
    alice.locator("#f-direction").select_option("incoming")
    alice.locator("#f-channel").select_option("call")
    alice.locator("#f-counterparty").fill("某催收公司")
    alice.locator("#f-summary").fill("催收电话。")
    alice.locator("#f-attach").set_input_files(str(_png(tmp_path / "shot.png")))
    alice.locator("#entry-form button[type=submit]").first.click()
    alice.wait_for_url("**/records?added=*")
    href = alice.locator(".attachments a").first.get_attribute("href")
    assert href and alice.request.get(server + href).body() == (tmp_path / "shot.png").read_bytes()

    # grant Carol
    alice.goto(server + "/account/access")
    alice.get_by_label("咨询员的用户名").fill("carol")
    alice.get_by_role("button", name="授权", exact=True).click()
    alice.wait_for_url(server + "/account/access")
    assert "Carol" in alice.locator("main").inner_text()
    _no_horizontal_scroll(alice)
    alice.screenshot(path=str(shots / "server-access-360.png"), full_page=True)

    carol = _page(browser, 360)
    _sign_in(carol, server, "carol")
    assert carol.url.endswith("/cases")
    carol.get_by_role("button", name="打开 Alice 的案件").click()
    carol.wait_for_url(server + "/")
    assert carol.locator("article.debt").count() == 4

    # Alice takes access back; Carol's next page is not found
    alice.goto(server + "/account/access")
    alice.get_by_role("button", name="收回 Carol 的权限").click()
    alice.wait_for_url(server + "/account/access")
    response = carol.goto(server + "/loans")
    assert response is not None and response.status == 404
    assert carol.request.get(server + href).status == 404

    alice.goto(server + "/account/audit")
    text = alice.locator("main").inner_text()
    assert "carol" in text and "收回授权" in text and "查看" in text
    _no_horizontal_scroll(alice)
    alice.screenshot(path=str(shots / "server-audit-360.png"), full_page=True)

    # sign out: back to the sign-in page, the case is closed
    alice.get_by_role("button", name="退出登录").click()
    alice.wait_for_url("**/login")
    alice.goto(server + "/loans")
    assert "/login" in alice.url
