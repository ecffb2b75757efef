"""APR by IRR: instalments, dated flows and contract schedules."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

import numpy_financial as npf
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from xieshang.engine import finance
from xieshang.engine.apr import (
    AprResult,
    apr_from_flows,
    apr_from_installments,
    contract_apr,
    month_offsets,
)
from xieshang.engine.terms import LoanTerms, RepaymentMethod
from xieshang.errors import UserError
from xieshang.rates import AnnualRate

D = Decimal


def close(actual: Decimal, expected: Decimal | str, tol: str) -> bool:
    return abs(actual - D(expected)) <= D(tol)


def consistent(result: AprResult) -> None:
    assert result.periods_per_year == 12
    assert close(result.apr, result.periodic_rate * 12, "1e-30")
    assert close(result.effective_annual_rate, (1 + result.periodic_rate) ** 12 - 1, "1e-30")
    for value in (result.periodic_rate, result.apr, result.effective_annual_rate):
        assert isinstance(value, Decimal)


def monthly(start: date, k: int) -> date:
    from xieshang.engine.apr import _add_months

    return _add_months(start, k)


# ---------------------------------------------------------------------------------------
# apr_from_installments
# ---------------------------------------------------------------------------------------


def test_one_percent_a_month_is_twelve_percent_apr() -> None:
    payment = -finance.pmt(D("0.01"), 12, 10000)  # 888.4878867…
    result = apr_from_installments(D(10000), payment, 12)
    assert close(result.periodic_rate, "0.01", "1e-28")
    assert close(result.apr, "0.12", "1e-27")
    assert close(result.effective_annual_rate, "0.126825030131969720661201", "1e-24")
    assert result.method == "irr"
    consistent(result)


def test_rounded_instalment_close_to_nominal() -> None:
    result = apr_from_installments(D(10000), D("888.49"), 12)
    assert close(result.apr, "0.12", "1e-4")
    assert result.apr > D("0.12")  # rounding the payment up costs a little


def test_upfront_deduction_raises_the_apr() -> None:
    # 10000 on paper, 9000 received (砍头息), 12 × 916.67: nominal ~18 % looks cheap; the real APR is ~38.8 %.
    result = apr_from_installments(D(9000), D("916.67"), 12)
    oracle = npf.rate(12, 916.67, -9000, 0)  # float oracle, comparison only
    assert abs(float(result.periodic_rate) - oracle) < 1e-9
    assert close(result.apr, "0.3877", "5e-5")
    assert finance.npv(result.periodic_rate, [-9000] + [D("916.67")] * 12).copy_abs() < D("1e-25")
    consistent(result)


def test_periodic_fee_counts() -> None:
    without = apr_from_installments(D(10000), D("888.49"), 12)
    with_fee = apr_from_installments(D(10000), D("888.49"), 12, periodic_fee=D(50))
    assert with_fee.apr > without.apr
    assert with_fee == apr_from_installments(D(10000), D("938.49"), 12)


def test_interest_free() -> None:
    result = apr_from_installments(D(1200), D(100), 12)
    assert result.apr == 0
    assert result.effective_annual_rate == 0


def test_paying_back_less_than_received_is_a_negative_rate() -> None:
    assert apr_from_installments(D(1200), D(90), 12).apr < 0


@pytest.mark.parametrize("months", [0, -1, 601])
def test_bad_months(months: int) -> None:
    with pytest.raises(UserError) as info:
        apr_from_installments(D(1000), D(100), months)
    assert info.value.key == "error.term.months"


def test_bad_amounts() -> None:
    with pytest.raises(UserError, match="not_positive"):
        apr_from_installments(D(0), D(100), 12)
    with pytest.raises(UserError, match="not_positive"):
        apr_from_installments(D(1000), D(-100), 12)
    with pytest.raises(UserError, match="negative"):
        apr_from_installments(D(1000), D(100), 12, periodic_fee=D(-1))


@settings(max_examples=80, deadline=None)
@given(
    st.decimals(min_value=D("0.0001"), max_value=D("0.08"), places=5),
    st.integers(min_value=1, max_value=360),
    st.decimals(min_value=D("100"), max_value=D("500000"), places=2),
)
def test_known_monthly_rate_recovered(r: Decimal, months: int, received: Decimal) -> None:
    payment = -finance.pmt(r, months, received)
    result = apr_from_installments(received, payment, months)
    assert close(result.periodic_rate, r, "1e-25")
    assert close(result.apr, r * 12, "1e-24")
    consistent(result)


# ---------------------------------------------------------------------------------------
# apr_from_flows
# ---------------------------------------------------------------------------------------


def test_monthly_flows_equal_instalments() -> None:
    start = date(2025, 1, 15)
    flows = [(start, D(-9000))] + [(monthly(start, k), D("916.67")) for k in range(1, 13)]
    assert apr_from_flows(flows) == apr_from_installments(D(9000), D("916.67"), 12)


def test_month_end_clamping_is_monthly() -> None:
    start = date(2024, 1, 31)  # → 2-29, 3-31, 4-30 …
    flows = [(start, D(-10000))] + [(monthly(start, k), D("888.49")) for k in range(1, 13)]
    assert flows[1][0] == date(2024, 2, 29)
    result = apr_from_flows(flows)
    assert result.method == "irr"
    assert result == apr_from_installments(D(10000), D("888.49"), 12)


def test_end_of_month_schedule_is_monthly() -> None:
    dates = [date(2025, 2, 28), date(2025, 3, 31), date(2025, 4, 30), date(2025, 5, 31)]
    assert month_offsets(dates) == [0, 1, 2, 3]
    assert month_offsets([date(2025, 1, 15), date(2025, 2, 16)]) is None
    assert month_offsets([date(2025, 1, 15), date(2025, 1, 20)]) is None


def test_skipped_month_counts_as_zero() -> None:
    start = date(2025, 1, 10)
    flows = [(start, D(-1000)), (monthly(start, 1), D(500)), (monthly(start, 3), D(600))]
    result = apr_from_flows(flows)
    assert result.method == "irr"
    assert close(result.periodic_rate, finance.irr([-1000, 500, 0, 600]), "1e-30")


def test_dated_flows_use_xirr() -> None:
    amounts = [D(-10000), D(2750), D(4250), D(3250), D(2750)]
    dates = [date(2008, 1, 1), date(2008, 3, 1), date(2008, 10, 30), date(2009, 2, 15), date(2009, 4, 1)]
    result = apr_from_flows(list(zip(dates, amounts, strict=True)))
    assert result.method == "xirr"
    assert close(result.effective_annual_rate, "0.3733625335188315", "1e-15")
    # apr is the monthly-compounded nominal rate with the same effective cost.
    assert close(result.apr, 12 * ((1 + D("0.3733625335188315103")) ** (D(1) / 12) - 1), "1e-17")
    assert close(result.apr, "0.3215", "5e-5")
    consistent(result)


def test_flows_order_and_same_day_merge() -> None:
    start = date(2025, 3, 1)
    flows = [(monthly(start, k), D(100)) for k in range(1, 13)] + [(start, D(-1000)), (start, D(-100))]
    result = apr_from_flows(flows)
    assert result == apr_from_installments(D(1100), D(100), 12)


def test_flow_sign_convention_either_way() -> None:
    start = date(2025, 3, 1)
    flows = [(start, D(-1000))] + [(monthly(start, k), D(90)) for k in range(1, 13)]
    flipped = [(d, -a) for d, a in flows]
    assert apr_from_flows(flows) == apr_from_flows(flipped)


def test_flows_without_sign_change() -> None:
    for flows in ([], [(date(2025, 1, 1), D(-1000))], [(date(2025, 1, 1), D(5)), (date(2025, 2, 1), D(5))]):
        with pytest.raises(UserError) as info:
            apr_from_flows(flows)
        assert info.value.key == "error.flow.no_sign_change"


@settings(max_examples=40, deadline=None)
@given(
    st.decimals(min_value=D("0"), max_value=D("3"), places=3),
    st.lists(st.integers(min_value=1, max_value=1000), min_size=1, max_size=15, unique=True),
    st.dates(min_value=date(2010, 1, 1), max_value=date(2030, 1, 1)),
)
def test_dated_flows_recover_known_annual_rate(annual: Decimal, days: list[int], start: date) -> None:
    # Build repayments of 1000 each priced at ``annual`` (Actual/365); the effective rate must come back.
    dates = [start + timedelta(days=d) for d in days]
    received = sum((D(1000) / (1 + annual) ** (D(d) / 365) for d in days), D(0))
    flows = [(start, -received)] + [(d, D(1000)) for d in dates]
    result = apr_from_flows(flows)
    if result.method == "xirr":
        assert close(result.effective_annual_rate, annual, "1e-20")
    consistent(result)


# ---------------------------------------------------------------------------------------
# contract_apr
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FakePeriod:
    n: int
    due_date: date
    payment: Decimal
    fee: Decimal


@dataclass(frozen=True)
class FakeSchedule:
    periods: list[FakePeriod]


def fake_schedule(start: date, payment: Decimal, months: int, fee: Decimal | None = None) -> FakeSchedule:
    each = fee if fee is not None else D(0)
    return FakeSchedule([FakePeriod(k, monthly(start, k), payment, each) for k in range(1, months + 1)])


def terms(**kw: object) -> LoanTerms:
    base: dict[str, object] = {
        "principal": D(10000),
        "rate": AnnualRate(D("0.12")),
        "term_months": 12,
        "start": date(2025, 1, 15),
    }
    base.update(kw)
    return LoanTerms(**base)  # type: ignore[arg-type]


def test_contract_apr_protocol_objects() -> None:
    start = date(2025, 1, 15)
    payment = -finance.pmt(D("0.01"), 12, 10000)
    result = contract_apr(terms(), fake_schedule(start, payment, 12))
    assert close(result.apr, "0.12", "1e-27")


def test_contract_apr_upfront_fees_and_deduction() -> None:
    start = date(2025, 1, 15)
    sched = fake_schedule(start, D("888.49"), 12, fee=D(20))
    plain = contract_apr(terms(), fake_schedule(start, D("888.49"), 12))
    with_fee = contract_apr(terms(), sched)
    deducted = contract_apr(terms(amount_received=D(9500)), sched)
    upfront = contract_apr(terms(amount_received=D(9500), upfront_fees=D(300)), sched)
    assert plain.apr < with_fee.apr < deducted.apr < upfront.apr
    assert upfront == apr_from_installments(D(9200), D("908.49"), 12)


def test_contract_apr_nothing_received() -> None:
    with pytest.raises(UserError, match="not_positive"):
        contract_apr(terms(upfront_fees=D(10000)), fake_schedule(date(2025, 1, 15), D(900), 12))


def test_contract_apr_real_schedule() -> None:
    from xieshang.engine.schedule import build_schedule

    nominal = terms()
    result = contract_apr(nominal, build_schedule(nominal))
    assert close(result.apr, "0.12", "2e-4")  # fen rounding of each payment moves it a hair

    principal_first = terms(method=RepaymentMethod.EQUAL_PRINCIPAL, principal=D(12000))
    assert close(contract_apr(principal_first, build_schedule(principal_first)).apr, "0.12", "1e-28")

    cut = terms(amount_received=D(9000), periodic_fee=D(30))
    real = contract_apr(cut, build_schedule(cut))
    sched = build_schedule(cut)
    flows = [-D(9000)] + [p.payment + p.fee for p in sched.periods]
    assert close(real.periodic_rate, finance.irr(flows), "1e-30")
    assert real.apr > D("0.36")
