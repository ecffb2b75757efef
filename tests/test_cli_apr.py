"""``xieshang calc apr`` end to end: the real CLI in a subprocess, plus its small helpers."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from decimal import Decimal

import pytest

from xieshang.cli.calc_apr import comparison_line, rate_json, reference_lines


def run(*args: str, lang: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in {"XIESHANG_LANG", "LC_ALL", "LC_MESSAGES", "LANG"}}
    env["LANG"] = "C.UTF-8"  # no language hint: the default (zh_CN) applies
    env["COLUMNS"] = "120"
    if lang:
        env["XIESHANG_LANG"] = lang
    return subprocess.run(
        [sys.executable, "-m", "xieshang", "calc", "apr", *args],
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=env,
        timeout=60,
    )


INSTALMENTS = ("--received", "9000", "--payment", "916.67", "--months", "12")
FLOWS = (
    "--flow", "2008-01-01:-10000", "--flow", "2008-03-01:2750", "--flow", "2008-10-30:4250",
    "--flow", "2009-02-15:3250", "--flow", "2009-04-01:2750",
)


def flat(text: str) -> str:
    """Output with line wrapping undone (Rich wraps long lines to the terminal width)."""
    return " ".join(text.split())


def sig_digits(text: str) -> int:
    return len(text.replace("-", "").replace(".", "").lstrip("0"))


def test_json_instalments() -> None:
    proc = run(*INSTALMENTS, "--json")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert {"periodic_rate", "apr", "effective_annual_rate"} <= set(data)
    assert data["method"] == "irr"
    assert data["periods_per_year"] == 12
    for key in ("periodic_rate", "apr", "effective_annual_rate"):
        assert isinstance(data[key], str)
        assert sig_digits(data[key]) >= 6
    assert abs(Decimal(data["apr"]) - Decimal("0.387717")) < Decimal("1e-6")
    assert abs(Decimal(data["apr"]) - 12 * Decimal(data["periodic_rate"])) < Decimal("1e-11")
    assert proc.stderr == ""


def test_json_dated_flows_xirr() -> None:
    proc = run(*FLOWS, "--json")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["method"] == "xirr"
    assert abs(Decimal(data["effective_annual_rate"]) - Decimal("0.373362534")) < Decimal("1e-8")


def test_json_monthly_flows_match_instalments() -> None:
    flows = ["--flow", "2025-01-31:-9000"] + [
        arg
        for k, day in enumerate(["02-28", "03-31", "04-30", "05-31", "06-30", "07-31", "08-31", "09-30",
                                 "10-31", "11-30", "12-31"], start=1)
        for arg in ("--flow", f"2025-{day}:916.67")
    ] + ["--flow", "2026-01-31:916.67"]
    by_flows = json.loads(run(*flows, "--json").stdout)
    by_terms = json.loads(run(*INSTALMENTS, "--json").stdout)
    assert by_flows == by_terms


def test_table_default_chinese() -> None:
    proc = run(*INSTALMENTS)
    assert proc.returncode == 0, proc.stderr
    out = "".join(proc.stdout.split())
    assert "年化利率" in out
    assert "38.77%" in out
    assert "46.46%" in out
    assert "超过36%" in out
    assert "放贷机构的类型" in out


def test_table_english() -> None:
    proc = run("--received", "10000", "--payment", "888.49", "--months", "12", lang="en")
    assert proc.returncode == 0, proc.stderr
    out = flat(proc.stdout)
    assert "APR" in out
    assert "12.00%" in out
    assert "not above 24%" in out
    assert "type of lender" in out


def test_lang_option_on_the_command() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "xieshang", "--lang", "en", "calc", "apr", *INSTALMENTS],
        capture_output=True, text=True, encoding="utf-8", timeout=60,
        env={**os.environ, "COLUMNS": "120"},
    )
    assert proc.returncode == 0, proc.stderr
    assert "above 36%" in flat(proc.stdout)


BAD_INPUTS: list[tuple[tuple[str, ...], str, str]] = [
    (("--flow", "2025-01-01-10000"), "无法识别的现金流", "Could not read the cash flow"),
    (("--flow", "2025-13-01:-10000", "--flow", "2025-02-01:100"), "无法识别的现金流", "Could not read the cash flow"),
    (("--flow", "2025-01-01:-10000", "--flow", "2025-02-01:abc"), "无法识别的金额", "Could not read the amount"),
    (("--flow", "2025-01-01:-10000", "--flow", "2025-02-01:-100"), "既有流入也有流出", "both money in and money out"),
    (("--flow", "2025-01-01:-10000"), "既有流入也有流出", "both money in and money out"),
    (("--received", "9000", "--payment", "916.67", "--months", "0"), "期数", "whole number of months"),
    (("--received", "9000", "--payment", "916.67", "--months", "twelve"), "期数", "whole number of months"),
    (("--received", "9000", "--payment", "-916.67", "--months", "12"), "不能为负数", "cannot be negative"),
    (("--received", "9000", "--payment", "0", "--months", "12"), "必须大于 0", "must be greater than 0"),
    (("--received", "9000", "--payment", "916.666", "--months", "12"), "两位小数", "two decimals"),
    ((*INSTALMENTS, "--flow", "2025-01-01:-10000"), "只选一种方式", "Choose one way only"),
    ((), "请给出要计算的借款", "Say which loan to compute"),
    (("--received", "9000", "--months", "12"), "--payment", "--payment"),
]


@pytest.mark.parametrize(("args", "zh", "en"), BAD_INPUTS)
def test_bad_input_exit_2_with_message(args: tuple[str, ...], zh: str, en: str) -> None:
    for lang, expected in ((None, zh), ("en", en)):
        proc = run(*args, lang=lang)
        assert proc.returncode == 2, (args, proc.stdout, proc.stderr)
        assert expected in proc.stderr
        assert "Traceback" not in proc.stderr
        assert proc.stdout == ""
        assert proc.stderr.startswith("错误" if lang is None else "Error")


def test_rate_json_significant_digits() -> None:
    assert rate_json(Decimal("0.12")) == "0.120000000000"
    assert rate_json(Decimal("0.0323097225978688945907")) == "0.0323097225979"
    assert rate_json(Decimal("-0.0955")) == "-0.0955000000000"
    assert rate_json(Decimal(0)) == "0.000000000000"
    assert rate_json(Decimal("12.5")) == "12.5000000000"
    assert "E" not in rate_json(Decimal("1e-9"))


def test_reference_lines_and_comparison(monkeypatch: pytest.MonkeyPatch) -> None:
    from xieshang.i18n import set_language

    monkeypatch.setenv("XIESHANG_LANG", "zh_CN")
    set_language(None)
    assert (Decimal("0.24"), Decimal("0.36")) == reference_lines()  # read from the rules data
    assert "不超过 24%" in comparison_line(Decimal("0.24"))
    assert "24.0001%" in comparison_line(Decimal("0.240001"))  # not "24.00% is above 24%"
    assert "高于 24%" in comparison_line(Decimal("0.36"))
    assert "超过 36%" in comparison_line(Decimal("0.3601"))
