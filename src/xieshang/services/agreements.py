"""Agreements with lenders (协商结果): record them, follow them, and let them take over the loan.

An agreement is what a lender agreed (or was asked for) about one loan: a new schedule for what is
left — an optional down payment (首付) due on a day, then ``months`` monthly instalments from
``first_due`` — at an agreed rate (``0`` = interest stopped, 停息), plus the amounts it waived
(减免). Its status moves forward only: ``proposed`` → ``agreed-verbally`` → ``confirmed-in-writing``
(optionally naming the contact-log entry that confirms it); ``cancelled`` ends it at any step.

**Taking over.** An agreed (verbal or written) agreement replaces the original contract for status
and projections from its *effective date*: its start date, or — with a down payment — the day the
payments made since the start first reach the down payment (lenders usually start a plan only once
the first payment arrives; until then the original contract, with its penalties, still runs).
From then on the loan is, for the engine, a new instalment loan (:func:`agreed_terms`): the agreed
balance at the agreed rate over the agreed months, with the original's overdue rules but no late
fee and no separate penalty rate (a missed agreed payment costs the agreed rate × the penalty
multiplier: nothing when interest is stopped). The waived amounts are already outside the agreed
balance, which is what the lender said is left to pay; they are kept for the record and the
letters. Payments made since the start go to the down payment first, then to the instalments
(:func:`agreed_payments`). :func:`xieshang.services.case.loan_terms` and
:func:`~xieshang.services.case.loan_payments` apply this, so the overview follows the agreement.

**Adherence** (:func:`adherence`): the payments since the start are matched to the agreed
instalments oldest first; each instalment is ``on-time`` (paid in full by its due date), ``late``
(in full, after it), ``partial`` (past due, part paid), ``missed`` (past due, nothing paid) or
``upcoming``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from xieshang import clock
from xieshang.engine.schedule import add_months, build_schedule
from xieshang.engine.terms import (
    CardTerms,
    Component,
    FirstPeriod,
    InterestBasis,
    LateFeeRule,
    LoanTerms,
    OverdueRules,
    Payment,
    RepaymentMethod,
)
from xieshang.errors import UserError
from xieshang.money import ZERO, fmt
from xieshang.rates import AnnualRate, Rate
from xieshang.store.codec import from_fen, rate_from_text, rate_to_text, to_fen
from xieshang.store.models_after import AGREEMENT_STATUSES, AgreementRow

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from xieshang.engine.status import LoanStatus
    from xieshang.services.case import LoanRecord
    from xieshang.store.db import Store

PROPOSED, VERBAL, WRITTEN, CANCELLED = AGREEMENT_STATUSES
#: Statuses under which the agreed schedule takes over the loan.
TAKING_OVER = (VERBAL, WRITTEN)
#: Forward order of the statuses (cancelled is reachable from any open status).
_ORDER = {PROPOSED: 0, VERBAL: 1, WRITTEN: 2}
#: A lender's stated monthly amount may differ from the schedule we rebuild by rounding; more than
#: this is refused as inconsistent (the user should give the balance the lender states).
MONTHLY_TOLERANCE = Decimal("1.00")
#: Components a waiver may name.
WAIVABLE = tuple(c.value for c in Component)
INSTALMENT_STATES = ("on-time", "late", "partial", "missed", "upcoming")


# ---------------------------------------------------------------------------------------
# Records
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class WaiverItem:
    """An amount of one component the lender forgave."""

    component: Component
    amount: Decimal

    def to_json(self) -> dict[str, str]:
        return {"component": self.component.value, "amount": fmt(self.amount)}


@dataclass(frozen=True, slots=True)
class AgreementRecord:
    id: int
    loan_id: int
    status: str
    recorded_on: date
    start: date
    balance: Decimal  # repaid by the monthly instalments (after the down payment and waivers)
    months: int
    first_due: date
    rate: Rate
    down_payment: Decimal = ZERO
    down_payment_due: date | None = None  # None: on the start date
    monthly: Decimal | None = None  # as the lender stated it (None: from the schedule)
    waivers: tuple[WaiverItem, ...] = ()
    agreed_on: date | None = None
    confirmed_on: date | None = None
    confirmed_by_entry: int | None = None
    note: str | None = None

    @property
    def takes_over(self) -> bool:
        return self.status in TAKING_OVER

    @property
    def down_payment_date(self) -> date:
        return self.down_payment_due or self.start

    @property
    def waived_total(self) -> Decimal:
        return sum((w.amount for w in self.waivers), ZERO)

    def to_json(self) -> dict[str, Any]:
        def day(d: date | None) -> str | None:
            return None if d is None else d.isoformat()

        return {
            "id": self.id, "loan_id": self.loan_id, "status": self.status, "recorded_on": day(self.recorded_on),
            "agreed_on": day(self.agreed_on), "confirmed_on": day(self.confirmed_on),
            "confirmed_by_entry": self.confirmed_by_entry, "start": day(self.start),
            "down_payment": fmt(self.down_payment),
            "down_payment_due": day(self.down_payment_date) if self.down_payment > 0 else None,
            "balance": fmt(self.balance), "monthly": None if self.monthly is None else fmt(self.monthly),
            "months": self.months, "first_due": day(self.first_due), "rate": rate_to_text(self.rate),
            "interest_stopped": self.rate.value == 0, "waivers": [w.to_json() for w in self.waivers],
            "waived_total": fmt(self.waived_total), "note": self.note,
        }


@dataclass(frozen=True, slots=True)
class AgreementInput:
    """What ``agreement add`` was given. Give ``monthly`` or ``balance`` (or both)."""

    loan_id: int
    months: int
    start: date | None = None  # default: today
    monthly: Decimal | None = None
    balance: Decimal | None = None
    down_payment: Decimal = ZERO
    down_payment_due: date | None = None
    first_due: date | None = None  # default: one month after the start
    rate: Rate | None = None  # default: 0 (interest stopped)
    waivers: tuple[WaiverItem, ...] = ()
    status: str = PROPOSED
    confirmed_by_entry: int | None = None
    note: str | None = None


def agreement_record(row: AgreementRow) -> AgreementRecord:
    return AgreementRecord(
        id=row.id, loan_id=row.loan_id, status=row.status, recorded_on=row.recorded_on, start=row.start,
        balance=from_fen(row.balance_fen), months=row.months, first_due=row.first_due,
        rate=rate_from_text(row.rate), down_payment=from_fen(row.down_payment_fen),
        down_payment_due=row.down_payment_due, monthly=None if row.monthly_fen is None else from_fen(row.monthly_fen),
        waivers=tuple(WaiverItem(Component(str(w["component"])), Decimal(str(w["amount"])))
                      for w in (row.waivers or [])),
        agreed_on=row.agreed_on, confirmed_on=row.confirmed_on, confirmed_by_entry=row.confirmed_by_entry,
        note=row.note,
    )


def agreements_for_loan(session: Session, loan_id: int) -> tuple[AgreementRecord, ...]:
    """The stored agreements of one loan (used by :func:`xieshang.services.case.loan_record`)."""
    rows = session.scalars(select(AgreementRow).where(AgreementRow.loan_id == loan_id).order_by(AgreementRow.id))
    return tuple(agreement_record(r) for r in rows)


# ---------------------------------------------------------------------------------------
# The engine bridge
# ---------------------------------------------------------------------------------------


def agreed_terms(loan: LoanRecord, agreement: AgreementRecord) -> LoanTerms:
    """The agreed schedule as an instalment loan the engine replays (see the module docstring)."""
    from xieshang.services.case import original_terms

    orig = original_terms(loan)
    if isinstance(orig, CardTerms):
        # A card has no penalty multiplier of its own: overdue agreed amounts bear the agreed rate.
        overdue = OverdueRules(penalty_multiplier=Decimal(1), grace_days=orig.grace_days, compound=False,
                               allocation=orig.allocation, tolerance=orig.tolerance)
    else:
        overdue = replace(orig.overdue, penalty_rate=None, compound_rate=None, late_fee=LateFeeRule())
    return LoanTerms(principal=agreement.balance, rate=agreement.rate, term_months=agreement.months,
                     start=agreement.start, method=RepaymentMethod.EQUAL_INSTALLMENT, day_count=orig.day_count,
                     interest_basis=InterestBasis.MONTHLY, first_due=agreement.first_due,
                     first_period=FirstPeriod.FULL_MONTH, overdue=overdue, rounding=orig.rounding)


def _since_start(loan: LoanRecord, agreement: AgreementRecord) -> list[tuple[date, Decimal]]:
    return [(p.on, p.amount) for p in sorted(loan.payments, key=lambda p: (p.on, p.id)) if p.on >= agreement.start]


def effective_date(loan: LoanRecord, agreement: AgreementRecord) -> date | None:
    """The day the agreement takes over: its start, or the day the down payment was paid in full."""
    if not agreement.takes_over:
        return None
    if agreement.down_payment <= 0:
        return agreement.start
    paid = ZERO
    for on, amount in _since_start(loan, agreement):
        paid += amount
        if paid >= agreement.down_payment:
            return on
    return None


def in_force(loan: LoanRecord, as_of: date) -> AgreementRecord | None:
    """The agreement that governs ``loan`` on ``as_of``: the latest-starting one in effect by then."""
    best: AgreementRecord | None = None
    for a in loan.agreements:
        eff = effective_date(loan, a)
        if eff is None or eff > as_of:
            continue
        if best is None or (a.start, a.id) > (best.start, best.id):
            best = a
    return best


def agreed_payments(loan: LoanRecord, agreement: AgreementRecord) -> list[Payment]:
    """Payments since the agreement's start, less the down payment (which they pay first)."""
    left = agreement.down_payment
    out: list[Payment] = []
    for on, amount in _since_start(loan, agreement):
        take = min(left, amount)
        left -= take
        rest = amount - take
        if rest > 0:
            seq = out[-1].seq + 1 if out and out[-1].on == on else 0
            out.append(Payment(on=on, amount=rest, seq=seq))
    return out


# ---------------------------------------------------------------------------------------
# Validation and writes
# ---------------------------------------------------------------------------------------


def _money(value: Decimal, flag: str, *, positive: bool) -> None:
    if value < 0 or (positive and value == 0):
        raise UserError("after.error.amount", flag=flag, value=fmt(value))
    try:
        to_fen(value)
    except ValueError:
        raise UserError("error.money.too_precise", value=str(value), field=flag) from None


def _derive_balance(inp: AgreementInput, rate: Rate, first_due: date) -> Decimal:
    assert inp.monthly is not None
    if rate.value == 0:
        return inp.monthly * inp.months
    from xieshang.engine import finance

    probe = LoanTerms(principal=Decimal(1), rate=rate, term_months=inp.months, start=first_due, first_due=first_due)
    monthly_rate = probe.rate.monthly(probe.day_count).value
    return finance.pv(monthly_rate, inp.months, -inp.monthly).quantize(Decimal("0.01"))


def check_agreement(loan: LoanRecord, inp: AgreementInput, *, today: date, agreement_id: int = 0) -> AgreementRecord:
    """Validate ``agreement add`` input against the loan; returns the record to write."""
    if inp.status not in AGREEMENT_STATUSES or inp.status == CANCELLED:
        raise UserError("after.error.status", value=inp.status, choices=", ".join(AGREEMENT_STATUSES[:3]))
    if not 1 <= inp.months <= 600:
        raise UserError("error.term.months", value=str(inp.months))
    start = inp.start or today
    first = loan.disbursed
    if first is not None and start < first:
        raise UserError("error.date.before_disbursement", value=start.isoformat(), start=first.isoformat())
    first_due = inp.first_due or add_months(start, 1)
    if first_due <= start:
        raise UserError("after.error.first_due", first_due=first_due.isoformat(), start=start.isoformat())
    _money(inp.down_payment, "--down-payment", positive=False)
    dp_due = inp.down_payment_due
    if dp_due is not None:
        if inp.down_payment <= 0:
            raise UserError("after.error.down_payment_due_without_amount")
        if not start <= dp_due < first_due:
            raise UserError("after.error.down_payment_due", value=dp_due.isoformat(), start=start.isoformat(),
                            first_due=first_due.isoformat())
    rate = inp.rate or AnnualRate(ZERO)
    if rate.value < 0:
        raise UserError("error.rate.negative", value=str(rate.value))
    if inp.monthly is None and inp.balance is None:
        raise UserError("after.error.monthly_or_balance")
    if inp.monthly is not None:
        _money(inp.monthly, "--monthly", positive=True)
    balance = inp.balance if inp.balance is not None else _derive_balance(inp, rate, first_due)
    _money(balance, "--balance", positive=True)
    seen: set[Component] = set()
    for w in inp.waivers:
        _money(w.amount, "--waive", positive=True)
        if w.component in seen:
            raise UserError("after.error.waiver_twice", component=w.component.value)
        seen.add(w.component)
    rec = AgreementRecord(
        id=agreement_id, loan_id=loan.id, status=inp.status, recorded_on=today, start=start, balance=balance,
        months=inp.months, first_due=first_due, rate=rate, down_payment=inp.down_payment, down_payment_due=dp_due,
        monthly=inp.monthly, waivers=inp.waivers, agreed_on=today if inp.status in TAKING_OVER else None,
        confirmed_on=today if inp.status == WRITTEN else None,
        confirmed_by_entry=inp.confirmed_by_entry if inp.status == WRITTEN else None, note=_clean(inp.note),
    )
    if inp.confirmed_by_entry is not None and inp.status != WRITTEN:
        raise UserError("after.error.entry_needs_written")
    if inp.confirmed_by_entry is not None and inp.confirmed_by_entry <= 0:
        raise UserError("error.case.bad_id", value=str(inp.confirmed_by_entry))
    if inp.monthly is not None:
        periods = build_schedule(agreed_terms(loan, rec)).periods
        level = periods[0].payment + periods[0].fee
        if abs(level - inp.monthly) > MONTHLY_TOLERANCE:
            raise UserError("after.error.inconsistent", monthly=fmt(inp.monthly), balance=fmt(balance),
                            months=inp.months, level=fmt(level))
    return rec


def _clean(text: str | None) -> str | None:
    if text is None:
        return None
    stripped = text.strip()
    return stripped or None


def _row(session: Session, agreement_id: int) -> AgreementRow:
    row = session.get(AgreementRow, agreement_id)
    if row is None:
        raise UserError("after.error.unknown_agreement", id=agreement_id)
    return row


def _write(row: AgreementRow, rec: AgreementRecord) -> None:
    row.loan_id = rec.loan_id
    row.status = rec.status
    row.recorded_on = rec.recorded_on
    row.agreed_on = rec.agreed_on
    row.confirmed_on = rec.confirmed_on
    row.confirmed_by_entry = rec.confirmed_by_entry
    row.start = rec.start
    row.down_payment_fen = to_fen(rec.down_payment)
    row.down_payment_due = rec.down_payment_due
    row.balance_fen = to_fen(rec.balance)
    row.monthly_fen = None if rec.monthly is None else to_fen(rec.monthly)
    row.months = rec.months
    row.first_due = rec.first_due
    row.rate = rate_to_text(rec.rate)
    row.waivers = [w.to_json() for w in rec.waivers]
    row.note = rec.note


def add_agreement(store: Store, inp: AgreementInput, *, today: date | None = None) -> AgreementRecord:
    """Record an agreement (validated first; one transaction)."""
    from xieshang.services.case import _loan_row, _require_person, loan_record

    day = today or clock.today()
    with store.transaction() as s:
        _require_person(s, store)
        loan = loan_record(_loan_row(s, inp.loan_id))
        rec = check_agreement(loan, inp, today=day)
        row = AgreementRow()
        _write(row, rec)
        s.add(row)
        s.flush()
        return agreement_record(row)


def set_status(store: Store, agreement_id: int, status: str, *, on: date | None = None, entry: int | None = None,
               today: date | None = None) -> AgreementRecord:
    """Move an agreement forward (``agreed-verbally``, ``confirmed-in-writing``) or cancel it.

    ``entry`` names the contact-log entry that confirms it in writing. Going back is refused.
    """
    day_today = today or clock.today()
    day = on or day_today
    if day > day_today:
        raise UserError("error.date.in_future", value=day.isoformat(), today=day_today.isoformat())
    if status not in AGREEMENT_STATUSES or status == PROPOSED:
        raise UserError("after.error.status", value=status, choices=", ".join(AGREEMENT_STATUSES[1:]))
    if entry is not None and status != WRITTEN:
        raise UserError("after.error.entry_needs_written")
    if entry is not None and entry <= 0:
        raise UserError("error.case.bad_id", value=str(entry))
    with store.transaction() as s:
        row = _row(s, agreement_id)
        rec = agreement_record(row)
        if rec.status == CANCELLED:
            raise UserError("after.error.cancelled", id=agreement_id)
        if status != CANCELLED and _ORDER[status] <= _ORDER[rec.status]:
            raise UserError("after.error.backwards", id=agreement_id, old=rec.status, new=status)
        if day < rec.recorded_on:
            raise UserError("after.error.before_recorded", value=day.isoformat(), recorded=rec.recorded_on.isoformat())
        changes: dict[str, Any] = {"status": status}
        if status in TAKING_OVER and rec.agreed_on is None:
            changes["agreed_on"] = day
        if status == WRITTEN:
            changes["confirmed_on"] = day
            changes["confirmed_by_entry"] = entry
        new = replace(rec, **changes)
        _write(row, new)
        s.flush()
        return agreement_record(row)


def remove_agreement(store: Store, agreement_id: int) -> AgreementRecord:
    """Delete an agreement recorded by mistake (to end a real one, cancel it)."""
    with store.transaction() as s:
        row = _row(s, agreement_id)
        rec = agreement_record(row)
        s.delete(row)
        return rec


def list_agreements(store: Store, loan_id: int | None = None) -> list[AgreementRecord]:
    from xieshang.services.case import _loan_row, _require_person

    with store.transaction() as s:
        _require_person(s, store)
        query = select(AgreementRow).order_by(AgreementRow.id)
        if loan_id is not None:
            _loan_row(s, loan_id)
            query = query.where(AgreementRow.loan_id == loan_id)
        return [agreement_record(r) for r in s.scalars(query)]


# ---------------------------------------------------------------------------------------
# Schedule and adherence
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class InstalmentAdherence:
    """One agreed payment and how it was kept. ``n`` 0 is the down payment."""

    n: int
    due: date
    amount: Decimal
    paid: Decimal
    completed_on: date | None
    state: str  # one of INSTALMENT_STATES
    days_late: int  # late: days after the due date it was completed; partial/missed: days so far

    @property
    def unpaid(self) -> Decimal:
        return self.amount - self.paid

    def to_json(self) -> dict[str, Any]:
        return {"n": self.n, "kind": "down-payment" if self.n == 0 else "instalment", "due_date": self.due.isoformat(),
                "amount": fmt(self.amount), "paid": fmt(self.paid), "unpaid": fmt(self.unpaid),
                "completed_on": None if self.completed_on is None else self.completed_on.isoformat(),
                "state": self.state, "days_late": self.days_late}


@dataclass(frozen=True, slots=True)
class Adherence:
    as_of: date
    instalments: tuple[InstalmentAdherence, ...]

    def count(self, state: str) -> int:
        return sum(1 for i in self.instalments if i.state == state)

    @property
    def arrears(self) -> Decimal:
        """Agreed payments past their due date and not paid."""
        return sum((i.unpaid for i in self.instalments if i.state in ("partial", "missed")), ZERO)

    @property
    def next(self) -> InstalmentAdherence | None:
        """The next agreed payment not yet (fully) paid whose due date is today or later."""
        return next((i for i in self.instalments if i.state == "upcoming"), None)

    @property
    def paid_total(self) -> Decimal:
        return sum((i.paid for i in self.instalments), ZERO)

    @property
    def remaining(self) -> Decimal:
        return sum((i.unpaid for i in self.instalments), ZERO)

    @property
    def kept(self) -> bool:
        """Nothing agreed is past due and unpaid."""
        return self.arrears <= 0

    def to_json(self) -> dict[str, Any]:
        nxt = self.next
        return {
            "as_of": self.as_of.isoformat(),
            "counts": {s: self.count(s) for s in INSTALMENT_STATES},
            "kept": self.kept, "arrears": fmt(self.arrears), "paid_total": fmt(self.paid_total),
            "remaining": fmt(self.remaining),
            "next": None if nxt is None else {"n": nxt.n, "due_date": nxt.due.isoformat(), "amount": fmt(nxt.unpaid)},
            "instalments": [i.to_json() for i in self.instalments],
        }


def agreed_schedule(loan: LoanRecord, agreement: AgreementRecord) -> list[tuple[int, date, Decimal]]:
    """(n, due date, amount) of every agreed payment; n 0 is the down payment."""
    out: list[tuple[int, date, Decimal]] = []
    if agreement.down_payment > 0:
        out.append((0, agreement.down_payment_date, agreement.down_payment))
    for p in build_schedule(agreed_terms(loan, agreement)).periods:
        out.append((p.n, p.due_date, p.payment + p.fee))
    return out


def adherence(loan: LoanRecord, agreement: AgreementRecord, as_of: date) -> Adherence:
    """Match the payments since the start (up to ``as_of``) to the agreed payments, oldest first."""
    due = agreed_schedule(loan, agreement)
    paid = [ZERO] * len(due)
    done: list[date | None] = [None] * len(due)
    k = 0
    for on, amount in _since_start(loan, agreement):
        if on > as_of:
            break
        left = amount
        while left > 0 and k < len(due):
            take = min(left, due[k][2] - paid[k])
            paid[k] += take
            left -= take
            if paid[k] >= due[k][2]:
                done[k] = on
                k += 1
    items: list[InstalmentAdherence] = []
    for i, (n, day, amount) in enumerate(due):
        completed = done[i]
        if completed is not None:
            late = (completed - day).days
            state, days = ("on-time", 0) if late <= 0 else ("late", late)
        elif day < as_of:
            state, days = ("partial" if paid[i] > 0 else "missed"), (as_of - day).days
        else:
            state, days = "upcoming", 0
        items.append(InstalmentAdherence(n, day, amount, paid[i], completed, state, days))
    return Adherence(as_of, tuple(items))


# ---------------------------------------------------------------------------------------
# The report
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AgreementReport:
    """``agreement show``: the agreement, its adherence, the loan's status under it, warnings."""

    agreement: AgreementRecord
    lender: str
    effective: date | None
    governing: bool  # it is the agreement in force on as_of
    adherence: Adherence
    status: LoanStatus | None  # the loan's status on as_of (under this agreement when governing)
    warnings: tuple[tuple[str, dict[str, Any]], ...]
    budget_left: Decimal | None  # what the budget leaves in the month of the next payment

    def to_json(self) -> dict[str, Any]:
        from xieshang.i18n import t

        s = self.status
        return {
            "agreement": self.agreement.to_json(), "lender": self.lender,
            "effective": None if self.effective is None else self.effective.isoformat(),
            "governing": self.governing, "adherence": self.adherence.to_json(),
            "status": None if s is None else {"dpd": s.dpd, "stage": s.stage.value, "payoff": fmt(s.payoff),
                                              "overdue_amount": fmt(s.overdue_amount), "closed": s.closed},
            "budget_left": None if self.budget_left is None else fmt(self.budget_left),
            "warnings": [{"key": key, "text": t(f"after.warning.{key}", **_shown(params)),
                          "params": _shown(params)} for key, params in self.warnings],
        }


def _shown(params: dict[str, Any]) -> dict[str, Any]:
    return {k: (fmt(v) if isinstance(v, Decimal) else v.isoformat() if isinstance(v, date) else v)
            for k, v in params.items()}


def agreement_report(store: Store, agreement_id: int, as_of: date | None = None) -> AgreementReport:
    from xieshang.services.case import get_loan, loan_status
    from xieshang.services.prevention import money_left

    day = as_of or clock.today()
    with store.transaction() as s:
        loan_id = _row(s, agreement_id).loan_id
    loan = get_loan(store, loan_id)
    rec = next(a for a in loan.agreements if a.id == agreement_id)
    eff = effective_date(loan, rec)
    governing = (g := in_force(loan, day)) is not None and g.id == rec.id
    adh = adherence(loan, rec, day)
    status: LoanStatus | None = None
    first = loan.disbursed
    if first is None or day >= first:
        try:
            status = loan_status(loan, day)
        except UserError:
            status = None
    warnings: list[tuple[str, dict[str, Any]]] = []
    if rec.status == PROPOSED:
        warnings.append(("proposed", {}))
    elif rec.status == VERBAL:
        warnings.append(("not_in_writing", {}))
    elif rec.status == CANCELLED:
        warnings.append(("cancelled", {}))
    if rec.takes_over and eff is None and rec.down_payment > 0:
        warnings.append(("down_payment_pending", {"amount": rec.down_payment, "date": rec.down_payment_date}))
    if rec.takes_over and not adh.kept:
        warnings.append(("behind", {"amount": adh.arrears}))
    nxt = adh.next
    left: Decimal | None = None
    if nxt is not None and rec.status != CANCELLED:
        left = money_left(store, nxt.due)
        if left is None:
            warnings.append(("no_budget", {}))
        elif nxt.unpaid > left:
            warnings.append(("over_budget", {"amount": nxt.unpaid, "date": nxt.due, "left": left}))
    return AgreementReport(rec, loan.lender, eff, governing, adh, status, tuple(warnings), left)


def demo_agreement(store: Store, loan_id: int, *, today: date | None = None) -> AgreementRecord:
    """A demo agreement on ``loan_id``: interest stopped, 12 months, written, first payment next month.

    For the demo case (the contact-log area may call this with the loan it negotiated with).
    """
    from xieshang.services.case import get_loan, loan_status

    day = today or clock.today()
    loan = get_loan(store, loan_id)
    owed = loan_status(loan, day).owed
    balance = (owed.principal + owed.interest).quantize(Decimal("0.01"))
    waivers = tuple(WaiverItem(c, v) for c, v in ((Component.PENALTY, owed.penalty),
                                                   (Component.COMPOUND, owed.compound),
                                                   (Component.FEE, owed.fees)) if v > 0)
    return add_agreement(store, AgreementInput(loan_id=loan_id, months=12, start=day, balance=balance,
                                               waivers=waivers, status=WRITTEN,
                                               note="演示：停息分期12期，罚息复利减免 demo"), today=day)
