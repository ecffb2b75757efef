"""Rules data: every shipped file validates and is sourced; malformed files fail clearly."""

from __future__ import annotations

import tomllib
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from importlib import resources
from pathlib import Path

import pytest

from xieshang import rules
from xieshang.errors import UserError
from xieshang.rules import loader
from xieshang.rules.schema import LegalFile, Profile, ProfileValue, Sourced, walk_sourced

EXPECTED_IDS = {"wangshangdai", "jiebei", "huabei", "weilidai", "credit-card", "bank-consumer-loan",
                "consumer-finance", "custom"}
DATA = resources.files("xieshang") / "rules" / "data"


@pytest.fixture(autouse=True)
def _no_user_overrides(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """Point the override dir at an empty folder so the user's own config never leaks in."""
    monkeypatch.setenv(loader.ENV_RULES_DIR, str(tmp_path / "no-overrides"))
    yield
    loader.reload()


def _shipped(kind: str) -> list[tuple[str, str]]:
    return list(loader._shipped_files(kind))


def test_all_profiles_ship() -> None:
    assert set(rules.load_profiles()) == EXPECTED_IDS
    assert {name for name, _ in _shipped("profiles")} == {f"profiles/{i}.toml" for i in EXPECTED_IDS}


@pytest.mark.parametrize("label,text", _shipped("profiles") + _shipped("legal"))
def test_every_shipped_file_validates_without_floats(label: str, text: str) -> None:
    data = tomllib.loads(text, parse_float=Decimal)
    model = Profile if label.startswith("profiles/") else LegalFile
    parsed = model.model_validate(data)
    sourced = walk_sourced(parsed)
    assert sourced, f"{label} has no sourced facts"
    for fact in sourced:
        assert fact.source.strip(), label
        assert isinstance(fact.as_of, date)
        assert date(1990, 1, 1) <= fact.as_of <= date(2026, 12, 31), (label, fact.as_of)
        assert fact.confidence in ("V", "S", "U")


def test_every_profile_term_is_sourced() -> None:
    for profile in rules.load_profiles().values():
        sections = [profile.loan, profile.overdue, profile.card]
        for section in sections:
            if section is None:
                continue
            for name in type(section).model_fields:
                value = getattr(section, name)
                if value is None:  # an optional field left out (penalty_rate)
                    continue
                assert isinstance(value, ProfileValue), (profile.id, name)
                assert value.source and value.confidence


def test_only_custom_leaves_values_unknown() -> None:
    for profile in rules.load_profiles().values():
        unknown = [f for f in walk_sourced(profile) if isinstance(f, ProfileValue) and f.value is None]
        if profile.id == "custom":
            assert len(unknown) >= 10
            assert all(f.confidence == "U" for f in unknown)
        else:
            assert unknown == [], profile.id


def test_estimates_carry_their_mark() -> None:
    """Product terms with no source must not pretend to be verified."""
    for profile in rules.load_profiles().values():
        for fact in walk_sourced(profile):
            if fact.source.startswith("no source found"):
                assert fact.confidence == "U", (profile.id, fact.source)


def test_wangshangdai_says_business_loan() -> None:
    p = rules.get_profile("wangshangdai")
    assert "经营贷" in p.summary_zh and "business loan" in p.summary_en


def test_credit_card_terms_match_research() -> None:
    card = rules.get_profile("credit-card").card
    assert card is not None
    assert card.grace_days.value == 3 and card.grace_days.confidence == "S"
    assert card.tolerance.value == Decimal(10)
    fee = card.late_fee.value
    assert fee is not None and fee.percent == Decimal("0.05") and fee.minimum == Decimal(10)
    assert card.interest_on_fees.value is False
    assert card.interest_mode.value is not None and card.interest_mode.value.value == "full-statement"
    instalment = [o for o in rules.get_profile("credit-card").negotiation if o.kind == "instalment"]
    assert instalment[0].max_months == 60 and "第七十条" in instalment[0].source


def test_get_profile_unknown_lists_choices() -> None:
    with pytest.raises(UserError) as info:
        rules.get_profile("nope")
    assert info.value.key == "error.profile.unknown"
    assert "weilidai" in info.value.params["choices"] and "custom" in info.value.params["choices"]
    assert "nope" in info.value.message("en")


def test_get_profile_is_case_insensitive() -> None:
    assert rules.get_profile(" WeiLiDai ").id == "weilidai"


def test_import_is_light() -> None:
    import subprocess
    import sys

    code = "import sys, xieshang.rules; print('pydantic' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# -- malformed files ---------------------------------------------------------------------------

GOOD_OVERRIDE = """
id = "weilidai"
[overdue.grace_days]
value = 3
source = "我的借款合同 第5条"
as_of = 2025-03-01
confidence = "V"
"""


def _write(root: Path, rel: str, text: str) -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def _load_with(monkeypatch: pytest.MonkeyPatch, root: Path) -> None:
    monkeypatch.setenv(loader.ENV_RULES_DIR, str(root))
    rules.load_profiles()


@pytest.mark.parametrize(
    "text,needle",
    [
        ('id = "weilidai"\n[overdue.grace_days\nvalue = 3', "TOML"),
        (GOOD_OVERRIDE + 'colour = "red"\n', "colour"),
        (GOOD_OVERRIDE.replace("[overdue.grace_days]", "[overdue.grace_dayz]"), "grace_dayz"),
        (GOOD_OVERRIDE.replace('source = "我的借款合同 第5条"\n', ""), "source"),
        (GOOD_OVERRIDE.replace('confidence = "V"', 'confidence = "maybe"'), "confidence"),
        (GOOD_OVERRIDE.replace("value = 3", 'value = "three"'), "grace_days"),
        (GOOD_OVERRIDE.replace("[overdue.grace_days]\nvalue = 3",
                               '[overdue.penalty_multiplier]\nvalue = "1.5.0"'), "penalty_multiplier"),
        (GOOD_OVERRIDE.replace("[overdue.grace_days]\nvalue = 3",
                               '[overdue.penalty_multiplier]\nvalue = "1,5"'), "decimal"),
        (GOOD_OVERRIDE.replace("[overdue.grace_days]\nvalue = 3",
                               "[overdue.penalty_multiplier]\nvalue = nan"), "finite"),
    ],
    ids=["bad-toml", "unknown-key", "unknown-field", "missing-source", "bad-confidence", "bad-int",
         "bad-decimal", "comma-decimal", "nan"],
)
def test_malformed_profile_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, text: str, needle: str) -> None:
    path = _write(tmp_path, "profiles/mine.toml", text)
    with pytest.raises(UserError) as info:
        _load_with(monkeypatch, tmp_path)
    assert info.value.key == "error.profile.data_file"
    assert str(path) in info.value.params["file"]
    assert needle in info.value.params["detail"]
    assert str(path) in info.value.message("en")


def test_float_never_reaches_a_decimal() -> None:
    from xieshang.rules.schema import RateSpec

    with pytest.raises(ValueError, match="binary floats"):
        RateSpec.model_validate({"period": "daily", "value": 0.0005})


def test_malformed_legal_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    path = _write(tmp_path, "legal/extra.toml", '[[line]]\nid = "x"\nname_zh = "x"\n')
    with pytest.raises(UserError) as info:
        _load_with(monkeypatch, tmp_path)
    assert info.value.params["file"] == str(path)
    assert "source" in info.value.params["detail"]


def test_legal_line_needs_one_rate(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    entry = """[[line]]
id = "both"
name_zh = "x"
name_en = "x"
annual_rate = "0.2"
lpr_multiple = "4"
applies_to = ["private"]
meaning_zh = "x"
meaning_en = "x"
source = "x"
as_of = 2025-01-01
confidence = "U"
"""
    _write(tmp_path, "legal/extra.toml", entry)
    with pytest.raises(UserError) as info:
        _load_with(monkeypatch, tmp_path)
    assert "exactly one" in info.value.params["detail"]


def test_sourced_base_is_shared() -> None:
    """Legal entries, timeline steps and negotiation options all carry a citation."""
    legal = loader._rules().legal
    facts = walk_sourced(legal)
    assert len(facts) > 40
    assert all(isinstance(f, Sourced) and f.citation for f in facts)
