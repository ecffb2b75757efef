"""Which documents were made for the case, and when (``xieshang letter list``).

One row per document written: its kind, loan, language, format and file, the as-of date of
its figures, the hardship details it stated, and (JSON) the figures and proposal it used, so
the borrower can later see exactly what was sent to whom.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import CheckConstraint, Date, DateTime, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from xieshang.store.crypto import EncryptedJSON, EncryptedText  # texts and details are encrypted at rest
from xieshang.store.models import Base


class DocumentMade(Base):
    __tablename__ = "document_made"
    __table_args__ = (CheckConstraint("format IN ('md', 'html', 'pdf', 'docx')", name="format"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    loan_id: Mapped[int | None] = mapped_column(ForeignKey("loan.id", ondelete="SET NULL"), index=True)
    loan_label: Mapped[str | None] = mapped_column(EncryptedText(200))  # kept if the loan is removed later
    kind: Mapped[str] = mapped_column(String(32))
    lang: Mapped[str] = mapped_column(String(16))
    format: Mapped[str] = mapped_column(String(8))
    path: Mapped[str | None] = mapped_column(EncryptedText())  # None: printed to the screen
    made_utc: Mapped[datetime] = mapped_column(DateTime)
    as_of: Mapped[date] = mapped_column(Date)
    hardship_reason: Mapped[str | None] = mapped_column(String(32))
    hardship_text: Mapped[str | None] = mapped_column(EncryptedText())
    hardship_since: Mapped[date | None] = mapped_column(Date)
    hardship_until: Mapped[date | None] = mapped_column(Date)
    details: Mapped[dict[str, Any]] = mapped_column(EncryptedJSON, default=dict)
