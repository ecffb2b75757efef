"""End-to-end tests of the calculators through the real executable (subprocess)."""

from __future__ import annotations

import json
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from tests.child_env import child_env


def run(*args: str, lang: str | None = None, tmp: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = child_env(("LANG", "LC_", "XIESHANG_"))
    if lang:
        env["XIESHANG_LANG"] = lang
    if tmp is not None:
        env["XIESHANG_DB"] = str(tmp / "store.sqlite")
    return subprocess.run([sys.executable, "-m", "xieshang", *args], capture_output=True, text=True,
                          env=env, timeout=60)


SCHEDULE = ["calc", "schedule", "--principal", "10000", "--annual-rate", "12%", "--months", "12",
            "--method", "equal-installment", "--start", "2025-01-15"]


def test_schedule_json_contract() -> None:
    res = run(*SCHEDULE, "--json")
    assert res.returncode == 0, res.stderr
    data = json.loads(res.stdout)
    first = data["periods"][0]
    assert first == {"n": 1, "due_date": "2025-02-15", "payment": "888.49", "principal": "788.49",
                     "interest": "100.00", "fee": "0.00", "balance": "9211.51"}
    assert len(data["periods"]) == 12
    assert data["periods"][-1]["balance"] == "0.00"
    assert data["total_interest"] == "661.86"
    assert data["total_payment"] == "10661.86"
    assert sum(Decimal(p["principal"]) for p in data["periods"]) == Decimal("10000.00")


@pytest.mark.parametrize("method", ["equal-principal", "interest-first", "revolving"])
def test_schedule_methods_sum_to_principal(method: str) -> None:
    args = [a if a != "equal-installment" else method for a in SCHEDULE]
    res = run(*args, "--json")
    assert res.returncode == 0, res.stderr
    data = json.loads(res.stdout)
    assert sum(Decimal(p["principal"]) for p in data["periods"]) == Decimal("10000.00")


def test_schedule_table_in_both_languages() -> None:
    zh = run(*SCHEDULE)
    en = run(*SCHEDULE, "--lang", "en")
    assert zh.returncode == 0 and en.returncode == 0
    assert "还款计划表" in zh.stdout and "888.49" in zh.stdout
    assert "Repayment schedule" in en.stdout and "888.49" in en.stdout
    assert "APR" in en.stdout


def test_schedule_chinese_method_and_money_forms() -> None:
    res = run("calc", "schedule", "--principal", "1万", "--rate", "月息1%", "--months", "12",
              "--method", "等额本息", "--start", "2025-01-15", "--json")
    assert res.returncode == 0, res.stderr
    assert json.loads(res.stdout)["periods"][0]["payment"] == "888.49"


@pytest.mark.parametrize(
    ("args", "zh_fragment", "en_fragment"),
    [
        (["--principal", "0"], "必须大于 0", "must be greater than 0"),
        (["--principal", "-100"], "不能为负数", "cannot be negative"),
        (["--months", "0"], "期数", "term must be"),
        (["--annual-rate", "1500%"], "1000%", "1000%"),
        (["--start", "2025-13-01"], "日期", "date"),
        (["--method", "balloon"], "还款方式", "repayment method"),
        (["--principal", "12.345"], "两位小数", "two decimals"),
    ],
)
def test_schedule_bad_input_exit_2_without_traceback(args: list[str], zh_fragment: str, en_fragment: str) -> None:
    base = dict(zip(SCHEDULE[2::2], SCHEDULE[3::2], strict=True))
    for k, v in zip(args[::2], args[1::2], strict=True):
        base[k] = v
    argv = ["calc", "schedule", *[x for kv in base.items() for x in kv]]
    zh = run(*argv)
    en = run(*argv, "--lang", "en")
    for res, frag in ((zh, zh_fragment), (en, en_fragment)):
        assert res.returncode == 2, (res.stdout, res.stderr)
        assert "Traceback" not in res.stderr
        assert frag in res.stderr


def test_high_rate_warns_but_computes() -> None:
    res = run("calc", "schedule", "--principal", "1000", "--annual-rate", "48%", "--months", "6",
              "--start", "2025-01-01", "--json")
    assert res.returncode == 0
    json.loads(res.stdout)
    assert "36%" in res.stderr


def test_absurd_rate_accepted_with_force() -> None:
    res = run("calc", "schedule", "--principal", "1000", "--daily-rate", "5%", "--months", "6",
              "--start", "2025-01-01", "--force", "--json")
    assert res.returncode == 0, res.stderr


OVERDUE = ["calc", "overdue", "--profile", "wangshangdai", "--principal", "20000", "--annual-rate", "14.6%",
           "--months", "12", "--method", "equal-installment", "--start", "2025-06-10", "--as-of", "2025-11-20",
           "--paid", "2025-07-10:1795.79", "--paid", "2025-08-10:1795.79", "--paid", "2025-09-10:800"]


def test_overdue_json_is_consistent() -> None:
    res = run(*OVERDUE, "--json")
    assert res.returncode == 0, res.stderr
    data = json.loads(res.stdout)
    owed = data["owed"]
    parts = ["overdue_principal", "not_due_principal", "overdue_interest", "accrued_interest",
             "penalty_interest", "compound_interest", "fees"]
    assert sum(Decimal(owed[k]) for k in parts) == Decimal(owed["total"]) == Decimal(data["payoff"])
    assert data["dpd"] == (20 + 31 + 20)  # oldest unpaid instalment due 2025-09-10
    assert data["stage"] == "M3"
    assert Decimal(owed["penalty_interest"]) > 0
    totals = [Decimal(p["total"]) for p in data["projection"]]
    assert totals == sorted(totals) and totals[0] > Decimal(data["payoff"])
    assert {c["line"] for c in data["line_checks"]}, "legal lines must apply to a bank loan"
    assert Decimal(data["cost"]["contract_apr"]) == pytest.approx(Decimal("0.146"), abs=Decimal("0.001"))


def test_overdue_table_english() -> None:
    res = run(*OVERDUE, "--lang", "en")
    assert res.returncode == 0, res.stderr
    assert "days past due" in res.stdout and "Payoff amount" in res.stdout


def test_overdue_payment_larger_than_payoff_refused() -> None:
    res = run("calc", "overdue", "--profile", "wangshangdai", "--principal", "1000", "--annual-rate", "12%",
              "--months", "3", "--start", "2025-01-01", "--as-of", "2025-02-01", "--paid", "2025-01-20:5000")
    assert res.returncode == 2
    assert "结清金额" in res.stderr and "Traceback" not in res.stderr


@pytest.mark.parametrize(
    "extra",
    [
        ["--profile", "no-such-lender"],
        ["--as-of", "2024-01-01"],
        ["--paid", "2024-01-01:100"],
        ["--paid", "garbage"],
        ["--paid", "2025-01-20:-5"],
    ],
)
def test_overdue_bad_input(extra: list[str]) -> None:
    base = ["calc", "overdue", "--profile", "wangshangdai", "--principal", "1000", "--annual-rate", "12%",
            "--months", "3", "--start", "2025-01-01", "--as-of", "2025-03-01"]
    res = run(*base, *extra)
    assert res.returncode == 2, res.stdout
    assert "Traceback" not in res.stderr and res.stderr.strip()
