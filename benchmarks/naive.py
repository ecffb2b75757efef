"""A deliberately naive oracle for the loan replay engine: it walks the calendar one day at a time.

:func:`naive_status` applies the same rules as :mod:`xieshang.engine.status`, but in the most
obvious way there is, so that it can be read and checked by eye:

* every day from disbursement to the as-of date is visited;
* on each day the events of that day are handled in the documented order
  (rate changes → instalments falling due → payments and waivers by sequence → grace-end checks
  → monthly postings after maturity);
* then, unless the day is the as-of date, one night of interest accrues: every balance that bears
  penalty (罚息), compound interest (复利) or revolving interest is recomputed from scratch by
  scanning the instalments and multiplied by *that one day's* rate (annual ÷ 360, 365, or the
  year's actual length; a daily rate as it is);
* accrued amounts are exact fractions (:class:`fractions.Fraction`), so there is not even a
  34-digit rounding to reason about: an amount that is exactly half a fen is seen as such;
* penalty and compound interest are rounded with the loan's policy only at a posting (a payment,
  a waiver, a capitalisation at a due date or a monthly posting, and the final report). Money
  enters and leaves as :class:`~decimal.Decimal`.

Nothing is computed in closed form and no running totals are kept for the bases, so the cost is
``days × instalments``: this is the baseline the engine's event replay is measured against in
``python -m benchmarks``, and the oracle the property tests compare it with to the fen.

It uses the contractual schedule from :func:`~xieshang.engine.schedule.build_schedule` (that is
the contract, tested on its own against published figures) and nothing else from the engine.
"""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal, localcontext
from fractions import Fraction

from xieshang.engine.schedule import add_months, build_schedule
from xieshang.engine.status import Stage
from xieshang.engine.terms import (
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
from xieshang.rates import DayCount, Period, Rate

ZERO = Decimal(0)
NOTHING = Fraction(0)
ONE_DAY = timedelta(days=1)


@dataclass
class NaiveInstalment:
    n: int
    start: date  # the day this period's contractual interest starts counting
    due: date
    grace_end: date
    principal: Decimal
    interest: Decimal
    fee: Decimal
    paid_principal: Decimal = ZERO
    paid_interest: Decimal = ZERO
    paid_fee: Decimal = ZERO
    fallen_due: bool = False  # its due date has been reached
    in_grace: bool = False  # fallen due, grace days not over yet
    in_penalty: bool = False  # grace over while unpaid: bears penalty and compound interest
    pending_penalty: Fraction = NOTHING  # accrued during grace; waived if paid within grace
    pending_compound: Fraction = NOTHING

    @property
    def unpaid_principal(self) -> Decimal:
        return self.principal - self.paid_principal

    @property
    def unpaid_interest(self) -> Decimal:
        return self.interest - self.paid_interest

    @property
    def unpaid_fee(self) -> Decimal:
        return self.fee - self.paid_fee

    @property
    def unpaid(self) -> Decimal:
        return self.unpaid_principal + self.unpaid_interest + self.unpaid_fee


@dataclass(frozen=True)
class NaiveAllocation:
    on: date
    amount: Decimal
    fee: Decimal
    compound: Decimal
    penalty: Decimal
    interest: Decimal
    principal: Decimal
    excess: Decimal


@dataclass(frozen=True)
class NaiveStatus:
    """The figures the oracle vouches for (all rounded with the loan's policy)."""

    as_of: date
    dpd: int
    stage: Stage
    closed: bool
    overdue_principal: Decimal
    not_due_principal: Decimal
    overdue_interest: Decimal
    accrued_interest: Decimal
    penalty: Decimal
    compound: Decimal
    fees: Decimal
    excess: Decimal
    paid_total: Decimal
    allocations: tuple[NaiveAllocation, ...] = field(default=())

    @property
    def total(self) -> Decimal:
        return (self.overdue_principal + self.not_due_principal + self.overdue_interest
                + self.accrued_interest + self.penalty + self.compound + self.fees)

    def owed(self) -> dict[str, Decimal]:
        return {
            "overdue_principal": self.overdue_principal,
            "not_due_principal": self.not_due_principal,
            "overdue_interest": self.overdue_interest,
            "accrued_interest": self.accrued_interest,
            "penalty": self.penalty,
            "compound": self.compound,
            "fees": self.fees,
        }


def naive_stage(dpd: int, grace_days: int) -> Stage:
    """Days past due → collection stage: 0 current, within grace 'grace', then 30-day buckets."""
    if dpd <= 0:
        return Stage.CURRENT
    if dpd <= grace_days:
        return Stage.GRACE
    buckets = [Stage.M1, Stage.M2, Stage.M3, Stage.M4, Stage.M5, Stage.M6]
    month = (dpd - 1) // 30  # 1–30 → 0, 31–60 → 1, …
    return buckets[month] if month < len(buckets) else Stage.M6_PLUS


class NaiveLoan:
    """One loan walked day by day. Use :func:`naive_status`."""

    def __init__(self, terms: LoanTerms) -> None:
        self.terms = terms
        self.rules = terms.overdue
        self.round = terms.rounding
        self.revolving = terms.method is RepaymentMethod.REVOLVING
        grace = timedelta(days=self.rules.grace_days)
        self.instalments = [
            NaiveInstalment(
                n=p.n,
                start=p.start,
                due=p.due_date,
                grace_end=p.due_date + grace,
                principal=p.principal,
                # A revolving loan's interest is whatever accrues on the balance; it is billed at each due date.
                interest=ZERO if self.revolving else p.interest,
                fee=p.fee,
            )
            for p in build_schedule(terms).periods
        ]
        self.rate: Rate = terms.rate
        self.penalty = NOTHING  # posted + accruing penalty interest, not yet paid
        self.compound = NOTHING
        self.fees = ZERO  # late fees charged and not yet paid
        self.capitalised = NOTHING  # penalty + compound that itself bears compound interest
        self.revolving_interest = NOTHING  # revolving: interest accrued since the last due date
        self.closed = False
        self.excess = ZERO
        self.paid_total = ZERO
        self.allocations: list[NaiveAllocation] = []

    # -- rates --------------------------------------------------------------------------------
    def penalty_rate(self) -> Rate:
        return self.rules.penalty_rate or self.rate.scaled(self.rules.penalty_multiplier)

    def compound_rate(self) -> Rate | None:
        if not self.rules.compound:
            return None
        return self.rules.compound_rate or self.penalty_rate()

    def one_day(self, rate: Rate | None, day: date) -> Fraction:
        """What one unit earns at ``rate`` over the single night from ``day`` to the next day."""
        if rate is None:
            return NOTHING
        if rate.period is Period.DAY:
            return Fraction(rate.value)
        yearly = Fraction(rate.value) * (12 if rate.period is Period.MONTH else 1)
        dc = self.terms.day_count
        if dc is DayCount.D360:
            return yearly / 360
        if dc is DayCount.D365:
            return yearly / 365
        return yearly / (366 if calendar.isleap(day.year) else 365)

    def money(self, amount: Fraction) -> Decimal:
        """An exact amount rounded with the loan's policy (ties are decided exactly)."""
        with localcontext() as ctx:
            ctx.prec = 80
            return self.round(Decimal(amount.numerator) / Decimal(amount.denominator))

    # -- views --------------------------------------------------------------------------------
    def fallen_due(self) -> list[NaiveInstalment]:
        return [i for i in self.instalments if i.fallen_due]

    def not_yet_due(self) -> list[NaiveInstalment]:
        return [i for i in self.instalments if not i.fallen_due]

    def penalty_base_principal(self) -> Decimal:
        return sum((i.unpaid_principal for i in self.instalments if i.in_penalty), ZERO)

    def penalty_base_interest(self) -> Decimal:
        return sum((i.unpaid_interest for i in self.instalments if i.in_penalty), ZERO)

    # -- one night ----------------------------------------------------------------------------
    def accrue_one_day(self, day: date) -> None:
        if self.closed:
            return
        pen = self.one_day(self.penalty_rate(), day)
        cmp = self.one_day(self.compound_rate(), day)
        self.penalty += Fraction(self.penalty_base_principal()) * pen
        self.compound += (Fraction(self.penalty_base_interest()) + self.capitalised) * cmp
        if self.rules.penalty_start is PenaltyStart.DUE_DATE:
            for inst in self.instalments:
                if inst.in_grace:
                    inst.pending_penalty += Fraction(inst.unpaid_principal) * pen
                    inst.pending_compound += Fraction(inst.unpaid_interest) * cmp
        if self.revolving:
            not_due = sum((i.unpaid_principal for i in self.not_yet_due()), ZERO)
            self.revolving_interest += Fraction(not_due) * self.one_day(self.rate, day)

    # -- postings -----------------------------------------------------------------------------
    def post(self) -> None:
        self.penalty = Fraction(self.money(self.penalty))
        self.compound = Fraction(self.money(self.compound))

    def capitalise(self) -> None:
        self.post()
        self.capitalised = self.penalty + self.compound

    def charge_fee(self, fee: Decimal) -> None:
        self.fees += self.round(fee)

    def charge_periodic_late_fee(self) -> None:
        overdue = self.penalty_base_principal() + self.penalty_base_interest()
        if overdue > self.rules.tolerance:
            self.charge_fee(self.rules.late_fee.fee_for(overdue))

    # -- events -------------------------------------------------------------------------------
    def fall_due(self, inst: NaiveInstalment) -> None:
        if self.revolving:
            inst.interest = self.money(self.revolving_interest)
            self.revolving_interest = NOTHING
        inst.fallen_due = True
        inst.in_grace = True
        if self.rules.late_fee.frequency is LateFeeFrequency.PER_PERIOD and inst.n > 1:
            self.charge_periodic_late_fee()
        if self.rules.compound_base is CompoundBase.INTEREST_AND_PENALTY:
            self.capitalise()

    def end_of_grace(self, inst: NaiveInstalment) -> None:
        inst.in_grace = False
        if inst.unpaid <= self.rules.tolerance:
            return  # paid within grace: the pending penalty is forgiven
        inst.in_penalty = True
        if self.rules.penalty_start is PenaltyStart.DUE_DATE:
            self.penalty += inst.pending_penalty
            self.compound += inst.pending_compound
        if self.rules.late_fee.frequency is LateFeeFrequency.ONCE:
            self.charge_fee(self.rules.late_fee.fee_for(inst.unpaid))

    def monthly_posting(self) -> None:
        if self.rules.late_fee.frequency is LateFeeFrequency.PER_PERIOD:
            self.charge_periodic_late_fee()
        if self.rules.compound_base is CompoundBase.INTEREST_AND_PENALTY:
            self.capitalise()

    def has_monthly_postings(self) -> bool:
        return self.rules.late_fee.frequency is LateFeeFrequency.PER_PERIOD or (
            self.rules.compound and self.rules.compound_base is CompoundBase.INTEREST_AND_PENALTY
        )

    # -- money in -----------------------------------------------------------------------------
    def interest_to_date(self, day: date) -> Decimal:
        """Contractual interest of the current (not yet due) period earned up to ``day``, unpaid."""
        future = self.not_yet_due()
        if not future:
            return ZERO
        if self.revolving:
            return self.money(self.revolving_interest)
        cur = future[0]
        span = (cur.due - cur.start).days
        if span <= 0:
            return ZERO
        elapsed = max(0, (day - cur.start).days)
        earned = self.money(Fraction(cur.interest) * elapsed / span)
        return max(ZERO, earned - cur.paid_interest)

    def credit(self, day: date, amount: Decimal, only: Component | None) -> dict[Component, Decimal]:
        """Apply money (``only`` None) or a waiver of one component; return how it was split."""
        self.post()
        parts = dict.fromkeys(Component, ZERO)
        left = amount
        fallen = self.fallen_due()

        def take(comp: Component, available: Decimal) -> Decimal:
            nonlocal left
            t = max(ZERO, min(left, available))
            left -= t
            parts[comp] += t
            return t

        for comp in (only,) if only is not None else self.rules.allocation:
            if comp is Component.FEE:
                self.fees -= take(comp, self.fees)
                for inst in fallen:
                    inst.paid_fee += take(comp, inst.unpaid_fee)
            elif comp is Component.COMPOUND:  # posted just above: whole fen
                self.compound -= Fraction(take(comp, self.money(self.compound)))
            elif comp is Component.PENALTY:
                self.penalty -= Fraction(take(comp, self.money(self.penalty)))
            elif comp is Component.INTEREST:
                for inst in fallen:
                    inst.paid_interest += take(comp, inst.unpaid_interest)
            else:
                for inst in fallen:
                    inst.paid_principal += take(comp, inst.unpaid_principal)
        # What bears compound interest can never exceed the penalty and compound still owed.
        self.capitalised = min(self.capitalised, self.penalty + self.compound)

        future = self.not_yet_due()
        if left > 0 and future and only in (None, Component.INTEREST, Component.PRINCIPAL):
            to_date = self.interest_to_date(day)
            principal_left = sum((i.unpaid_principal for i in future), ZERO)
            if only is None and left >= to_date + principal_left:
                # Payoff: interest only up to today, later interest and fees cancelled.
                self.revolving_interest = NOTHING
                cur = future[0]
                cur.interest = cur.paid_interest + to_date
                cur.paid_interest += take(Component.INTEREST, to_date)
                for inst in future:
                    if inst is not cur:
                        inst.interest = inst.paid_interest
                    inst.fee = inst.paid_fee
                    inst.paid_principal += take(Component.PRINCIPAL, inst.unpaid_principal)
            elif self.revolving:
                if only in (None, Component.INTEREST):
                    # a posting event: the accrued interest is rounded, then paid from
                    posted = max(self.money(self.revolving_interest), ZERO)
                    self.revolving_interest = Fraction(posted - take(Component.INTEREST, posted))
                if only in (None, Component.PRINCIPAL):
                    for inst in future:
                        inst.paid_principal += take(Component.PRINCIPAL, inst.unpaid_principal)
            else:
                for inst in future:  # the next instalments in advance: interest, then principal
                    if only in (None, Component.INTEREST):
                        inst.paid_interest += take(Component.INTEREST, inst.unpaid_interest)
                    if only in (None, Component.PRINCIPAL):
                        inst.paid_principal += take(Component.PRINCIPAL, inst.unpaid_principal)
        if only is None:
            self.excess += left
        if (
            all(i.unpaid <= 0 for i in self.instalments)
            and self.penalty <= 0
            and self.compound <= 0
            and self.fees <= 0
            and self.revolving_interest <= 0
        ):
            self.closed = True
            self.capitalised = NOTHING
            for inst in self.instalments:
                inst.in_grace = False
        return parts

    def pay(self, day: date, amount: Decimal) -> None:
        self.paid_total += amount
        parts = self.credit(day, amount, None)
        allocated = sum(parts.values(), ZERO)
        self.allocations.append(
            NaiveAllocation(day, amount, parts[Component.FEE], parts[Component.COMPOUND],
                            parts[Component.PENALTY], parts[Component.INTEREST],
                            parts[Component.PRINCIPAL], amount - allocated)
        )

    # -- the walk -----------------------------------------------------------------------------
    def run(self, payments: Sequence[Payment], as_of: date, waivers: Sequence[Waiver] = (),
            rate_changes: Sequence[RateChange] = ()) -> NaiveStatus:
        maturity = self.instalments[-1].due
        postings: set[date] = set()
        if self.has_monthly_postings():
            k = 1
            while add_months(maturity, k) <= as_of:
                postings.add(add_months(maturity, k))
                k += 1
        # Same-day money: payments by (seq, entry order), then waivers in entry order.
        credits: list[tuple[date, tuple[int, int, int], Payment | Waiver]] = []
        credits += [(p.on, (0, p.seq, i), p) for i, p in enumerate(payments)]
        credits += [(w.on, (1, 0, i), w) for i, w in enumerate(waivers)]
        earliest = min([self.terms.start] + [c[0] for c in credits] + [r.on for r in rate_changes])

        day = earliest
        while day <= as_of:
            for change in rate_changes:
                if change.on == day:
                    self.rate = change.rate
            for inst in self.instalments:
                if inst.due == day and not self.closed:
                    self.fall_due(inst)
            for _, _, item in sorted((c for c in credits if c[0] == day), key=lambda c: c[1]):
                if isinstance(item, Payment):
                    self.pay(day, item.amount)
                else:
                    self.credit(day, item.amount, item.component)
            for inst in self.instalments:
                if inst.grace_end == day and inst.in_grace:
                    self.end_of_grace(inst)
            if day in postings and not self.closed:
                self.monthly_posting()
            if self.terms.start <= day < as_of:
                self.accrue_one_day(day)
            day += ONE_DAY
        return self.report(as_of)

    def report(self, as_of: date) -> NaiveStatus:
        tol = self.rules.tolerance
        overdue_p = overdue_i = overdue_f = not_due_p = due_today = ZERO
        oldest_unpaid: date | None = None
        for inst in self.instalments:
            if inst.due < as_of:
                overdue_p += inst.unpaid_principal
                overdue_i += inst.unpaid_interest
                overdue_f += inst.unpaid_fee
                if inst.unpaid > tol and oldest_unpaid is None:
                    oldest_unpaid = inst.due
            else:
                not_due_p += inst.unpaid_principal
                if inst.due == as_of:  # due today: its interest and fee are owed but not late
                    due_today += inst.unpaid_interest + inst.unpaid_fee
        accrued = ZERO if self.closed else due_today + self.interest_to_date(as_of)
        dpd = (as_of - oldest_unpaid).days if oldest_unpaid else 0
        return NaiveStatus(
            as_of=as_of,
            dpd=dpd,
            stage=naive_stage(dpd, self.rules.grace_days),
            closed=self.closed,
            overdue_principal=overdue_p,
            not_due_principal=not_due_p,
            overdue_interest=overdue_i,
            accrued_interest=accrued,
            penalty=self.money(self.penalty),
            compound=self.money(self.compound),
            fees=self.fees + overdue_f,
            excess=self.excess,
            paid_total=self.paid_total,
            allocations=tuple(self.allocations),
        )


def naive_status(terms: LoanTerms, payments: Sequence[Payment], as_of: date,
                 waivers: Sequence[Waiver] = (), rate_changes: Sequence[RateChange] = ()) -> NaiveStatus:
    """What is owed on ``as_of``, computed one day at a time (see the module docstring)."""
    return NaiveLoan(terms).run(payments, as_of, waivers, rate_changes)
