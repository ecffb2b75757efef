"""What the borrower asks one lender for: the contract between the planner and the letters.

The planner (:mod:`xieshang.planner`) produces one :class:`Proposal` per loan in the chosen plan;
``services.plan`` saves them with the case; the letters (``xieshang letter make …``) read them to
fill the proposal table of a 协商还款申请书 / 减免罚息申请. Amounts are Decimal yuan.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum

from xieshang.money import fmt


class OptionKind(StrEnum):
    AS_CONTRACTED = "as-contracted"  # pay as the contract says (catch up on arrears)
    INSTALMENT = "instalment"  # 分期 / 个性化分期: the balance over N months
    EXTENSION = "extension"  # 展期: a longer term (民法典 第678条, the lender may agree)
    WAIVER = "waiver"  # 减免罚息/复利/违约金, usually with another option
    SETTLEMENT = "settlement"  # 一次性结清 at a discount


class InterestTreatment(StrEnum):
    CONTINUES = "continues"  # contract interest keeps running on the balance
    REDUCED = "reduced"  # at a lower rate
    STOPS = "stops"  # 停息挂账: no further interest during the plan


@dataclass(frozen=True, slots=True)
class Proposal:
    loan_id: int
    option: OptionKind
    start_date: date  # the first payment of the proposal
    down_payment: Decimal = Decimal(0)  # 首付 paid on start_date
    monthly_amount: Decimal = Decimal(0)  # every month after the down payment
    months: int = 0  # number of monthly payments after the down payment
    interest: InterestTreatment = InterestTreatment.CONTINUES
    reduced_annual_rate: Decimal | None = None  # with InterestTreatment.REDUCED
    waive_penalty: Decimal = Decimal(0)  # amounts asked to be waived (减免)
    waive_compound: Decimal = Decimal(0)
    waive_fees: Decimal = Decimal(0)
    settlement_amount: Decimal | None = None  # with OptionKind.SETTLEMENT: the lump sum offered
    total_to_pay: Decimal = Decimal(0)  # what the borrower pays in all under the proposal
    owed_now: Decimal = Decimal(0)  # the payoff amount on the day the plan was made
    notes: tuple[str, ...] = field(default_factory=tuple)  # message keys explaining the choice

    @property
    def waived_total(self) -> Decimal:
        return self.waive_penalty + self.waive_compound + self.waive_fees

    def to_json(self) -> dict[str, object]:
        return {
            "loan_id": self.loan_id,
            "option": self.option.value,
            "start_date": self.start_date.isoformat(),
            "down_payment": fmt(self.down_payment),
            "monthly_amount": fmt(self.monthly_amount),
            "months": self.months,
            "interest": self.interest.value,
            "reduced_annual_rate": None if self.reduced_annual_rate is None else str(self.reduced_annual_rate),
            "waive_penalty": fmt(self.waive_penalty),
            "waive_compound": fmt(self.waive_compound),
            "waive_fees": fmt(self.waive_fees),
            "settlement_amount": None if self.settlement_amount is None else fmt(self.settlement_amount),
            "total_to_pay": fmt(self.total_to_pay),
            "owed_now": fmt(self.owed_now),
            "notes": list(self.notes),
        }
