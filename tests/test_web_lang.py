"""Every page of the web app, in each language: ``<html lang>`` says the page's language and
the language switch is there, pointing back to the same page in the other language.

The pages are found by following the links from the dashboard, the start page and the guide
on the demo case (every link that is not ``/api``, ``/static`` or the switch itself), so pages
added later are checked without touching this file; the 404 page is checked too.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient

from xieshang.i18n import LANGUAGES

HTML_LANG = {"zh_CN": "zh-CN", "en": "en"}
SKIP_PREFIXES = ("/api", "/static", "/lang/")


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    from xieshang.services.demo import load_demo
    from xieshang.store.db import open_store
    from xieshang.web.app import create_app

    store = open_store(str(tmp_path_factory.mktemp("lang") / "store.sqlite"), create=True)
    load_demo(store)
    with TestClient(create_app(store), raise_server_exceptions=False) as c:
        yield c
    store.close()


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        href = dict(attrs).get("href")
        if tag == "a" and href:
            self.hrefs.append(href)


def _crawl(client: TestClient, lang: str, limit: int = 300) -> dict[str, Any]:
    """Every page reachable by links from the dashboard and the start page: path → response."""
    seen: dict[str, Any] = {}
    todo = ["/", "/start", "/guide", "/no/such/page"]
    while todo and len(seen) < limit:
        path = todo.pop(0)
        if path in seen:
            continue
        r = seen[path] = client.get(path, params={"lang": lang})
        if not r.headers.get("content-type", "").startswith("text/html"):
            continue  # downloads (PDF, JSON, calendar …)
        parser = _Links()
        parser.feed(r.text)
        for href in parser.hrefs:
            url = urlsplit(href)
            if url.scheme or url.netloc or not url.path.startswith("/") or url.path.startswith(SKIP_PREFIXES):
                continue
            todo.append(url.path + (f"?{url.query}" if url.query else ""))
    return seen


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_page_says_its_language_and_offers_the_switch(client: TestClient, lang: str) -> None:
    pages = _crawl(client, lang)
    assert {"/", "/loans", "/loans/1", "/settings", "/guide"} <= set(pages)
    problems, checked = [], 0
    for path, r in pages.items():
        if not r.headers.get("content-type", "").startswith("text/html"):
            continue
        checked += 1
        html = r.text
        m = re.search(r"<html\b[^>]*\blang=\"([^\"]+)\"", html)
        if not m or m.group(1) != HTML_LANG[lang]:
            problems.append(f"{path} ({r.status_code}): <html lang> is {m and m.group(1)!r}")
        nav = re.search(r'<nav class="lang"[^>]*>(.*?)</nav>', html, re.S)
        if not nav:
            problems.append(f"{path} ({r.status_code}): no language switch")
            continue
        for other in LANGUAGES:
            if other != lang and f'href="/lang/{other}?next=' not in nav.group(1):
                problems.append(f"{path}: the switch has no link to {other}")
        if r.status_code >= 500:
            problems.append(f"{path}: status {r.status_code}")
    assert not problems, "\n".join(problems)
    assert checked >= 10, sorted(pages)


def test_the_switch_returns_to_the_same_page(client: TestClient) -> None:
    r = client.get("/lang/en", params={"next": "/loans/1"}, follow_redirects=False)
    assert r.status_code in (302, 303, 307) and r.headers["location"] == "/loans/1"
    client.cookies.set("xieshang_lang", "en")
    try:
        assert '<html lang="en">' in client.get("/loans/1").text
    finally:
        client.cookies.clear()


def test_no_page_template_skips_the_base(tmp_path: Path) -> None:
    """A page template that does not extend base.html would have neither lang nor the switch."""
    from xieshang.web.context import package_dir

    folder = package_dir("templates")
    pages = [p for p in folder.glob("*.html") if p.name != "base.html"]
    assert pages
    lonely = [p.name for p in pages if '{% extends "base.html" %}' not in p.read_text(encoding="utf-8")]
    assert not lonely, f"templates not extending base.html: {lonely}"
