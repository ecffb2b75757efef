"""Legal references: interest lines and who they apply to, LPR, credit, collection, timelines."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from xieshang import rules
from xieshang.errors import UserError
from xieshang.rules import loader


@pytest.fixture(autouse=True)
def _no_user_overrides(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    monkeypatch.setenv(loader.ENV_RULES_DIR, str(tmp_path / "no-overrides"))
    yield
    loader.reload()


def _ids(lender_type: str | None) -> set[str]:
    return {line.id for line in rules.legal_lines(lender_type, on=date(2026, 1, 21))}


def test_four_times_lpr_is_not_for_licensed_lenders() -> None:
    for licensed in ("bank", "internet-bank", "consumer-finance", "credit-card", "microloan"):
        ids = _ids(licensed)
        assert "private-4lpr" not in ids, licensed
        assert "financial-24" in ids, licensed
    assert "private-4lpr" in _ids("private")
    assert "financial-24" not in _ids("private")


def test_all_lines_without_filter() -> None:
    lines = rules.legal_lines(on=date(2026, 1, 21))
    assert {"financial-24", "bank-partner-24", "cash-loan-36", "private-4lpr"} <= {line.id for line in lines}
    for line in lines:
        assert isinstance(line.rate, Decimal)
        assert line.citation and line.meaning("en") and line.name("zh_CN")
        assert line.confidence in ("V", "S", "U")


def test_four_times_lpr_uses_the_contract_date() -> None:
    def cap(on: date) -> Decimal:
        return next(line.rate for line in rules.legal_lines("private", on=on) if line.id == "private-4lpr")

    assert cap(date(2026, 1, 21)) == Decimal("0.120")
    assert cap(date(2024, 11, 1)) == Decimal("0.124")
    assert cap(date(2020, 8, 20)) == Decimal("0.1540")
    assert cap(date(2018, 1, 1)) == Decimal("0.1540")  # before the 2020 rules: their first day's LPR


def test_known_lines_have_their_rates() -> None:
    by_id = {line.id: line for line in rules.legal_lines(on=date(2026, 1, 21))}
    assert by_id["financial-24"].rate == Decimal("0.24")
    assert by_id["cash-loan-36"].rate == Decimal("0.36")
    assert by_id["private-4lpr"].confidence == "V"


def test_unknown_lender_type() -> None:
    with pytest.raises(UserError, match=r"rules\.error\.lender_type"):
        rules.legal_lines("pawnshop")


def test_lpr_values_and_dates() -> None:
    assert rules.current_lpr(date(2024, 10, 21)).value == Decimal("0.031")
    assert rules.current_lpr(date(2025, 5, 19)).value == Decimal("0.031")
    may = rules.current_lpr(date(2025, 5, 20))
    assert may.value == Decimal("0.030") and may.as_of == date(2025, 5, 20) and may.confidence == "S"
    jan = rules.current_lpr(date(2026, 1, 20))
    assert jan.value == Decimal("0.030") and jan.as_of == date(2026, 1, 20)
    assert "chinamoney" in jan.note
    later = rules.current_lpr(date(2026, 11, 23))
    assert later.value == Decimal("0.030") and "2026-01-20" in later.note
    with pytest.raises(UserError, match=r"rules\.error\.lpr_unknown"):
        rules.current_lpr(date(2019, 1, 1))


def test_lpr_history_is_ordered() -> None:
    history = rules.lpr_history()
    assert [p.as_of for p in history] == sorted(p.as_of for p in history)
    assert all(p.confidence == "U" for p in history if p.as_of < date(2024, 10, 21))


def test_credit_reporting_rules() -> None:
    by_id = {r.id: r for r in rules.credit_reporting_rules()}
    assert by_id["advance-notice"].confidence == "V" and "第15条" in by_id["advance-notice"].source
    assert by_id["retention"].value == 5 and by_id["retention"].unit == "years"
    assert by_id["free-reports"].value == 2
    assert by_id["dispute"].value == 20 and "第25条" in by_id["dispute"].source
    assert by_id["history-60-months"].value == 60
    codes = {item.code for item in by_id["status-codes"].items}
    assert {"N", "1", "7", "C", "B", "M"} <= codes


def test_collection_rules() -> None:
    by_id = {r.id: r for r in rules.collection_rules()}
    assert by_id["quiet-hours"].value == "22:00-08:00"
    assert by_id["connected-calls"].value == 3 and "2024" in by_id["connected-calls"].source
    assert by_id["unanswered-attempts"].value == 6 and "2026" in by_id["unanswered-attempts"].source
    assert "third-parties" in by_id
    assert len(by_id["prohibited-conduct"].items) >= 8


def test_limitation_rules() -> None:
    by_id = {r.id: r for r in rules.limitation_rules()}
    assert by_id["period"].value == 3 and "第188条" in by_id["period"].source
    assert "第195条" in by_id["acknowledgement-restarts"].source


def test_consequences_bank_loan() -> None:
    steps = rules.consequences("bank", "loan")
    keys = [s.key for s in steps]
    assert [s.dpd for s in steps] == sorted(s.dpd for s in steps)
    for key in ("penalty-starts", "credit-notice", "credit-report-entry", "outsourced-collection",
                "non-performing", "judgment-enforcement"):
        assert key in keys
    assert "malicious-overdraft" not in keys
    assert next(s for s in steps if s.key == "non-performing").dpd == 91


def test_consequences_credit_card() -> None:
    steps = {s.key: s for s in rules.consequences("credit-card", "card")}
    assert steps["grace-end"].dpd == 4
    assert "五万" not in steps["malicious-overdraft"].text_zh  # figures, not words
    assert "5万元" in steps["malicious-overdraft"].text_zh
    assert steps["malicious-overdraft"].confidence == "V"


def test_consequences_private_lending_has_no_credit_report() -> None:
    keys = {s.key for s in rules.consequences("private", "loan")}
    assert "credit-report-entry" not in keys and "private-overdue" in keys and "judgment-enforcement" in keys


def test_consequences_huabei_like() -> None:
    keys = {s.key for s in rules.consequences("consumer-finance", "card")}
    assert "card-like-interest" in keys and "malicious-overdraft" not in keys


def test_consequences_bad_input() -> None:
    with pytest.raises(UserError, match=r"rules\.error\.product"):
        rules.consequences("bank", "mortgage")


def test_lines_follow_the_contract_date() -> None:
    """Superseded lines drop out for later contracts; fixed lines do not reach earlier ones."""
    from datetime import date

    from xieshang.rules import legal_lines

    old = {line.id for line in legal_lines("private", on=date(2018, 1, 1))}
    new = {line.id for line in legal_lines("private", on=date(2025, 1, 1))}
    assert "private-2015-24" in old and "private-2015-24" not in new
    assert "private-4lpr" in new
    before_notice = {line.id for line in legal_lines("bank", on=date(2025, 6, 1))}
    after_notice = {line.id for line in legal_lines("bank", on=date(2025, 11, 1))}
    assert "bank-partner-24" not in before_notice and "bank-partner-24" in after_notice
