"""The monthly budget, what it leaves, and the emergency fund."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from xieshang.errors import UserError
from xieshang.services.case import PersonInfo, init_case
from xieshang.services.prevention import (
    budget,
    emergency_fund,
    money_left,
    prevention_data,
    remove_budget_line,
    set_budget_line,
    set_emergency_fund,
)
from xieshang.store.db import Store, open_store

D = Decimal
DAY = date(2026, 3, 15)


@pytest.fixture
def store(store_location: str) -> Store:
    s = open_store(store_location)
    init_case(s, PersonInfo(name="测试"))
    return s


def test_budget_totals_actuals_and_variance(store: Store) -> None:
    set_budget_line(store, "2026-03", "income", "工资", planned=D(8000))
    set_budget_line(store, "2026-03", "expense", "房租", planned=D(2500))
    set_budget_line(store, "2026-03", "expense", "吃饭", planned=D(1500), actual=D(1720))
    line = set_budget_line(store, "2026-03", "expense", "吃饭", actual=D("1750.50"))  # updates, keeps planned
    assert (line.planned, line.actual, line.variance) == (D(1500), D("1750.50"), D("250.50"))
    b = budget(store, "2026-03")
    assert (b.income, b.spending, b.left) == (D(8000), D(4000), D(4000))
    data = b.to_json()
    assert data["actual"] == {"income": "0.00", "spending": "1750.50", "left": "-1750.50"}
    assert len(b.lines) == 3
    removed = remove_budget_line(store, "2026-03", "expense", "房租")
    assert removed.planned == D(2500) and budget(store, "2026-03").left == D(6500)


def test_a_month_without_lines_uses_the_latest_earlier_month(store: Store) -> None:
    assert money_left(store, DAY) is None
    set_budget_line(store, "2026-01", "income", "工资", planned=D(6000))
    set_budget_line(store, "2026-01", "expense", "房租", planned=D(2000))
    set_budget_line(store, "2026-02", "income", "工资", planned=D(7000))
    later = budget(store, "2026-05")
    assert later.source_month == "2026-02" and later.left == D(7000) and not later.has_actuals
    assert money_left(store, DAY) == D(7000)
    assert budget(store, "2025-12").source_month is None


@pytest.mark.parametrize("args, key", [
    (("2026-13", "income", "x"), "after.error.month"),
    (("2026-03", "loan", "x"), "after.error.budget_kind"),
    (("2026-03", "income", "  "), "after.error.category"),
])
def test_bad_budget_lines(store: Store, args: tuple[str, str, str], key: str) -> None:
    with pytest.raises(UserError) as err:
        set_budget_line(store, *args, planned=D(1))
    assert err.value.key == key
    with pytest.raises(UserError) as err:
        set_budget_line(store, "2026-03", "income", "工资")
    assert err.value.key == "after.error.budget_nothing"
    with pytest.raises(UserError):
        set_budget_line(store, "2026-03", "income", "工资", planned=D(-1))
    assert budget(store, "2026-03").lines == ()


def test_emergency_fund_default_target_and_progress(store: Store) -> None:
    months = prevention_data().emergency_fund_months.value
    assert emergency_fund(store, today=DAY).target == 0  # no budget, no target
    set_budget_line(store, "2026-03", "expense", "房租", planned=D(2500))
    set_budget_line(store, "2026-03", "expense", "吃饭", planned=D(1500))
    fund = emergency_fund(store, today=DAY)
    assert fund.target == D(4000) * months and fund.saved == 0
    fund = set_emergency_fund(store, saved=D(3000), today=DAY)
    assert fund.target == D(4000) * months and fund.saved == D(3000)
    assert fund.months_covered == D("0.8")  # 3000 / 4000
    fund = set_emergency_fund(store, months=6, today=DAY)
    assert fund.target == D(24000) and fund.progress == D(3000) / D(24000) and fund.missing == D(21000)
    fund = set_emergency_fund(store, target=D(10000), saved=D(12000), today=DAY)
    assert fund.progress == 1 and fund.missing == 0
    kw: dict[str, Any]
    for kw, key in ((dict(target=D(1), months=2), "after.error.target_or_months"), ({}, "after.error.fund_nothing"),
                    (dict(months=30), "after.error.fund_months")):
        with pytest.raises(UserError) as err:
            set_emergency_fund(store, today=DAY, **kw)
        assert err.value.key == key


def test_afford_takes_income_from_finances_and_counts_regular_payments_not_arrears(store_location: str) -> None:
    """On the demo case: no --income needed (finances has it); overdue arrears are not a month's payment."""
    from xieshang.services.case import list_loans, loan_status
    from xieshang.services.demo import load_demo
    from xieshang.services.finances import get_finances
    from xieshang.services.prevention import afford

    s = open_store(store_location)
    load_demo(s, today=DAY)
    report = afford(D(10000), D("0.18"), 12, store=s, today=DAY)
    found = get_finances(s)
    assert found is not None
    assert report.income_source == "finances" and report.result.income == found.income(DAY)
    regular = D(0)
    arrears_included = D(0)
    for loan in list_loans(s):
        st = loan_status(loan, DAY)
        if st.closed:
            continue
        ahead = [i for i in st.instalments if i.due_date >= DAY] or list(st.instalments[-1:])
        regular += ahead[0].principal + ahead[0].interest + ahead[0].fee
        arrears_included += st.next_due_amount
    assert report.existing_source == "case" and report.result.existing == regular
    assert regular < arrears_included  # the demo has overdue debts: arrears would inflate the ratio
