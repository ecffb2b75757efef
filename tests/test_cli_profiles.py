"""`xieshang profiles`: the table and the JSON, run as a user would."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

EXPECTED_IDS = ["wangshangdai", "jiebei", "huabei", "weilidai", "credit-card", "bank-consumer-loan",
                "consumer-finance", "custom"]


def _run(*args: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("XIESHANG_LANG", "LANG", "LC_ALL", "LC_MESSAGES")}
    env["XIESHANG_RULES_DIR"] = str(tmp_path / "no-overrides")
    env["COLUMNS"] = "200"
    return subprocess.run([sys.executable, "-m", "xieshang", *args], capture_output=True, text=True,
                          encoding="utf-8", env=env, timeout=60)


def test_profiles_json(tmp_path: Path) -> None:
    result = _run("profiles", "--json", tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert [p["id"] for p in data["profiles"]] == EXPECTED_IDS
    weilidai = next(p for p in data["profiles"] if p["id"] == "weilidai")
    penalty = weilidai["overdue"]["penalty_multiplier"]
    assert penalty["value"] == "1.5"  # decimals as strings, never floats
    assert penalty["source"] and penalty["as_of"] == "2026-11-23" and penalty["confidence"] == "U"
    assert weilidai["loan"]["default_rate"]["value"] == {"period": "daily", "value": "0.0005"}
    custom = next(p for p in data["profiles"] if p["id"] == "custom")
    assert custom["loan"]["default_rate"]["value"] is None
    assert set(data["confidence_levels"]) == {"V", "S", "U"}
    assert "legal advice" in data["disclaimer"]["en"]


def test_profiles_table_chinese_by_default(tmp_path: Path) -> None:
    result = _run("profiles", tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "微粒贷（微众银行）" in result.stdout
    assert "不是法律意见" in result.stdout
    for pid in EXPECTED_IDS:
        assert pid in result.stdout


def test_profiles_table_english(tmp_path: Path) -> None:
    result = _run("--lang", "en", "profiles", tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Weilidai (WeBank)" in result.stdout
    assert "Bank credit card (generic)" in result.stdout
    assert "微粒贷" not in result.stdout
    assert "not legal advice" in result.stdout


def test_profiles_bad_data_file_is_a_clean_error(tmp_path: Path) -> None:
    rules_dir = tmp_path / "no-overrides" / "profiles"
    rules_dir.mkdir(parents=True)
    (rules_dir / "broken.toml").write_text('id = "jiebei"\n[overdue\n', encoding="utf-8")
    result = _run("--lang", "en", "profiles", tmp_path=tmp_path)
    assert result.returncode == 2
    assert "broken.toml" in result.stderr
    assert "Traceback" not in result.stderr
