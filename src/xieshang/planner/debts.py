"""Each debt as the planner sees it: the engine's status at the plan start, the option streams, and
the linearised growth the optimizer uses; and the engine replays that check every plan.

Months: month ``t`` starts on ``add_months(start, t)``; the plan pays on that day. A contract
instalment falling due in ``[d_t, d_{t+1})`` is therefore paid on or before its due date when month
``t``'s payment covers it.

Linearisation of *pay as contracted* (documented in docs/plan.md): ``R`` is what is left to pay if
the contract's schedule is followed (overdue amounts + every future instalment, so partial
prepayments save nothing in the model, as in the engine, which applies them to the next
instalments); ``O`` is what is overdue after month ``t``'s payment. Per month

    R[t+1] = (R[t] − p[t]) × (1 + g_r[t]) + g_o[t] × O[t]
    O[t]   ≥ A[t] − (p[0] + … + p[t])          (A[t]: arrears now + instalments due up to month t)

``g_o[t]`` = the engine's penalty (or compound, whichever is higher) daily rate × the days of the
month (+ a percent late fee), ``g_r[t]`` = the contract daily rate × days for revolving credit and
cards (0 for instalment loans, whose interest is already in ``R``). For cards the minimum payment
billed each month joins ``A`` as ``q × R`` (q = minimum percent + the month's interest). Rates are
raised by :data:`MARGIN` so the model never under-states what the engine will charge; the engine
replay then gives the real figures.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_CEILING, Decimal

from xieshang.engine.schedule import add_months, build_schedule
from xieshang.engine.status import InstalmentState, LoanStatus, status_of
from xieshang.engine.terms import (
    CardTerms,
    Component,
    InterestBasis,
    LateFeeKind,
    LoanTerms,
    OverdueRules,
    Payment,
    RepaymentMethod,
    Waiver,
)
from xieshang.money import FEN, ZERO
from xieshang.planner.options import OptionSpec
from xieshang.planner.proposal import InterestTreatment
from xieshang.rates import AnnualRate, Rate

MARGIN = Decimal("1.02")
#: ``seq`` of planned payments, after any payment the borrower already recorded that day.
PLAN_SEQ = 1000


def month_dates(start: date, months: int) -> list[date]:
    """``months + 1`` dates: the first day of each plan month and the day after the last."""
    return [add_months(start, t) for t in range(months + 1)]


@dataclass(frozen=True, slots=True)
class Debt:
    """One loan or card account going into the plan."""

    loan_id: int
    label: str
    terms: LoanTerms | CardTerms
    payments: tuple[Payment, ...]
    options: tuple[OptionSpec, ...]
    reports_to_pboc: bool = True
    refused: frozenset[str] = frozenset()  # option kinds the lender refused (never planned, never suggested)


@dataclass(frozen=True, slots=True)
class Waived:
    """What the lender is asked to forgive: penalty, compound interest and fees accrued up to ``on``.

    ``on`` is the day *before* the plan starts: the engine applies a waiver after the payments of
    its own day, so a waiver dated the start day would let the first payment pay what is waived.
    """

    penalty: Decimal = ZERO
    compound: Decimal = ZERO
    fees: Decimal = ZERO
    on: date | None = None

    @property
    def total(self) -> Decimal:
        return self.penalty + self.compound + self.fees

    def waivers(self) -> list[Waiver]:
        out: list[Waiver] = []
        if self.on is None:
            return out
        for comp, amount in ((Component.FEE, self.fees), (Component.COMPOUND, self.compound),
                             (Component.PENALTY, self.penalty)):
            if amount > 0:
                out.append(Waiver(self.on, comp, amount))
        return out


def _waived(status: LoanStatus, share: Decimal) -> Waived:
    """``share`` of the penalty, compound interest and fees owed in ``status`` (dated its as-of day)."""
    if share <= 0:
        return Waived()
    o = status.owed
    return Waived(penalty=(o.penalty * share).quantize(FEN), compound=(o.compound * share).quantize(FEN),
                  fees=(o.fees * share).quantize(FEN), on=status.as_of)


def waiver_basis(debt: Debt, start: date) -> LoanStatus:
    """The status waivers are computed from: the day before ``start`` (or ``start`` itself when the
    account only begins that day)."""
    terms = debt.terms
    first = terms.statement_date if isinstance(terms, CardTerms) else terms.start
    day = start - timedelta(days=1)
    if day < first:
        day = start
    return status_of(terms, [p for p in debt.payments if p.on <= day], day)


@dataclass(frozen=True, slots=True)
class ContractModel:
    """Pay as contracted (optionally after a waiver at the start): the optimizer's linear data."""

    option: OptionSpec
    waived: Waived
    r0: float
    a0: float
    dues: tuple[float, ...]
    grow_r: tuple[float, ...]
    grow_o: tuple[float, ...]
    card_q: tuple[float, ...]  # cards: the share of R billed as a minimum each month (0 for loans)


@dataclass(frozen=True, slots=True)
class Stream:
    """A negotiated option with a fixed payment per month (restructure or settlement)."""

    option: OptionSpec
    payments: tuple[Decimal, ...]  # per plan month
    waived: Waived = field(default_factory=Waived)
    new_terms: LoanTerms | None = None  # restructures: the agreement as engine terms
    down_payment: Decimal = ZERO
    settlement_month: int | None = None
    settlement_amount: Decimal | None = None

    @property
    def total(self) -> Decimal:
        return sum(self.payments, ZERO)

    @property
    def last_month(self) -> int:
        return max((t for t, p in enumerate(self.payments) if p > 0), default=0)


@dataclass(frozen=True, slots=True)
class DebtModel:
    debt: Debt
    status: LoanStatus  # at the plan start, before any planned payment
    contract: tuple[ContractModel, ...]
    streams: tuple[Stream, ...]


# ---------------------------------------------------------------------------------------
# Building the models
# ---------------------------------------------------------------------------------------


def _daily(rate: Rate, terms: LoanTerms | CardTerms) -> Decimal:
    return rate.daily(terms.day_count).value


def _remaining_months(start: date, maturity: date) -> int:
    months = (maturity.year - start.year) * 12 + maturity.month - start.month
    if add_months(start, months) < maturity:
        months += 1
    return max(months, 0)


def _contract_model(debt: Debt, status: LoanStatus, spec: OptionSpec, dates: Sequence[date],
                    basis: LoanStatus) -> ContractModel:
    terms = debt.terms
    months = len(dates) - 1
    waived = _waived(basis, spec.waiver_share)
    days = [(dates[t + 1] - dates[t]).days for t in range(months)]
    dues = [ZERO] * months
    future = ZERO
    for inst in status.instalments:
        if inst.due_date < dates[0] or inst.unpaid <= 0:  # past due: already in the overdue amount
            continue
        future += inst.unpaid
        for t in range(months):
            if dates[t] <= inst.due_date < dates[t + 1]:
                dues[t] += inst.unpaid
                break
    a0 = max(ZERO, status.overdue_amount - waived.total)
    if isinstance(terms, CardTerms):
        g = _daily(terms.daily_rate, terms) * MARGIN
        fee = terms.late_fee.percent if terms.late_fee.kind is LateFeeKind.PERCENT else ZERO
        grow_r = [float(g * d) for d in days]
        grow_o = [float(fee * MARGIN)] * months
        card_q = [float(terms.minimum_percent + g * d) for d in days]
        r0 = status.payoff - waived.total
    else:
        pen = max(status.penalty_daily_rate, status.compound_daily_rate) * MARGIN
        rules = terms.overdue
        fee = rules.late_fee.percent if rules.late_fee.kind is LateFeeKind.PERCENT else ZERO
        grow_o = [float(pen * d + fee * MARGIN) for d in days]
        revolving = terms.method is RepaymentMethod.REVOLVING
        gi = _daily(terms.rate, terms) * MARGIN if revolving else ZERO
        grow_r = [float(gi * d) for d in days]
        card_q = [0.0] * months
        r0 = max(status.payoff, status.overdue_amount + future
                 + (status.owed.accrued_interest if revolving else ZERO)) - waived.total
    return ContractModel(option=spec, waived=waived, r0=float(max(r0, ZERO)), a0=float(a0),
                         dues=tuple(float(x) for x in dues), grow_r=tuple(grow_r), grow_o=tuple(grow_o),
                         card_q=tuple(card_q))


def _restructure(debt: Debt, status: LoanStatus, spec: OptionSpec, dates: Sequence[date],
                 basis: LoanStatus) -> Stream | None:
    terms = debt.terms
    months = len(dates) - 1
    start = dates[0]
    waived = _waived(basis, spec.waiver_share)
    base = status.payoff - waived.total
    down = min(spec.down_payment or ZERO, base)
    n = spec.months
    if spec.kind == "extension":
        if status.maturity <= start:
            return None
        n = _remaining_months(start, status.maturity) + spec.months
    if n < 1 or n > months - 1:
        return None
    principal = base - down
    payments = [ZERO] * months
    payments[0] = down
    new_terms: LoanTerms | None = None
    if principal > 0:
        rate: Rate
        if spec.interest is InterestTreatment.STOPS:
            rate = AnnualRate(ZERO)
        elif spec.interest is InterestTreatment.REDUCED and spec.reduced_annual_rate is not None:
            rate = AnnualRate(spec.reduced_annual_rate)
        else:
            rate = terms.daily_rate if isinstance(terms, CardTerms) else terms.rate
        if isinstance(terms, CardTerms):
            new_terms = LoanTerms(principal=principal, rate=rate, term_months=n, start=start,
                                  day_count=terms.day_count, overdue=OverdueRules(), rounding=terms.rounding)
        else:
            ibasis = terms.interest_basis if terms.method is not RepaymentMethod.REVOLVING else InterestBasis.MONTHLY
            new_terms = LoanTerms(principal=principal, rate=rate, term_months=n, start=start,
                                  day_count=terms.day_count, interest_basis=ibasis, overdue=terms.overdue,
                                  rounding=terms.rounding)
        for i, period in enumerate(build_schedule(new_terms).periods, start=1):
            payments[i] += period.payment + period.fee
    return Stream(option=spec, payments=tuple(payments), waived=waived, new_terms=new_terms, down_payment=down)


def settlement_amount(status: LoanStatus, spec: OptionSpec) -> Decimal:
    """The lump sum asked: the lender's figure, or principal + contract interest less the discount."""
    if spec.settlement_amount is not None:
        return spec.settlement_amount
    base = status.owed.principal + status.owed.interest
    return (base * (1 - spec.settlement_discount)).quantize(FEN, rounding=ROUND_CEILING)


def _settlements(status: LoanStatus, spec: OptionSpec, months: int, window: int) -> list[Stream]:
    amount = settlement_amount(status, spec)
    if amount <= 0 or amount >= status.payoff:
        return []
    out = []
    for k in range(min(window, months)):
        payments = [ZERO] * months
        payments[k] = amount
        out.append(Stream(option=spec, payments=tuple(payments), settlement_month=k, settlement_amount=amount))
    return out


def debt_model(debt: Debt, dates: Sequence[date], *, settlement_window: int) -> DebtModel | None:
    """The planner's view of one debt from ``dates[0]`` on; ``None`` if nothing is owed."""
    status = status_of(debt.terms, debt.payments, dates[0])
    if status.closed or status.payoff <= 0:
        return None
    months = len(dates) - 1
    basis = waiver_basis(debt, dates[0]) if any(o.waiver_share > 0 for o in debt.options) else status
    contract: list[ContractModel] = []
    streams: list[Stream] = []
    for spec in debt.options:
        if spec.kind == "contract":
            contract.append(_contract_model(debt, status, spec, dates, basis))
        elif spec.kind == "settlement":
            streams.extend(_settlements(status, spec, months, settlement_window))
        else:
            stream = _restructure(debt, status, spec, dates, basis)
            if stream is not None:
                streams.append(stream)
    if not contract:  # paying as contracted is always possible
        spec = OptionSpec(kind="contract", typical=False, source="contract", confidence="V")
        contract.append(_contract_model(debt, status, spec, dates, basis))
    # Asking for the waiver never makes paying as contracted worse: keep one contract variant.
    contract.sort(key=lambda c: -c.waived.total)
    return DebtModel(debt=debt, status=status, contract=tuple(contract[:1]), streams=prune(streams))


def _cumulative(xs: Sequence[Decimal]) -> list[Decimal]:
    out, run = [], ZERO
    for x in xs:
        run += x
        out.append(run)
    return out


def prune(streams: Sequence[Stream], *, cumulative: bool = False) -> tuple[Stream, ...]:
    """Drop streams another stream dominates (fewer binaries for the model).

    ``o`` dominates ``s`` when it pays no more in any month (``cumulative``: no more *up to* any
    month — enough when unspent money carries over and only the total matters, the cost objective).
    Ties keep the earlier stream (the options' order: no waiver asked before a waiver).
    """
    series = [_cumulative(s.payments) if cumulative else list(s.payments) for s in streams]
    kept: list[Stream] = []
    for i, s in enumerate(streams):
        dominated = False
        for j in range(len(streams)):
            if i == j:
                continue
            if all(a <= b for a, b in zip(series[j], series[i], strict=True)) and (
                    series[j] != series[i] or j < i):
                dominated = True
                break
        if not dominated:
            kept.append(s)
    return tuple(kept)


# ---------------------------------------------------------------------------------------
# Engine replays
# ---------------------------------------------------------------------------------------


class ContractSim:
    """Pays one debt month by month as contracted, asking the engine for its state each month."""

    def __init__(self, debt: Debt, dates: Sequence[date], waived: Waived | None = None) -> None:
        self.debt = debt
        self.dates = dates
        self.payments: list[Payment] = list(debt.payments)
        self.waivers: list[Waiver] = waived.waivers() if waived else []
        self.closed = False
        self.paid: list[Decimal] = [ZERO] * (len(dates) - 1)
        self.overdue_months = 0
        self.closed_month: int | None = None
        self._cache: tuple[tuple[date, int], LoanStatus] | None = None

    def status(self, on: date) -> LoanStatus:
        key = (on, len(self.payments))
        if self._cache is None or self._cache[0] != key:  # end of month t = start of month t+1
            st = status_of(self.debt.terms, self.payments, on, self.waivers)
            if st.excess > 0:
                st = self._trim(st, on)
            self._cache = (key, st)
        return self._cache[1]

    def _trim(self, st: LoanStatus, on: date) -> LoanStatus:
        """Money the engine found was not needed after all (a card's interest-free period confirmed at
        the end of grace): take it off the last planned payment, which then pays only what was owed."""
        for k in range(len(self.payments) - 1, -1, -1):
            p = self.payments[k]
            if p.seq >= PLAN_SEQ:
                cut = min(st.excess, p.amount)
                month = p.seq - PLAN_SEQ
                self.paid[month] -= cut
                if p.amount - cut > 0:
                    self.payments[k] = Payment(p.on, p.amount - cut, seq=p.seq)
                else:
                    del self.payments[k]
                return status_of(self.debt.terms, self.payments, on, self.waivers)
        return st

    def due_now(self, t: int) -> tuple[Decimal, Decimal]:
        """(what keeps the account current this month, the payoff) on the first day of month ``t``."""
        st = self.status(self.dates[t])
        if st.closed or st.payoff <= 0:
            return ZERO, ZERO
        due = st.overdue_amount
        for inst in st.instalments:
            if self.dates[t] <= inst.due_date < self.dates[t + 1] and inst.state is not InstalmentState.OVERDUE:
                due += max(ZERO, inst.unpaid)
        return min(due, st.payoff), st.payoff

    def pay(self, t: int, amount: Decimal, payoff: Decimal) -> Decimal:
        """Pay ``amount`` (capped at the payoff) on the first day of month ``t``; returns what was paid."""
        amount = min(amount, payoff).quantize(FEN)
        if amount <= 0:
            return ZERO
        self.payments.append(Payment(self.dates[t], amount, seq=PLAN_SEQ + t))
        if amount >= payoff:
            # The engine has the last word: closing can cost less than the payoff shown before it (a
            # card statement paid in full within grace owes no interest: pay only what it keeps), and
            # an account is closed only when the engine says nothing is left.
            after = self.status(self.dates[t])
            if after.excess > 0:
                amount -= after.excess
                self.payments[-1] = Payment(self.dates[t], amount, seq=PLAN_SEQ + t)
                self._cache = None
                after = self.status(self.dates[t])
            if after.closed or after.payoff <= 0:
                self.closed = True
                self.closed_month = t
        self.paid[t] += amount
        return amount

    def end_month(self, t: int) -> None:
        """Count month ``t`` as reported overdue if anything is past due at its end."""
        if self.closed:
            return
        st = self.status(self.dates[t + 1])
        if st.closed or st.payoff <= 0:
            self.closed = True
            self.closed_month = t
        elif st.dpd > 0:
            self.overdue_months += 1


@dataclass(frozen=True, slots=True)
class StreamCheck:
    ok: bool
    overdue_months: int
    reason: str = ""


def check_stream(debt: Debt, status: LoanStatus, stream: Stream, dates: Sequence[date]) -> StreamCheck:
    """Replay a negotiated option through the engine; ``ok`` only if every term is met."""
    if stream.settlement_month is not None:
        k = stream.settlement_month
        overdue = 0
        for t in range(k):  # nothing paid before the settlement: the account stays as it is
            if status_of(debt.terms, debt.payments, dates[t + 1]).dpd > 0:
                overdue += 1
        on = dates[k]
        pays = [*debt.payments, Payment(on, stream.payments[k], seq=PLAN_SEQ + k)]
        before = status_of(debt.terms, pays, on)
        o = before.owed
        waivers = [Waiver(on, c, a) for c, a in (
            (Component.FEE, o.fees), (Component.COMPOUND, o.compound), (Component.PENALTY, o.penalty),
            (Component.INTEREST, o.interest), (Component.PRINCIPAL, o.principal)) if a > 0]
        after = status_of(debt.terms, pays, on, waivers)
        if before.excess > 0 or after.payoff != 0:
            return StreamCheck(False, overdue, "settlement-not-closed")
        return StreamCheck(True, overdue)
    # A restructure: the original account is settled by the down payment, the waiver and the new terms.
    if stream.new_terms is None:
        ok = stream.down_payment + stream.waived.total == status.payoff
        return StreamCheck(ok, 0, "" if ok else "down-payment-mismatch")
    if stream.new_terms.principal + stream.down_payment + stream.waived.total != status.payoff:
        return StreamCheck(False, 0, "principal-mismatch")
    pays = [Payment(dates[t], a, seq=PLAN_SEQ + t) for t, a in enumerate(stream.payments) if a > 0 and t > 0]
    end = dates[stream.last_month]
    final = status_of(stream.new_terms, pays, end)
    if not final.closed or final.penalty_charged > 0 or final.fees_charged > 0 or final.excess > 0:
        return StreamCheck(False, 0, "terms-not-met")
    return StreamCheck(True, 0)
