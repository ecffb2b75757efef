"""What a loan contract says: the terms model every computation starts from.

Plain frozen dataclasses, no I/O. A lender profile (``xieshang.rules``) supplies defaults for
these fields with their sources; the borrower's own contract figures override them.

Vocabulary (see docs/glossary.md): 等额本息 ``EQUAL_INSTALLMENT``, 等额本金 ``EQUAL_PRINCIPAL``,
先息后本 ``INTEREST_FIRST``, 随借随还 ``REVOLVING``; 罚息 penalty interest, 复利 compound interest,
违约金 late fee, 宽限期 grace days.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum

from xieshang.money import DEFAULT_ROUNDING, Rounding
from xieshang.rates import DayCount, Rate


class RepaymentMethod(StrEnum):
    EQUAL_INSTALLMENT = "equal-installment"  # 等额本息
    EQUAL_PRINCIPAL = "equal-principal"  # 等额本金
    INTEREST_FIRST = "interest-first"  # 先息后本 / 按月付息到期还本
    REVOLVING = "revolving"  # 随借随还: interest = balance × daily rate × days, billed monthly


class InterestBasis(StrEnum):
    """How one period's contractual interest is computed."""

    MONTHLY = "monthly"  # balance × annual/12 (or the quoted monthly rate) per period
    ACTUAL_DAYS = "actual-days"  # balance × daily rate × actual days in the period


class FirstPeriod(StrEnum):
    """How a first period that is not one whole month is charged (monthly basis only)."""

    FULL_MONTH = "full-month"  # first period charged as a full month whatever its length
    ACTUAL_DAYS = "actual-days"  # first period charged daily for its actual days


class Component(StrEnum):
    """The parts of what is owed. Payment allocation orders these."""

    FEE = "fee"  # 违约金 / fees
    COMPOUND = "compound"  # 复利
    PENALTY = "penalty"  # 罚息
    INTEREST = "interest"  # 利息
    PRINCIPAL = "principal"  # 本金


DEFAULT_ALLOCATION: tuple[Component, ...] = (
    Component.FEE,
    Component.COMPOUND,
    Component.PENALTY,
    Component.INTEREST,
    Component.PRINCIPAL,
)


class PenaltyStart(StrEnum):
    """From when penalty interest counts for an unpaid instalment."""

    # From the day after the due date; if the instalment is paid in full within the grace days,
    # the penalty is waived (the usual bank practice with a grace period).
    DUE_DATE = "due-date"
    # Only from the day after the grace period ends (Frappe-style "late days after grace").
    GRACE_END = "grace-end"


class CompoundBase(StrEnum):
    """What unpaid amounts bear compound interest (复利)."""

    INTEREST = "interest"  # overdue contractual interest only
    INTEREST_AND_PENALTY = "interest-and-penalty"  # also penalty interest once posted at a due date


class LateFeeKind(StrEnum):
    NONE = "none"
    FLAT = "flat"
    PERCENT = "percent"  # percent of the overdue instalment amount (loans) or unpaid minimum (cards)


class LateFeeFrequency(StrEnum):
    ONCE = "once"  # once per overdue instalment (or per missed card minimum)
    PER_PERIOD = "per-period"  # again at every monthly due date while anything is overdue


@dataclass(frozen=True, slots=True)
class LateFeeRule:
    kind: LateFeeKind = LateFeeKind.NONE
    amount: Decimal = Decimal(0)  # FLAT: the fee
    percent: Decimal = Decimal(0)  # PERCENT: fraction, e.g. 0.05
    minimum: Decimal = Decimal(0)
    maximum: Decimal | None = None
    frequency: LateFeeFrequency = LateFeeFrequency.ONCE

    def fee_for(self, base: Decimal) -> Decimal:
        """The fee due on an overdue ``base`` amount (unrounded)."""
        if self.kind is LateFeeKind.NONE or base <= 0:
            return Decimal(0)
        if self.kind is LateFeeKind.FLAT:
            fee = self.amount
        else:
            fee = max(base * self.percent, self.minimum)
        if self.maximum is not None:
            fee = min(fee, self.maximum)
        return fee


@dataclass(frozen=True, slots=True)
class OverdueRules:
    """How an overdue loan is priced. Defaults follow common Chinese practice; profiles set them."""

    penalty_multiplier: Decimal = Decimal("1.5")  # 罚息利率 = 合同利率 × 1.5 (银发〔2003〕251号: +30%–50%)
    penalty_rate: Rate | None = None  # an explicit penalty rate overrides the multiplier
    penalty_start: PenaltyStart = PenaltyStart.DUE_DATE
    grace_days: int = 0
    compound: bool = True  # 复利 on overdue interest
    compound_rate: Rate | None = None  # None: the penalty rate
    compound_base: CompoundBase = CompoundBase.INTEREST
    late_fee: LateFeeRule = field(default_factory=LateFeeRule)
    allocation: tuple[Component, ...] = DEFAULT_ALLOCATION
    tolerance: Decimal = Decimal(0)  # unpaid amounts up to this are not counted as overdue (容差)


@dataclass(frozen=True, slots=True)
class LoanTerms:
    """An instalment or revolving loan as its contract states it."""

    principal: Decimal
    rate: Rate  # the contract rate, typed (annual, monthly or daily)
    term_months: int
    start: date  # disbursement date (放款日)
    method: RepaymentMethod = RepaymentMethod.EQUAL_INSTALLMENT
    amount_received: Decimal | None = None  # less than principal when fees are deducted up front (砍头息)
    day_count: DayCount = DayCount.D360
    interest_basis: InterestBasis = InterestBasis.MONTHLY
    first_due: date | None = None  # default: one month after start, same day of month
    first_period: FirstPeriod = FirstPeriod.FULL_MONTH
    upfront_fees: Decimal = Decimal(0)  # fees paid at disbursement outside the principal (count in APR)
    periodic_fee: Decimal = Decimal(0)  # a fee due with every instalment (counts in APR)
    overdue: OverdueRules = field(default_factory=OverdueRules)
    rounding: Rounding = DEFAULT_ROUNDING

    @property
    def received(self) -> Decimal:
        return self.principal if self.amount_received is None else self.amount_received


class CardInterestMode(StrEnum):
    FULL_STATEMENT = "full-statement"  # 全额计息: interest on the whole statement if not paid in full
    UNPAID_ONLY = "unpaid-only"  # interest only on the unpaid part


@dataclass(frozen=True, slots=True)
class CardTerms:
    """A credit-card account from the first statement that was not paid in full.

    The engine models the account from ``statement_date``: that statement's balance, due on
    ``due_date``; later statements on the same day each month. New spending is not modelled
    (a borrower in arrears usually has the card frozen).
    """

    statement_balance: Decimal  # 账单金额
    statement_date: date  # 账单日
    due_date: date  # 到期还款日
    daily_rate: Rate  # usually 0.05 %/day
    minimum_percent: Decimal = Decimal("0.10")  # minimum payment = 10 % of principal …
    minimum_floor: Decimal = Decimal(0)  # … but at least this (issuer-set)
    interest_mode: CardInterestMode = CardInterestMode.FULL_STATEMENT
    interest_from: date | None = None  # 记账日 of the spending; default: the statement date
    grace_days: int = 3  # 中国银行业协会自律公约: ≥3 days grace
    tolerance: Decimal = Decimal(10)  # 容差: ≤ ¥10 unpaid counts as paid
    late_fee: LateFeeRule = field(
        default_factory=lambda: LateFeeRule(
            kind=LateFeeKind.PERCENT, percent=Decimal("0.05"), minimum=Decimal(10)
        )
    )
    compound_monthly: bool = True  # unpaid interest joins the interest-bearing balance at each statement
    allocation: tuple[Component, ...] = DEFAULT_ALLOCATION
    day_count: DayCount = DayCount.D360
    rounding: Rounding = DEFAULT_ROUNDING


@dataclass(frozen=True, slots=True)
class Payment:
    """Money the borrower paid on a day. ``seq`` orders payments on the same day."""

    on: date
    amount: Decimal
    seq: int = 0


@dataclass(frozen=True, slots=True)
class RateChange:
    """From ``on`` (inclusive) the contract rate becomes ``rate`` (e.g. after a reprice)."""

    on: date
    rate: Rate


@dataclass(frozen=True, slots=True)
class Waiver:
    """The lender forgave ``amount`` of one component on a day (a non-cash credit)."""

    on: date
    component: Component
    amount: Decimal
