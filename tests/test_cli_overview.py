"""status / project / timeline / reconcile end to end through the executable, on the demo case."""

from __future__ import annotations

import json
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from tests.child_env import child_env


def run(tmp: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = child_env(("LANG", "LC_", "XIESHANG_"))
    env["XIESHANG_DB"] = str(tmp / "store.sqlite")
    env["COLUMNS"] = "160"
    return subprocess.run([sys.executable, "-m", "xieshang", *args], capture_output=True, text=True, env=env,
                          timeout=120)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("overview")
    res = run(tmp, "demo")
    assert res.returncode == 0, res.stderr
    return tmp


def test_status_in_chinese_and_english(demo: Path) -> None:
    zh = run(demo, "status")
    assert zh.returncode == 0, zh.stderr
    assert "债务总览" in zh.stdout and "现在最要紧的一件事" in zh.stdout
    assert "网商贷" in zh.stdout and "合计" in zh.stdout
    en = run(demo, "status", "--lang", "en")
    assert en.returncode == 0, en.stderr
    assert "Overview on" in en.stdout and "The most urgent thing to do" in en.stdout
    assert "债务总览" not in en.stdout


def test_status_json_keys(demo: Path) -> None:
    res = run(demo, "status", "--json")
    assert res.returncode == 0, res.stderr
    data = json.loads(res.stdout)
    assert set(data) == {"as_of", "debts", "totals", "action"}
    assert set(data["totals"]) == {"payoff", "overdue_amount", "growth_per_day", "next_month_due", "debts",
                                   "overdue_debts"}
    assert set(data["action"]) == {"rule", "loan_id", "text", "also", "params"}
    assert len(data["debts"]) == 4
    for d in data["debts"]:
        assert {"id", "lender", "profile", "product", "lender_type", "payoff", "growth_per_day", "dpd", "stage",
                "overdue_since", "overdue_amount", "next_due_date", "next_due_amount", "closed", "owed", "flags",
                "lender_figure", "problem"} <= set(d)
        for f in d["flags"]:
            assert {"kind", "level", "date", "text", "params", "source", "confidence"} == set(f)
    assert Decimal(data["totals"]["payoff"]) == sum(Decimal(d["payoff"]) for d in data["debts"])
    dpds = sorted(d["dpd"] for d in data["debts"])
    assert dpds == [0, 10, 45, 100]
    wsd = data["debts"][0]
    assert wsd["lender_figure"]["differs"] is True
    assert "lender_differs" in {f["kind"] for f in wsd["flags"]}


def test_status_as_of(demo: Path) -> None:
    now = json.loads(run(demo, "status", "--json").stdout)
    later = json.loads(run(demo, "status", "--as-of", "2099-01-01", "--json").stdout)
    assert later["as_of"] == "2099-01-01"
    assert Decimal(later["totals"]["payoff"]) > Decimal(now["totals"]["payoff"])


def test_project(demo: Path) -> None:
    res = run(demo, "project", "--days", "30,365", "--json")
    assert res.returncode == 0, res.stderr
    data = json.loads(res.stdout)
    assert data["days"] == [30, 365]
    totals = [Decimal(t["total"]) for t in data["totals"]]
    assert Decimal(data["today_total"]) < totals[0] < totals[1]
    text = run(demo, "project", "--lang", "en")
    assert text.returncode == 0 and "If nothing more is paid" in text.stdout and "+365d" in text.stdout


def test_timeline(demo: Path) -> None:
    res = run(demo, "timeline", "2", "--json")
    assert res.returncode == 0, res.stderr
    data = json.loads(res.stdout)
    assert data["basis"] == "overdue" and data["dpd"] == 100
    keys = {s["key"] for s in data["steps"]}
    assert "malicious-overdraft" in keys
    for s in data["steps"]:
        assert {"dpd", "date", "passed", "text", "source", "confidence"} <= set(s)
        assert s["passed"] == (s["dpd"] <= 100)
    current = json.loads(run(demo, "timeline", "3", "--json").stdout)
    assert current["basis"] == "if_missed" and not any(s["passed"] for s in current["steps"])
    zh = run(demo, "timeline", "1")
    assert zh.returncode == 0 and "后果时间线" in zh.stdout and "不是法律意见" in zh.stdout


def test_reconcile(demo: Path) -> None:
    res = run(demo, "reconcile", "1", "--json")
    assert res.returncode == 0, res.stderr
    data = json.loads(res.stdout)
    assert data["recorded_figure"] is True
    assert Decimal(data["difference"]) == Decimal(data["theirs"]) - Decimal(data["ours"])
    assert data["ask"] and data["components"][-1]["component"] == "total"
    given = json.loads(run(demo, "reconcile", "1", "--lender-says", data["ours"], "--json").stdout)
    assert given["recorded_figure"] is False
    text = run(demo, "reconcile", "1", "--lang", "en")
    assert text.returncode == 0 and "What to ask the lender" in text.stdout and "itemised" in text.stdout


@pytest.mark.parametrize("args, needle", [
    (("timeline", "99"), "99"),
    (("reconcile", "99", "--lender-says", "100"), "99"),
    (("status", "--as-of", "2025-02-30"), "2025-02-30"),
    (("project", "--days", "30,abc"), "30,abc"),
    (("reconcile", "1", "--lender-says", "-100"), "-100"),
    (("reconcile", "1", "--lender-says", "abc"), "abc"),
    (("reconcile", "3"), "#3"),
    (("reconcile", "1", "--lender-says", "100", "--date", "2999-01-01"), "2999-01-01"),
    (("timeline", "x1"), "x1"),
])
def test_bad_input_exits_2_without_traceback(demo: Path, args: tuple[str, ...], needle: str) -> None:
    res = run(demo, *args)
    assert res.returncode == 2, (res.stdout, res.stderr)
    assert "Traceback" not in res.stderr
    assert needle in res.stderr


def test_bad_input_in_english(demo: Path) -> None:
    res = run(demo, "project", "--days", "0", "--lang", "en")
    assert res.returncode == 2 and "Traceback" not in res.stderr
    assert "Cannot read the days" in res.stderr


def test_status_without_a_case(tmp_path: Path) -> None:
    res = run(tmp_path, "status")
    assert res.returncode == 2 and "Traceback" not in res.stderr and res.stderr.strip()
