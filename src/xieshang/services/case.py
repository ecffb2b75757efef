"""The borrower's case: the person, their loans, payments and lender-stated figures.

Reads return frozen records (:class:`LoanRecord` …) that stay valid after the session is
closed; writes validate everything first and happen in one transaction. :func:`loan_terms`
and :func:`loan_payments` turn a stored loan into the engine's inputs: the lender profile's
defaults, then the user's contract figures, then the per-loan overrides.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, func, select

from xieshang import clock
from xieshang.engine.terms import CardTerms, LoanTerms, Payment, RepaymentMethod
from xieshang.errors import UserError
from xieshang.money import fmt
from xieshang.rates import Rate
from xieshang.store.codec import from_fen, rate_from_text, rate_to_text, to_fen
from xieshang.store.models import LenderFigure, Loan, PaymentRow, Person

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from xieshang.engine.status import LoanStatus
    from xieshang.rules.schema import Profile
    from xieshang.services.agreements import AgreementRecord
    from xieshang.store.db import Store

PRODUCTS = ("loan", "card")
#: Optional fields ``edit_loan`` can clear (``--unset``), besides override names.
CLEARABLE = ("rate", "method", "amount_received", "contract_no", "notes", "contacts")


# ---------------------------------------------------------------------------------------
# Records
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PersonInfo:
    name: str
    phone: str | None = None
    email: str | None = None
    id_number: str | None = None
    locale: str = "zh_CN"

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "phone": self.phone, "email": self.email, "id_number": self.id_number,
                "locale": self.locale}


@dataclass(frozen=True, slots=True)
class Contact:
    """A way to reach the lender: ``channel`` (phone, app, email, wechat …) and its value."""

    channel: str
    value: str

    def to_json(self) -> dict[str, str]:
        return {"channel": self.channel, "value": self.value}


@dataclass(frozen=True, slots=True)
class PaymentRecord:
    id: int
    loan_id: int
    on: date
    amount: Decimal
    channel: str | None = None
    note: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "loan_id": self.loan_id, "date": self.on.isoformat(), "amount": fmt(self.amount),
                "channel": self.channel, "note": self.note}


@dataclass(frozen=True, slots=True)
class LenderFigureRecord:
    id: int
    loan_id: int
    on: date
    amount: Decimal
    note: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "loan_id": self.loan_id, "date": self.on.isoformat(), "amount": fmt(self.amount),
                "note": self.note}


@dataclass(frozen=True, slots=True)
class LoanRecord:
    """A stored loan or card account with its payments and lender-stated figures."""

    id: int
    lender: str
    profile_id: str
    product: str  # "loan" | "card"
    principal: Decimal | None = None
    rate: Rate | None = None  # loans: contract rate; cards: daily rate (None: the profile's)
    term_months: int | None = None
    start: date | None = None
    method: RepaymentMethod | None = None
    amount_received: Decimal | None = None
    statement_balance: Decimal | None = None
    statement_date: date | None = None
    due_date: date | None = None
    overrides: Mapping[str, str] = field(default_factory=dict)
    contract_no: str | None = None
    contacts: tuple[Contact, ...] = ()
    notes: str | None = None
    payments: tuple[PaymentRecord, ...] = ()
    lender_figures: tuple[LenderFigureRecord, ...] = ()
    #: Agreements with the lender (:mod:`xieshang.services.agreements`); not part of ``to_json``.
    agreements: tuple[AgreementRecord, ...] = ()

    @property
    def is_card(self) -> bool:
        return self.product == "card"

    @property
    def disbursed(self) -> date | None:
        """The first day a payment can be made: the disbursement or statement date."""
        return self.statement_date if self.is_card else self.start

    @property
    def amount(self) -> Decimal | None:
        """The headline amount: principal for loans, statement balance for cards."""
        return self.statement_balance if self.is_card else self.principal

    @property
    def paid_total(self) -> Decimal:
        return sum((p.amount for p in self.payments), Decimal("0.00"))

    def to_json(self) -> dict[str, Any]:
        def money(v: Decimal | None) -> str | None:
            return None if v is None else fmt(v)

        def day(v: date | None) -> str | None:
            return None if v is None else v.isoformat()

        return {
            "id": self.id, "lender": self.lender, "profile": self.profile_id, "product": self.product,
            "principal": money(self.principal), "rate": None if self.rate is None else rate_to_text(self.rate),
            "term_months": self.term_months, "start": day(self.start),
            "method": None if self.method is None else self.method.value,
            "amount_received": money(self.amount_received), "statement_balance": money(self.statement_balance),
            "statement_date": day(self.statement_date), "due_date": day(self.due_date),
            "overrides": dict(sorted(self.overrides.items())), "contract_no": self.contract_no,
            "contacts": [c.to_json() for c in self.contacts], "notes": self.notes,
            "paid_total": fmt(self.paid_total),
            "payments": [p.to_json() for p in self.payments],
            "lender_figures": [f.to_json() for f in self.lender_figures],
        }


@dataclass(frozen=True, slots=True)
class LoanFields:
    """What ``loan add`` / ``loan edit`` were given; ``None`` means *not given*.

    ``overrides`` are merged into the loan's existing overrides; ``unset`` names override keys
    or :data:`CLEARABLE` fields to remove.
    """

    profile_id: str | None = None
    lender: str | None = None
    principal: Decimal | None = None
    rate: Rate | None = None
    term_months: int | None = None
    start: date | None = None
    method: RepaymentMethod | None = None
    amount_received: Decimal | None = None
    statement_balance: Decimal | None = None
    statement_date: date | None = None
    due_date: date | None = None
    overrides: Mapping[str, str] | None = None
    contract_no: str | None = None
    contacts: tuple[Contact, ...] | None = None
    notes: str | None = None
    unset: tuple[str, ...] = ()


# ---------------------------------------------------------------------------------------
# Row ↔ record
# ---------------------------------------------------------------------------------------


def _payment_record(row: PaymentRow) -> PaymentRecord:
    return PaymentRecord(id=row.id, loan_id=row.loan_id, on=row.paid_on, amount=from_fen(row.amount_fen),
                         channel=row.channel, note=row.note)


def _figure_record(row: LenderFigure) -> LenderFigureRecord:
    return LenderFigureRecord(id=row.id, loan_id=row.loan_id, on=row.stated_on, amount=from_fen(row.amount_fen),
                              note=row.note)


def _opt_money(fen: int | None) -> Decimal | None:
    return None if fen is None else from_fen(fen)


def _opt_fen(amount: Decimal | None) -> int | None:
    return None if amount is None else to_fen(amount)


def _agreements(row: Loan) -> tuple[AgreementRecord, ...]:
    from sqlalchemy.orm import object_session

    from xieshang.services.agreements import agreements_for_loan

    session = object_session(row)
    if session is None or row.id is None:
        return ()
    return agreements_for_loan(session, row.id)


def loan_record(row: Loan, *, with_children: bool = True) -> LoanRecord:
    return LoanRecord(
        id=row.id,
        lender=row.lender,
        profile_id=row.profile_id,
        product=row.product,
        principal=_opt_money(row.principal_fen),
        rate=None if row.rate is None else rate_from_text(row.rate),
        term_months=row.term_months,
        start=row.start_date,
        method=None if row.method is None else RepaymentMethod(row.method),
        amount_received=_opt_money(row.received_fen),
        statement_balance=_opt_money(row.statement_balance_fen),
        statement_date=row.statement_date,
        due_date=row.due_date,
        overrides={str(k): str(v) for k, v in (row.overrides or {}).items()},
        contract_no=row.contract_no,
        contacts=tuple(Contact(str(c["channel"]), str(c["value"])) for c in (row.contacts or [])),
        notes=row.notes,
        payments=tuple(_payment_record(p) for p in row.payments) if with_children else (),
        lender_figures=tuple(_figure_record(f) for f in row.lender_figures) if with_children else (),
        agreements=_agreements(row) if with_children else (),
    )


def _apply(row: Loan, rec: LoanRecord) -> None:
    row.lender = rec.lender
    row.profile_id = rec.profile_id
    row.product = rec.product
    row.principal_fen = _opt_fen(rec.principal)
    row.rate = None if rec.rate is None else rate_to_text(rec.rate)
    row.term_months = rec.term_months
    row.start_date = rec.start
    row.method = None if rec.method is None else rec.method.value
    row.received_fen = _opt_fen(rec.amount_received)
    row.statement_balance_fen = _opt_fen(rec.statement_balance)
    row.statement_date = rec.statement_date
    row.due_date = rec.due_date
    row.overrides = dict(sorted(rec.overrides.items()))
    row.contract_no = rec.contract_no
    row.contacts = [c.to_json() for c in rec.contacts]
    row.notes = rec.notes


# ---------------------------------------------------------------------------------------
# Engine bridge
# ---------------------------------------------------------------------------------------


def profile_for(profile_id: str) -> Profile:
    from xieshang.rules import get_profile

    return get_profile(profile_id)


def loan_terms(loan: LoanRecord, as_of: date | None = None) -> LoanTerms | CardTerms:
    """The engine's terms for a stored loan on ``as_of`` (default today).

    The contract's terms (:func:`original_terms`), unless an agreement with the lender is in force
    on that day: then the agreed schedule (:func:`xieshang.services.agreements.agreed_terms`),
    which goes with :func:`loan_payments` for the same day.
    """
    if loan.agreements:
        from xieshang.services.agreements import agreed_terms, in_force

        agreement = in_force(loan, as_of or clock.today())
        if agreement is not None:
            return agreed_terms(loan, agreement)
    return original_terms(loan)


def original_terms(loan: LoanRecord) -> LoanTerms | CardTerms:
    """The contract's terms for a stored loan: profile defaults → contract figures → overrides."""
    profile = profile_for(loan.profile_id)
    overrides: dict[str, object] = dict(loan.overrides)
    if loan.is_card:
        if loan.statement_balance is None or loan.statement_date is None or loan.due_date is None:
            raise UserError("error.case.incomplete", id=loan.id)
        if loan.rate is not None:
            overrides.setdefault("daily_rate", loan.rate)
        return profile.card_terms(statement_balance=loan.statement_balance, statement_date=loan.statement_date,
                                  due_date=loan.due_date, overrides=overrides or None)
    if loan.principal is None or loan.term_months is None or loan.start is None:
        raise UserError("error.case.incomplete", id=loan.id)
    return profile.loan_terms(principal=loan.principal, term_months=loan.term_months, start=loan.start,
                              rate=loan.rate, method=loan.method, amount_received=loan.amount_received,
                              overrides=overrides or None)


def loan_payments(loan: LoanRecord, as_of: date | None = None) -> list[Payment]:
    """The engine's payments, by date; ``seq`` keeps the order of same-day payments.

    Under an agreement in force on ``as_of`` (default today): the payments since its start, less
    its down payment (see :func:`loan_terms`).
    """
    if loan.agreements:
        from xieshang.services.agreements import agreed_payments, in_force

        agreement = in_force(loan, as_of or clock.today())
        if agreement is not None:
            return agreed_payments(loan, agreement)
    out: list[Payment] = []
    ordered = sorted(loan.payments, key=lambda p: (p.on, p.id))
    for p in ordered:
        seq = out[-1].seq + 1 if out and out[-1].on == p.on else 0
        out.append(Payment(on=p.on, amount=p.amount, seq=seq))
    return out


def loan_status(loan: LoanRecord, as_of: date) -> LoanStatus:
    """The engine's status of a stored loan on ``as_of``."""
    from xieshang.engine.status import status_of

    return status_of(loan_terms(loan, as_of), loan_payments(loan, as_of), as_of)


# ---------------------------------------------------------------------------------------
# Person
# ---------------------------------------------------------------------------------------


def _person_row(session: Session) -> Person | None:
    return session.scalars(select(Person).order_by(Person.id).limit(1)).first()


def _require_person(session: Session, store: Store) -> Person:
    person = _person_row(session)
    if person is None:
        raise UserError("error.case.no_case", path=store.location)
    return person


def _clean(text: str | None) -> str | None:
    if text is None:
        return None
    stripped = text.strip()
    return stripped or None


def _person_info(row: Person) -> PersonInfo:
    return PersonInfo(name=row.name, phone=row.phone, email=row.email, id_number=row.id_number, locale=row.locale)


def _check_person(info: PersonInfo) -> PersonInfo:
    from xieshang.i18n import normalize

    name = info.name.strip()
    if not name:
        raise UserError("error.case.missing", field="name", flag="--name")
    locale = normalize(info.locale)
    if locale is None:
        raise UserError("error.case.bad_locale", value=info.locale)
    return PersonInfo(name=name, phone=_clean(info.phone), email=_clean(info.email),
                      id_number=_clean(info.id_number), locale=locale)


def get_person(store: Store) -> PersonInfo | None:
    with store.transaction() as s:
        row = _person_row(s)
        return None if row is None else _person_info(row)


def has_case(store: Store) -> bool:
    return get_person(store) is not None


def init_case(store: Store, info: PersonInfo) -> PersonInfo:
    """Start the case with the borrower's details; refuses if the store already has one."""
    checked = _check_person(info)
    with store.transaction() as s:
        if _person_row(s) is not None:
            raise UserError("error.case.exists", path=store.location)
        s.add(Person(name=checked.name, phone=checked.phone, email=checked.email,
                     id_number=checked.id_number, locale=checked.locale))
    return checked


# ---------------------------------------------------------------------------------------
# Loans
# ---------------------------------------------------------------------------------------


#: SQLite's largest integer: a bigger id (typed in a URL) is simply unknown, not an overflow.
MAX_ID = 2**63 - 1


def _loan_row(session: Session, loan_id: int) -> Loan:
    row = session.get(Loan, loan_id) if 0 < loan_id <= MAX_ID else None
    if row is None:
        raise UserError("error.case.unknown_loan", id=loan_id)
    return row


_LOAN_ONLY = (("principal", "--principal"), ("term_months", "--months"), ("start", "--start"),
              ("method", "--method"), ("amount_received", "--received"))
_CARD_ONLY = (("statement_balance", "--statement-balance"), ("statement_date", "--statement-date"),
              ("due_date", "--due-date"))


def _merge(base: LoanRecord, f: LoanFields, product: str) -> LoanRecord:
    """``base`` with the given fields applied (``None`` = keep), cleared fields removed."""
    given = product == "card"
    wrong = _LOAN_ONLY if given else _CARD_ONLY
    for name, flag in wrong:
        if getattr(f, name) is not None:
            raise UserError("error.case.field_not_for_product", flag=flag, product=product)
    overrides = dict(base.overrides)
    if f.overrides is not None:
        overrides.update(f.overrides)
    changes: dict[str, Any] = {}
    for name in ("lender", "principal", "rate", "term_months", "start", "method", "amount_received",
                 "statement_balance", "statement_date", "due_date", "contacts"):
        value = getattr(f, name)
        if value is not None:
            changes[name] = value
    for name in ("contract_no", "notes"):
        value = getattr(f, name)
        if value is not None:
            changes[name] = _clean(value)
    for name in f.unset:
        if name in CLEARABLE:
            changes[name] = () if name == "contacts" else None
        elif name in overrides:
            del overrides[name]
        else:
            raise UserError("error.case.cannot_unset", field=name, choices=", ".join(CLEARABLE))
    changes["overrides"] = overrides
    return replace(base, **changes)


def _validate(rec: LoanRecord, *, today: date) -> None:
    """Refuse an incomplete or impossible loan; then let the profile build its terms."""
    if not rec.lender.strip():
        raise UserError("error.case.missing", field="lender", flag="--lender")
    if rec.is_card:
        for name, flag in _CARD_ONLY:
            if getattr(rec, name) is None:
                raise UserError("error.case.missing", field=name, flag=flag)
        assert rec.statement_balance is not None and rec.statement_date is not None and rec.due_date is not None
        if rec.statement_balance <= 0:
            raise UserError("error.money.not_positive", field="--statement-balance", value=fmt(rec.statement_balance))
        if rec.due_date <= rec.statement_date:
            raise UserError("error.case.due_before_statement", due=rec.due_date.isoformat(),
                            statement=rec.statement_date.isoformat())
        if rec.statement_date > today:
            raise UserError("error.date.in_future", value=rec.statement_date.isoformat(), today=today.isoformat())
    else:
        for name, flag in _LOAN_ONLY[:3]:
            if getattr(rec, name) is None:
                raise UserError("error.case.missing", field=name, flag=flag)
        assert rec.principal is not None and rec.term_months is not None and rec.start is not None
        if rec.principal <= 0:
            raise UserError("error.money.not_positive", field="--principal", value=fmt(rec.principal))
        if not 1 <= rec.term_months <= 600:
            raise UserError("error.term.months", value=str(rec.term_months))
        if rec.amount_received is not None:
            if rec.amount_received <= 0:
                raise UserError("error.money.not_positive", field="--received", value=fmt(rec.amount_received))
            if rec.amount_received > rec.principal:
                raise UserError("error.term.received_above_principal", received=fmt(rec.amount_received),
                                principal=fmt(rec.principal))
        if rec.start > today:
            raise UserError("error.date.in_future", value=rec.start.isoformat(), today=today.isoformat())
    first = rec.disbursed
    assert first is not None
    for p in rec.payments:
        if p.on < first:
            raise UserError("error.case.payments_before_start", id=p.id, date=p.on.isoformat(),
                            start=first.isoformat())
    original_terms(rec)  # the profile's own checks: unknown override names, bad values, missing terms


def _check_amounts_fit(rec: LoanRecord) -> None:
    for amount in (rec.principal, rec.amount_received, rec.statement_balance):
        if amount is not None:
            try:
                to_fen(amount)
            except ValueError as exc:
                raise UserError("error.money.too_precise", value=str(amount), field="amount") from exc


def check_new_loan(f: LoanFields, *, today: date | None = None, loan_id: int = 0) -> LoanRecord:
    """Validate ``loan add`` input without touching a store; returns the record to write."""
    if not f.profile_id:
        raise UserError("error.case.missing", field="profile", flag="--profile")
    profile = profile_for(f.profile_id)
    product = str(profile.product.value)
    from xieshang.i18n import current_language

    base = LoanRecord(id=loan_id, lender=profile.name(current_language()), profile_id=profile.id, product=product)
    rec = _merge(base, f, product)
    _check_amounts_fit(rec)
    _validate(rec, today=today or clock.today())
    return rec


def add_loan(store: Store, f: LoanFields, *, today: date | None = None) -> LoanRecord:
    rec = check_new_loan(f, today=today)
    with store.transaction() as s:
        person = _require_person(s, store)
        row = Loan(person_id=person.id)
        _apply(row, rec)
        s.add(row)
        s.flush()
        return loan_record(row)


def edit_loan(store: Store, loan_id: int, f: LoanFields, *, today: date | None = None) -> LoanRecord:
    with store.transaction() as s:
        _require_person(s, store)
        row = _loan_row(s, loan_id)
        base = loan_record(row)
        product = base.product
        if f.profile_id is not None and f.profile_id != base.profile_id:
            profile = profile_for(f.profile_id)
            if profile.product.value != product:
                raise UserError("error.case.product_change", id=loan_id, old=product, new=profile.product.value)
            base = replace(base, profile_id=profile.id)
        rec = _merge(base, f, product)
        _check_amounts_fit(rec)
        _validate(rec, today=today or clock.today())
        _apply(row, rec)
        s.flush()
        return loan_record(row)


def remove_loan(store: Store, loan_id: int) -> LoanRecord:
    """Delete a loan with its payments and lender figures; returns what was deleted."""
    with store.transaction() as s:
        _require_person(s, store)
        row = _loan_row(s, loan_id)
        rec = loan_record(row)
        s.delete(row)
        return rec


def get_loan(store: Store, loan_id: int) -> LoanRecord:
    with store.transaction() as s:
        _require_person(s, store)
        return loan_record(_loan_row(s, loan_id))


def list_loans(store: Store) -> list[LoanRecord]:
    with store.transaction() as s:
        _require_person(s, store)
        return [loan_record(r) for r in s.scalars(select(Loan).order_by(Loan.id))]


# ---------------------------------------------------------------------------------------
# Payments and lender-stated figures
# ---------------------------------------------------------------------------------------


def _check_day(on: date, loan: LoanRecord, today: date) -> None:
    if on > today:
        raise UserError("error.date.in_future", value=on.isoformat(), today=today.isoformat())
    first = loan.disbursed
    if first is not None and on < first:
        raise UserError("error.date.before_disbursement", value=on.isoformat(), start=first.isoformat())


def add_payment(store: Store, loan_id: int, amount: Decimal, *, on: date | None = None, channel: str | None = None,
                note: str | None = None, today: date | None = None) -> PaymentRecord:
    """Record money paid on a loan. Refuses a zero or negative amount, a day in the future or
    before the disbursement (statement) date, and an unknown loan."""
    day_today = today or clock.today()
    day = on or day_today
    if amount <= 0:
        raise UserError("error.money.not_positive", field="amount", value=fmt(amount))
    with store.transaction() as s:
        _require_person(s, store)
        row = _loan_row(s, loan_id)
        _check_day(day, loan_record(row, with_children=False), day_today)
        try:
            fen = to_fen(amount)
        except ValueError as exc:
            raise UserError("error.money.too_precise", value=str(amount), field="amount") from exc
        pay = PaymentRow(loan_id=row.id, paid_on=day, amount_fen=fen, channel=_clean(channel), note=_clean(note))
        s.add(pay)
        s.flush()
        return _payment_record(pay)


def list_payments(store: Store, loan_id: int | None = None) -> list[PaymentRecord]:
    with store.transaction() as s:
        _require_person(s, store)
        query = select(PaymentRow).order_by(PaymentRow.paid_on, PaymentRow.id)
        if loan_id is not None:
            _loan_row(s, loan_id)
            query = query.where(PaymentRow.loan_id == loan_id)
        return [_payment_record(r) for r in s.scalars(query)]


def remove_payment(store: Store, payment_id: int) -> PaymentRecord:
    with store.transaction() as s:
        _require_person(s, store)
        row = s.get(PaymentRow, payment_id) if 0 < payment_id <= MAX_ID else None
        if row is None:
            raise UserError("error.case.unknown_payment", id=payment_id)
        rec = _payment_record(row)
        s.delete(row)
        return rec


def add_lender_figure(store: Store, loan_id: int, amount: Decimal, *, on: date | None = None,
                      note: str | None = None, today: date | None = None) -> LenderFigureRecord:
    """Record what the lender's app or statement says is owed on a day."""
    day_today = today or clock.today()
    day = on or day_today
    if amount < 0:
        raise UserError("error.money.negative", field="amount", value=fmt(amount))
    with store.transaction() as s:
        _require_person(s, store)
        row = _loan_row(s, loan_id)
        _check_day(day, loan_record(row, with_children=False), day_today)
        try:
            fen = to_fen(amount)
        except ValueError as exc:
            raise UserError("error.money.too_precise", value=str(amount), field="amount") from exc
        fig = LenderFigure(loan_id=row.id, stated_on=day, amount_fen=fen, note=_clean(note))
        s.add(fig)
        s.flush()
        return _figure_record(fig)


def counts(store: Store) -> dict[str, int]:
    """Rows per table (for ``init``/``demo`` summaries and tests)."""
    with store.transaction() as s:
        return {
            "person": s.scalar(select(func.count()).select_from(Person)) or 0,
            "loan": s.scalar(select(func.count()).select_from(Loan)) or 0,
            "payment": s.scalar(select(func.count()).select_from(PaymentRow)) or 0,
            "lender_figure": s.scalar(select(func.count()).select_from(LenderFigure)) or 0,
        }


def check_loan_record(rec: LoanRecord, *, today: date | None = None) -> None:
    """Validate a complete loan with its payments and figures (import, demo): the same rules as
    ``loan add``, ``pay add`` and ``lender-says``."""
    day_today = today or clock.today()
    if rec.product not in PRODUCTS:
        raise UserError("error.case.bad_product", value=rec.product)
    profile = profile_for(rec.profile_id)
    if profile.product.value != rec.product:
        raise UserError("error.case.product_change", id=rec.id, old=rec.product, new=profile.product.value)
    _check_amounts_fit(rec)
    _validate(rec, today=day_today)
    for p in rec.payments:
        if p.amount <= 0:
            raise UserError("error.money.not_positive", field="amount", value=fmt(p.amount))
        _check_day(p.on, rec, day_today)
    for f in rec.lender_figures:
        if f.amount < 0:
            raise UserError("error.money.negative", field="amount", value=fmt(f.amount))
        _check_day(f.on, rec, day_today)


def write_case(store: Store, person: PersonInfo, loans: Sequence[LoanRecord], *, replace_existing: bool,
               exists_key: str = "error.case.exists") -> None:
    """Write a whole case in one transaction; with ``replace_existing`` the old case goes first.

    Callers validate first (:func:`check_loan_record`); ids of ``loans`` are ignored, payments
    are written in date order so that the store's order is the document's order.
    """
    checked = _check_person(person)
    with store.transaction() as s:
        existing = _person_row(s)
        if existing is not None:
            if not replace_existing:
                raise UserError(exists_key, path=store.location)
            s.execute(delete(LenderFigure))
            s.execute(delete(PaymentRow))
            s.execute(delete(Loan))
            s.execute(delete(Person))
        person_row = Person(name=checked.name, phone=checked.phone, email=checked.email,
                            id_number=checked.id_number, locale=checked.locale)
        s.add(person_row)
        s.flush()
        for rec in loans:
            row = Loan(person_id=person_row.id)
            _apply(row, rec)
            s.add(row)
            s.flush()
            for p in sorted(rec.payments, key=lambda x: (x.on, x.id)):
                s.add(PaymentRow(loan_id=row.id, paid_on=p.on, amount_fen=to_fen(p.amount),
                                 channel=_clean(p.channel), note=_clean(p.note)))
            for f in sorted(rec.lender_figures, key=lambda x: (x.on, x.id)):
                s.add(LenderFigure(loan_id=row.id, stated_on=f.on, amount_fen=to_fen(f.amount),
                                   note=_clean(f.note)))
            s.flush()


def read_case(store: Store) -> tuple[PersonInfo, list[LoanRecord]]:
    """The whole case in one read transaction."""
    with store.transaction() as s:
        person = _require_person(s, store)
        loans = [loan_record(r) for r in s.scalars(select(Loan).order_by(Loan.id))]
        return _person_info(person), loans


def terms_to_json(terms: LoanTerms | CardTerms) -> dict[str, Any]:
    """The engine terms as JSON-ready data: rates as ``value/period``, amounts and dates as text."""
    import dataclasses
    from enum import Enum

    def conv(obj: object) -> object:
        if isinstance(obj, Rate):
            return rate_to_text(obj)
        if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
            return {f.name: conv(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
        if isinstance(obj, tuple | list):
            return [conv(x) for x in obj]
        if isinstance(obj, Enum):
            return obj.value
        if isinstance(obj, Decimal):
            return format(obj, "f")
        if isinstance(obj, date):
            return obj.isoformat()
        return obj

    out = conv(terms)
    assert isinstance(out, dict)
    out["kind"] = "card" if isinstance(terms, CardTerms) else "loan"
    return out


def describe_rate(text: str) -> str:
    """``"0.0005/daily"`` → ``"0.05%/day"`` (anything else is returned as it is)."""
    from xieshang.store.codec import is_rate_text

    return rate_from_text(text).describe() if is_rate_text(text) else text
