"""Store models of the planning area: the borrower's finances, lenders' offers and refusals, and
the saved plan with its per-lender proposals (the input of the letters).

Amounts are ``BigInteger`` fen; shares and rates are decimal text; enumerations are strings
checked by portable ``CHECK`` constraints. Every row goes with its person or loan (``ON DELETE CASCADE``).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import BigInteger, Boolean, CheckConstraint, Date, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from xieshang.store.crypto import (  # notes, names, the saved plan: encrypted at rest
    EncryptedJSON,
    EncryptedText,
)
from xieshang.store.models import Base


class FinanceProfileRow(Base):
    """The household figures of the case (one row per person)."""

    __tablename__ = "finance_profile"
    __table_args__ = (
        CheckConstraint("dependents >= 0", name="dependents_not_negative"),
        CheckConstraint("savings_fen >= 0", name="savings_not_negative"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), unique=True)
    dependents: Mapped[int] = mapped_column(Integer, default=0)
    savings_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    living_buffer_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    protected_minimum_fen: Mapped[int | None] = mapped_column(BigInteger)
    emergency_reserve_fen: Mapped[int | None] = mapped_column(BigInteger)
    updated_on: Mapped[date] = mapped_column(Date)


class FinanceItemRow(Base):
    """An income source, an essential expense, a sellable asset or another monthly obligation."""

    __tablename__ = "finance_item"
    __table_args__ = (
        CheckConstraint("kind IN ('income', 'expense', 'asset', 'obligation')", name="kind"),
        CheckConstraint("amount_fen >= 0", name="amount_not_negative"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(EncryptedText(100))  # expense: the category
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    frequency: Mapped[str | None] = mapped_column(String(16))
    stability: Mapped[str | None] = mapped_column(String(16))
    change_on: Mapped[date | None] = mapped_column(Date)
    change_to_fen: Mapped[int | None] = mapped_column(BigInteger)


class PlanOfferRow(Base):
    """What a lender offered for one kind of option, or that it refused it."""

    __tablename__ = "plan_offer"
    __table_args__ = (
        CheckConstraint("kind IN ('instalment', 'interest-freeze', 'extension', 'waiver', 'settlement')",
                        name="kind"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    loan_id: Mapped[int] = mapped_column(ForeignKey("loan.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    refused: Mapped[bool] = mapped_column(Boolean, default=False)
    months: Mapped[int | None] = mapped_column(Integer)
    down_payment_fen: Mapped[int | None] = mapped_column(BigInteger)
    interest: Mapped[str | None] = mapped_column(String(16))
    reduced_annual_rate: Mapped[str | None] = mapped_column(String(32))
    waiver_share: Mapped[str | None] = mapped_column(String(32))
    amount_fen: Mapped[int | None] = mapped_column(BigInteger)
    chance: Mapped[str | None] = mapped_column(String(32))
    note: Mapped[str | None] = mapped_column(EncryptedText())
    recorded_on: Mapped[date] = mapped_column(Date)


class SavedPlanRow(Base):
    """The plan the borrower chose (one per case; ``plan save`` replaces it)."""

    __tablename__ = "saved_plan"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    created_on: Mapped[date] = mapped_column(Date)
    start_date: Mapped[date] = mapped_column(Date)
    objective: Mapped[str] = mapped_column(String(16))
    months: Mapped[int] = mapped_column(Integer)
    monthly_capacity_fen: Mapped[int] = mapped_column(BigInteger)
    document: Mapped[dict[str, Any]] = mapped_column(EncryptedJSON)  # the plan's JSON as shown by `plan --json`


class SavedProposalRow(Base):
    """One lender's proposal of the saved plan (fields of :class:`xieshang.planner.proposal.Proposal`)."""

    __tablename__ = "saved_proposal"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("saved_plan.id", ondelete="CASCADE"), index=True)
    loan_id: Mapped[int] = mapped_column(ForeignKey("loan.id", ondelete="CASCADE"), index=True)
    option: Mapped[str] = mapped_column(String(32))
    start_date: Mapped[date] = mapped_column(Date)
    down_payment_fen: Mapped[int] = mapped_column(BigInteger)
    monthly_amount_fen: Mapped[int] = mapped_column(BigInteger)
    months: Mapped[int] = mapped_column(Integer)
    interest: Mapped[str] = mapped_column(String(16))
    reduced_annual_rate: Mapped[str | None] = mapped_column(String(32))
    waive_penalty_fen: Mapped[int] = mapped_column(BigInteger)
    waive_compound_fen: Mapped[int] = mapped_column(BigInteger)
    waive_fees_fen: Mapped[int] = mapped_column(BigInteger)
    settlement_amount_fen: Mapped[int | None] = mapped_column(BigInteger)
    total_to_pay_fen: Mapped[int] = mapped_column(BigInteger)
    owed_now_fen: Mapped[int] = mapped_column(BigInteger)
    notes: Mapped[list[Any]] = mapped_column(EncryptedJSON)
