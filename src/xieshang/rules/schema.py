"""The shape of the rules data: lender profiles and legal references, validated strictly.

Every fact in the data files carries where it comes from. A *sourced value* is a TOML table::

    [overdue.penalty_multiplier]
    value = "1.5"
    source = "银发〔2003〕251号 (secondary copies), see docs/rules.md"
    as_of = 2026-11-23
    confidence = "U"
    note = "No contract seen; enter your contract's figure."

``confidence`` uses the marks of the research notes: ``V`` primary text read, ``S`` secondary
source, ``U`` unverified estimate. Decimals are written as TOML strings (``"0.0005"``) or as
TOML numbers that the loader parses straight to :class:`~decimal.Decimal` (never ``float``).
Unknown keys are errors, so a typo cannot silently fall back to a default.

This module imports pydantic; :mod:`xieshang.rules` imports it only when data is first loaded.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any, Generic, Literal, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StrictBool, StrictInt, model_validator

from xieshang.engine.terms import (
    CardInterestMode,
    CardTerms,
    Component,
    CompoundBase,
    FirstPeriod,
    InterestBasis,
    LateFeeFrequency,
    LateFeeKind,
    LateFeeRule,
    LoanTerms,
    PenaltyStart,
    RepaymentMethod,
)
from xieshang.money import ROUNDING_MODES, Rounding
from xieshang.rates import DayCount, Period, Rate, make_rate

Confidence = Literal["V", "S", "U"]
CONFIDENCE_LEVELS: tuple[str, ...] = ("V", "S", "U")

LenderType = Literal["bank", "internet-bank", "consumer-finance", "credit-card", "microloan", "private"]
LENDER_TYPES: tuple[str, ...] = ("bank", "internet-bank", "consumer-finance", "credit-card", "microloan", "private")

ProductKind = Literal["loan", "card"]
PRODUCT_KINDS: tuple[str, ...] = ("loan", "card")

NegotiationKind = Literal["instalment", "extension", "waiver", "settlement", "interest-freeze"]


def _to_decimal(value: object) -> object:
    """Accept Decimal, int or a decimal string; refuse float, bool and non-finite numbers."""
    if isinstance(value, bool):
        raise ValueError("expected a decimal number, got true/false")
    if isinstance(value, float):
        raise ValueError('binary floats are not exact: write the number as a string, e.g. "1.5"')
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, str):
        try:
            number = Decimal(value.strip())
        except InvalidOperation:
            raise ValueError(f"not a decimal number: {value!r}") from None
    elif isinstance(value, Decimal):
        number = value
    else:
        raise ValueError(f"expected a decimal number, got {type(value).__name__}")
    if not number.is_finite():
        raise ValueError(f"not a finite number: {value!r}")
    return number


Dec = Annotated[Decimal, BeforeValidator(_to_decimal)]
NonNegDec = Annotated[Decimal, BeforeValidator(_to_decimal), Field(ge=0)]
NonNegInt = Annotated[StrictInt, Field(ge=0)]
Text = Annotated[str, Field(min_length=1)]
Id = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]*$")]

T = TypeVar("T")


class Strict(BaseModel):
    """Base of every rules model: unknown keys rejected, instances immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Sourced(Strict):
    """Where a fact comes from: a citation, the date it speaks for, and how sure we are."""

    source: Text  # the citation: title + article, or a URL, as given in the research notes
    as_of: date  # the date the cited text speaks for (publication / in-force date, or the research date)
    confidence: Confidence
    note: str = ""

    @property
    def citation(self) -> str:
        return self.source


class SourcedValue(Sourced, Generic[T]):
    """A fact with a value that must be present (legal figures)."""

    value: T


class ProfileValue(Sourced, Generic[T]):
    """A profile term. Leaving ``value`` out means *unknown*: the user must supply it."""

    value: T | None = None


# -- structured values ----------------------------------------------------------------------


class RateSpec(Strict):
    """A rate as a fraction per period, e.g. ``{ period = "daily", value = "0.0005" }``."""

    period: Period
    value: NonNegDec

    def to_rate(self) -> Rate:
        return make_rate(self.value, self.period)


class RateRange(Strict):
    period: Period
    low: NonNegDec
    high: NonNegDec

    @model_validator(mode="after")
    def _ordered(self) -> RateRange:
        if self.low > self.high:
            raise ValueError("low must not exceed high")
        return self


class LateFeeSpec(Strict):
    kind: LateFeeKind
    amount: NonNegDec = Decimal(0)
    percent: NonNegDec = Decimal(0)
    minimum: NonNegDec = Decimal(0)
    maximum: NonNegDec | None = None
    frequency: LateFeeFrequency = LateFeeFrequency.ONCE

    def to_rule(self) -> LateFeeRule:
        return LateFeeRule(kind=self.kind, amount=self.amount, percent=self.percent, minimum=self.minimum,
                           maximum=self.maximum, frequency=self.frequency)


class RoundingSpec(Strict):
    places: Annotated[StrictInt, Field(ge=0, le=8)] = 2
    mode: str = "half-up"

    @model_validator(mode="after")
    def _known_mode(self) -> RoundingSpec:
        if self.mode not in ROUNDING_MODES:
            raise ValueError(f"unknown rounding mode {self.mode!r}; one of {', '.join(ROUNDING_MODES)}")
        return self

    def to_rounding(self) -> Rounding:
        return Rounding(places=self.places, mode=self.mode)


# -- lender profiles ------------------------------------------------------------------------


class LoanSection(Strict):
    """Defaults for :class:`~xieshang.engine.terms.LoanTerms` (contract terms before overdue)."""

    default_rate: ProfileValue[RateSpec]
    default_method: ProfileValue[RepaymentMethod]
    methods: ProfileValue[tuple[RepaymentMethod, ...]]
    day_count: ProfileValue[DayCount]
    interest_basis: ProfileValue[InterestBasis]
    first_period: ProfileValue[FirstPeriod]


class OverdueSection(Strict):
    """Defaults for :class:`~xieshang.engine.terms.OverdueRules`."""

    penalty_multiplier: ProfileValue[NonNegDec]
    penalty_rate: ProfileValue[RateSpec] | None = None  # an explicit rate beats the multiplier
    penalty_start: ProfileValue[PenaltyStart]
    grace_days: ProfileValue[NonNegInt]
    compound: ProfileValue[StrictBool]
    compound_base: ProfileValue[CompoundBase]
    late_fee: ProfileValue[LateFeeSpec]
    allocation: ProfileValue[tuple[Component, ...]]
    tolerance: ProfileValue[NonNegDec]


CardInterestFrom = Literal["statement-date", "due-date"]


class CardSection(Strict):
    """Defaults for :class:`~xieshang.engine.terms.CardTerms` (cards and card-like revolving credit)."""

    daily_rate: ProfileValue[RateSpec]
    minimum_percent: ProfileValue[NonNegDec]
    minimum_floor: ProfileValue[NonNegDec]
    interest_mode: ProfileValue[CardInterestMode]
    interest_from: ProfileValue[CardInterestFrom]
    grace_days: ProfileValue[NonNegInt]
    tolerance: ProfileValue[NonNegDec]
    late_fee: ProfileValue[LateFeeSpec]
    compound_monthly: ProfileValue[StrictBool]
    interest_on_fees: ProfileValue[StrictBool]  # informational: may interest be charged on 违约金/fees?
    allocation: ProfileValue[tuple[Component, ...]]
    day_count: ProfileValue[DayCount]


class NegotiationOption(Sourced):
    """Something borrowers of this product can ask for. ``discretionary``: the lender may refuse."""

    kind: NegotiationKind
    max_months: Annotated[StrictInt, Field(ge=1, le=600)] | None = None
    discretionary: StrictBool = True
    text_zh: Text
    text_en: Text


class Profile(Strict):
    """A lender profile, as stored in ``rules/data/profiles/<id>.toml``.

    :meth:`loan_terms` and :meth:`card_terms` turn it into the engine's terms: profile defaults,
    then the borrower's contract figures, which always win.
    """

    schema_version: Literal[1] = 1
    id: Id
    name_zh: Text
    name_en: Text
    summary_zh: Text
    summary_en: Text
    lender_type: ProfileValue[LenderType]  # unknown only in `custom`
    product: SourcedValue[ProductKind]
    reports_to_pboc: ProfileValue[StrictBool]
    typical_rate: ProfileValue[RateRange]
    rounding: ProfileValue[RoundingSpec]
    loan: LoanSection | None = None
    overdue: OverdueSection | None = None
    card: CardSection | None = None
    negotiation: tuple[NegotiationOption, ...] = ()

    @model_validator(mode="after")
    def _sections_match_product(self) -> Profile:
        if self.product.value == "loan" and (self.loan is None or self.overdue is None):
            raise ValueError("a loan profile needs [loan] and [overdue] sections")
        if self.product.value == "card" and self.card is None:
            raise ValueError("a card profile needs a [card] section")
        if (self.loan is None) != (self.overdue is None):
            raise ValueError("[loan] and [overdue] go together")
        return self

    def name(self, lang: str) -> str:
        return self.name_en if lang == "en" else self.name_zh

    def summary(self, lang: str) -> str:
        return self.summary_en if lang == "en" else self.summary_zh

    def loan_terms(
        self,
        *,
        principal: Decimal | str | int,
        term_months: int,
        start: date,
        rate: Rate | str | None = None,
        method: RepaymentMethod | str | None = None,
        amount_received: Decimal | str | int | None = None,
        overrides: Mapping[str, object] | None = None,
    ) -> LoanTerms:
        """Terms of one loan: this profile's defaults, then the arguments, then ``overrides``.

        ``overrides`` maps any field name of :class:`~xieshang.engine.terms.LoanTerms` or
        :class:`~xieshang.engine.terms.OverdueRules` to a value (typed, or text as a user types
        it). An unknown name or a bad value raises :class:`~xieshang.errors.UserError`, and so
        does a term the profile leaves unknown (``custom``) that the user did not give.
        """
        from xieshang.rules.build import build_loan_terms

        return build_loan_terms(self, principal=principal, term_months=term_months, start=start, rate=rate,
                                method=method, amount_received=amount_received, overrides=overrides)

    def card_terms(
        self,
        *,
        statement_balance: Decimal | str | int,
        statement_date: date,
        due_date: date,
        overrides: Mapping[str, object] | None = None,
    ) -> CardTerms:
        """Terms of one card account (see :meth:`loan_terms`; fields of ``CardTerms``)."""
        from xieshang.rules.build import build_card_terms

        return build_card_terms(self, statement_balance=statement_balance, statement_date=statement_date,
                                due_date=due_date, overrides=overrides)


# -- legal references -----------------------------------------------------------------------


class LegalLineData(Sourced):
    """An interest line as stored: a fixed ``annual_rate`` or a multiple of the one-year LPR."""

    id: Id
    name_zh: Text
    name_en: Text
    annual_rate: NonNegDec | None = None
    lpr_multiple: NonNegDec | None = None
    applies_to: tuple[LenderType, ...]
    meaning_zh: Text
    meaning_en: Text
    in_force_from: date | None = None
    in_force_until: date | None = None

    @model_validator(mode="after")
    def _one_rate(self) -> LegalLineData:
        if (self.annual_rate is None) == (self.lpr_multiple is None):
            raise ValueError("give exactly one of annual_rate or lpr_multiple")
        if not self.applies_to:
            raise ValueError("applies_to must name at least one lender type")
        return self


class LegalLine(LegalLineData):
    """An interest line as returned by :func:`~xieshang.rules.legal_lines`: the rate is resolved.

    For an LPR-based line ``annual_rate`` = ``lpr_multiple`` × the one-year LPR in force on
    ``lpr_date`` (the contract date the caller asked about).
    """

    annual_rate: NonNegDec | None = None  # always set by the loader
    lpr_date: date | None = None

    @model_validator(mode="after")
    def _one_rate(self) -> LegalLine:  # replaces the stored-data check: both rates may be set
        if self.annual_rate is None:
            raise ValueError("annual_rate must be resolved")
        return self

    @property
    def rate(self) -> Decimal:
        assert self.annual_rate is not None  # guaranteed by the loader
        return self.annual_rate

    def name(self, lang: str) -> str:
        return self.name_en if lang == "en" else self.name_zh

    def meaning(self, lang: str) -> str:
        return self.meaning_en if lang == "en" else self.meaning_zh


class LprPrint(Sourced):
    """One published one-year / over-5-year LPR, in force from ``effective``."""

    effective: date
    one_year: NonNegDec
    five_year: NonNegDec


class Item(Strict):
    """One entry of a list inside a rule (a status code, a prohibited act)."""

    code: str = ""
    zh: Text
    en: Text


RuleValue = StrictInt | Dec | str


class Rule(Sourced):
    """A credit-reporting, collection or limitation rule, with an optional figure and list."""

    id: Id
    title_zh: Text
    title_en: Text
    text_zh: Text
    text_en: Text
    value: RuleValue | None = None
    unit: Literal["days", "months", "years", "count", "time", "yuan"] | None = None
    items: tuple[Item, ...] = ()
    #: The lender types the rule binds; empty means every lender (e.g. a card-only rule names credit-card).
    applies_to: tuple[LenderType, ...] = ()

    def applies(self, lender_type: str | None) -> bool:
        return not self.applies_to or lender_type in self.applies_to

    def title(self, lang: str) -> str:
        return self.title_en if lang == "en" else self.title_zh

    def text(self, lang: str) -> str:
        return self.text_en if lang == "en" else self.text_zh


class TimelineStep(Sourced):
    """What typically happens from ``dpd`` days past due on."""

    dpd: NonNegInt
    key: Id
    text_zh: Text
    text_en: Text

    def text(self, lang: str) -> str:
        return self.text_en if lang == "en" else self.text_zh


class Timeline(Strict):
    """Steps for some lender types (``"*"`` = all) and products."""

    id: Id
    lender_types: tuple[LenderType | Literal["*"], ...]
    products: tuple[ProductKind, ...]
    step: tuple[TimelineStep, ...]


ConductKind = Literal["quiet-hours", "connected-calls", "unanswered-attempts", "third-party", "disclosure", "phrases"]
CONDUCT_KINDS: tuple[str, ...] = ("quiet-hours", "connected-calls", "unanswered-attempts", "third-party", "disclosure",
                                  "phrases")


def _compile(pattern: str) -> None:
    import re

    try:
        re.compile(pattern)
    except re.error as exc:
        raise ValueError(f"bad regular expression {pattern!r}: {exc}") from None


class PhraseSet(Strict):
    """Regular expressions (Python ``re``, case-insensitive) for one language.

    A sentence matching one of ``patterns`` is flagged unless it also matches one of ``unless``
    (negations such as "did not threaten", lawful statements such as "will sue").
    """

    lang: Literal["zh", "en"]
    patterns: tuple[Text, ...]
    unless: tuple[Text, ...] = ()

    @model_validator(mode="after")
    def _valid(self) -> PhraseSet:
        if not self.patterns:
            raise ValueError("patterns must not be empty")
        for pattern in (*self.patterns, *self.unless):
            _compile(pattern)
        return self


class ConductCheck(Strict):
    """One check of a contact-log entry against a collection rule (``[[conduct]]`` in collection.toml).

    ``rule`` names the ``[[collection]]`` rule the check enforces (its source is the citation);
    ``item`` optionally names one item of that rule's list (the prohibited act). Numeric limits
    (quiet hours, calls a day) come from the cited rule's ``value``; ``channels`` limits the check
    to those contact channels (empty: all). The phrase lists are heuristics of this project, so a
    match is a reason to look, never a finding.
    """

    id: Id
    kind: ConductKind
    rule: Id
    item: str = ""
    title_zh: Text
    title_en: Text
    channels: tuple[str, ...] = ()
    phrases: tuple[PhraseSet, ...] = ()

    @model_validator(mode="after")
    def _phrases_for_phrase_checks(self) -> ConductCheck:
        if (self.kind == "phrases") != bool(self.phrases):
            raise ValueError("phrase lists go with kind = \"phrases\" (and it needs them)")
        return self

    def title(self, lang: str) -> str:
        return self.title_en if lang == "en" else self.title_zh


class LegalFile(Strict):
    """A file under ``rules/data/legal/``; each may hold any of the kinds of entry."""

    schema_version: Literal[1] = 1
    line: tuple[LegalLineData, ...] = ()
    lpr: tuple[LprPrint, ...] = ()
    credit_reporting: tuple[Rule, ...] = ()
    collection: tuple[Rule, ...] = ()
    limitation: tuple[Rule, ...] = ()
    timeline: tuple[Timeline, ...] = ()
    conduct: tuple[ConductCheck, ...] = ()


def walk_sourced(obj: object) -> list[Sourced]:
    """Every :class:`Sourced` object inside ``obj`` (models, tuples, dicts), depth first."""
    found: list[Sourced] = []

    def visit(node: object) -> None:
        if isinstance(node, Sourced):
            found.append(node)
        if isinstance(node, BaseModel):
            for name in type(node).model_fields:
                visit(getattr(node, name))
        elif isinstance(node, tuple | list):
            for child in node:
                visit(child)
        elif isinstance(node, Mapping):
            for child in node.values():
                visit(child)

    visit(obj)
    return found


def dump(model: BaseModel) -> dict[str, Any]:
    """JSON-ready dict of a model (Decimals as strings, dates ISO, unset optionals dropped)."""
    return model.model_dump(mode="json", exclude_none=True)
