"""The documents and contact-log journeys in a real browser: download the letter PDF, log a
contact with a screenshot (a PNG uploaded through the file input), export the evidence bundle.

Each runs at 360 px and 1280 px against the real ``xieshang serve`` on a free loopback port with
the demo case (Debian's Chromium through Playwright, as in ``test_browser.py``). On every page:
no horizontal scrolling, every form control named. Downloads are checked by content (``%PDF``;
the bundle verified by the records service on its own). Screenshots go to
``$XIESHANG_ARTIFACTS/screenshots`` (default: a temporary folder, printed).
"""

from __future__ import annotations

import os
import struct
import urllib.request
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.e2e.support import new_page, no_horizontal_scroll, running_server, unlabelled

from xieshang.i18n import t

WIDTHS = (360, 1280)

@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    """The real ``xieshang serve`` on a temporary store holding the demo case."""
    env = {**os.environ, "XIESHANG_DB": str(tmp_path / "store.sqlite"), "XIESHANG_LANG": "zh_CN",
           "XIESHANG_ATTACHMENTS": str(tmp_path / "attachments")}
    with running_server(tmp_path, env) as url:
        req = urllib.request.Request(url + "/start/demo", method="POST", data=b"")
        with urllib.request.urlopen(req, timeout=30):
            pass
        yield url


def _page(browser: Any, width: int) -> Any:
    return new_page(browser, width, timeout_ms=30000, downloads=True)


def _check_layout(page: Any) -> None:
    no_horizontal_scroll(page)
    assert unlabelled(page) == [], page.url


def _png(path: Path) -> Path:
    """A small real PNG (a 24×12 two-colour image), like a phone screenshot but tiny."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    w, h = 24, 12
    rows = b"".join(b"\x00" + (b"\xc0\x20\x20" * (w // 2) + b"\x20\x60\xc0" * (w // 2)) for _ in range(h))
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
                     + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))
    return path


@pytest.mark.parametrize("width", WIDTHS)
def test_download_the_letter_pdf(server: str, browser: Any, shots: Path, tmp_path: Path, width: int) -> None:
    page = _page(browser, width)
    page.goto(server + "/letters")
    assert page.locator("h1").inner_text() == t("webdocs.letters.title", lang="zh_CN")
    _check_layout(page)
    with page.expect_response(lambda r: "/letters?" in r.url and "kind=waiver" in r.url):
        page.locator("#f-kind").select_option("waiver")  # htmx swaps in the waiver's fields
    page.wait_for_load_state("networkidle")
    page.locator("#f-loan").select_option("1")
    page.locator("#f-monthly").fill("1500")
    page.locator("#f-months").fill("12")
    page.locator("#f-waive-penalty").check()
    page.get_by_role("button", name=t("webdocs.letters.preview", lang="zh_CN"), exact=True).click()
    preview = page.locator("#preview")
    preview.wait_for()
    assert t("letter.kind.waiver", lang="zh_CN") in preview.locator("h2").first.inner_text()
    assert page.locator(".doc-preview table").count() > 0
    assert "kind=waiver" in page.url and "monthly=1500" in page.url  # the preview's address can be bookmarked
    assert page.locator("#f-monthly").input_value() == "1500"  # what was typed stays
    assert "1,500.00" in preview.inner_text()
    _check_layout(page)
    page.screenshot(path=str(shots / f"letters-preview-{width}.png"), full_page=True)
    with page.expect_download() as info:
        page.get_by_role("button", name="PDF", exact=False).first.click()
    download = info.value
    assert download.suggested_filename.startswith("waiver-1-zh_CN-") and download.suggested_filename.endswith(".pdf")
    saved = tmp_path / download.suggested_filename
    download.save_as(str(saved))
    assert saved.read_bytes().startswith(b"%PDF")
    page.goto(server + "/letters")
    assert page.locator("#made-h").is_visible()  # the download is listed as made
    page.context.close()


@pytest.mark.parametrize("width", WIDTHS)
def test_log_a_contact_with_a_screenshot(server: str, browser: Any, shots: Path, tmp_path: Path,
                                         width: int) -> None:
    page = _page(browser, width)
    page.goto(server + "/records")
    _check_layout(page)
    before = page.locator("ol.contacts > li").count()
    page.locator("#f-when").fill("2026-01-05T23:30")
    page.locator("#f-tz").fill("+08:00")
    page.locator("#f-direction").select_option("incoming")
    page.locator("#f-channel").select_option("call")
    page.locator("#f-counterparty").fill("某催收公司")
    page.locator("#f-counterparty_kind").select_option("agency")
    page.locator("#f-contacted").select_option("relative")
    page.locator("#f-contacted_name").fill("父亲")
    page.locator("#f-disclosed").check()
    page.locator("#f-summary").fill("晚上十一点半打给我父亲，说我欠钱不还。")
    page.locator("#f-loan").select_option("1")
    page.locator("#f-attach").set_input_files(str(_png(tmp_path / "screenshot.png")))
    page.screenshot(path=str(shots / f"records-form-{width}.png"), full_page=True)
    page.get_by_role("button", name=t("webdocs.records.save", lang="zh_CN")).click()
    page.wait_for_url("**/records?added=*")
    assert page.locator("ol.contacts > li").count() == before + 1
    added = page.url.split("added=")[1].split("#")[0].split("&")[0]
    entry = page.locator(f"#entry-{added}")  # the page jumps to it
    assert "screenshot.png" in entry.inner_text()
    assert t("webdocs.records.flag_badge", lang="zh_CN") in entry.inner_text()  # said in words
    assert t("webdocs.records.cites", lang="zh_CN") in entry.inner_text()
    href = entry.locator(".attachments a").first.get_attribute("href")
    with urllib.request.urlopen(server + href, timeout=10) as r:
        assert r.read() == (tmp_path / "screenshot.png").read_bytes()
    _check_layout(page)
    page.screenshot(path=str(shots / f"records-timeline-{width}.png"), full_page=True)
    page.context.close()


@pytest.mark.parametrize("width", WIDTHS)
def test_export_the_evidence_bundle(server: str, browser: Any, shots: Path, tmp_path: Path, width: int) -> None:
    from xieshang.services.records import verify_bundle

    page = _page(browser, width)
    page.goto(server + "/records")
    page.get_by_role("link", name=t("webdocs.records.verify", lang="zh_CN")).click()  # htmx: status in place
    status = page.locator("#verify-status .verify")
    status.wait_for()
    assert t("webdocs.records.intact_badge", lang="zh_CN") in status.inner_text()
    assert page.url.endswith("/records")
    with page.expect_download() as info:
        page.get_by_role("link", name=t("webdocs.records.export", lang="zh_CN")).click()
    download = info.value
    assert download.suggested_filename.startswith("xieshang-evidence-")
    assert download.suggested_filename.endswith(".zip")
    saved = tmp_path / download.suggested_filename
    download.save_as(str(saved))
    report = verify_bundle(saved)
    assert report.intact, report.problems
    assert report.entries == 5  # the demo's log
    _check_layout(page)
    page.screenshot(path=str(shots / f"records-verified-{width}.png"), full_page=True)
    page.context.close()
