"""The plan use-cases: options per loan (typical, offered, refused), plan, what-if, save, show.

:func:`plan_case` reads the case (loans, payments, finances, lenders' answers) and runs
:func:`xieshang.planner.plan.make_plan`. :func:`save_plan` stores the chosen plan and its per-lender
proposals; :func:`saved_plan` gives them back (the letters read them through this function).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, select

from xieshang import clock
from xieshang.errors import UserError
from xieshang.planner.debts import Debt
from xieshang.planner.finances import Finances, IncomeSource
from xieshang.planner.options import (
    OFFER_KINDS,
    Offer,
    OptionSpec,
    ProfileOption,
    loan_options,
    typical_options,
)
from xieshang.planner.plan import DEFAULT_MONTHS, PlanResult, make_plan
from xieshang.planner.proposal import InterestTreatment, OptionKind, Proposal
from xieshang.store.codec import from_fen, to_fen
from xieshang.store.models_plan import PlanOfferRow, SavedPlanRow, SavedProposalRow

if TYPE_CHECKING:
    from xieshang.services.case import LoanRecord
    from xieshang.store.db import Store

MAX_MONTHS = 120


# ---------------------------------------------------------------------------------------
# Offers and refusals
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class OfferRecord:
    id: int
    loan_id: int
    offer: Offer
    recorded_on: date

    def to_json(self) -> dict[str, Any]:
        o = self.offer
        return {"id": self.id, "loan_id": self.loan_id, "kind": o.kind, "refused": o.refused, "months": o.months,
                "down_payment": None if o.down_payment is None else str(o.down_payment),
                "interest": None if o.interest is None else o.interest.value,
                "reduced_annual_rate": None if o.reduced_annual_rate is None else str(o.reduced_annual_rate),
                "waiver_share": None if o.waiver_share is None else str(o.waiver_share),
                "settlement_amount": None if o.settlement_amount is None else str(o.settlement_amount),
                "chance": None if o.chance is None else str(o.chance), "note": o.note,
                "recorded_on": self.recorded_on.isoformat()}


def _offer_record(r: PlanOfferRow) -> OfferRecord:
    offer = Offer(kind=r.kind, refused=r.refused, months=r.months,
                  down_payment=None if r.down_payment_fen is None else from_fen(r.down_payment_fen),
                  interest=None if r.interest is None else InterestTreatment(r.interest),
                  reduced_annual_rate=None if r.reduced_annual_rate is None else Decimal(r.reduced_annual_rate),
                  waiver_share=None if r.waiver_share is None else Decimal(r.waiver_share),
                  settlement_amount=None if r.amount_fen is None else from_fen(r.amount_fen),
                  chance=None if r.chance is None else Decimal(r.chance), note=r.note or "")
    return OfferRecord(id=r.id, loan_id=r.loan_id, offer=offer, recorded_on=r.recorded_on)


def list_offers(store: Store) -> list[OfferRecord]:
    with store.transaction() as s:
        return [_offer_record(r) for r in s.scalars(select(PlanOfferRow).order_by(PlanOfferRow.id))]


def _check_share(value: Decimal | None, flag: str) -> None:
    if value is not None and not Decimal(0) <= value <= Decimal(1):
        raise UserError("plan.error.bad_share", flag=flag, value=str(value))


def record_offer(store: Store, loan_id: int, offer: Offer, *, today: date | None = None) -> OfferRecord:
    """Record what the lender offered (or that it refused) for one kind; replaces its earlier answer."""
    from xieshang.services.case import get_loan

    if offer.kind not in OFFER_KINDS:
        raise UserError("plan.error.bad_kind", value=offer.kind, choices=", ".join(OFFER_KINDS))
    if offer.months is not None and not 1 <= offer.months <= MAX_MONTHS:
        raise UserError("plan.error.bad_months", value=str(offer.months), max=MAX_MONTHS)
    _check_share(offer.waiver_share, "--waive")
    _check_share(offer.chance, "--chance")
    for amount, flag in ((offer.down_payment, "--down"), (offer.settlement_amount, "--amount")):
        if amount is not None and amount < 0:
            raise UserError("error.money.negative", field=flag, value=str(amount))
    get_loan(store, loan_id)  # refuses an unknown loan or a missing case
    day = today or clock.today()
    with store.transaction() as s:
        s.execute(delete(PlanOfferRow).where(PlanOfferRow.loan_id == loan_id, PlanOfferRow.kind == offer.kind))
        row = PlanOfferRow(
            loan_id=loan_id, kind=offer.kind, refused=offer.refused, months=offer.months,
            down_payment_fen=None if offer.down_payment is None else to_fen(offer.down_payment),
            interest=None if offer.interest is None else offer.interest.value,
            reduced_annual_rate=None if offer.reduced_annual_rate is None else str(offer.reduced_annual_rate),
            waiver_share=None if offer.waiver_share is None else str(offer.waiver_share),
            amount_fen=None if offer.settlement_amount is None else to_fen(offer.settlement_amount),
            chance=None if offer.chance is None else str(offer.chance), note=offer.note or None, recorded_on=day)
        s.add(row)
        s.flush()
        return _offer_record(row)


def clear_offer(store: Store, loan_id: int, kind: str) -> int:
    """Forget the lender's answer about ``kind`` (back to the typical options); returns rows removed."""
    from xieshang.services.case import get_loan

    if kind not in OFFER_KINDS:
        raise UserError("plan.error.bad_kind", value=kind, choices=", ".join(OFFER_KINDS))
    get_loan(store, loan_id)
    with store.transaction() as s:
        result = s.execute(delete(PlanOfferRow).where(PlanOfferRow.loan_id == loan_id, PlanOfferRow.kind == kind))
        return int(getattr(result, "rowcount", 0) or 0)


# ---------------------------------------------------------------------------------------
# Debts for the planner
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LoanOptions:
    loan_id: int
    label: str
    options: tuple[OptionSpec, ...]
    refused: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {"loan_id": self.loan_id, "label": self.label, "options": [o.to_json() for o in self.options],
                "refused": list(self.refused)}


def _loan_options(loan: LoanRecord, offers: list[Offer], start: date) -> tuple[list[OptionSpec], frozenset[str]]:
    from xieshang.engine.status import status_of
    from xieshang.services.case import loan_payments, loan_terms, profile_for

    prof = profile_for(loan.profile_id)
    po = [ProfileOption(kind=n.kind, max_months=n.max_months, source=n.source, confidence=n.confidence)
          for n in prof.negotiation]
    st = status_of(loan_terms(loan), loan_payments(loan), start)
    typical = typical_options(po, matured=st.maturity <= start)
    refused = frozenset(o.kind for o in offers if o.refused)
    return loan_options(typical, offers, offered_on=start.isoformat()), refused


def case_options(store: Store, *, today: date | None = None, refuse: tuple[tuple[int, str], ...] = (),
                 loans: list[LoanRecord] | None = None) -> list[LoanOptions]:
    """Every loan's options as the planner will see them (typical → offered → refused); ``loans``:
    the case's loans when the caller has just read them."""
    from xieshang.services.case import list_loans

    day = today or clock.today()
    loans = list_loans(store) if loans is None else loans
    by_loan: dict[int, list[Offer]] = {}
    for rec in list_offers(store):
        by_loan.setdefault(rec.loan_id, []).append(rec.offer)
    known = {loan.id for loan in loans}
    for lid, kind in refuse:
        if lid not in known:
            raise UserError("error.case.unknown_loan", id=lid)
        if kind not in OFFER_KINDS:
            raise UserError("plan.error.bad_kind", value=kind, choices=", ".join(OFFER_KINDS))
        by_loan.setdefault(lid, []).append(Offer(kind=kind, refused=True))
    out = []
    for loan in loans:
        opts, refused = _loan_options(loan, by_loan.get(loan.id, []), day)
        out.append(LoanOptions(loan.id, f"#{loan.id} {loan.lender}", tuple(opts), tuple(sorted(refused))))
    return out


def case_debts(store: Store, *, today: date | None = None, refuse: tuple[tuple[int, str], ...] = ()) -> list[Debt]:
    from xieshang.services.case import list_loans, loan_payments, loan_terms, profile_for

    day = today or clock.today()
    loans = list_loans(store)
    options = {o.loan_id: o for o in case_options(store, today=day, refuse=refuse, loans=loans)}
    debts = []
    for loan in loans:
        prof = profile_for(loan.profile_id)
        reports = prof.reports_to_pboc.value
        lo = options[loan.id]
        debts.append(Debt(loan_id=loan.id, label=lo.label, terms=loan_terms(loan), payments=tuple(loan_payments(loan)),
                          options=lo.options, reports_to_pboc=True if reports is None else bool(reports),
                          refused=frozenset(lo.refused)))
    return debts


# ---------------------------------------------------------------------------------------
# Planning
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class WhatIf:
    """Changes for one re-plan, nothing stored: a new monthly income or essential spending total,
    a lump sum at the start, and lenders' refusals (loan id, kind)."""

    income: Decimal | None = None
    spending: Decimal | None = None
    lump_sum: Decimal = Decimal(0)
    refuse: tuple[tuple[int, str], ...] = ()

    @property
    def empty(self) -> bool:
        return self.income is None and self.spending is None and not self.lump_sum and not self.refuse


def _apply_whatif(fin: Finances, w: WhatIf) -> Finances:
    out = fin
    if w.income is not None:
        out = replace(out, incomes=(IncomeSource("what-if", w.income),))
    if w.spending is not None:
        out = replace(out, expenses={"other": w.spending} if w.spending > 0 else {})
    return out


def plan_case(store: Store, *, objective: str = "cost", months: int = DEFAULT_MONTHS, start: date | None = None,
              whatif: WhatIf | None = None) -> PlanResult:
    """Plan the whole case (what-if changes apply to this run only)."""
    from xieshang.planner.model import OBJECTIVES
    from xieshang.services.finances import get_finances

    if objective not in OBJECTIVES:
        raise UserError("plan.error.bad_objective", value=objective, choices=", ".join(OBJECTIVES))
    if not 2 <= months <= MAX_MONTHS:
        raise UserError("plan.error.bad_months", value=str(months), max=MAX_MONTHS)
    w = whatif or WhatIf()
    if w.lump_sum < 0:
        raise UserError("error.money.negative", field="--lump-sum", value=str(w.lump_sum))
    for value, flag in ((w.income, "--income"), (w.spending, "--spending")):
        if value is not None and value < 0:
            raise UserError("error.money.negative", field=flag, value=str(value))
    day = start or clock.today()
    fin = get_finances(store)
    if fin is None and w.income is None:
        raise UserError("plan.error.no_finances")
    fin = _apply_whatif(fin or Finances(), w)
    if not fin.incomes:
        raise UserError("plan.error.no_income")
    debts = case_debts(store, today=day, refuse=w.refuse)
    if not debts:
        raise UserError("plan.error.no_loans")
    return make_plan(debts, fin, day, months=months, objective=objective, extra_lump=w.lump_sum)


# ---------------------------------------------------------------------------------------
# Saved plan
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SavedPlan:
    """The plan the borrower saved, with one proposal per loan (the letters' input)."""

    proposals: list[Proposal]
    created_on: date
    objective: str
    monthly_capacity: Decimal
    start: date = field(default_factory=clock.today)
    months: int = DEFAULT_MONTHS
    document: dict[str, Any] = field(default_factory=dict)

    def proposal_for(self, loan_id: int) -> Proposal | None:
        for p in self.proposals:
            if p.loan_id == loan_id:
                return p
        return None

    def to_json(self) -> dict[str, Any]:
        return {"created_on": self.created_on.isoformat(), "objective": self.objective,
                "monthly_capacity": str(self.monthly_capacity.quantize(Decimal("0.01"))),
                "start": self.start.isoformat(), "months": self.months,
                "proposals": [p.to_json() for p in self.proposals], "plan": self.document}


def save_plan(store: Store, result: PlanResult, *, today: date | None = None) -> SavedPlan:
    """Store ``result`` (its optimal strategy and proposals) as the case's plan, replacing any earlier one."""
    from xieshang.store.models import Person

    if not result.feasible or not result.proposals:
        raise UserError("plan.error.nothing_to_save")
    day = today or clock.today()
    doc = result.to_json()
    cap = result.capacity[0] if result.capacity else Decimal(0)
    with store.transaction() as s:
        pid = s.scalars(select(Person.id).order_by(Person.id).limit(1)).first()
        if pid is None:
            raise UserError("error.case.no_case", path=store.location)
        s.execute(delete(SavedPlanRow).where(SavedPlanRow.person_id == pid))
        row = SavedPlanRow(person_id=pid, created_on=day, start_date=result.start, objective=result.objective,
                           months=result.months, monthly_capacity_fen=to_fen(cap), document=doc)
        s.add(row)
        s.flush()
        for p in result.proposals:
            s.add(SavedProposalRow(
                plan_id=row.id, loan_id=p.loan_id, option=p.option.value, start_date=p.start_date,
                down_payment_fen=to_fen(p.down_payment), monthly_amount_fen=to_fen(p.monthly_amount),
                months=p.months, interest=p.interest.value,
                reduced_annual_rate=None if p.reduced_annual_rate is None else str(p.reduced_annual_rate),
                waive_penalty_fen=to_fen(p.waive_penalty), waive_compound_fen=to_fen(p.waive_compound),
                waive_fees_fen=to_fen(p.waive_fees),
                settlement_amount_fen=None if p.settlement_amount is None else to_fen(p.settlement_amount),
                total_to_pay_fen=to_fen(p.total_to_pay), owed_now_fen=to_fen(p.owed_now), notes=list(p.notes)))
    saved = saved_plan(store)
    assert saved is not None
    return saved


def saved_plan(store: Store) -> SavedPlan | None:
    """The saved plan of the case, or ``None`` if none was saved (or the case has none)."""
    with store.transaction() as s:
        row = s.scalars(select(SavedPlanRow).order_by(SavedPlanRow.id.desc()).limit(1)).first()
        if row is None:
            return None
        props = [Proposal(
            loan_id=r.loan_id, option=OptionKind(r.option), start_date=r.start_date,
            down_payment=from_fen(r.down_payment_fen), monthly_amount=from_fen(r.monthly_amount_fen), months=r.months,
            interest=InterestTreatment(r.interest),
            reduced_annual_rate=None if r.reduced_annual_rate is None else Decimal(r.reduced_annual_rate),
            waive_penalty=from_fen(r.waive_penalty_fen), waive_compound=from_fen(r.waive_compound_fen),
            waive_fees=from_fen(r.waive_fees_fen),
            settlement_amount=None if r.settlement_amount_fen is None else from_fen(r.settlement_amount_fen),
            total_to_pay=from_fen(r.total_to_pay_fen), owed_now=from_fen(r.owed_now_fen),
            notes=tuple(str(n) for n in (r.notes or [])))
            for r in s.scalars(select(SavedProposalRow).where(SavedProposalRow.plan_id == row.id)
                               .order_by(SavedProposalRow.loan_id))]
        return SavedPlan(proposals=props, created_on=row.created_on, objective=row.objective,
                         monthly_capacity=from_fen(row.monthly_capacity_fen), start=row.start_date,
                         months=row.months, document=dict(row.document or {}))
