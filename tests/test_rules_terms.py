"""Profile defaults + contract figures → LoanTerms / CardTerms; the user override directory."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from importlib import resources
from pathlib import Path

import pytest

from xieshang import rules
from xieshang.engine.terms import (
    CardInterestMode,
    Component,
    InterestBasis,
    LateFeeFrequency,
    LateFeeKind,
    LateFeeRule,
    PenaltyStart,
    RepaymentMethod,
)
from xieshang.errors import UserError
from xieshang.money import Rounding
from xieshang.rates import AnnualRate, DailyRate, DayCount
from xieshang.rules import loader

START = date(2025, 1, 5)


@pytest.fixture(autouse=True)
def _no_user_overrides(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    monkeypatch.setenv(loader.ENV_RULES_DIR, str(tmp_path / "no-overrides"))
    yield
    loader.reload()


def test_weilidai_defaults() -> None:
    terms = rules.get_profile("weilidai").loan_terms(principal="10000", term_months=10, start=START)
    assert terms.rate == DailyRate(Decimal("0.0005"))
    assert terms.overdue.penalty_multiplier == Decimal("1.5")
    assert terms.method is RepaymentMethod.EQUAL_PRINCIPAL
    assert terms.interest_basis is InterestBasis.ACTUAL_DAYS
    assert terms.day_count is DayCount.D365
    assert terms.overdue.compound is False
    assert terms.overdue.late_fee == LateFeeRule()
    assert terms.principal == Decimal("10000.00")


def test_weilidai_daily_rate_with_overrides() -> None:
    terms = rules.get_profile("weilidai").loan_terms(
        principal=Decimal(20000), term_months=20, start=START, rate="0.05%/日",
        method="equal-installment", amount_received="19800",
        overrides={"grace_days": "3", "penalty_start": "grace-end", "tolerance": "1",
                   "late_fee": {"kind": "percent", "percent": "0.05", "minimum": "10"},
                   "allocation": "principal,interest,penalty,compound,fee",
                   "rounding": {"places": 2, "mode": "half-even"}, "first_due": "2025-02-10"},
    )
    assert terms.rate == DailyRate(Decimal("0.0005"))
    assert terms.rate.scaled(terms.overdue.penalty_multiplier) == DailyRate(Decimal("0.00075"))
    assert terms.method is RepaymentMethod.EQUAL_INSTALLMENT
    assert terms.received == Decimal("19800.00")
    assert terms.overdue.grace_days == 3
    assert terms.overdue.penalty_start is PenaltyStart.GRACE_END
    assert terms.overdue.tolerance == Decimal("1.00")
    assert terms.overdue.late_fee == LateFeeRule(kind=LateFeeKind.PERCENT, percent=Decimal("0.05"),
                                                 minimum=Decimal(10))
    assert terms.overdue.allocation[0] is Component.PRINCIPAL
    assert terms.rounding == Rounding(2, "half-even")
    assert terms.first_due == date(2025, 2, 10)


def test_user_values_win_over_explicit_arguments() -> None:
    terms = rules.get_profile("bank-consumer-loan").loan_terms(
        principal="5000", term_months=12, start=START, rate="12%", overrides={"rate": "9%"})
    assert terms.rate == AnnualRate(Decimal("0.09"))


def test_explicit_penalty_rate() -> None:
    terms = rules.get_profile("jiebei").loan_terms(
        principal="5000", term_months=12, start=START, overrides={"penalty_rate": "0.06%/日"})
    assert terms.overdue.penalty_rate == DailyRate(Decimal("0.0006"))


def test_partial_late_fee_override_keeps_the_rest() -> None:
    terms = rules.get_profile("wangshangdai").loan_terms(
        principal="5000", term_months=12, start=START,
        overrides={"late_fee": {"kind": "flat", "amount": "30", "frequency": "per-period"}})
    assert terms.overdue.late_fee.amount == Decimal(30)
    assert terms.overdue.late_fee.frequency is LateFeeFrequency.PER_PERIOD


@pytest.mark.parametrize(
    "overrides,key",
    [
        ({"grace": 3}, "rules.error.override_unknown"),
        ({"grace_days": "three"}, "rules.error.override_value"),
        ({"grace_days": -1}, "rules.error.override_value"),
        ({"penalty_multiplier": 1.5}, "rules.error.override_value"),
        ({"penalty_multiplier": "1.5x"}, "rules.error.override_value"),
        ({"penalty_start": "tomorrow"}, "rules.error.override_choice"),
        ({"compound": "sometimes"}, "rules.error.override_value"),
        ({"allocation": "fee,principal"}, "rules.error.override_value"),
        ({"late_fee": {"colour": "red"}}, "rules.error.override_value"),
        ({"rounding": {"places": 2, "mode": "sideways"}}, "rules.error.override_value"),
        ({"day_count": "364"}, "error.rate.day_count"),
        ({"rate": "lots"}, "error.rate.unparseable"),
        ({"first_due": "soon"}, "error.date.unparseable"),
    ],
)
def test_bad_overrides_are_user_errors(overrides: dict[str, object], key: str) -> None:
    with pytest.raises(UserError) as info:
        rules.get_profile("weilidai").loan_terms(principal="1000", term_months=6, start=START,
                                                 overrides=overrides)
    assert info.value.key == key
    if key == "rules.error.override_unknown":
        assert "grace_days" in info.value.params["choices"]


def test_contract_figures_are_checked() -> None:
    p = rules.get_profile("weilidai")
    with pytest.raises(UserError, match=r"error\.term\.months"):
        p.loan_terms(principal="1000", term_months=0, start=START)
    with pytest.raises(UserError, match=r"error\.term\.received_above_principal"):
        p.loan_terms(principal="1000", term_months=6, start=START, amount_received="1200")
    with pytest.raises(UserError, match=r"error\.money\.not_positive"):
        p.loan_terms(principal="0", term_months=6, start=START)


def test_custom_assumes_nothing() -> None:
    custom = rules.get_profile("custom")
    with pytest.raises(UserError) as info:
        custom.loan_terms(principal="1000", term_months=6, start=START, rate="18%")
    assert info.value.key == "rules.error.missing_values"
    missing = info.value.params["fields"]
    for name in ("method", "day_count", "interest_basis", "penalty_multiplier", "grace_days", "compound",
                 "late_fee"):
        assert name in missing
    assert "rate" not in missing.split(", ")
    terms = custom.loan_terms(
        principal="1000", term_months=6, start=START, rate="18%", method="equal-principal",
        overrides={"day_count": "365", "interest_basis": "monthly", "penalty_rate": "27%",
                   "grace_days": 0, "compound": False, "late_fee": "none"})
    assert terms.overdue.penalty_rate == AnnualRate(Decimal("0.27"))
    assert terms.overdue.compound is False


def test_card_terms_credit_card() -> None:
    terms = rules.get_profile("credit-card").card_terms(
        statement_balance="8000", statement_date=date(2025, 3, 1), due_date=date(2025, 3, 20))
    assert terms.daily_rate == DailyRate(Decimal("0.0005"))
    assert terms.grace_days == 3 and terms.tolerance == Decimal(10)
    assert terms.late_fee.fee_for(Decimal(100)) == Decimal(10)
    assert terms.late_fee.fee_for(Decimal(1000)) == Decimal(50)
    assert terms.interest_mode is CardInterestMode.FULL_STATEMENT
    assert terms.interest_from == date(2025, 3, 1)


def test_card_terms_huabei_overrides() -> None:
    terms = rules.get_profile("huabei").card_terms(
        statement_balance="3000", statement_date=date(2025, 3, 1), due_date=date(2025, 3, 10),
        overrides={"daily_rate": "万五", "grace_days": 2, "interest_from": "2025-03-11"})
    assert terms.interest_mode is CardInterestMode.UNPAID_ONLY
    assert terms.daily_rate == DailyRate(Decimal("0.0005"))
    assert terms.interest_from == date(2025, 3, 11)
    assert terms.grace_days == 2
    default = rules.get_profile("huabei").card_terms(
        statement_balance="3000", statement_date=date(2025, 3, 1), due_date=date(2025, 3, 10))
    assert default.interest_from == date(2025, 3, 10)


def test_wrong_product_and_dates() -> None:
    with pytest.raises(UserError, match=r"rules\.error\.not_loan"):
        rules.get_profile("huabei").loan_terms(principal="1", term_months=1, start=START)
    with pytest.raises(UserError, match=r"rules\.error\.not_card"):
        rules.get_profile("weilidai").card_terms(statement_balance="1", statement_date=START, due_date=START)
    with pytest.raises(UserError, match=r"rules\.error\.due_before_statement"):
        rules.get_profile("credit-card").card_terms(statement_balance="100", statement_date=date(2025, 3, 2),
                                                    due_date=date(2025, 3, 1))


# -- the user override directory ---------------------------------------------------------------


def _write(root: Path, rel: str, text: str) -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def test_override_dir_changes_a_profile_field(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    _write(tmp_path, "profiles/my-weilidai.toml", """
id = "weilidai"
[overdue.grace_days]
value = 3
source = "我的借款合同 第5条"
as_of = 2025-03-01
confidence = "V"
""")
    monkeypatch.setenv(loader.ENV_RULES_DIR, str(tmp_path))
    p = rules.get_profile("weilidai")
    assert p.overdue is not None
    assert p.overdue.grace_days.value == 3
    assert p.overdue.grace_days.source == "我的借款合同 第5条"
    assert p.overdue.penalty_multiplier.value == Decimal("1.5")  # untouched fields stay
    terms = p.loan_terms(principal="1000", term_months=5, start=START)
    assert terms.overdue.grace_days == 3


def test_override_dir_adds_a_profile(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    text = (Path(str(resources.files("xieshang"))) / "rules/data/profiles/consumer-finance.toml").read_text(
        encoding="utf-8")
    _write(tmp_path, "profiles/zhaolian.toml", text.replace('id = "consumer-finance"', 'id = "zhaolian"'))
    monkeypatch.setenv(loader.ENV_RULES_DIR, str(tmp_path))
    profiles = rules.load_profiles()
    assert list(profiles)[-1] == "zhaolian"
    assert "custom" in profiles


def test_override_dir_changes_legal_values(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    _write(tmp_path, "legal/lpr-2026.toml", """
[[lpr]]
effective = 2026-02-20
one_year = "0.029"
five_year = "0.034"
source = "chinamoney.com.cn 2026-02-20"
as_of = 2026-02-20
confidence = "V"
""")
    monkeypatch.setenv(loader.ENV_RULES_DIR, str(tmp_path))
    assert rules.current_lpr(date(2026, 3, 1)).value == Decimal("0.029")
    line = next(line for line in rules.legal_lines("private", on=date(2026, 3, 1)) if line.id == "private-4lpr")
    assert line.rate == Decimal("0.116")
    monkeypatch.setenv(loader.ENV_RULES_DIR, str(tmp_path / "elsewhere"))
    assert rules.current_lpr(date(2026, 3, 1)).value == Decimal("0.030")


def test_sourced_override_must_cite(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    _write(tmp_path, "profiles/x.toml", 'id = "jiebei"\n[overdue.grace_days]\nvalue = 7\n')
    monkeypatch.setenv(loader.ENV_RULES_DIR, str(tmp_path))
    with pytest.raises(UserError) as info:
        rules.load_profiles()
    assert "source" in info.value.params["detail"] and "x.toml" in info.value.params["file"]
