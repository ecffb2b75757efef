"""What a document is built from: plain facts gathered by :mod:`xieshang.services.letters`.

Nothing here reads the store or the clock; a builder gets everything it may print.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from xieshang.engine.cost import CostFigures, LineCheck
    from xieshang.engine.status import LoanStatus
    from xieshang.planner.proposal import Proposal


@dataclass(frozen=True, slots=True)
class Party:
    name: str
    phone: str | None = None
    email: str | None = None
    id_number: str | None = None


@dataclass(frozen=True, slots=True)
class HardshipInfo:
    reason: str  # one of data.HARDSHIP_TYPES
    text: str | None = None
    since: date | None = None
    until: date | None = None

    def to_json(self) -> dict[str, str | None]:
        return {"reason": self.reason, "text": self.text,
                "since": None if self.since is None else self.since.isoformat(),
                "until": None if self.until is None else self.until.isoformat()}


@dataclass(frozen=True, slots=True)
class LineFact:
    """An interest line that applies to this lender type, with where it comes from."""

    id: str
    name_zh: str
    name_en: str
    rate: Decimal
    meaning_zh: str
    meaning_en: str
    source: str
    as_of: date
    confidence: str


@dataclass(frozen=True, slots=True)
class LoanFacts:
    id: int
    lender: str
    product: str  # "loan" | "card"
    lender_type: str | None
    product_name_zh: str  # the profile's name, e.g. 网商贷
    product_name_en: str
    amount: Decimal  # principal, or the statement balance of a card
    disbursed: date  # disbursement or statement date
    term_months: int | None
    status: LoanStatus
    cost: CostFigures
    lines: tuple[LineFact, ...] = ()
    checks: tuple[LineCheck, ...] = ()
    contract_no: str | None = None
    contacts: tuple[tuple[str, str], ...] = ()
    payments: tuple[tuple[date, Decimal], ...] = ()
    lender_figures: tuple[tuple[date, Decimal, str | None], ...] = ()
    max_plan_months: int | None = None  # the longest instalment plan the profile's rule allows

    @property
    def is_card(self) -> bool:
        return self.product == "card"

    @property
    def last_due(self) -> date:
        """The last instalment's due date (cards: the statement's due date), from which the
        limitation period of the whole debt runs (民法典 第189条)."""
        return self.status.maturity


@dataclass(frozen=True, slots=True)
class CallInfo:
    on: date | None = None
    agent: str | None = None
    agreed: str | None = None


@dataclass(frozen=True, slots=True)
class Incident:
    """One contact-log entry the conduct checks flagged, worded in the document's language."""

    when: str  # "2026-11-20 23:40 +08:00"
    channel: str
    counterparty: str
    contacted: str
    summary: str
    rules: tuple[str, ...]  # per flag: what was found, the rule and its citation


@dataclass(frozen=True, slots=True)
class ComplaintInfo:
    issues: tuple[str, ...] = ()  # data.TOPICS
    details: str | None = None
    to: str = "lender"  # "lender" | "regulator"
    reference: str | None = None  # the lender's complaint number, when escalating
    incidents: tuple[Incident, ...] = ()  # flagged contact-log entries (filled by the letters service)


@dataclass(frozen=True, slots=True)
class DisputeInfo:
    entry: str | None = None
    wrong: str | None = None
    evidence: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class LetterInput:
    kind: str
    lang: str
    as_of: date
    person: Party
    loan: LoanFacts
    proposal: Proposal | None = None
    proposal_source: str | None = None  # "plan" | "flags" | None
    plan_date: date | None = None
    start_assumed: bool = False  # the proposal's first date was not given: settings' default
    hardship: HardshipInfo | None = None
    call: CallInfo = field(default_factory=CallInfo)
    complaint: ComplaintInfo = field(default_factory=ComplaintInfo)
    dispute: DisputeInfo = field(default_factory=DisputeInfo)
    settled_on: date | None = None
