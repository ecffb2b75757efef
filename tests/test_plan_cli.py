"""``xieshang finances`` and ``xieshang plan`` end to end: a real ``python -m xieshang`` on a temp store."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from contextlib import closing
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from tests.child_env import child_env
from tests.store_helpers import is_url, server_rows


def run(db: Path | str, *args: str, check: int | None = 0, lang: str | None = None) -> subprocess.CompletedProcess[str]:
    env = child_env(("XIESHANG_", "LC_", "LANG"))
    env["XIESHANG_DB"] = str(db)
    env["COLUMNS"] = "200"
    argv = [sys.executable, "-m", "xieshang", *args, *(["--lang", lang] if lang else [])]
    proc = subprocess.run(argv, env=env, capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=300)
    if check is not None:
        assert proc.returncode == check, (args, proc.stdout, proc.stderr)
    return proc


def js(db: Path | str, *args: str) -> Any:
    return json.loads(run(db, *args, "--json").stdout)


def rows(db: Path | str) -> list[Any]:
    if is_url(db):
        return server_rows(str(db))
    with closing(sqlite3.connect(db)) as conn:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table' ORDER BY name")]
        return [(t, conn.execute(f"SELECT * FROM {t} ORDER BY 1").fetchall()) for t in tables]


def refused(db: Path | str, *args: str, contains: str) -> None:
    before = rows(db)
    proc = run(db, *args, check=2)
    assert contains in proc.stderr and "Traceback" not in proc.stderr, proc.stderr
    assert proc.stdout == ""
    assert rows(db) == before


@pytest.fixture(scope="module")
def demo(module_store_location: str) -> str:
    """The demo case, on SQLite and on PostgreSQL."""
    run(module_store_location, "demo")
    return module_store_location


def test_demo_plan_json_contract(demo: str) -> None:
    doc = js(demo, "plan")
    names = [s["name"] for s in doc["strategies"]]
    assert names == ["optimal", "avalanche", "snowball", "collector", "pro_rata"]
    for s in doc["strategies"]:
        assert set(s) >= {"name", "feasible", "total_paid", "months_to_debt_free", "overdue_account_months",
                          "schedule"}
        Decimal(s["total_paid"])
    best = doc["strategies"][0]
    assert best["feasible"] is True and doc["shortfall"] == "0.00"
    for s in doc["strategies"][1:]:
        if s["feasible"]:
            assert Decimal(best["total_paid"]) <= Decimal(s["total_paid"])
    assert {p["loan_id"] for p in doc["proposals"]} == {1, 2, 3, 4}
    for p in doc["proposals"]:
        assert set(p) >= {"loan_id", "option", "start_date", "monthly_amount", "months", "total_to_pay"}
    paid = sum(Decimal(x["amount"]) for row in best["schedule"] for x in row["payments"])
    assert paid == Decimal(best["total_paid"])
    assert {s["name"] for s in doc["stress"]} == {"income-20", "emergency-5000"}


def test_demo_plan_text_explains_in_both_languages(demo: str) -> None:
    zh = run(demo, "plan").stdout
    assert "向每家机构提出的方案" in zh and "压力测试" in zh and "雪崩" in zh
    en = run(demo, "plan", lang="en").stdout
    assert "What to ask each lender" in en and "Stress test" in en and "If a lender says no" in en


def test_whatif_refusal_and_lump_sum(demo: str) -> None:
    base = js(demo, "plan")
    doc = js(demo, "plan", "whatif", "--refuse", "2:interest-freeze", "--refuse", "2:instalment",
             "--lump-sum", "3000")
    card = next(o for o in doc["strategies"][0]["options"] if o["loan_id"] == 2)
    assert card["kind"] not in ("interest-freeze", "instalment")
    assert doc["lump_sum"] == str(Decimal(base["lump_sum"]) + 3000)
    assert doc["whatif"]["refuse"] == ["2:interest-freeze", "2:instalment"]
    poor = js(demo, "plan", "whatif", "--income", "5500")
    assert poor["feasible"] is False and Decimal(poor["shortfall"]) > 0
    assert poor["proposals"] == [] and poor["triage"]
    assert {t["loan_id"] for t in poor["triage"]} == {1, 2, 3, 4}
    text = run(demo, "plan", "whatif", "--income", "5500", lang="en").stdout
    assert "No plan fits" in text and ("keep current" in text or "pay what you can" in text)


def test_compare(demo: str) -> None:
    doc = js(demo, "plan", "compare", "--objective", "credit")
    assert [s["name"] for s in doc["strategies"]] == ["optimal", "avalanche", "snowball", "collector", "pro_rata"]
    best = doc["strategies"][0]
    assert all(best["overdue_account_months"] <= s["overdue_account_months"]
               for s in doc["strategies"][1:] if s["feasible"])


def test_save_show_and_service_api(demo: str) -> None:
    refused(demo, "plan", "show", contains="plan save")
    saved = js(demo, "plan", "save")
    assert len(saved["proposals"]) == 4 and saved["objective"] == "cost"
    shown = js(demo, "plan", "show")
    assert shown["proposals"] == saved["proposals"]
    from xieshang.services.plan import saved_plan
    from xieshang.store.db import open_store

    st = open_store(str(demo))
    try:
        plan = saved_plan(st)
        assert plan is not None and plan.objective == "cost"
        assert plan.monthly_capacity == Decimal("5000.00")
        p1 = plan.proposal_for(1)
        assert p1 is not None and p1.to_json() == next(p for p in saved["proposals"] if p["loan_id"] == 1)
        assert plan.proposal_for(99) is None
    finally:
        st.close()


def test_offer_refuse_forget(tmp_path: Path) -> None:
    db = tmp_path / "s.sqlite"
    run(db, "demo")
    rec = js(db, "plan", "offer", "2", "instalment", "--months", "24", "--down", "1000", "--interest", "stops")
    assert rec["months"] == 24 and rec["down_payment"] == "1000.00"
    opts = js(db, "plan", "options")["loans"]
    card = next(lo for lo in opts if lo["loan_id"] == 2)
    inst = [o for o in card["options"] if o["kind"] == "instalment"]
    assert len(inst) == 1 and inst[0]["typical"] is False and inst[0]["months"] == 24
    js(db, "plan", "refuse", "2", "interest-freeze")
    js(db, "plan", "refuse", "2", "instalment")
    doc = js(db, "plan")
    card_choice = next(o for o in doc["strategies"][0]["options"] if o["loan_id"] == 2)
    assert card_choice["kind"] not in ("instalment", "interest-freeze")
    run(db, "plan", "forget", "2", "instalment")
    kinds = {o["kind"] for o in next(lo for lo in js(db, "plan", "options")["loans"] if lo["loan_id"] == 2)["options"]}
    assert "instalment" in kinds and "interest-freeze" not in kinds
    refused(db, "plan", "refuse", "9", "instalment", contains="9")
    refused(db, "plan", "offer", "2", "holiday", contains="holiday")
    refused(db, "plan", "offer", "2", "waiver", "--waive", "1.5", contains="1.5")


def test_finances_set_show_and_errors(tmp_path: Path) -> None:
    db = tmp_path / "s.sqlite"
    run(db, "init", "--name", "李四")
    refused(db, "plan", contains="finances set")
    doc = js(db, "finances", "set", "--income", "工资:9000", "--income", "gig:300:weekly:variable",
             "--expense", "housing:2500", "--expense", "food:1500", "--dependents", "1", "--savings", "2万")
    assert doc["incomes"][1]["frequency"] == "weekly" and doc["savings"] == "20000.00"
    assert doc["protected_minimum_source"]["confidence"] == "U"
    assert doc["capacity_monthly"] == str((Decimal(9000) + Decimal(300) * 52 / 12 - 4000).quantize(Decimal("0.01"),
                                                                                                       "ROUND_FLOOR"))
    shown = js(db, "finances", "show")
    assert shown == doc
    refused(db, "finances", "set", "--expense", "yachts:100", contains="yachts")
    refused(db, "finances", "set", "--savings", "-5", contains="-5")
    refused(db, "finances", "set", contains="finances set --help")
    refused(db, "plan", contains="借款")  # finances but no loans
    refused(db, "plan", "--objective", "fastest", contains="fastest")
