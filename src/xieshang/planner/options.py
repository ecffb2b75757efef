"""Negotiation options per loan: the typical ones from the lender profile, or what the lender offered.

An :class:`OptionSpec` says what the borrower would ask for: pay as contracted, an instalment plan
(分期 / 个性化分期) over N months with interest continuing, reduced or stopped (停息挂账), an extension
(展期), a waiver of penalty / compound interest / fees (减免, combined with another option), or a
discounted lump-sum settlement (一次性结清). Typical options come from the profile's ``negotiation``
entries (with their sources, labelled *typical*); a lender's actual offer replaces the typical
options of that kind; a recorded refusal removes that kind (``waiver``: every waiver variant).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal

from xieshang.planner.proposal import InterestTreatment, OptionKind
from xieshang.planner.reference import reference

#: The option kinds a user can record an offer for or refuse (``plan offer`` / ``plan refuse``).
OFFER_KINDS: tuple[str, ...] = ("instalment", "interest-freeze", "extension", "waiver", "settlement")
#: Instalment terms the optimizer may pick from (months), up to the option's maximum.
TERM_CHOICES: tuple[int, ...] = (12, 24, 36)


@dataclass(frozen=True, slots=True)
class OptionSpec:
    """One way to deal with one loan. ``key`` is unique per loan (e.g. ``instalment-36+waiver``)."""

    kind: str  # "contract" | one of OFFER_KINDS except "waiver"
    months: int = 0  # instalment/interest-freeze: term; extension: months added
    down_payment: Decimal | None = None  # None: none asked
    interest: InterestTreatment = InterestTreatment.CONTINUES
    reduced_annual_rate: Decimal | None = None
    waiver_share: Decimal = Decimal(0)  # share of penalty, compound interest and fees asked to be waived
    settlement_amount: Decimal | None = None  # settlement: the lump sum (None: typical)
    settlement_discount: Decimal = Decimal(0)
    chance: Decimal | None = None  # the user's estimate that the lender agrees
    typical: bool = True  # True: from the profile (an estimate); False: the lender's own offer
    source: str = ""
    confidence: str = "U"

    @property
    def key(self) -> str:
        base = self.kind if self.kind in ("contract", "settlement") else f"{self.kind}-{self.months}"
        return base + ("+waiver" if self.waiver_share > 0 and self.kind != "settlement" else "")

    @property
    def option_kind(self) -> OptionKind:
        return {
            "contract": OptionKind.AS_CONTRACTED,
            "instalment": OptionKind.INSTALMENT,
            "interest-freeze": OptionKind.INSTALMENT,
            "extension": OptionKind.EXTENSION,
            "settlement": OptionKind.SETTLEMENT,
        }[self.kind]

    @property
    def restructures(self) -> bool:
        return self.kind in ("instalment", "interest-freeze", "extension")

    def to_json(self) -> dict[str, object]:
        return {
            "key": self.key, "kind": self.kind, "months": self.months,
            "down_payment": None if self.down_payment is None else str(self.down_payment),
            "interest": self.interest.value,
            "reduced_annual_rate": None if self.reduced_annual_rate is None else str(self.reduced_annual_rate),
            "waiver_share": str(self.waiver_share),
            "settlement_amount": None if self.settlement_amount is None else str(self.settlement_amount),
            "settlement_discount": str(self.settlement_discount),
            "chance": None if self.chance is None else str(self.chance),
            "typical": self.typical, "source": self.source, "confidence": self.confidence,
        }


@dataclass(frozen=True, slots=True)
class Offer:
    """What the lender actually said about one kind of option (``refused``: it said no)."""

    kind: str  # one of OFFER_KINDS
    refused: bool = False
    months: int | None = None
    down_payment: Decimal | None = None
    interest: InterestTreatment | None = None
    reduced_annual_rate: Decimal | None = None
    waiver_share: Decimal | None = None
    settlement_amount: Decimal | None = None
    chance: Decimal | None = None
    note: str = ""


@dataclass(frozen=True, slots=True)
class ProfileOption:
    """The part of a profile's ``[[negotiation]]`` entry the planner uses (kept pydantic-free)."""

    kind: str
    max_months: int | None
    source: str
    confidence: str


def _terms(max_months: int | None) -> list[int]:
    top = max_months or max(TERM_CHOICES)
    out = [m for m in TERM_CHOICES if m < top]
    out.append(top)
    return out


def typical_options(profile_options: Sequence[ProfileOption], *, matured: bool) -> list[OptionSpec]:
    """The options a borrower of this product can typically ask for (always: pay as contracted)."""
    ref = reference()
    kinds = {p.kind: p for p in profile_options}
    out = [OptionSpec(kind="contract", typical=False, source="contract", confidence="V")]
    waiver = kinds.get("waiver")
    share = ref.waiver_share if waiver is not None else Decimal(0)
    if waiver is not None:
        out.append(OptionSpec(kind="contract", waiver_share=share, source=waiver.source,
                              confidence=waiver.confidence))
    inst = kinds.get("instalment")
    if inst is not None:
        for m in _terms(inst.max_months):
            spec = OptionSpec(kind="instalment", months=m, source=inst.source, confidence=inst.confidence)
            out.append(spec)
            if share:
                out.append(replace(spec, waiver_share=share))
    freeze = kinds.get("interest-freeze")
    if freeze is not None:
        for m in _terms(freeze.max_months):
            out.append(OptionSpec(kind="interest-freeze", months=m, interest=InterestTreatment.STOPS,
                                  source=freeze.source, confidence=freeze.confidence))
    ext = kinds.get("extension")
    if ext is not None and not matured:
        out.append(OptionSpec(kind="extension", months=ext.max_months or ref.extension_months,
                              source=ext.source, confidence=ext.confidence))
    settle = kinds.get("settlement")
    if settle is not None:
        out.append(OptionSpec(kind="settlement", settlement_discount=ref.settlement_discount,
                              source=settle.source, confidence=settle.confidence))
    return out


def _from_offer(offer: Offer, typical: list[OptionSpec], day: str) -> list[OptionSpec]:
    ref = reference()
    source = f"lender offer ({day})" + (f": {offer.note}" if offer.note else "")
    same = [o for o in typical if o.kind == offer.kind and o.waiver_share == 0]
    if offer.kind == "settlement":
        return [OptionSpec(kind="settlement", settlement_amount=offer.settlement_amount,
                           settlement_discount=ref.settlement_discount if offer.settlement_amount is None
                           else Decimal(0), chance=offer.chance, typical=False, source=source, confidence="V")]
    default_months = max((o.months for o in same), default=ref.extension_months if offer.kind == "extension"
                         else max(TERM_CHOICES))
    interest = offer.interest or (InterestTreatment.STOPS if offer.kind == "interest-freeze"
                                  else InterestTreatment.CONTINUES)
    spec = OptionSpec(kind=offer.kind, months=offer.months or default_months, down_payment=offer.down_payment,
                      interest=interest, reduced_annual_rate=offer.reduced_annual_rate,
                      waiver_share=offer.waiver_share or Decimal(0), chance=offer.chance, typical=False,
                      source=source, confidence="V")
    return [spec]


def loan_options(typical: Sequence[OptionSpec], offers: Iterable[Offer], *, offered_on: str = "") -> list[OptionSpec]:
    """The options for one loan: typical ones, replaced by offers of the same kind, minus refusals.

    A refused ``waiver`` removes every option with a waiver; a waiver *offer* sets the share on the
    contract option's waiver variant (and on instalment variants that ask for one).
    """
    out = list(typical)
    for offer in offers:
        if offer.refused:
            if offer.kind == "waiver":
                out = [o for o in out if o.waiver_share == 0 or o.kind == "settlement"]
            else:
                out = [o for o in out if o.kind != offer.kind]
            continue
        if offer.kind == "waiver":
            share = offer.waiver_share if offer.waiver_share is not None else reference().waiver_share
            src = f"lender offer ({offered_on})" + (f": {offer.note}" if offer.note else "")
            waived = [replace(o, waiver_share=share, typical=False, source=src, confidence="V", chance=offer.chance)
                      for o in out if o.waiver_share > 0]
            if not waived:
                waived = [OptionSpec(kind="contract", waiver_share=share, typical=False, source=src,
                                     confidence="V", chance=offer.chance)]
            out = [o for o in out if o.waiver_share == 0] + waived
            continue
        out = [o for o in out if o.kind != offer.kind] + _from_offer(offer, list(typical), offered_on)
    seen: set[str] = set()
    unique: list[OptionSpec] = []
    for o in out:
        if o.key not in seen:
            seen.add(o.key)
            unique.append(o)
    return unique


def refuse(options: Sequence[OptionSpec], kinds: Iterable[str]) -> list[OptionSpec]:
    """``options`` without the refused kinds (what-if: ``--refuse LOAN:KIND``)."""
    out = list(options)
    for kind in kinds:
        out = loan_options(out, [Offer(kind=kind, refused=True)])
    return out
