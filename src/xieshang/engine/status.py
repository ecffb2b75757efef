"""What is owed on a date, and why: a deterministic replay of a loan's events.

:func:`loan_status` takes the contract (:class:`LoanTerms`), what was paid (:class:`Payment`),
any waivers and rate changes, and an as-of date, and replays them in date order over the
contractual schedule. It returns a :class:`LoanStatus`: each instalment's state, days past due
(逾期天数) from the oldest unpaid instalment, the stage (current, grace, M1…M6, M6+), and what is
owed split into overdue principal, not-yet-due principal, interest, penalty interest (罚息),
compound interest (复利) and fees (违约金), plus the payoff amount (结清金额) and how fast it grows.

Design (see docs/engine.md):

* **Events, not days.** Balances only change at events (due dates, grace ends, payments,
  waivers, rate changes, and monthly postings after maturity when a rule needs them). Between two
  events every accrual is linear, so it is computed in closed form: amount × daily rate × days.
  The cost grows with the number of events, never with the number of days.
* **Full precision until posting.** Penalty and compound interest accrue unrounded; they are
  rounded with the loan's :class:`~xieshang.money.Rounding` at a posting event (a payment, a
  waiver, a capitalisation for compound interest, the report), so splitting an interval changes
  nothing beyond rounding.
* **Order within a day:** rate changes, then instalments falling due, then payments and waivers
  (by their sequence), then grace-end checks. A payment on the due date is on time; penalty
  counts from the day after the due date (or after the grace days, per the rules).
* **Allocation.** A payment settles what is due in the loan's allocation order (default
  fees → compound → penalty → interest → principal, oldest instalment first within a
  component); then, if it covers the payoff, closes the loan (interest only to the day, 民法典 677);
  otherwise it pays the next instalments in advance. Money is conserved to the fen: what is not
  needed is reported as ``excess``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum

from xieshang.engine.schedule import add_months, build_schedule
from xieshang.engine.terms import (
    CardTerms,
    Component,
    CompoundBase,
    LateFeeFrequency,
    LoanTerms,
    Payment,
    PenaltyStart,
    RateChange,
    RepaymentMethod,
    Waiver,
)
from xieshang.money import ZERO, fmt
from xieshang.rates import DayCount, Period, Rate

ONE = Decimal(1)

# An accrual is kept as exact numerators per denominator: Σ base × rate × days / days-in-year.
# Dividing only when the amount is posted keeps half-fen ties exact (300 × 22.35 % × 4 / 360 is
# exactly 0.745, which must round half-up to 0.75, not to 0.74 through a 34-digit daily rate).
_Acc = dict[Decimal, Decimal]  # denominator → numerator
_Parts = tuple[tuple[Decimal, Decimal, int], ...]  # (rate numerator, denominator, days)


def _rate_parts(rate: Rate, day_count: DayCount, start: date, end: date, days: int) -> _Parts:
    """The exact pieces of ``rate`` earned from ``start`` to ``end`` (split at 1 January for ACTUAL)."""
    if rate.period is Period.DAY:
        return ((rate.value, ONE, days),)
    annual = rate.value * 12 if rate.period is Period.MONTH else rate.value
    if day_count is not DayCount.ACTUAL:
        return ((annual, day_count.days_in_year(), days),)
    parts: list[tuple[Decimal, Decimal, int]] = []
    cursor = start
    while cursor < end:
        stop = min(date(cursor.year + 1, 1, 1), end)
        parts.append((annual, day_count.days_in_year(cursor.year), (stop - cursor).days))
        cursor = stop
    return tuple(parts)


def _add(acc: _Acc, base: Decimal, parts: _Parts) -> None:
    for num, den, days in parts:
        acc[den] = acc.get(den, ZERO) + base * num * days


def _merge(into: _Acc, other: _Acc) -> None:
    for den, num in other.items():
        into[den] = into.get(den, ZERO) + num
    other.clear()


def _value(acc: _Acc) -> Decimal:
    return sum((num / den for den, num in acc.items()), ZERO)


class Stage(StrEnum):
    CURRENT = "current"
    GRACE = "grace"
    M1 = "M1"
    M2 = "M2"
    M3 = "M3"
    M4 = "M4"
    M5 = "M5"
    M6 = "M6"
    M6_PLUS = "M6+"


def stage_for(dpd: int, grace_days: int) -> Stage:
    """M1 = 1–30 days past due, … M6 = 151–180, M6+ beyond; within the grace days: grace."""
    if dpd <= 0:
        return Stage.CURRENT
    if dpd <= grace_days:
        return Stage.GRACE
    bucket = (dpd - 1) // 30 + 1
    if bucket > 6:
        return Stage.M6_PLUS
    return Stage(f"M{bucket}")


class InstalmentState(StrEnum):
    PAID = "paid"
    PARTLY_PAID = "partly-paid"
    OVERDUE = "overdue"
    DUE = "due"  # falls due today
    FUTURE = "future"


def instalment_state(unpaid: Decimal, paid_any: bool, due: date, as_of: date, tolerance: Decimal) -> InstalmentState:
    """The state of one instalment (or card minimum) on ``as_of``."""
    if unpaid <= 0 or (unpaid <= tolerance and paid_any):
        return InstalmentState.PAID
    if due < as_of:
        return InstalmentState.PARTLY_PAID if paid_any else InstalmentState.OVERDUE
    if due == as_of:
        return InstalmentState.DUE
    return InstalmentState.PARTLY_PAID if paid_any else InstalmentState.FUTURE


@dataclass(frozen=True, slots=True)
class InstalmentStatus:
    n: int
    due_date: date
    principal: Decimal
    interest: Decimal
    fee: Decimal
    paid_principal: Decimal
    paid_interest: Decimal
    paid_fee: Decimal
    state: InstalmentState

    @property
    def unpaid(self) -> Decimal:
        return (self.principal - self.paid_principal) + (self.interest - self.paid_interest) + (
            self.fee - self.paid_fee
        )

    def to_json(self) -> dict[str, object]:
        return {
            "n": self.n,
            "due_date": self.due_date.isoformat(),
            "principal": fmt(self.principal),
            "interest": fmt(self.interest),
            "fee": fmt(self.fee),
            "paid_principal": fmt(self.paid_principal),
            "paid_interest": fmt(self.paid_interest),
            "paid_fee": fmt(self.paid_fee),
            "unpaid": fmt(self.unpaid),
            "state": self.state.value,
        }


@dataclass(frozen=True, slots=True)
class Owed:
    """What is owed on the as-of date, by component (all rounded to the loan's policy)."""

    overdue_principal: Decimal = ZERO  # principal of instalments past their due date
    not_due_principal: Decimal = ZERO  # principal not yet due (incl. an instalment due today)
    overdue_interest: Decimal = ZERO  # contractual interest of instalments past their due date
    accrued_interest: Decimal = ZERO  # contractual interest earned so far and not yet overdue
    penalty: Decimal = ZERO  # 罚息
    compound: Decimal = ZERO  # 复利
    fees: Decimal = ZERO  # 违约金 and other fees

    @property
    def principal(self) -> Decimal:
        return self.overdue_principal + self.not_due_principal

    @property
    def interest(self) -> Decimal:
        return self.overdue_interest + self.accrued_interest

    @property
    def total(self) -> Decimal:
        return self.principal + self.interest + self.penalty + self.compound + self.fees

    def to_json(self) -> dict[str, str]:
        return {
            "overdue_principal": fmt(self.overdue_principal),
            "not_due_principal": fmt(self.not_due_principal),
            "overdue_interest": fmt(self.overdue_interest),
            "accrued_interest": fmt(self.accrued_interest),
            "penalty_interest": fmt(self.penalty),
            "compound_interest": fmt(self.compound),
            "fees": fmt(self.fees),
            "principal": fmt(self.principal),
            "interest": fmt(self.interest),
            "total": fmt(self.total),
        }


@dataclass(frozen=True, slots=True)
class Allocation:
    """How one payment was split (the audit trail of the replay)."""

    on: date
    amount: Decimal
    fee: Decimal = ZERO
    compound: Decimal = ZERO
    penalty: Decimal = ZERO
    interest: Decimal = ZERO
    principal: Decimal = ZERO
    excess: Decimal = ZERO

    @property
    def allocated(self) -> Decimal:
        return self.fee + self.compound + self.penalty + self.interest + self.principal

    def to_json(self) -> dict[str, str]:
        return {
            "date": self.on.isoformat(),
            "amount": fmt(self.amount),
            "fee": fmt(self.fee),
            "compound_interest": fmt(self.compound),
            "penalty_interest": fmt(self.penalty),
            "interest": fmt(self.interest),
            "principal": fmt(self.principal),
            "excess": fmt(self.excess),
        }


@dataclass(frozen=True, slots=True)
class LoanStatus:
    as_of: date
    dpd: int
    stage: Stage
    overdue_since: date | None
    owed: Owed
    overdue_amount: Decimal  # what it takes to be current again today
    next_due_date: date | None
    next_due_amount: Decimal
    growth_per_day: Decimal  # how much the amount owed grows per day now if nothing is paid
    instalments: tuple[InstalmentStatus, ...]
    allocations: tuple[Allocation, ...]
    paid_total: Decimal
    excess: Decimal
    penalty_daily_rate: Decimal
    compound_daily_rate: Decimal
    maturity: date
    closed: bool = False
    fees_charged: Decimal = ZERO  # all fees ever charged (paid or not)
    penalty_charged: Decimal = ZERO  # all penalty interest ever posted (paid or not)
    compound_charged: Decimal = ZERO
    extra: dict[str, object] = field(default_factory=dict)

    @property
    def payoff(self) -> Decimal:
        return self.owed.total

    def to_json(self) -> dict[str, object]:
        return {
            "as_of": self.as_of.isoformat(),
            "dpd": self.dpd,
            "stage": self.stage.value,
            "overdue_since": self.overdue_since.isoformat() if self.overdue_since else None,
            "owed": self.owed.to_json(),
            "payoff": fmt(self.payoff),
            "overdue_amount": fmt(self.overdue_amount),
            "next_due_date": self.next_due_date.isoformat() if self.next_due_date else None,
            "next_due_amount": fmt(self.next_due_amount),
            "growth_per_day": fmt(self.growth_per_day),
            "penalty_daily_rate": str(self.penalty_daily_rate.normalize()),
            "compound_daily_rate": str(self.compound_daily_rate.normalize()),
            "paid_total": fmt(self.paid_total),
            "excess": fmt(self.excess),
            "closed": self.closed,
            "maturity": self.maturity.isoformat(),
            "charged": {
                "penalty_interest": fmt(self.penalty_charged),
                "compound_interest": fmt(self.compound_charged),
                "fees": fmt(self.fees_charged),
            },
            "instalments": [i.to_json() for i in self.instalments],
            "allocations": [a.to_json() for a in self.allocations],
            **self.extra,
        }


# ---------------------------------------------------------------------------------------
# Replay
# ---------------------------------------------------------------------------------------

_RATE, _DUE, _PAY, _CHECK = 0, 1, 2, 3  # order of event kinds within one day


class _Inst:
    """Mutable replay state of one instalment."""

    __slots__ = (
        "due",
        "fee",
        "grace_end",
        "in_penalty",
        "interest",
        "n",
        "paid_f",
        "paid_i",
        "paid_p",
        "pending_cmp",
        "pending_pen",
        "period_start",
        "principal",
    )

    def __init__(self, n: int, period_start: date, due: date, principal: Decimal, interest: Decimal,
                 fee: Decimal, grace_end: date) -> None:
        self.n = n
        self.period_start = period_start
        self.due = due
        self.principal = principal
        self.interest = interest
        self.fee = fee
        self.grace_end = grace_end
        self.paid_p = ZERO
        self.paid_i = ZERO
        self.paid_f = ZERO
        self.in_penalty = False  # past the penalty start: its principal bears 罚息
        self.pending_pen: _Acc = {}  # penalty accrued during grace, waived if paid within grace
        self.pending_cmp: _Acc = {}

    @property
    def unpaid_p(self) -> Decimal:
        return self.principal - self.paid_p

    @property
    def unpaid_i(self) -> Decimal:
        return self.interest - self.paid_i

    @property
    def unpaid_f(self) -> Decimal:
        return self.fee - self.paid_f

    @property
    def unpaid(self) -> Decimal:
        return self.unpaid_p + self.unpaid_i + self.unpaid_f


class _Replay:
    """One loan's replay state; see the module docstring for the rules it applies."""

    def __init__(self, terms: LoanTerms) -> None:
        self.terms = terms
        self.rules = terms.overdue
        self.rnd = terms.rounding
        self.revolving = terms.method is RepaymentMethod.REVOLVING
        schedule = build_schedule(terms)
        g = timedelta(days=self.rules.grace_days)
        self.insts = [
            _Inst(p.n, p.start, p.due_date, p.principal, ZERO if self.revolving else p.interest, p.fee,
                  p.due_date + g)
            for p in schedule.periods
        ]
        self.maturity = self.insts[-1].due
        self.rate: Rate = terms.rate
        self.penalty = ZERO  # posted (rounded) penalty outstanding
        self.compound = ZERO
        self.pen_acc: _Acc = {}  # accrued since the last posting, exact
        self.cmp_acc: _Acc = {}
        self.fees = ZERO  # posted late fees outstanding (periodic fees live on instalments)
        self.penalty_settled = ZERO  # penalty paid or waived so far
        self.compound_settled = ZERO
        self.fees_charged = ZERO
        self.capitalised = ZERO  # penalty/compound that itself bears compound interest
        self.base_p = ZERO  # unpaid principal of instalments in penalty
        self.base_i = ZERO  # unpaid interest of instalments in penalty
        self.grace: list[_Inst] = []  # fallen due, grace not over yet
        self.next_idx = 0  # first instalment not yet fallen due
        self.open_ptr = [0, 0, 0]  # oldest fallen-due instalment possibly unpaid: fee, interest, principal
        self.int_acc: _Acc = {}  # revolving: contractual interest accrued since the last due date
        self.int_posted = ZERO
        self.not_due_p = terms.principal  # principal of instalments not yet fallen due
        self.closed = False
        self.paid_total = ZERO
        self.excess = ZERO
        self.allocations: list[Allocation] = []
        self._set_rates(terms.rate)

    # -- rates ------------------------------------------------------------------------------
    def _set_rates(self, rate: Rate) -> None:
        self.rate = rate
        rules = self.rules
        self.pen_rate: Rate = rules.penalty_rate or rate.scaled(rules.penalty_multiplier)
        self.cmp_rate: Rate | None = (rules.compound_rate or self.pen_rate) if rules.compound else None
        dc = self.terms.day_count
        self.pen_daily = self.pen_rate.daily(dc).value
        self.cmp_daily = self.cmp_rate.daily(dc).value if self.cmp_rate else ZERO
        self.int_daily = rate.daily(dc).value

    def _int_value(self) -> Decimal:
        return self.int_posted + _value(self.int_acc)

    # -- accrual between events --------------------------------------------------------------
    def accrue(self, start: date, end: date) -> None:
        days = (end - start).days
        if days <= 0 or self.closed:
            return
        dc = self.terms.day_count
        pen = _rate_parts(self.pen_rate, dc, start, end, days)
        if self.base_p:
            _add(self.pen_acc, self.base_p, pen)
        cmp: _Parts = ()
        if self.cmp_rate is not None:
            cmp = _rate_parts(self.cmp_rate, dc, start, end, days)
            base = self.base_i + self.capitalised
            if base:
                _add(self.cmp_acc, base, cmp)
        if self.grace and self.rules.penalty_start is PenaltyStart.DUE_DATE:
            for inst in self.grace:
                _add(inst.pending_pen, inst.unpaid_p, pen)
                if cmp:
                    _add(inst.pending_cmp, inst.unpaid_i, cmp)
        if self.revolving and self.not_due_p:
            _add(self.int_acc, self.not_due_p, _rate_parts(self.rate, dc, start, end, days))

    # -- events -----------------------------------------------------------------------------
    def fall_due(self, inst: _Inst) -> None:
        if self.revolving:
            inst.interest = self.rnd(self._int_value())
            self.int_acc.clear()
            self.int_posted = ZERO
        self.not_due_p -= inst.unpaid_p
        self.next_idx = inst.n
        self.grace.append(inst)
        if self.rules.late_fee.frequency is LateFeeFrequency.PER_PERIOD and inst.n > 1:
            self._per_period_posting()
        elif self.rules.compound_base is CompoundBase.INTEREST_AND_PENALTY:
            self._capitalise()

    def monthly_posting(self) -> None:
        """After maturity: the monthly posting date that some rules need."""
        if self.rules.late_fee.frequency is LateFeeFrequency.PER_PERIOD:
            self._per_period_posting()
        elif self.rules.compound_base is CompoundBase.INTEREST_AND_PENALTY:
            self._capitalise()

    def _per_period_posting(self) -> None:
        overdue = self.base_p + self.base_i
        if overdue > self.rules.tolerance:
            self._charge_fee(self.rules.late_fee.fee_for(overdue))
        if self.rules.compound_base is CompoundBase.INTEREST_AND_PENALTY:
            self._capitalise()

    def _capitalise(self) -> None:
        self._post()
        self.capitalised = self.penalty + self.compound

    def _charge_fee(self, fee: Decimal) -> None:
        fee = self.rnd(fee)
        if fee > 0:
            self.fees += fee
            self.fees_charged += fee

    def grace_check(self, inst: _Inst) -> None:
        if inst not in self.grace:
            return
        self.grace.remove(inst)
        if inst.unpaid <= self.rules.tolerance:
            return  # paid within grace: any pending penalty is waived
        inst.in_penalty = True
        self.base_p += inst.unpaid_p
        self.base_i += inst.unpaid_i
        if self.rules.penalty_start is PenaltyStart.DUE_DATE:
            _merge(self.pen_acc, inst.pending_pen)
            _merge(self.cmp_acc, inst.pending_cmp)
        inst.pending_pen.clear()
        inst.pending_cmp.clear()
        if self.rules.late_fee.frequency is LateFeeFrequency.ONCE:
            self._charge_fee(self.rules.late_fee.fee_for(inst.unpaid))

    def _post(self) -> None:
        """A posting event: accrued penalty and compound interest are rounded."""
        self.penalty = self.rnd(self.penalty + _value(self.pen_acc))
        self.compound = self.rnd(self.compound + _value(self.cmp_acc))
        self.pen_acc.clear()
        self.cmp_acc.clear()

    # -- paying -----------------------------------------------------------------------------
    def _pay_inst_principal(self, inst: _Inst, amount: Decimal) -> Decimal:
        take = min(amount, inst.unpaid_p)
        if take > 0:
            inst.paid_p += take
            if inst.in_penalty:
                self.base_p -= take
            elif inst.n > self.next_idx:
                self.not_due_p -= take
        return take

    def _pay_inst_interest(self, inst: _Inst, amount: Decimal) -> Decimal:
        take = min(amount, inst.unpaid_i)
        if take > 0:
            inst.paid_i += take
            if inst.in_penalty:
                self.base_i -= take
        return take

    def _pay_aggregate(self, component: Component, amount: Decimal) -> Decimal:
        if component is Component.PENALTY:
            take = min(amount, self.penalty)
            self.penalty -= take
        elif component is Component.COMPOUND:
            take = min(amount, self.compound)
            self.compound -= take
        else:
            take = min(amount, self.fees)
            self.fees -= take
        if take and self.capitalised:
            self.capitalised = min(self.capitalised, self.penalty + self.compound)
        return take

    def _open_due(self, which: int) -> list[_Inst]:
        """Fallen-due instalments from the oldest with ``which`` (0 fee, 1 interest, 2 principal) unpaid.

        Payments settle the oldest first, so what lies before the pointer stays paid: walking from
        it keeps each payment's cost independent of how many instalments were paid before.
        """
        ptr = self.open_ptr[which]
        insts = self.insts
        while ptr < self.next_idx:
            inst = insts[ptr]
            unpaid = inst.unpaid_f if which == 0 else inst.unpaid_i if which == 1 else inst.unpaid_p
            if unpaid > 0:
                break
            ptr += 1
        self.open_ptr[which] = ptr
        return insts[ptr: self.next_idx]

    def settle(self, on: date, amount: Decimal, only: Component | None = None) -> dict[Component, Decimal]:
        """Apply ``amount`` (a payment, or a waiver of one component) and return the split."""
        self._post()
        split = dict.fromkeys(Component, ZERO)
        left = amount
        order = (only,) if only is not None else self.rules.allocation
        for comp in order:
            if left <= 0:
                break
            if comp is Component.FEE:
                take = self._pay_aggregate(comp, left)
                left -= take
                split[comp] += take
                for inst in self._open_due(0):
                    if left <= 0:
                        break
                    t = min(left, inst.unpaid_f)
                    inst.paid_f += t
                    left -= t
                    split[comp] += t
            elif comp in (Component.PENALTY, Component.COMPOUND):
                take = self._pay_aggregate(comp, left)
                left -= take
                split[comp] += take
            elif comp is Component.INTEREST:
                for inst in self._open_due(1):
                    if left <= 0:
                        break
                    t = self._pay_inst_interest(inst, left)
                    left -= t
                    split[comp] += t
            else:
                for inst in self._open_due(2):
                    if left <= 0:
                        break
                    t = self._pay_inst_principal(inst, left)
                    left -= t
                    split[comp] += t
        if left > 0 and only in (None, Component.INTEREST, Component.PRINCIPAL):
            left = self._pay_ahead(on, left, split, only)
        self.excess += left if only is None else ZERO
        self._close_if_done()
        return split

    def _accrued_current(self, on: date) -> Decimal:
        """Contractual interest earned so far in the current period and not yet paid."""
        if self.next_idx >= len(self.insts):
            return ZERO
        if self.revolving:
            return self.rnd(self._int_value())
        inst = self.insts[self.next_idx]
        span = (inst.due - inst.period_start).days
        elapsed = max(0, (on - inst.period_start).days)
        earned = self.rnd(inst.interest * elapsed / span) if span > 0 else ZERO
        return max(ZERO, earned - inst.paid_i)

    def _pay_ahead(self, on: date, left: Decimal, split: dict[Component, Decimal],
                   only: Component | None) -> Decimal:
        future = self.insts[self.next_idx:]
        if not future:
            return left
        accrued = self._accrued_current(on)
        remaining_p = sum((i.unpaid_p for i in future), ZERO)
        if only is None and left >= accrued + remaining_p:
            # Pays the loan off: interest only up to today (民法典 677), future interest cancelled.
            if self.revolving:
                self.int_acc.clear()
                self.int_posted = ZERO
            cur = future[0]
            cur.interest = cur.paid_i + accrued
            cur.paid_i += accrued
            split[Component.INTEREST] += accrued
            left -= accrued
            for inst in future:
                if inst is not cur:
                    inst.interest = inst.paid_i
                t = inst.unpaid_p
                inst.paid_p += t
                split[Component.PRINCIPAL] += t
                left -= t
                inst.fee = inst.paid_f
            self.not_due_p = ZERO
            return left
        if self.revolving:
            if only in (None, Component.INTEREST):
                posted = max(ZERO, self.rnd(self._int_value()))  # a posting event: round first
                t = min(left, posted)
                self.int_posted = posted - t
                self.int_acc.clear()
                left -= t
                split[Component.INTEREST] += t
            if only in (None, Component.PRINCIPAL):
                for inst in future:
                    if left <= 0:
                        break
                    t = self._pay_inst_principal(inst, left)
                    left -= t
                    split[Component.PRINCIPAL] += t
            return left
        for inst in future:  # pay the next instalments in advance, interest then principal
            if left <= 0:
                break
            if only in (None, Component.INTEREST):
                t = self._pay_inst_interest(inst, left)
                left -= t
                split[Component.INTEREST] += t
            if only in (None, Component.PRINCIPAL):
                t = self._pay_inst_principal(inst, left)
                left -= t
                split[Component.PRINCIPAL] += t
        return left

    def _close_if_done(self) -> None:
        if self.penalty > 0 or self.compound > 0 or self.fees > 0 or self.not_due_p > 0:
            return  # the cheap checks first: most payments leave something owed
        if self._int_value() > 0 or any(self._open_due(k) for k in (0, 1, 2)):
            return
        if all(i.unpaid <= 0 for i in self.insts[self.next_idx:]):
            self.closed = True
            self.base_p = self.base_i = self.capitalised = ZERO
            self.grace.clear()


def _events(terms: LoanTerms, replay: _Replay, payments: Sequence[Payment], waivers: Sequence[Waiver],
            rate_changes: Sequence[RateChange], as_of: date) -> list[tuple[date, int, int, object]]:
    ev: list[tuple[date, int, int, object]] = []
    for inst in replay.insts:
        if inst.due <= as_of:
            ev.append((inst.due, _DUE, inst.n, inst))
        if inst.grace_end <= as_of:
            ev.append((inst.grace_end, _CHECK, inst.n, inst))
    for i, p in enumerate(payments):
        if p.on <= as_of:
            ev.append((p.on, _PAY, p.seq * 100000 + i, p))
    for i, w in enumerate(waivers):
        if w.on <= as_of:
            ev.append((w.on, _PAY, 10**9 + i, w))
    for i, rc in enumerate(rate_changes):
        if rc.on <= as_of:
            ev.append((rc.on, _RATE, i, rc))
    rules = terms.overdue
    if rules.late_fee.frequency is LateFeeFrequency.PER_PERIOD or (
        rules.compound and rules.compound_base is CompoundBase.INTEREST_AND_PENALTY
    ):
        k = 1
        last = replay.maturity
        while True:
            d = add_months(last, k)
            if d > as_of:
                break
            ev.append((d, _CHECK, 10**6 + k, "post"))
            k += 1
    ev.sort(key=lambda e: (e[0], e[1], e[2]))
    return ev


def replay_loan(terms: LoanTerms, payments: Sequence[Payment], as_of: date,
                waivers: Sequence[Waiver] = (), rate_changes: Sequence[RateChange] = ()) -> _Replay:
    """Run the replay up to the end of ``as_of`` and return its state (internal; see loan_status)."""
    r = _Replay(terms)
    cursor = terms.start
    for when, kind, _, obj in _events(terms, r, payments, waivers, rate_changes, as_of):
        if when > cursor:
            r.accrue(cursor, when)
            cursor = when
        if kind == _DUE:
            assert isinstance(obj, _Inst)
            if not r.closed:
                r.fall_due(obj)
        elif kind == _CHECK:
            if isinstance(obj, _Inst):
                r.grace_check(obj)
            elif not r.closed:
                r.monthly_posting()
        elif kind == _RATE:
            assert isinstance(obj, RateChange)
            r._set_rates(obj.rate)
        elif isinstance(obj, Payment):
            r.paid_total += obj.amount
            split = r.settle(when, obj.amount)
            r.penalty_settled += split[Component.PENALTY]
            r.compound_settled += split[Component.COMPOUND]
            allocated = sum(split.values(), ZERO)
            alloc = Allocation(
                on=when,
                amount=obj.amount,
                fee=split[Component.FEE],
                compound=split[Component.COMPOUND],
                penalty=split[Component.PENALTY],
                interest=split[Component.INTEREST],
                principal=split[Component.PRINCIPAL],
                excess=obj.amount - allocated,
            )
            r.allocations.append(alloc)
        elif isinstance(obj, Waiver):
            split = r.settle(when, obj.amount, only=obj.component)
            r.penalty_settled += split[Component.PENALTY]
            r.compound_settled += split[Component.COMPOUND]
    r.accrue(cursor, as_of)
    return r


def loan_status(terms: LoanTerms, payments: Sequence[Payment], as_of: date,
                waivers: Sequence[Waiver] = (), rate_changes: Sequence[RateChange] = ()) -> LoanStatus:
    """Replay ``terms`` with ``payments`` (and waivers, rate changes) and report on ``as_of``."""
    r = replay_loan(terms, payments, as_of, waivers, rate_changes)
    return _report(r, as_of)


def _report(r: _Replay, as_of: date) -> LoanStatus:
    rnd = r.rnd
    tol = r.rules.tolerance
    penalty = rnd(r.penalty + _value(r.pen_acc))
    compound = rnd(r.compound + _value(r.cmp_acc))
    overdue_p = overdue_i = not_due_p = due_today = ZERO
    overdue_f = ZERO
    states: list[InstalmentStatus] = []
    overdue_since: date | None = None
    next_due: date | None = None
    next_amount = ZERO
    for inst in r.insts:
        unpaid = inst.unpaid
        if inst.due < as_of:
            overdue_p += inst.unpaid_p
            overdue_i += inst.unpaid_i
            overdue_f += inst.unpaid_f
            if unpaid > tol and overdue_since is None:
                overdue_since = inst.due
        else:
            not_due_p += inst.unpaid_p
            if inst.due == as_of:
                due_today += inst.unpaid_i + inst.unpaid_f
            if next_due is None and unpaid > 0:
                next_due = inst.due
                next_amount = unpaid
        state = instalment_state(unpaid, inst.paid_p + inst.paid_i + inst.paid_f > 0, inst.due, as_of, tol)
        states.append(
            InstalmentStatus(inst.n, inst.due, inst.principal, inst.interest, inst.fee, inst.paid_p,
                             inst.paid_i, inst.paid_f, state)
        )
    accrued = due_today + r._accrued_current(as_of) if not r.closed else ZERO
    owed = Owed(
        overdue_principal=overdue_p,
        not_due_principal=not_due_p,
        overdue_interest=overdue_i,
        accrued_interest=accrued,
        penalty=penalty,
        compound=compound,
        fees=r.fees + overdue_f,
    )
    dpd = (as_of - overdue_since).days if overdue_since else 0
    overdue_amount = overdue_p + overdue_i + overdue_f + penalty + compound + r.fees
    growth = ZERO
    if not r.closed:
        growth = r.base_p * r.pen_daily + (r.base_i + r.capitalised) * r.cmp_daily
        if r.rules.penalty_start is PenaltyStart.DUE_DATE:
            growth += sum((i.unpaid_p * r.pen_daily + i.unpaid_i * r.cmp_daily for i in r.grace), ZERO)
        if r.next_idx < len(r.insts):
            if r.revolving:
                growth += r.not_due_p * r.int_daily
            else:
                cur = r.insts[r.next_idx]
                span = (cur.due - cur.period_start).days
                if span > 0:
                    growth += cur.interest / span
    return LoanStatus(
        as_of=as_of,
        dpd=dpd,
        stage=stage_for(dpd, r.rules.grace_days),
        overdue_since=overdue_since,
        owed=owed,
        overdue_amount=overdue_amount,
        next_due_date=next_due,
        next_due_amount=next_amount,
        growth_per_day=rnd(growth),
        instalments=tuple(states),
        allocations=tuple(r.allocations),
        paid_total=r.paid_total,
        excess=r.excess,
        penalty_daily_rate=r.pen_daily,
        compound_daily_rate=r.cmp_daily,
        maturity=r.maturity,
        closed=r.closed,
        fees_charged=r.fees_charged,
        penalty_charged=r.penalty_settled + penalty,
        compound_charged=r.compound_settled + compound,
    )


def status_of(terms: LoanTerms | CardTerms, payments: Sequence[Payment], as_of: date,
              waivers: Sequence[Waiver] = ()) -> LoanStatus:
    """The status of any debt: an instalment/revolving loan or a credit-card account."""
    if isinstance(terms, CardTerms):
        from xieshang.engine.card import card_status

        return card_status(terms, payments, as_of, waivers)
    return loan_status(terms, payments, as_of, waivers)


@dataclass(frozen=True, slots=True)
class ProjectionPoint:
    days: int
    on: date
    status: LoanStatus

    def to_json(self) -> dict[str, object]:
        return {
            "days": self.days,
            "date": self.on.isoformat(),
            "total": fmt(self.status.owed.total),
            "penalty_interest": fmt(self.status.owed.penalty),
            "compound_interest": fmt(self.status.owed.compound),
            "fees": fmt(self.status.owed.fees),
            "dpd": self.status.dpd,
            "stage": self.status.stage.value,
        }


def projection(terms: LoanTerms | CardTerms, payments: Sequence[Payment], as_of: date,
               days: Sequence[int] = (30, 90, 180, 365)) -> list[ProjectionPoint]:
    """What is owed ``days`` after ``as_of`` if nothing more is paid (payments after as_of ignored)."""
    known = [p for p in payments if p.on <= as_of]
    return [ProjectionPoint(d, as_of + timedelta(days=d), status_of(terms, known, as_of + timedelta(days=d)))
            for d in days]
