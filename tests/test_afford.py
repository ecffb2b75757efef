"""`afford`: the payment, its share of income, debt-to-income, the real APR — hand-checked."""

from __future__ import annotations

from decimal import Decimal

import pytest

from xieshang.engine import finance
from xieshang.engine.afford import Threshold, affordability, instalments
from xieshang.errors import UserError
from xieshang.services.prevention import afford, autopay_checklist, prevention_data

D = Decimal


def test_amortising_loan_hand_checked() -> None:
    # 12,000 at 12 % a year over 12 months: 12000 × 0.01 × 1.01^12 / (1.01^12 − 1) = 1066.1855 → 1066.19;
    # the last instalment clears the balance (1066.14); total 11 × 1066.19 + 1066.14 = 12,794.23.
    a = affordability(D(12000), D("0.12"), 12, D(8000), D(1500))
    assert a.payment == D("1066.19") and a.last_payment == D("1066.14")
    assert a.total_paid == D("12794.23") and a.total_cost == D("794.23")
    assert a.share == D("1066.19") / D(8000)  # 13.33 %
    assert a.dti_before == D("0.1875")  # 1500 / 8000
    assert a.dti_after == D("2566.19") / D(8000)  # 32.08 %
    assert abs(a.apr.apr - D("0.12")) < D("0.0001")  # no fees: the real APR is the quoted rate


def test_flat_rate_real_apr_is_almost_double() -> None:
    # "6 % a year" charged on the original 12,000 for the whole year: 720 interest, 1060 a month.
    a = affordability(D(12000), D("0.06"), 12, D(8000), D(0), flat=True)
    assert a.payment == D("1060.00") and a.total_paid == D("12720.00")
    monthly = a.apr.periodic_rate
    assert abs(finance.pmt(monthly, 12, D(-12000)) - D(1060)) < D("0.000001")  # the IRR repays 12,000
    assert D("0.1089") < a.apr.apr < D("0.1090")  # 10.90 %: 1.8 × the quoted flat rate


def test_fees_raise_the_real_apr() -> None:
    plain = affordability(D(10000), D("0.10"), 12, D(6000), D(0))
    fees = affordability(D(10000), D("0.10"), 12, D(6000), D(0), upfront_fee=D(300), monthly_fee=D(20))
    assert fees.payment == plain.payment and fees.monthly_outlay == plain.payment + D(20)
    assert fees.total_paid == plain.total_paid + D(300) + D(240)
    assert fees.apr.apr > plain.apr.apr + D("0.09")


def test_zero_rate_and_instalments_sum_to_the_amount() -> None:
    a = affordability(D(1000), D(0), 3, D(5000), D(0))
    assert instalments(D(1000), D(0), 3) == [D("333.33"), D("333.33"), D("333.34")]
    assert a.apr.apr == 0 and a.total_cost == 0


def test_thresholds_flag_what_is_above() -> None:
    lines = (Threshold("share", "payment-share", "caution", D("0.20")), Threshold("dti", "dti", "limit", D("0.50")))
    a = affordability(D(12000), D("0.12"), 12, D(5000), D(1500), lines)
    share, dti = a.checks
    assert share.value == a.share and share.above  # 1066.19 / 5000 = 21.3 %
    assert dti.value == a.dti_after and dti.above  # 2566.19 / 5000 = 51.3 %
    b = affordability(D(12000), D("0.12"), 12, D(6000), D(1500), lines)
    assert [c.above for c in b.checks] == [False, False]  # 17.8 %, 42.8 %


@pytest.mark.parametrize("args, key", [
    ((D(0), D("0.1"), 12, D(5000), D(0)), "error.money.not_positive"),
    ((D(1000), D("0.1"), 12, D(0), D(0)), "error.money.not_positive"),
    ((D(1000), D("-0.1"), 12, D(5000), D(0)), "error.rate.negative"),
    ((D(1000), D("0.1"), 0, D(5000), D(0)), "error.term.months"),
    ((D(1000), D("0.1"), 12, D(5000), D(-1)), "error.money.negative"),
])
def test_bad_input(args: tuple[D, D, int, D, D], key: str) -> None:
    with pytest.raises(UserError) as err:
        affordability(*args)
    assert err.value.key == key


def test_data_thresholds_are_sourced_and_used() -> None:
    data = prevention_data()
    assert {t.measure for t in data.threshold} == {"payment-share", "dti"}
    for fact in (*data.threshold, data.emergency_fund_months, *data.autopay):
        assert fact.source and fact.confidence in ("V", "S", "U")
    report = afford(D(12000), D("0.12"), 12, income=D(8000), existing=D(1500))
    assert [c.threshold.id for c in report.result.checks] == [t.id for t in data.threshold]
    assert len(autopay_checklist()) >= 5
    with pytest.raises(UserError) as err:
        afford(D(12000), D("0.12"), 12)
    assert err.value.key == "after.error.need_income"
