"""``xieshang letter …`` end to end through the real program: make, script, checklist, list,
the record of documents made, languages, and refusals (exit 2, no traceback, nothing changed)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from tests.child_env import child_env

from xieshang import clock
from xieshang.money import fmt_display
from xieshang.services.case import get_loan, loan_status
from xieshang.store.db import open_store

TODAY = clock.today().isoformat()


def run(db: Path, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = child_env(("XIESHANG_", "LC_", "LANG"))
    env["XIESHANG_DB"] = str(db)
    return subprocess.run([sys.executable, "-m", "xieshang", *args], env=env, capture_output=True, text=True,
                          cwd=cwd, stdin=subprocess.DEVNULL, timeout=180)


@pytest.fixture()
def db(tmp_path: Path) -> Path:
    path = tmp_path / "s.sqlite"
    assert run(path, "demo").returncode == 0
    return path


@pytest.fixture(scope="module")
def shared_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A demo case for the refusals: they must leave it unchanged, so they can share it."""
    path = tmp_path_factory.mktemp("refusals") / "s.sqlite"
    assert run(path, "demo").returncode == 0
    return path


def made(db: Path) -> list[dict[str, object]]:
    res = run(db, "letter", "list", "--json")
    assert res.returncode == 0, res.stderr
    data = json.loads(res.stdout)
    assert len(data["kinds"]) == 9
    return list(data["made"])


def test_make_markdown_to_stdout_and_record(db: Path) -> None:
    res = run(db, "letter", "make", "negotiation", "--loan", "1", "--monthly", "1,500", "--months", "12",
              "--start", TODAY, "--hardship", "illness", "--hardship-text", "住院两周", "--hardship-since", TODAY,
              "--as-of", TODAY)
    assert res.returncode == 0, res.stderr
    st = open_store(str(db))
    payoff = loan_status(get_loan(st, 1), clock.today()).payoff
    st.close()
    assert "# 协商还款申请书" in res.stdout and fmt_display(payoff) in res.stdout and "1,500.00元" in res.stdout
    assert "身份证号" in res.stderr  # missing information listed before the document
    rows = made(db)
    assert len(rows) == 1
    row = rows[0]
    assert row["kind"] == "negotiation" and row["loan_id"] == 1 and row["format"] == "md" and row["path"] is None
    assert row["hardship"] == {"reason": "illness", "text": "住院两周", "since": TODAY, "until": None}
    details = row["details"]
    assert isinstance(details, dict) and details["proposal"]["monthly_amount"] == "1500.00"
    assert details["payoff"] == str(payoff)


def test_make_pdf_and_docx_files(db: Path, tmp_path: Path) -> None:
    pdf = tmp_path / "letter.pdf"
    res = run(db, "letter", "make", "waiver", "--loan", "2", "-f", "pdf", "-o", str(pdf), "--lang", "en")
    assert res.returncode == 0, res.stderr
    assert pdf.read_bytes().startswith(b"%PDF-")
    res = run(db, "letter", "make", "card-installment", "--loan", "2", "--format", "docx", "--monthly", "500",
              "--months", "36", "--json", cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout)
    assert out["kind"] == "card-installment" and Path(str(out["path"])).parent == tmp_path
    assert Path(str(out["path"])).read_bytes()[:2] == b"PK"
    assert [r["kind"] for r in made(db)] == ["waiver", "card-installment"]


def test_traditional_chinese(db: Path) -> None:
    res = run(db, "letter", "make", "hardship", "--loan", "4", "--hardship", "job-loss", "--lang", "zh_TW")
    assert res.returncode == 0, res.stderr
    assert "特殊情況說明" in res.stdout and "特殊情况说明" not in res.stdout
    assert made(db)[0]["lang"] == "zh_TW"


def test_script_and_checklist(db: Path) -> None:
    res = run(db, "letter", "script", "1", "--monthly", "900", "--months", "20", "--lang", "en")
    assert res.returncode == 0, res.stderr
    assert "Opening" in res.stdout and "CNY 900.00" in res.stdout and "What not to say or promise" in res.stdout
    res = run(db, "letter", "checklist", "job-loss")
    assert res.returncode == 0, res.stderr
    assert "解除或终止劳动合同证明" in res.stdout and "付钱给别人替你协商之前" in res.stdout
    assert [r["kind"] for r in made(db)] == ["call-script", "checklist"]


def test_checklist_without_a_store(tmp_path: Path) -> None:
    res = run(tmp_path / "none.sqlite", "letter", "checklist", "illness", "--lang", "en")
    assert res.returncode == 0, res.stderr
    assert "Diagnosis certificate" in res.stdout
    assert not (tmp_path / "none.sqlite").exists()


@pytest.mark.parametrize(("args", "needle"), [
    (("letter", "make", "card-installment", "--loan", "1"), "只适用于信用卡"),
    (("letter", "make", "negotiation"), "--loan"),
    (("letter", "make", "nonsense", "--loan", "1"), "未知的文书类型"),
    (("letter", "make", "negotiation", "--loan", "1", "--monthly", "100"), "--months"),
    (("letter", "make", "hardship", "--loan", "1"), "--hardship"),
    (("letter", "make", "negotiation", "--loan", "9"), "9"),
    (("letter", "make", "negotiation", "--loan", "1", "-f", "pdf", "-o", "-"), "-o"),
    (("letter", "make", "negotiation", "--loan", "1", "--lang", "fr"), "fr"),
    (("letter", "checklist", "boredom"), "boredom"),
])
def test_refusals_change_nothing(shared_db: Path, tmp_path: Path, args: tuple[str, ...], needle: str) -> None:
    db = shared_db
    res = run(db, *args, cwd=tmp_path)
    assert res.returncode == 2, (res.stdout, res.stderr)
    assert needle in res.stderr and "Traceback" not in res.stderr and res.stdout == ""
    assert made(db) == []
    assert not [p for p in tmp_path.iterdir() if p.suffix in (".pdf", ".docx", ".md")]
