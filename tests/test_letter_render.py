"""Every kind × language × format renders for the demo case (loaded by the real ``xieshang
demo``); the PDF text has the loan's payoff and the proposal's monthly figure; the DOCX opens
with python-docx and converts with LibreOffice headless; nothing leaks a placeholder.

PDFs are rendered once per kind × language in a module-scoped fixture.
"""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import sys
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from tests.child_env import child_env
from tests.test_documents import CARD_ONLY, assert_no_placeholder

from xieshang import clock
from xieshang.documents import KINDS, LANGS
from xieshang.documents.build import build
from xieshang.documents.facts import HardshipInfo
from xieshang.documents.render import render
from xieshang.money import fmt_display
from xieshang.services.case import get_loan, loan_status
from xieshang.services.letters import LetterRequest, ProposalFlags, prepare
from xieshang.store.db import Store, open_store

MONTHLY = Decimal("1388.88")
HARDSHIP = HardshipInfo("job-loss", "公司2025年9月裁员，之后没有稳定收入", date(2025, 9, 1))
FLAGS = ProposalFlags(down_payment=Decimal("600.00"), monthly=MONTHLY, months=12, waive=("penalty", "compound"))


def _loan_for(kind: str) -> int:
    return 2 if kind == "card-installment" else 1


def _env(db: Path) -> dict[str, str]:
    env = child_env(("XIESHANG_", "LC_", "LANG"))
    env["XIESHANG_DB"] = str(db)
    return env


def _pdftotext(data: bytes, tmp: Path) -> str:
    path = tmp / "in.pdf"
    path.write_bytes(data)
    out = subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True, check=True)
    return out.stdout.decode("utf-8")


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


@pytest.fixture(scope="module")
def case(tmp_path_factory: pytest.TempPathFactory) -> tuple[Store, date]:
    db = tmp_path_factory.mktemp("render") / "s.sqlite"
    subprocess.run([sys.executable, "-m", "xieshang", "demo"], env=_env(db), check=True, capture_output=True)
    return open_store(str(db)), clock.today()


def _document(case: tuple[Store, date], kind: str, lang: str):  # type: ignore[no-untyped-def]
    st, as_of = case
    inp, _ = prepare(st, LetterRequest(kind=kind, loan_id=_loan_for(kind), lang=lang, as_of=as_of, flags=FLAGS,
                                       hardship=HARDSHIP))
    return build(inp)[0]


class PdfCache(dict[tuple[str, str], bytes]):
    """Each kind × language rendered at most once per test process, when first needed (so the
    xdist workers share the matrix instead of each rendering all of it)."""

    def __init__(self, case: tuple[Store, date]) -> None:
        super().__init__()
        self.case = case

    def __missing__(self, key: tuple[str, str]) -> bytes:
        data = render(_document(self.case, *key), "pdf")
        self[key] = data
        return data


@pytest.fixture(scope="module")
def pdfs(case: tuple[Store, date]) -> PdfCache:
    return PdfCache(case)


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("kind", KINDS)
def test_text_formats(case: tuple[Store, date], kind: str, lang: str) -> None:
    doc = _document(case, kind, lang)
    md = render(doc, "md").decode("utf-8")
    html = render(doc, "html").decode("utf-8")
    assert md.startswith("## ") and doc.title in md
    assert html.startswith("<!DOCTYPE html>") and f"<title>{doc.title}</title>" in html
    assert_no_placeholder(md)
    visible = re.sub(r"<style>.*?</style>", "", html, flags=re.S)
    visible = re.sub(r"<[^>]+>", "\n", visible)
    assert_no_placeholder(visible)
    if _loan_for(kind) != 2:
        for needle in CARD_ONLY:
            assert needle not in md


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("kind", KINDS)
def test_pdf(case: tuple[Store, date], pdfs: PdfCache, kind: str, lang: str,
             tmp_path: Path) -> None:
    st, as_of = case
    data = pdfs[(kind, lang)]
    assert data.startswith(b"%PDF-")
    text = _pdftotext(data, tmp_path)
    assert_no_placeholder(text.replace("\x0c", "\n"))
    flat = _squash(text)
    payoff = loan_status(get_loan(st, _loan_for(kind)), as_of).payoff
    if kind not in ("confirmation", "credit-dispute", "settlement-proof", "complaint"):
        assert fmt_display(payoff) in flat, (kind, lang)
    if kind in ("negotiation", "card-installment", "call-script", "confirmation", "waiver"):
        assert fmt_display(MONTHLY) in flat, (kind, lang)
    # page numbers: "1 / N" on the first page
    assert re.search(r"1/\d", flat)


def test_pdf_embeds_a_cjk_font(pdfs: PdfCache, tmp_path: Path) -> None:
    path = tmp_path / "n.pdf"
    path.write_bytes(pdfs[("negotiation", "zh_CN")])
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, check=True, text=True).stdout
    cjk = [line for line in fonts.splitlines() if "CJK" in line]
    assert cjk and all(" yes " in line for line in cjk)
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, check=True, text=True).stdout
    assert re.search(r"Page size:\s+595\.\d+ x 841\.\d+ pts \(A4\)", info)


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("kind", KINDS)
def test_docx_opens(case: tuple[Store, date], kind: str, lang: str) -> None:
    import docx

    doc = _document(case, kind, lang)
    data = render(doc, "docx")
    opened = docx.Document(io.BytesIO(data))
    text = "\n".join(p.text for p in opened.paragraphs)
    cells = "\n".join(c.text for t in opened.tables for row in t.rows for c in row.cells)
    assert doc.title in text
    assert_no_placeholder(text)
    assert_no_placeholder(cells)
    if kind == "negotiation":
        st, as_of = case
        assert fmt_display(loan_status(get_loan(st, 1), as_of).payoff) in text + cells
        assert fmt_display(MONTHLY) in cells


def test_docx_converts_with_libreoffice(case: tuple[Store, date], tmp_path: Path) -> None:
    office = shutil.which("libreoffice") or shutil.which("soffice")
    if office is None:
        pytest.skip("LibreOffice is not installed (make deps-documents installs libreoffice-writer-nogui)")
    st, as_of = case
    files = []
    for lang in ("zh_CN", "en"):
        path = tmp_path / f"negotiation-{lang}.docx"
        path.write_bytes(render(_document(case, "negotiation", lang), "docx"))
        files.append(path)
    profile = (tmp_path / "lo-profile").as_uri()
    subprocess.run([office, f"-env:UserInstallation={profile}", "--headless", "--convert-to", "pdf",
                    "--outdir", str(tmp_path), *map(str, files)], check=True, capture_output=True, timeout=240)
    payoff = fmt_display(loan_status(get_loan(st, 1), as_of).payoff)
    for path in files:
        pdf = path.with_suffix(".pdf")
        assert pdf.exists(), pdf
        flat = _squash(_pdftotext(pdf.read_bytes(), tmp_path))
        assert payoff in flat and fmt_display(MONTHLY) in flat
    assert "协商还款申请书" in _squash(_pdftotext(files[0].with_suffix(".pdf").read_bytes(), tmp_path))
