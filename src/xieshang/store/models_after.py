"""Tables of the "after the agreement" area: agreements, tasks, credit-report checks, budget.

Imported from :mod:`xieshang.store.models` so that ``Base.metadata`` holds them. Same conventions
as the core tables: amounts in ``BigInteger`` fen, rates as text with their period, enumerations
as strings checked by portable ``CHECK`` constraints. Foreign keys cascade at the database level
(``ON DELETE``), so removing a loan or replacing the whole case (``import --replace``,
``demo --reset``) takes these rows with it without the core code knowing about them.

``agreement.confirmed_by_entry`` names the contact-log entry that confirms an agreement in writing.
It is a plain integer (no foreign key): the contact log lives in another area's table, and an
agreement must survive a contact log that is verified, exported or rebuilt on its own.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, CheckConstraint, Date, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from xieshang.store.crypto import EncryptedText  # notes, titles and labels are encrypted at rest
from xieshang.store.crypto_guard import BlindIndex, keep_index
from xieshang.store.models import Base

AGREEMENT_STATUSES = ("proposed", "agreed-verbally", "confirmed-in-writing", "cancelled")
TASK_KINDS = ("letter", "follow-up", "credit-check", "payment", "other")
CLASSIFICATIONS = ("normal", "special-mention", "substandard", "doubtful", "loss")
BUDGET_KINDS = ("income", "expense")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class AgreementRow(Base):
    """What a lender agreed (or was asked for): a new schedule for what is left, waivers, rate."""

    __tablename__ = "agreement"
    __table_args__ = (
        CheckConstraint(_in("status", AGREEMENT_STATUSES), name="status"),
        CheckConstraint("down_payment_fen >= 0", name="down_payment_not_negative"),
        CheckConstraint("balance_fen > 0", name="balance_positive"),
        CheckConstraint("monthly_fen IS NULL OR monthly_fen > 0", name="monthly_positive"),
        CheckConstraint("months >= 1 AND months <= 600", name="months_range"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    loan_id: Mapped[int] = mapped_column(ForeignKey("loan.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(32))
    recorded_on: Mapped[date] = mapped_column(Date)
    agreed_on: Mapped[date | None] = mapped_column(Date)
    confirmed_on: Mapped[date | None] = mapped_column(Date)
    confirmed_by_entry: Mapped[int | None] = mapped_column(Integer)  # contact-log entry id (no FK, see above)
    start: Mapped[date] = mapped_column(Date)  # the agreed schedule takes over from this day
    down_payment_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    down_payment_due: Mapped[date | None] = mapped_column(Date)
    balance_fen: Mapped[int] = mapped_column(BigInteger)  # repaid by the monthly instalments
    monthly_fen: Mapped[int | None] = mapped_column(BigInteger)  # as the lender stated it
    months: Mapped[int] = mapped_column(Integer)
    first_due: Mapped[date] = mapped_column(Date)
    rate: Mapped[str] = mapped_column(String(64))  # "0/annual" = interest stopped
    waivers: Mapped[list[Any]] = mapped_column(JSON, default=list)  # [{"component": …, "amount": "…"}]
    note: Mapped[str | None] = mapped_column(EncryptedText())


class TaskRow(Base):
    """Something to do by a day: send a letter, follow up, check the credit report …"""

    __tablename__ = "task"
    __table_args__ = (CheckConstraint(_in("kind", TASK_KINDS), name="kind"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    loan_id: Mapped[int | None] = mapped_column(ForeignKey("loan.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(EncryptedText())
    due: Mapped[date] = mapped_column(Date)
    done_on: Mapped[date | None] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(EncryptedText())


class CreditCheckRow(Base):
    """One look at the credit report (征信报告): when and through which channel."""

    __tablename__ = "credit_check"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    checked_on: Mapped[date] = mapped_column(Date)
    channel: Mapped[str] = mapped_column(EncryptedText(100))
    free: Mapped[bool] = mapped_column(Boolean, default=True)
    note: Mapped[str | None] = mapped_column(EncryptedText())


class CreditEntryRow(Base):
    """One account as a credit report showed it."""

    __tablename__ = "credit_entry"
    __table_args__ = (
        CheckConstraint("overdue_fen >= 0", name="overdue_not_negative"),
        CheckConstraint("overdue_months IS NULL OR overdue_months >= 0", name="months_not_negative"),
        CheckConstraint(f"classification IS NULL OR {_in('classification', CLASSIFICATIONS)}",
                        name="classification"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    check_id: Mapped[int] = mapped_column(ForeignKey("credit_check.id", ondelete="CASCADE"), index=True)
    loan_id: Mapped[int | None] = mapped_column(ForeignKey("loan.id", ondelete="SET NULL"), index=True)
    account: Mapped[str] = mapped_column(EncryptedText(200))  # the lender / account as the report names it
    status_code: Mapped[str] = mapped_column(String(4))  # 2nd-generation 还款状态 code
    overdue_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    overdue_months: Mapped[int | None] = mapped_column(Integer)
    classification: Mapped[str | None] = mapped_column(String(32))  # 五级分类 where shown
    reported_on: Mapped[date | None] = mapped_column(Date)  # the date the entry speaks for
    disputed_on: Mapped[date | None] = mapped_column(Date)  # a dispute (异议) was filed
    note: Mapped[str | None] = mapped_column(EncryptedText())


class BudgetLineRow(Base):
    """One budget line of one month: planned and actual income or spending in a category."""

    __tablename__ = "budget_line"
    __table_args__ = (
        CheckConstraint(_in("kind", BUDGET_KINDS), name="kind"),
        CheckConstraint("planned_fen >= 0", name="planned_not_negative"),
        CheckConstraint("actual_fen IS NULL OR actual_fen >= 0", name="actual_not_negative"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    month: Mapped[str] = mapped_column(String(7))  # YYYY-MM
    kind: Mapped[str] = mapped_column(String(16))
    category: Mapped[str] = mapped_column(EncryptedText(100))
    #: the keyed hash of ``category``, to find a line by it (the category itself is encrypted)
    category_key: Mapped[str | None] = mapped_column(BlindIndex())
    planned_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    actual_fen: Mapped[int | None] = mapped_column(BigInteger)


keep_index(BudgetLineRow, "category_key", "category")


class EmergencyFundRow(Base):
    """The emergency fund (应急资金): the target and what is saved so far."""

    __tablename__ = "emergency_fund"
    __table_args__ = (
        CheckConstraint("target_fen >= 0", name="target_not_negative"),
        CheckConstraint("saved_fen >= 0", name="saved_not_negative"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    target_fen: Mapped[int] = mapped_column(BigInteger)
    saved_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    updated_on: Mapped[date] = mapped_column(Date)
