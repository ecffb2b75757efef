"""Case services: validation, the engine bridge, export/import round trips (hypothesis) and a
store that stays consistent when the writing process is killed."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from contextlib import closing
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from xieshang import clock
from xieshang.engine.terms import CardTerms, LoanTerms
from xieshang.errors import UserError
from xieshang.rates import DailyRate, parse_rate
from xieshang.services.case import (
    LoanFields,
    PersonInfo,
    add_lender_figure,
    add_loan,
    add_payment,
    counts,
    edit_loan,
    get_loan,
    init_case,
    list_loans,
    loan_payments,
    loan_status,
    loan_terms,
    remove_loan,
    remove_payment,
)
from xieshang.services.demo import load_demo
from xieshang.services.transfer import export_case, import_case, parse_document, render
from xieshang.store.db import Store, open_store

TODAY = clock.today()


@pytest.fixture
def store(store_location: str) -> Store:
    s = open_store(store_location)
    init_case(s, PersonInfo(name="测试用户"))
    return s


def _loan(**kw: Any) -> LoanFields:
    base: dict[str, Any] = dict(profile_id="wangshangdai", principal=Decimal("20000.00"),
                                rate=DailyRate(Decimal("0.0004")), term_months=12,
                                start=TODAY - timedelta(days=100))
    base.update(kw)
    return LoanFields(**base)


def test_add_loan_builds_terms_and_status(store: Store) -> None:
    rec = add_loan(store, _loan(overrides={"grace_days": "3"}, contract_no="  C-1 "))
    assert rec.id == 1 and rec.product == "loan" and rec.contract_no == "C-1"
    assert rec.lender  # defaults to the profile's name
    terms = loan_terms(rec)
    assert isinstance(terms, LoanTerms)
    assert terms.principal == Decimal("20000.00") and terms.overdue.grace_days == 3
    status = loan_status(rec, TODAY)
    assert status.dpd > 0  # nothing paid for 100 days


def test_card_loan_uses_card_terms(store: Store) -> None:
    rec = add_loan(store, LoanFields(profile_id="credit-card", statement_balance=Decimal("15000"),
                                     statement_date=TODAY - timedelta(days=60), due_date=TODAY - timedelta(days=40),
                                     rate=parse_rate("0.05%/日")))
    terms = loan_terms(rec)
    assert isinstance(terms, CardTerms)
    assert terms.daily_rate.value == Decimal("0.0005")
    with pytest.raises(UserError) as exc:
        add_loan(store, LoanFields(profile_id="credit-card", principal=Decimal(100)))
    assert exc.value.key == "error.case.field_not_for_product"


@pytest.mark.parametrize(("fields", "key"), [
    (dict(principal=None), "error.case.missing"),
    (dict(term_months=0), "error.term.months"),
    (dict(amount_received=Decimal("30000")), "error.term.received_above_principal"),
    (dict(start=TODAY + timedelta(days=1)), "error.date.in_future"),
    (dict(profile_id="no-such-lender"), "error.profile.unknown"),
    (dict(overrides={"no_such_field": "1"}), None),
])
def test_add_loan_refuses_bad_figures(store: Store, fields: dict[str, Any], key: str | None) -> None:
    with pytest.raises(UserError) as exc:
        add_loan(store, _loan(**fields))
    if key:
        assert exc.value.key == key
    assert counts(store)["loan"] == 0


def test_payments_are_checked_and_ordered(store: Store) -> None:
    rec = add_loan(store, _loan())
    start = rec.start
    assert start is not None
    for bad, key in (((Decimal(0), start), "error.money.not_positive"),
                     ((Decimal(-5), start), "error.money.not_positive"),
                     ((Decimal(10), start - timedelta(days=1)), "error.date.before_disbursement"),
                     ((Decimal(10), TODAY + timedelta(days=1)), "error.date.in_future")):
        with pytest.raises(UserError) as exc:
            add_payment(store, rec.id, bad[0], on=bad[1])
        assert exc.value.key == key
    with pytest.raises(UserError) as exc2:
        add_payment(store, 999, Decimal(1))
    assert exc2.value.key == "error.case.unknown_loan"
    day = start + timedelta(days=30)
    p1 = add_payment(store, rec.id, Decimal("100.00"), on=day)
    p2 = add_payment(store, rec.id, Decimal("50.00"), on=day)
    add_payment(store, rec.id, Decimal("70.00"), on=day - timedelta(days=1))
    pays = loan_payments(get_loan(store, rec.id))
    assert [(p.amount, p.seq) for p in pays] == [(Decimal("70.00"), 0), (Decimal("100.00"), 0), (Decimal("50.00"), 1)]
    remove_payment(store, p1.id)
    assert [p.id for p in get_loan(store, rec.id).payments][-1] == p2.id
    with pytest.raises(UserError):
        remove_payment(store, p1.id)


def test_edit_keeps_payments_valid(store: Store) -> None:
    rec = add_loan(store, _loan())
    assert rec.start is not None
    add_payment(store, rec.id, Decimal("500"), on=rec.start + timedelta(days=10))
    edited = edit_loan(store, rec.id, LoanFields(principal=Decimal("21000"), overrides={"grace_days": "2"}))
    assert edited.principal == Decimal("21000.00") and edited.overrides == {"grace_days": "2"}
    edited = edit_loan(store, rec.id, LoanFields(unset=("grace_days",)))
    assert edited.overrides == {}
    with pytest.raises(UserError) as exc:
        edit_loan(store, rec.id, LoanFields(start=rec.start + timedelta(days=20)))
    assert exc.value.key == "error.case.payments_before_start"
    with pytest.raises(UserError) as exc2:
        edit_loan(store, rec.id, LoanFields(profile_id="credit-card"))
    assert exc2.value.key == "error.case.product_change"
    assert get_loan(store, rec.id).principal == Decimal("21000.00")
    add_lender_figure(store, rec.id, Decimal("20500"))
    removed = remove_loan(store, rec.id)
    assert len(removed.payments) == 1 and len(removed.lender_figures) == 1
    assert counts(store) == {"person": 1, "loan": 0, "payment": 0, "lender_figure": 0}


def test_demo_is_live_and_refuses_to_overwrite(tmp_path: Path) -> None:
    s = open_store(str(tmp_path / "demo.sqlite"))
    load_demo(s)
    loans = list_loans(s)
    assert len(loans) == 4
    dpd = {loan.profile_id: loan_status(loan, TODAY).dpd for loan in loans}
    assert 40 <= dpd["wangshangdai"] <= 50
    assert 90 <= dpd["credit-card"] <= 110
    assert dpd["jiebei"] == 0
    assert 5 <= dpd["weilidai"] <= 15
    wsd = next(loan for loan in loans if loan.profile_id == "wangshangdai")
    assert any(p.amount == Decimal("800.00") for p in wsd.payments)
    with pytest.raises(UserError) as exc:
        load_demo(s)
    assert exc.value.key == "error.case.demo_exists"
    load_demo(s, reset=True)
    assert counts(s)["loan"] == 4


# ---------------------------------------------------------------------------------------
# Export / import round trips
# ---------------------------------------------------------------------------------------

_text = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc", "Zs", "Zl", "Zp")), min_size=1, max_size=12)
_opt_text = st.none() | _text


def _days(lo: date, hi: date) -> st.SearchStrategy[date]:
    return st.dates(min_value=lo, max_value=hi)


def _money(lo: int, hi: int) -> st.SearchStrategy[str]:
    return st.integers(lo, hi).map(lambda fen: f"{Decimal(fen).scaleb(-2):.2f}")


@st.composite
def _loan_doc(draw: st.DrawFn) -> dict[str, Any]:
    card = draw(st.booleans())
    first = draw(_days(date(2015, 1, 1), TODAY - timedelta(days=1)))
    base: dict[str, Any] = {"lender": draw(_text), "profile": "", "product": "card" if card else "loan",
                            "principal": None, "rate": None, "term_months": None, "start": None, "method": None,
                            "amount_received": None, "statement_balance": None, "statement_date": None,
                            "due_date": None}
    if card:
        base.update(profile=draw(st.sampled_from(["credit-card", "huabei"])),
                    statement_balance=draw(_money(1, 10_000_000)), statement_date=first.isoformat(),
                    due_date=(first + timedelta(days=draw(st.integers(1, 30)))).isoformat(),
                    rate=draw(st.none() | st.sampled_from(["0.0005/daily", "0.00035/daily"])))
    else:
        principal = draw(st.integers(100_00, 1_000_000_00))
        base.update(profile=draw(st.sampled_from(["wangshangdai", "jiebei", "weilidai", "bank-consumer-loan"])),
                    principal=f"{Decimal(principal).scaleb(-2):.2f}",
                    rate=draw(st.sampled_from(["0.0004/daily", "0.0003/daily", "0.12/annual", "0.01/monthly"])),
                    term_months=draw(st.integers(1, 36)), start=first.isoformat(),
                    method=draw(st.sampled_from([None, "equal-installment"])),
                    amount_received=draw(st.none() | _money(1, principal)))
    pays = draw(st.lists(st.tuples(_days(first, TODAY), _money(1, 5_000_000), _opt_text, _opt_text), max_size=5))
    figs = draw(st.lists(st.tuples(_days(first, TODAY), _money(0, 5_000_000), _opt_text), max_size=2))
    base.update(
        overrides=draw(st.sampled_from([{}, {"grace_days": "3"}])),
        contract_no=draw(_opt_text),
        contacts=[{"channel": c, "value": v} for c, v in draw(st.lists(st.tuples(_text, _text), max_size=2))],
        notes=draw(_opt_text),
        payments=[{"date": d.isoformat(), "amount": a, "channel": c, "note": n}
                  for d, a, c, n in sorted(pays, key=lambda x: x[0])],
        lender_figures=[{"date": d.isoformat(), "amount": a, "note": n} for d, a, n in sorted(figs, key=lambda x: x[0])],
    )
    return base


@st.composite
def _case_doc(draw: st.DrawFn) -> dict[str, Any]:
    return {
        "format": "xieshang-case",
        "version": 1,
        "person": {"name": draw(_text), "phone": draw(st.none() | st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True)),
                   "email": draw(_opt_text), "id_number": draw(_opt_text),
                   "locale": draw(st.sampled_from(["zh_CN", "en"]))},
        "loans": draw(st.lists(_loan_doc(), max_size=4)),
    }


_ROUND_TRIP_DB = Path(tempfile.mkdtemp(prefix="xieshang-rt-")) / "rt.sqlite"


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(doc=_case_doc())
def test_random_cases_round_trip_exactly(doc: dict[str, Any]) -> None:
    text = render(doc)
    s = open_store(str(_ROUND_TRIP_DB))
    try:
        import_case(s, text, replace=True)
        exported = export_case(s)
        assert exported == text
        assert json.loads(exported) == doc
        # and once more through the store
        import_case(s, exported, replace=True)
        assert export_case(s) == text
    finally:
        s.close()


def test_import_rejects_everything_before_writing(store: Store) -> None:
    add_loan(store, _loan())
    before = export_case(store)
    good = json.loads(before)
    bad_docs: list[tuple[str | bytes, str]] = [
        (b"\xff\xfe not json", "error.case.import_not_json"),
        ("{\"format\": \"xieshang-case\", ", "error.case.import_not_json"),
        (json.dumps({"hello": "world"}), "error.case.import_foreign"),
        (json.dumps([1, 2, 3]), "error.case.import_foreign"),
        (json.dumps({**good, "version": 2}), "error.case.import_newer"),
        (json.dumps({**good, "version": "1"}), "error.case.import_invalid"),
    ]
    loan = good["loans"][0]
    for change in ({"principal": 20000.5}, {"principal": "12.345"}, {"start": "2025/01/01"},
                   {"payments": [{"date": TODAY.isoformat(), "amount": "-1.00", "channel": None, "note": None}]},
                   {"payments": [{"date": (TODAY + timedelta(days=3)).isoformat(), "amount": "1.00",
                                  "channel": None, "note": None}]},
                   {"profile": "no-such-lender"}, {"surprise": 1}):
        bad = {**good, "loans": [{**loan, **change}]}
        bad_docs.append((json.dumps(bad), "error.case.import_invalid"))
    for text, key in bad_docs:
        with pytest.raises(UserError) as exc:
            import_case(store, text, replace=True, source="x.json")
        assert exc.value.key == key, (text, exc.value.params)
        assert export_case(store) == before
    with pytest.raises(UserError) as exc2:
        import_case(store, before)
    assert exc2.value.key == "error.case.import_case_exists"
    person, loans = parse_document(before)
    assert person.name == "测试用户" and len(loans) == 1


# ---------------------------------------------------------------------------------------
# Killed in the middle of writing
# ---------------------------------------------------------------------------------------

_WRITER = r"""
import sys
from datetime import date, timedelta
from decimal import Decimal
from xieshang.store.db import open_store
from xieshang.services.demo import load_demo
from xieshang.services.case import add_payment, list_loans

store = open_store(sys.argv[1])
load_demo(store, reset=True)
print("ready", flush=True)
n = 0
while True:
    n += 1
    if n % 3:
        load_demo(store, reset=True)          # one transaction: delete everything, write 4 loans
    else:
        loan = list_loans(store)[0]
        add_payment(store, loan.id, Decimal("1.00"))
"""


def _consistent(db: Path) -> dict[str, int]:
    with closing(sqlite3.connect(db)) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        rows = {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
                for t in ("person", "loan", "payment", "lender_figure")}
        per_loan = dict(conn.execute("SELECT lender, count(payment.id) FROM loan LEFT JOIN payment "
                                     "ON payment.loan_id = loan.id GROUP BY loan.id").fetchall())
    assert rows["person"] == 1 and rows["loan"] == 4 and rows["lender_figure"] == 1
    # the demo writes 3 + 0 + 2 + 0 payments; the burst only adds to the first loan
    assert per_loan["招商银行信用卡"] == 0 and per_loan["支付宝 借呗"] == 2 and per_loan["微众银行 微粒贷"] == 0
    assert per_loan["网商银行 网商贷"] >= 3
    return rows


@pytest.mark.slow
@pytest.mark.parametrize("delay", [0.3, 0.7, 1.2])
def test_killed_writer_leaves_a_consistent_store(tmp_path: Path, delay: float) -> None:
    db = tmp_path / "killed.sqlite"
    proc = subprocess.Popen([sys.executable, "-c", _WRITER, str(db)], stdout=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "ready"
        time.sleep(delay)
        assert proc.poll() is None, "the writer should still be writing"
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == -signal.SIGKILL
    _consistent(db)
    # the store opens, migrates nothing and keeps working
    s = open_store(str(db))
    assert len(list_loans(s)) == 4
    load_demo(s, reset=True)
    s.close()
    _consistent(db)
