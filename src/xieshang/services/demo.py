"""A realistic demo case whose dates are relative to today, so it always looks live.

- 网商贷: 20,000 over 12 months, two instalments paid, the third partly paid: ~45 days overdue.
- A credit card: statement of 15,000 not paid: ~100 days past its due date.
- 借呗: 10,000 over 12 months, both instalments so far paid on time: current.
- 微粒贷: 5,000 over 10 months, first instalment missed: ~10 days overdue.

Plus a contact log (with a flagged night call), income and spending, and a *proposed* 个性化分期
on the card (36 months, interest stopped, penalty, compound interest and fees waived; waiting for the bank's answer)
with a task to call the bank about it.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from xieshang import clock
from xieshang.engine.schedule import add_months, build_schedule
from xieshang.engine.status import status_of
from xieshang.engine.terms import LoanTerms, RepaymentMethod
from xieshang.errors import UserError
from xieshang.rates import DailyRate
from xieshang.services.case import (
    Contact,
    LenderFigureRecord,
    LoanRecord,
    PaymentRecord,
    PersonInfo,
    check_loan_record,
    loan_payments,
    loan_terms,
    write_case,
)

if TYPE_CHECKING:
    from xieshang.store.db import Store

#: Profile ids the demo uses, by role; the card takes the first of these that exists.
LOAN_PROFILES = {"wangshangdai": "wangshangdai", "jiebei": "jiebei", "weilidai": "weilidai"}
CARD_PROFILES = ("credit-card",)


def _card_profile() -> str:
    from xieshang.rules import load_profiles

    profiles = load_profiles()
    for candidate in CARD_PROFILES:
        if candidate in profiles:
            return candidate
    for pid, profile in sorted(profiles.items()):
        if profile.product.value == "card":
            return pid
    raise UserError("error.case.demo_no_profile", kind="card")


def _scheduled(rec: LoanRecord, count: int) -> list[tuple[date, Decimal]]:
    terms = loan_terms(rec)
    assert isinstance(terms, LoanTerms)
    return [(p.due_date, p.payment + p.fee) for p in build_schedule(terms).periods[:count]]


def demo_case(today: date | None = None) -> tuple[PersonInfo, list[LoanRecord]]:
    """The demo person and loans for ``today`` (validated like user input)."""
    day = today or clock.today()
    person = PersonInfo(name="张三（演示）", locale="zh_CN")

    # 网商贷: instalment 3 fell due 45 days ago; 1 and 2 were paid on time, 3 only in part.
    wsd = LoanRecord(
        id=1, lender="网商银行 网商贷", profile_id=LOAN_PROFILES["wangshangdai"], product="loan",
        principal=Decimal("20000.00"), rate=DailyRate(Decimal("0.0004")), term_months=12,
        start=add_months(day - timedelta(days=45), -3), method=RepaymentMethod.EQUAL_INSTALLMENT,
        contract_no="WSD-DEMO-0001", contacts=(Contact("phone", "95188"), Contact("app", "支付宝 > 网商贷")),
        notes="演示数据 demo data",
    )
    paid = _scheduled(wsd, 3)
    wsd_payments = [PaymentRecord(id=i + 1, loan_id=1, on=d, amount=a, channel="支付宝")
                    for i, (d, a) in enumerate(paid[:2])]
    wsd_payments.append(PaymentRecord(id=3, loan_id=1, on=paid[2][0], amount=Decimal("800.00"), channel="支付宝",
                                      note="只还了一部分 partial"))
    wsd = replace(wsd, payments=tuple(wsd_payments))
    # What the app showed three days ago: a little more than our own figure, so that
    # `reconcile` has a difference to explain.
    seen = day - timedelta(days=3)
    ours = status_of(loan_terms(wsd), loan_payments(wsd), seen).payoff
    wsd = replace(wsd, lender_figures=(LenderFigureRecord(
        id=1, loan_id=1, on=seen, amount=(ours * Decimal("1.015")).quantize(Decimal("1")).quantize(Decimal("0.01")),
        note="App 显示的待还金额 amount shown in the app"),))

    # Credit card: the statement 120 days ago was due 100 days ago and nothing was paid.
    card = LoanRecord(
        id=2, lender="招商银行信用卡", profile_id=_card_profile(), product="card",
        statement_balance=Decimal("15000.00"), statement_date=day - timedelta(days=120),
        due_date=day - timedelta(days=100), contacts=(Contact("phone", "95555"),), notes="演示数据 demo data",
    )

    # 借呗: two instalments due so far, both paid on their due dates.
    jb = LoanRecord(
        id=3, lender="支付宝 借呗", profile_id=LOAN_PROFILES["jiebei"], product="loan",
        principal=Decimal("10000.00"), rate=DailyRate(Decimal("0.0003")), term_months=12,
        start=add_months(day - timedelta(days=10), -2), method=RepaymentMethod.EQUAL_INSTALLMENT,
        contacts=(Contact("phone", "95188"),), notes="演示数据 demo data",
    )
    jb = replace(jb, payments=tuple(PaymentRecord(id=i + 1, loan_id=3, on=d, amount=a, channel="支付宝")
                                    for i, (d, a) in enumerate(_scheduled(jb, 2))))

    # 微粒贷: first instalment fell due 10 days ago, unpaid.
    wld = LoanRecord(
        id=4, lender="微众银行 微粒贷", profile_id=LOAN_PROFILES["weilidai"], product="loan",
        principal=Decimal("5000.00"), rate=DailyRate(Decimal("0.0005")), term_months=10,
        start=add_months(day - timedelta(days=10), -1), method=RepaymentMethod.EQUAL_INSTALLMENT,
        contacts=(Contact("phone", "95384"), Contact("app", "微信 > 微粒贷")), notes="演示数据 demo data",
    )
    loans = [wsd, card, jb, wld]
    for rec in loans:
        check_loan_record(rec, today=day)
    return person, loans


def load_demo(store: Store, *, reset: bool = False, today: date | None = None) -> tuple[PersonInfo, list[LoanRecord]]:
    """Write the demo case; refuses when the store has a case unless ``reset``."""
    person, loans = demo_case(today)
    write_case(store, person, loans, replace_existing=reset, exists_key="error.case.demo_exists")
    from xieshang.services.records import load_demo_records

    load_demo_records(store, today=today, reset=reset)  # the contact log, with a flagged night call
    from xieshang.services.finances import add_demo_finances

    add_demo_finances(store, today=today)  # income and spending, so `xieshang plan` works at once
    _demo_proposal(store, today or clock.today())  # a pending 个性化分期 request and its follow-up call
    return person, loans


#: How many months the demo's 个性化分期 request on the card asks for.
DEMO_PROPOSAL_MONTHS = 36


def _demo_proposal(store: Store, day: date) -> None:
    """A proposed (not yet answered) instalment plan on the card, and a task to chase the answer.

    Proposed only: it does not take over the loan, so the overview's figures stay the contract's.
    """
    from xieshang.engine.terms import Component
    from xieshang.services.agreements import AgreementInput, WaiverItem, add_agreement
    from xieshang.services.case import list_loans, loan_status
    from xieshang.services.reminders import add_task

    # The card as stored: ids are the store's (after a reset on PostgreSQL they do not restart at 1).
    card = next(loan for loan in list_loans(store) if loan.is_card)
    owed = loan_status(card, day).owed
    # Asked to waive every charge for being late (罚息, 复利, 违约金): balance + waivers = the payoff.
    waivers = tuple(WaiverItem(c, v) for c, v in ((Component.PENALTY, owed.penalty),
                                                   (Component.COMPOUND, owed.compound),
                                                   (Component.FEE, owed.fees)) if v > 0)
    add_agreement(store, AgreementInput(
        loan_id=card.id, months=DEMO_PROPOSAL_MONTHS, start=day + timedelta(days=7),
        balance=(owed.principal + owed.interest).quantize(Decimal("0.01")), waivers=waivers,
        note="演示：已申请个性化分期36期、停息，等待银行答复 demo"), today=day)
    add_task(store, "致电95555询问分期申请结果，要求书面确认 / call the bank about the instalment request",
             day + timedelta(days=3), kind="follow-up", loan_id=card.id)
