"""The after-the-agreement commands end to end (real `python -m xieshang`): agreement, due, task,
calendar, credit, budget, afford — every command, JSON and text, and bad input → exit 2, store unchanged."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from contextlib import closing
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from tests.child_env import child_env

from xieshang import clock

TODAY = clock.today()


def run(db: Path, *args: str, check: int | None = 0, lang: str | None = None) -> subprocess.CompletedProcess[str]:
    env = child_env(("XIESHANG_", "LC_", "LANG"))
    env["XIESHANG_DB"] = str(db)
    env["COLUMNS"] = "200"
    argv = [sys.executable, "-m", "xieshang", *args, *(["--lang", lang] if lang else [])]
    proc = subprocess.run(argv, env=env, capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=120)
    if check is not None:
        assert proc.returncode == check, (args, proc.stdout, proc.stderr)
    return proc


def js(db: Path, *args: str) -> Any:
    return json.loads(run(db, *args, "--json").stdout)


def rows(db: Path) -> list[Any]:
    with closing(sqlite3.connect(db)) as conn:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table' ORDER BY name")]
        return [(t, conn.execute(f"SELECT * FROM {t} ORDER BY 1").fetchall()) for t in tables]


def refused(db: Path, *args: str, lang: str | None = None) -> str:
    before = rows(db)
    proc = run(db, *args, check=2, lang=lang)
    assert proc.stdout == "" and "Traceback" not in proc.stderr and proc.stderr.strip()
    assert rows(db) == before
    return proc.stderr


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "s.sqlite"
    run(path, "demo")
    return path


@pytest.fixture(scope="module")
def bad_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo (its proposed card plan is #1) with one more agreement, both cancelled: the store every
    refused command must leave as it is."""
    path = tmp_path_factory.mktemp("refused") / "s.sqlite"
    run(path, "demo")
    run(path, "agreement", "add", "1", "--months", "3", "--balance", "900")
    for agreement in js(path, "agreement", "list"):
        run(path, "agreement", "status", str(agreement["id"]), "cancelled")
    assert {a["status"] for a in js(path, "agreement", "list")} == {"cancelled"}
    return path


def test_agreement_commands(db: Path) -> None:
    before = js(db, "status")
    wsd = next(d for d in before["debts"] if d["id"] == 1)
    assert wsd["dpd"] > 0
    added = js(db, "agreement", "add", "1", "--months", "12", "--monthly", "1,500", "--waive", "罚息=100",
               "--waive", "fee=20", "--status", "agreed-verbally", "--note", "电话里同意")
    assert added["status"] == "agreed-verbally" and added["balance"] == "18000.00" and added["interest_stopped"]
    assert added["waivers"] == [{"component": "penalty", "amount": "100.00"}, {"component": "fee", "amount": "20.00"}]
    # The overview now follows the agreed schedule.
    after = js(db, "status")
    wsd = next(d for d in after["debts"] if d["id"] == 1)
    assert wsd["dpd"] == 0 and wsd["payoff"] == "18000.00"
    aid = str(added["id"])
    demo_ids = [a["id"] for a in js(db, "agreement", "list") if a["loan_id"] != 1]  # the demo's proposed card plan
    assert sorted([a["id"] for a in js(db, "agreement", "list")]) == sorted([*demo_ids, added["id"]])
    assert [a["loan_id"] for a in js(db, "agreement", "list", "1")] == [1]
    shown = js(db, "agreement", "show", aid)
    assert shown["governing"] and shown["adherence"]["counts"]["upcoming"] == 12
    keys = [w["key"] for w in shown["warnings"]]
    assert keys[0] == "not_in_writing" and ("no_budget" in keys) == (shown["budget_left"] is None)
    text = run(db, "agreement", "show", aid, lang="en")
    assert "agreed verbally" in text.stdout and "upcoming" in text.stdout and "in writing" in text.stderr
    assert "口头同意" in run(db, "agreement", "list").stdout
    done = js(db, "agreement", "status", aid, "confirmed-in-writing", "--entry", "3")
    assert done["status"] == "confirmed-in-writing" and done["confirmed_by_entry"] == 3
    assert "已取消" in run(db, "agreement", "status", aid, "cancelled").stdout
    other = js(db, "agreement", "add", "4", "--months", "3", "--balance", "600")
    assert other["status"] == "proposed"
    assert f"#{other['id']}" in run(db, "agreement", "remove", str(other["id"]), lang="en").stdout


@pytest.mark.parametrize("args, needle", [
    (("agreement", "add", "1", "--months", "12"), "--monthly"),
    (("agreement", "add", "99", "--months", "3", "--monthly", "100"), "99"),
    (("agreement", "add", "1", "--months", "12", "--monthly", "1000", "--balance", "5000"), "416.67"),
    (("agreement", "add", "1", "--months", "12", "--monthly", "100", "--status", "maybe"), "maybe"),
    (("agreement", "status", "1", "agreed-verbally"), "cancelled"),
    (("agreement", "show", "42"), "#42"),
    (("due", "--days", "-3"), "-3"),
    (("task", "add", "x", "--date", "2026-01-01", "--kind", "party"), "party"),
    (("task", "done", "77"), "#77"),
    (("calendar", "export", "never.ics", "--alarm-days", "99"), "99"),
    (("credit", "check", "--date", "2999-01-01"), "2999-01-01"),
    (("credit", "entry", "1", "--status", "Q", "--account", "x"), "Q"),
    (("credit", "entry", "99", "--status", "N", "--account", "x"), "#99"),
    (("credit", "dispute", "55"), "#55"),
    (("budget", "set", "房租", "abc"), "abc"),
    (("budget", "remove", "不存在"), "不存在"),
    (("budget", "fund", "--target", "1", "--months", "2"), "--months"),
    (("afford", "--amount", "0", "--apr", "12%", "--months", "12", "--income", "1"), "0"),
    (("afford", "--amount", "1000", "--apr", "12%", "--months", "0", "--income", "5000"), "0"),
])
def test_bad_input_exits_2_and_changes_nothing(bad_db: Path, args: tuple[str, ...], needle: str) -> None:
    err = refused(bad_db, *args, lang="en")
    assert needle in err


def test_a_fresh_demo_shows_its_proposed_plan_and_task(db: Path) -> None:
    """The demo asked the card's bank for a 36-month interest-stopped plan and has a call to make about it."""
    (plan,) = js(db, "agreement", "list")
    card = next(d for d in js(db, "status")["debts"] if d["product"] == "card")
    assert plan["loan_id"] == card["id"] and plan["status"] == "proposed" and plan["months"] == 36
    assert plan["interest_stopped"] and {w["component"] for w in plan["waivers"]} >= {"fee"}
    assert plan["start"] == (TODAY + timedelta(days=7)).isoformat() and "等待银行答复" in plan["note"]
    # Asked for: what is owed today without the charges for being late, which it asks to waive.
    assert Decimal(plan["balance"]) + Decimal(plan["waived_total"]) == Decimal(card["payoff"])
    shown = js(db, "agreement", "show", str(plan["id"]))  # proposed: the contract still governs the card
    assert not shown["governing"] and shown["warnings"][0]["key"] == "proposed"
    assert card["dpd"] > 90 and shown["status"]["payoff"] == card["payoff"]
    (task,) = js(db, "task", "list")
    assert task["kind"] == "follow-up" and task["loan_id"] == card["id"] and "95555" in task["title"]
    assert task["due"] == (TODAY + timedelta(days=3)).isoformat()
    uids = [i["uid"] for i in js(db, "due")["items"]]
    assert f"task-{task['id']}" in uids and f"agreement-{plan['id']}-follow-up" in uids
    listed = run(db, "agreement", "list").stdout
    assert "已提议" in listed and "36" in listed
    assert "致电95555" in run(db, "due").stdout


def test_due_task_and_calendar(db: Path, tmp_path: Path) -> None:
    task = js(db, "task", "add", "寄出协商申请书", "--date", (TODAY + timedelta(days=5)).isoformat(), "--kind",
              "letter", "--loan", "4")
    due = js(db, "due", "--days", "30")
    uids = [i["uid"] for i in due["items"]]
    assert f"task-{task['id']}" in uids and "credit-check-next" in uids
    assert any(i["kind"] == "payment" and i["overdue"] for i in due["items"])
    assert "寄出协商申请书" in run(db, "due").stdout
    demo_tasks = [t["id"] for t in js(db, "task", "list") if t["id"] != task["id"]]  # the demo's follow-up call
    assert [t["id"] for t in js(db, "task", "list")] == sorted([*demo_tasks, task["id"]])
    assert "done" in run(db, "task", "done", str(task["id"]), lang="en").stdout
    assert [t["id"] for t in js(db, "task", "list")] == demo_tasks
    assert len(js(db, "task", "list", "--all")) == len(demo_tasks) + 1
    ics = tmp_path / "due.ics"
    out = js(db, "calendar", "export", str(ics), "--days", "60", "--alarm-days", "1")
    first = ics.read_bytes()
    assert out["events"] == first.count(b"BEGIN:VEVENT") > 0 and b"TRIGGER:-P1D" in first
    run(db, "calendar", "export", str(ics), "--days", "60", "--alarm-days", "1")
    uid_lines = [ln for ln in ics.read_bytes().split(b"\r\n") if ln.startswith(b"UID:")]
    assert uid_lines == [ln for ln in first.split(b"\r\n") if ln.startswith(b"UID:")]
    assert list(tmp_path.glob("*.tmp")) == []


def test_credit_commands(db: Path) -> None:
    codes = js(db, "credit", "codes")
    assert {"N", "1", "C"} <= {c["code"] for c in codes}
    assert "paid as agreed" in run(db, "credit", "codes", lang="en").stdout
    check = js(db, "credit", "check", "--date", (TODAY - timedelta(days=2)).isoformat(), "--channel", "银行App")
    # 借呗 (loan 3) is current in our records, but the report says 1 with 500 overdue.
    entry = js(db, "credit", "entry", str(check["id"]), "--loan", "3", "--status", "1", "--overdue", "500",
               "--class", "关注")
    assert entry["account"] == "支付宝 借呗" and entry["classification"] == "special-mention"
    shown = js(db, "credit", "show")
    assert shown["free_checks"]["left_this_year"] in (0, 1)
    (cand,) = shown["dispute_candidates"]
    assert cand["loan_id"] == 3 and cand["reply_days"] == 20
    assert [d["kind"] for d in cand["discrepancies"]] == ["reported_overdue_but_current", "overdue_amount_differs"]
    assert {e["state"] for e in shown["expectations"]} >= {"overdue", "never-overdue"}
    text = run(db, "credit", "show", lang="en")
    assert "differs from your records" in text.stderr and "5-year" in text.stdout
    filed = js(db, "credit", "dispute", str(entry["id"]))
    assert filed["reply_due"] == (TODAY + timedelta(days=20)).isoformat()
    assert "异议" in run(db, "credit", "dispute", str(entry["id"])).stdout


def test_budget_and_afford(db: Path) -> None:
    first = js(db, "afford", "--amount", "12000", "--apr", "12%", "--months", "12")  # no budget: the finances
    assert first["income_source"] == "finances" and first["income"] == "10000.00"
    assert js(db, "budget", "set", "工资", "8000", "--income")["planned"] == "8000.00"
    js(db, "budget", "set", "房租", "2500")
    assert js(db, "budget", "set", "吃饭", "1500", "--actual", "1650")["variance"] == "150.00"
    assert js(db, "budget", "actual", "房租", "2400")["actual"] == "2400.00"
    b = js(db, "budget", "show")
    assert b["planned"] == {"income": "8000.00", "spending": "4000.00", "left": "4000.00"}
    assert "4,000.00" in run(db, "budget", "show").stdout
    assert js(db, "budget", "remove", "吃饭")["category"] == "吃饭"
    fund = js(db, "budget", "fund", "--months", "3", "--saved", "1500")
    assert fund["target"] == "7500.00" and fund["progress"] == "0.2000"
    assert js(db, "budget", "fund")["saved"] == "1500.00"
    assert len(js(db, "budget", "autopay")) >= 5 and "[ ]" in run(db, "budget", "autopay").stdout
    a = js(db, "afford", "--amount", "12000", "--apr", "12%", "--months", "12", "--debts", "1500")
    assert a["payment"] == "1066.19" and a["income"] == "8000.00" and a["income_source"] == "budget"
    assert a["share_of_income"] == "0.133274" and a["dti_after"] == "0.320774"
    assert all(c["source"] and not c["above"] for c in a["checks"] if c["measure"] == "payment-share")
    flat = js(db, "afford", "--amount", "12000", "--apr", "6%", "--months", "12", "--flat", "--income", "9000",
              "--debts", "0")
    assert flat["payment"] == "1060.00" and flat["apr"].startswith("0.1089")
    case = js(db, "afford", "--amount", "1000", "--apr", "10%", "--months", "6")
    assert case["existing_source"] == "case" and float(case["existing_payments"]) > 0
    text = run(db, "afford", "--amount", "12000", "--apr", "12%", "--months", "12", "--income", "3000",
               "--debts", "1000", lang="en")
    assert "1,066.19" in text.stdout and "above" in text.stderr  # 68.9 % of income: flagged
