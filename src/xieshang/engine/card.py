"""A credit-card account in arrears: statements, minimum payments, interest, 违约金.

:func:`card_status` replays a :class:`~xieshang.engine.terms.CardTerms` account from the first
statement that was not paid in full, with the borrower's payments, to an as-of date, and reports
in the same :class:`~xieshang.engine.status.LoanStatus` shape as an instalment loan (so the
overview, the planner and the letters treat every debt alike). For a card the "instalments" are
the monthly minimum payments (最低还款额), each due on a due date.

Rules (each a field of ``CardTerms``; defaults follow common bank practice, see rules data):

* **Interest-free period.** If the statement is paid in full (within the ``tolerance``, 容差) by the
  due date plus the grace days, no interest. Otherwise interest is charged at the daily rate from
  ``interest_from`` (default the statement date): on the whole statement as it was paid down
  (``FULL_STATEMENT``, 全额计息) or only on the part left unpaid (``UNPAID_ONLY``).
* **Monthly statements.** On each later statement day the interest accrued in the cycle is billed;
  with ``compound_monthly`` it joins the interest-bearing balance (the interest it earns is shown
  as compound interest, 复利). Fees and 违约金 never bear interest (银发〔2016〕111号).
* **Minimum payment** of a statement = ``minimum_percent`` × principal balance (at least
  ``minimum_floor``) + the interest and fees billed in that cycle; unpaid earlier minimums stay due.
* **违约金.** When the minimum is not paid by the due date plus grace, a late fee on the unpaid part
  of the minimum (default 5 %, at least ¥10).
* **Days past due** count from the due date of the oldest minimum payment still unpaid.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from xieshang.engine.schedule import add_months
from xieshang.engine.status import (
    Allocation,
    InstalmentStatus,
    LoanStatus,
    Owed,
    instalment_state,
    stage_for,
)
from xieshang.engine.terms import CardInterestMode, CardTerms, Component, Payment, Waiver
from xieshang.money import ZERO

_STATEMENT, _PAY, _CHECK = 0, 2, 3


@dataclass(slots=True)
class _Minimum:
    n: int
    due: date
    amount: Decimal
    paid: Decimal = ZERO

    @property
    def unpaid(self) -> Decimal:
        return self.amount - self.paid


class _CardReplay:
    def __init__(self, terms: CardTerms) -> None:
        self.t = terms
        self.rnd = terms.rounding
        self.daily = terms.daily_rate.daily(terms.day_count).value
        self.principal = terms.statement_balance
        self.interest = ZERO  # posted interest outstanding
        self.compound = ZERO  # posted interest-on-interest outstanding
        self.fees = ZERO  # 违约金 outstanding
        self.acc_int = ZERO  # accrued, not yet posted
        self.acc_cmp = ZERO
        self.capitalised = ZERO  # billed interest that bears interest
        self.pending = ZERO  # interest of the interest-free period, charged only if not paid in full
        self.free_period = True
        self.billed_int = ZERO  # interest billed this cycle (for the next minimum)
        self.billed_fees = ZERO
        first_min = min(self.principal, max(self.principal * terms.minimum_percent, terms.minimum_floor))
        self.minimums = [_Minimum(1, terms.due_date, self.rnd(first_min))]
        self.paid_total = ZERO
        self.excess = ZERO
        self.fees_charged = ZERO
        self.compound_settled = ZERO
        self.allocations: list[Allocation] = []
        self.closed = False

    def accrue(self, start: date, end: date) -> None:
        days = (end - start).days
        if days <= 0 or self.closed:
            return
        if self.free_period:
            self.pending += self.principal * self.daily * days
            return
        self.acc_int += self.principal * self.daily * days
        if self.capitalised:
            self.acc_cmp += self.capitalised * self.daily * days

    def post(self) -> None:
        self.interest += self.rnd(self.acc_int)
        self.compound += self.rnd(self.acc_cmp)
        self.billed_int += self.rnd(self.acc_int) + self.rnd(self.acc_cmp)
        self.acc_int = self.acc_cmp = ZERO

    def balance(self) -> Decimal:
        return self.principal + self.interest + self.compound + self.fees

    def statement(self, n: int, due: date) -> None:
        """A monthly statement: bill the cycle's interest, set the next minimum payment."""
        if self.closed:
            return
        self.post()
        if self.t.compound_monthly:
            self.capitalised = self.interest + self.compound
        amount = max(self.principal * self.t.minimum_percent, self.t.minimum_floor)
        amount += self.billed_int + self.billed_fees
        outstanding_minimums = sum((m.unpaid for m in self.minimums), ZERO)
        amount = min(amount, max(ZERO, self.balance() - outstanding_minimums))
        self.minimums.append(_Minimum(n, due, self.rnd(amount)))
        self.billed_int = self.billed_fees = ZERO

    def check(self, m: _Minimum, on: date) -> None:
        """Due date plus grace has passed for minimum ``m``."""
        if self.free_period and m.n == 1:
            self.free_period = False
            if self.principal <= self.t.tolerance:
                self.pending = ZERO
            elif self.t.interest_mode is CardInterestMode.FULL_STATEMENT:
                self.acc_int += self.pending
            else:
                start = self.t.interest_from or self.t.statement_date
                self.acc_int += self.principal * self.daily * (on - start).days
            self.pending = ZERO
        unpaid_min = sum((x.unpaid for x in self.minimums if x.n <= m.n), ZERO)
        if m.unpaid > self.t.tolerance and unpaid_min > self.t.tolerance and not self.closed:
            fee = self.rnd(self.t.late_fee.fee_for(unpaid_min))
            self.fees += fee
            self.fees_charged += fee
            self.billed_fees += fee

    def pay(self, on: date, amount: Decimal, only: Component | None = None) -> dict[Component, Decimal]:
        self.post()
        split = dict.fromkeys(Component, ZERO)
        left = amount
        order = (only,) if only is not None else self.t.allocation
        for comp in order:
            if left <= 0:
                break
            if comp is Component.FEE:
                take = min(left, self.fees)
                self.fees -= take
            elif comp is Component.COMPOUND:
                take = min(left, self.compound)
                self.compound -= take
            elif comp is Component.INTEREST:
                take = min(left, self.interest)
                self.interest -= take
            elif comp is Component.PRINCIPAL:
                take = min(left, self.principal)
                self.principal -= take
            else:
                take = ZERO  # cards carry no separate penalty interest
            split[comp] += take
            left -= take
        self.capitalised = min(self.capitalised, self.interest + self.compound)
        if only is None:
            credit = amount - left
            for m in self.minimums:
                if credit <= 0:
                    break
                t = min(credit, m.unpaid)
                m.paid += t
                credit -= t
            self.excess += left
        if self.balance() <= 0:
            self.closed = True
            self.pending = ZERO
            for m in self.minimums:
                m.paid = m.amount
        return split


def card_status(terms: CardTerms, payments: Sequence[Payment], as_of: date,
                waivers: Sequence[Waiver] = ()) -> LoanStatus:
    """Replay a card account with ``payments`` and report on ``as_of``."""
    r = _CardReplay(terms)
    grace = timedelta(days=terms.grace_days)
    ev: list[tuple[date, int, int, object]] = []
    k = 1
    while True:  # statements and due dates, monthly, up to as_of
        s = add_months(terms.statement_date, k, terms.statement_date.day)
        if s > as_of:
            break
        ev.append((s, _STATEMENT, k, add_months(terms.due_date, k, terms.due_date.day)))
        k += 1
    for i, p in enumerate(payments):
        if p.on <= as_of:
            ev.append((p.on, _PAY, p.seq * 100000 + i, p))
    for i, w in enumerate(waivers):
        if w.on <= as_of:
            ev.append((w.on, _PAY, 10**9 + i, w))
    # Due-date checks are generated as the minimums appear: n-th minimum is checked at due + grace.
    checks = [add_months(terms.due_date, j, terms.due_date.day) + grace for j in range(k)]
    for j, c in enumerate(checks):
        if c <= as_of:
            ev.append((c, _CHECK, j + 1, None))
    ev.sort(key=lambda e: (e[0], e[1], e[2]))
    cursor = terms.interest_from or terms.statement_date
    cursor = min(cursor, terms.statement_date)
    for when, kind, n, obj in ev:
        if when > cursor:
            r.accrue(cursor, when)
            cursor = when
        if kind == _STATEMENT:
            assert isinstance(obj, date)
            r.statement(n + 1, obj)
        elif kind == _CHECK:
            mins = [m for m in r.minimums if m.n == n]
            if mins:
                r.check(mins[0], when)
        elif isinstance(obj, Payment):
            r.paid_total += obj.amount
            split = r.pay(when, obj.amount)
            r.compound_settled += split[Component.COMPOUND]
            allocated = sum(split.values(), ZERO)
            r.allocations.append(Allocation(
                on=when, amount=obj.amount, fee=split[Component.FEE],
                compound=split[Component.COMPOUND], penalty=ZERO,
                interest=split[Component.INTEREST], principal=split[Component.PRINCIPAL],
                excess=obj.amount - allocated,
            ))
        elif isinstance(obj, Waiver):
            split = r.pay(when, obj.amount, only=obj.component)
            r.compound_settled += split[Component.COMPOUND]
    if cursor < as_of:
        r.accrue(cursor, as_of)
    return _card_report(r, as_of)


def _card_report(r: _CardReplay, as_of: date) -> LoanStatus:
    rnd = r.rnd
    tol = r.t.tolerance
    accrued = rnd(r.acc_int) + (rnd(r.pending) if not r.free_period else ZERO)
    accrued_cmp = rnd(r.acc_cmp)
    overdue_since: date | None = None
    states: list[InstalmentStatus] = []
    past_due_unpaid = ZERO
    next_due: date | None = None
    next_amount = ZERO
    for m in r.minimums:
        if m.due < as_of and m.unpaid > tol and overdue_since is None:
            overdue_since = m.due
        if m.due < as_of:
            past_due_unpaid += m.unpaid
        state = instalment_state(m.unpaid, m.paid > 0, m.due, as_of, tol)
        if m.due >= as_of and next_due is None and m.unpaid > 0:
            next_due = m.due
            next_amount = m.unpaid + past_due_unpaid
        states.append(InstalmentStatus(m.n, m.due, m.amount, ZERO, ZERO, m.paid, ZERO, ZERO, state))
    if next_due is None and not r.closed:
        next_due = add_months(r.t.due_date, len(r.minimums), r.t.due_date.day)
        next_amount = past_due_unpaid
    dpd = (as_of - overdue_since).days if overdue_since else 0
    non_principal = r.interest + r.compound + r.fees
    overdue_p = min(r.principal, max(ZERO, past_due_unpaid - non_principal)) if dpd else ZERO
    owed = Owed(
        overdue_principal=overdue_p,
        not_due_principal=r.principal - overdue_p,
        overdue_interest=r.interest if dpd else ZERO,
        accrued_interest=accrued + (ZERO if dpd else r.interest),
        penalty=ZERO,
        compound=r.compound + accrued_cmp,
        fees=r.fees,
    )
    growth = ZERO
    if not r.closed:
        growth = (r.principal + r.capitalised) * r.daily
    last_due = r.minimums[-1].due
    return LoanStatus(
        as_of=as_of,
        dpd=dpd,
        stage=stage_for(dpd, r.t.grace_days),
        overdue_since=overdue_since,
        owed=owed,
        overdue_amount=past_due_unpaid,
        next_due_date=next_due,
        next_due_amount=next_amount,
        growth_per_day=rnd(growth),
        instalments=tuple(states),
        allocations=tuple(r.allocations),
        paid_total=r.paid_total,
        excess=r.excess,
        penalty_daily_rate=ZERO,
        compound_daily_rate=r.daily if r.t.compound_monthly else ZERO,
        maturity=last_due,
        closed=r.closed,
        fees_charged=r.fees_charged,
        penalty_charged=ZERO,
        compound_charged=r.compound_settled + r.compound + accrued_cmp,
        extra={"product": "card"},
    )
