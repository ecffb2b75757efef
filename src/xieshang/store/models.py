"""The schema of the case store, as typed SQLAlchemy 2 models.

Portable by construction (SQLite today, PostgreSQL later): amounts are ``BigInteger`` fen,
rates are text with their period (``"0.146/annual"``), dates are ``Date``, enumerations are
plain strings checked by portable ``CHECK`` constraints, free-form maps are ``JSON``.
Any change here needs a new revision in ``migrations/versions``.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import JSON, BigInteger, CheckConstraint, Date, ForeignKey, Integer, MetaData, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from xieshang.store.crypto import EncryptedJSON, EncryptedText  # sensitive columns (encryption at rest)

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Person(Base):
    """The borrower whose case this store holds (one per store)."""

    __tablename__ = "person"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(EncryptedText(200))
    phone: Mapped[str | None] = mapped_column(EncryptedText(50))
    email: Mapped[str | None] = mapped_column(EncryptedText(200))
    id_number: Mapped[str | None] = mapped_column(EncryptedText(50))
    locale: Mapped[str] = mapped_column(String(16), default="zh_CN")

    loans: Mapped[list[Loan]] = relationship(
        back_populates="person", cascade="all, delete-orphan", order_by="Loan.id"
    )


class Loan(Base):
    """One debt: an instalment loan or a credit-card account, as the contract states it."""

    __tablename__ = "loan"
    __table_args__ = (
        CheckConstraint("product IN ('loan', 'card')", name="product"),
        CheckConstraint("principal_fen IS NULL OR principal_fen > 0", name="principal_positive"),
        CheckConstraint("received_fen IS NULL OR received_fen > 0", name="received_positive"),
        CheckConstraint(
            "statement_balance_fen IS NULL OR statement_balance_fen > 0", name="statement_balance_positive"
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    lender: Mapped[str] = mapped_column(EncryptedText(200))
    profile_id: Mapped[str] = mapped_column(String(100))
    product: Mapped[str] = mapped_column(String(16))
    # instalment loans
    principal_fen: Mapped[int | None] = mapped_column(BigInteger)
    rate: Mapped[str | None] = mapped_column(String(64))  # loans: contract rate; cards: daily rate
    term_months: Mapped[int | None] = mapped_column(Integer)
    start_date: Mapped[date | None] = mapped_column(Date)
    method: Mapped[str | None] = mapped_column(String(32))
    received_fen: Mapped[int | None] = mapped_column(BigInteger)
    # credit cards
    statement_balance_fen: Mapped[int | None] = mapped_column(BigInteger)
    statement_date: Mapped[date | None] = mapped_column(Date)
    due_date: Mapped[date | None] = mapped_column(Date)
    # both
    overrides: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    contract_no: Mapped[str | None] = mapped_column(EncryptedText(100))
    contacts: Mapped[list[Any]] = mapped_column(EncryptedJSON, default=list)
    notes: Mapped[str | None] = mapped_column(EncryptedText())

    person: Mapped[Person] = relationship(back_populates="loans")
    payments: Mapped[list[PaymentRow]] = relationship(
        back_populates="loan", cascade="all, delete-orphan", order_by="(PaymentRow.paid_on, PaymentRow.id)"
    )
    lender_figures: Mapped[list[LenderFigure]] = relationship(
        back_populates="loan", cascade="all, delete-orphan", order_by="(LenderFigure.stated_on, LenderFigure.id)"
    )


class PaymentRow(Base):
    """Money the borrower paid on a loan."""

    __tablename__ = "payment"
    __table_args__ = (CheckConstraint("amount_fen > 0", name="amount_positive"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    loan_id: Mapped[int] = mapped_column(ForeignKey("loan.id", ondelete="CASCADE"), index=True)
    paid_on: Mapped[date] = mapped_column(Date)
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    channel: Mapped[str | None] = mapped_column(EncryptedText(100))
    note: Mapped[str | None] = mapped_column(EncryptedText())

    loan: Mapped[Loan] = relationship(back_populates="payments")


class LenderFigure(Base):
    """What the lender's app or statement says is owed on a day (for ``reconcile``)."""

    __tablename__ = "lender_figure"
    __table_args__ = (CheckConstraint("amount_fen >= 0", name="amount_not_negative"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    loan_id: Mapped[int] = mapped_column(ForeignKey("loan.id", ondelete="CASCADE"), index=True)
    stated_on: Mapped[date] = mapped_column(Date)
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    note: Mapped[str | None] = mapped_column(EncryptedText())

    loan: Mapped[Loan] = relationship(back_populates="lender_figures")


from xieshang.store import models_after as models_after  # noqa: E402  (agreements, tasks, credit, budget)
from xieshang.store import models_crypto as models_crypto  # noqa: E402  (encryption at rest: keys)
from xieshang.store import models_documents as models_documents  # noqa: E402  (documents made)
from xieshang.store import models_plan as models_plan  # noqa: E402  (finances, offers, saved plan)
from xieshang.store import models_records as models_records  # noqa: E402  (contact log)
from xieshang.store import revision as revision  # noqa: E402  (the data revision, store_revision)
