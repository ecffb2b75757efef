"""Finances: capacity by hand, the protected minimum from the rules data, the stored round trip."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest

from xieshang.errors import UserError
from xieshang.planner.finances import Finances, Frequency, IncomeSource, Item, Stability
from xieshang.planner.reference import reference
from xieshang.services.case import PersonInfo, init_case
from xieshang.services.finances import FinanceChanges, demo_finances, get_finances, set_finances
from xieshang.store.db import open_store

DAY = date(2026, 3, 1)


def test_capacity_hand_checked() -> None:
    fin = Finances(incomes=(IncomeSource("salary", D("10000")),),
                   expenses={"housing": D("3000"), "food": D("2000")}, living_buffer=D("200"),
                   obligations=(Item("parents", D("500")),))
    # 10000 − 5000 essentials − 500 obligations − 200 buffer
    assert fin.capacity(DAY) == D("4300.00")


def test_protected_minimum_is_never_touched() -> None:
    per_person = reference().living_minimum_per_person
    fin = Finances(incomes=(IncomeSource("salary", D("5000")),), expenses={"food": D("300")}, dependents=2)
    assert fin.protected == per_person * 3
    # essentials below the protected minimum: the minimum is kept instead
    assert fin.capacity(DAY) == max(D(0), D("5000") - per_person * 3)
    own = Finances(incomes=fin.incomes, expenses=fin.expenses, protected_minimum=D("1000"))
    assert own.capacity(DAY) == D("4000.00")


def test_protected_minimum_is_sourced_and_flagged_unverified() -> None:
    fact = reference().source_of("living_minimum_per_person")
    assert fact.source and fact.confidence == "U" and "低保" in fact.note + fact.source


def test_frequencies_stability_and_known_changes() -> None:
    weekly = IncomeSource("gig", D("1200"), frequency=Frequency.WEEKLY, stability=Stability.VARIABLE)
    assert weekly.monthly(DAY) == D("1200") * 52 / 12
    assert IncomeSource("maybe", D("900"), stability=Stability.UNCERTAIN).monthly(DAY) == 0
    ending = IncomeSource("contract", D("6000"), change_on=date(2026, 6, 1), change_to=D("0"))
    assert ending.monthly(date(2026, 5, 31)) == D("6000")
    assert ending.monthly(date(2026, 6, 1)) == 0
    fin = Finances(incomes=(ending,), protected_minimum=D("1000"))
    assert fin.capacity(date(2026, 5, 1)) == D("5000.00")
    assert fin.capacity(date(2026, 7, 1)) == 0  # never negative


def test_lump_sum_is_savings_above_the_reserve() -> None:
    fin = Finances(incomes=(IncomeSource("s", D("8000")),), expenses={"housing": D("3000")}, savings=D("10000"))
    assert fin.reserve_target == (reference().emergency_reserve_months * D("3000")).quantize(D("0.01"))
    assert fin.lump_sum == D("10000") - fin.reserve_target
    assert Finances(savings=D("100"), emergency_reserve=D("500")).lump_sum == 0


def test_stressed_cuts_income() -> None:
    fin = Finances(incomes=(IncomeSource("s", D("10000")),), protected_minimum=D("2000"))
    assert fin.stressed(D("0.2")).capacity(DAY) == D("6000.00")


@pytest.fixture
def store(store_location: str):  # type: ignore[no-untyped-def]
    st = open_store(store_location)
    init_case(st, PersonInfo(name="王五"))
    yield st
    st.close()


def test_store_round_trip_and_partial_updates(store) -> None:  # type: ignore[no-untyped-def]
    assert get_finances(store) is None
    set_finances(store, FinanceChanges(incomes=(IncomeSource("salary", D("9000")),),
                                       expenses={"housing": D("2500"), "food": D("1500")}, savings=D("3000")))
    set_finances(store, FinanceChanges(expenses={"food": D("0"), "medical": D("300")}, dependents=1))
    fin = get_finances(store)
    assert fin is not None
    assert dict(fin.expenses) == {"housing": D("2500.00"), "medical": D("300.00")}
    assert fin.dependents == 1 and fin.savings == D("3000.00") and fin.incomes[0].amount == D("9000.00")
    set_finances(store, FinanceChanges(protected_minimum=D("3000")))
    assert get_finances(store).protected == D("3000.00")  # type: ignore[union-attr]
    set_finances(store, FinanceChanges(protected_minimum="default"))
    assert get_finances(store).protected_minimum is None  # type: ignore[union-attr]


def test_bad_input_changes_nothing(store) -> None:  # type: ignore[no-untyped-def]
    set_finances(store, FinanceChanges(incomes=(IncomeSource("salary", D("9000")),)))
    before = get_finances(store)
    with pytest.raises(UserError):
        set_finances(store, FinanceChanges(expenses={"yachts": D("100")}))
    with pytest.raises(UserError):
        set_finances(store, FinanceChanges(savings=D("-1")))
    with pytest.raises(UserError):
        set_finances(store, FinanceChanges(savings=D("1.001")))
    assert get_finances(store) == before


def test_demo_finances_leave_room_to_pay() -> None:
    fin = demo_finances()
    assert fin.capacity(DAY) == D("5000.00")


@pytest.mark.parametrize(("typed", "code"), [("住房", "housing"), ("Housing", "housing"), ("饮食", "food"),
                                             ("赡养", "family"), ("supporting family", "family"), ("other", "other")])
def test_expense_categories_accept_names_in_either_language(typed: str, code: str) -> None:
    from xieshang.services.finances import expense_category

    assert expense_category(typed) == code


def test_unknown_expense_category_is_refused() -> None:
    from xieshang.services.finances import expense_category

    with pytest.raises(UserError) as err:
        expense_category("买彩票")
    assert err.value.key == "plan.error.bad_category"
