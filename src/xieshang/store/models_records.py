"""The contact log's tables: ``contact_entry``, ``contact_attachment``, ``contact_log_head``.

Entries are append-only: the id is the entry's position in the hash chain (1, 2, 3 …, assigned
from the head, never reused), and nothing updates or deletes a row. ``loan_id`` and
``corrects_id`` are plain integers on purpose (no foreign keys): evidence must outlive the
removal of a loan, and a missing row is something ``records verify`` reports, not something
the database silently cascades. Times are naive UTC plus the offset the user entered.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, CheckConstraint, DateTime, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from xieshang.store.crypto import EncryptedText  # contact-log text is encrypted at rest
from xieshang.store.models import Base


class ContactEntryRow(Base):
    """One interaction with a lender or collector, as recorded (see :mod:`xieshang.records.model`)."""

    __tablename__ = "contact_entry"
    __table_args__ = (
        CheckConstraint("direction IN ('incoming', 'outgoing')", name="direction"),
        CheckConstraint("channel IN ('call', 'sms', 'app-chat', 'email', 'letter', 'visit')", name="channel"),
        CheckConstraint("counterparty_kind IN ('lender', 'agency', 'person', 'authority', 'unknown')",
                        name="counterparty_kind"),
        CheckConstraint("contacted IN ('borrower', 'relative', 'employer', 'colleague', 'contact-list', 'other')",
                        name="contacted"),
        CheckConstraint("outcome IS NULL OR outcome IN ('connected', 'unanswered')", name="outcome"),
        CheckConstraint("count >= 1", name="count_positive"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    occurred_utc: Mapped[datetime] = mapped_column(DateTime)
    utc_offset_min: Mapped[int] = mapped_column(Integer)
    recorded_utc: Mapped[datetime] = mapped_column(DateTime)
    direction: Mapped[str] = mapped_column(String(16))
    channel: Mapped[str] = mapped_column(String(16))
    counterparty_kind: Mapped[str] = mapped_column(String(16))
    counterparty: Mapped[str] = mapped_column(EncryptedText(200))
    counterparty_phone: Mapped[str | None] = mapped_column(EncryptedText(50))
    contacted: Mapped[str] = mapped_column(String(16))
    contacted_name: Mapped[str | None] = mapped_column(EncryptedText(200))
    outcome: Mapped[str | None] = mapped_column(String(16))
    count: Mapped[int] = mapped_column(Integer, default=1)
    disclosed: Mapped[bool] = mapped_column(Boolean, default=False)
    summary: Mapped[str] = mapped_column(EncryptedText())
    their_promises: Mapped[str | None] = mapped_column(EncryptedText())
    my_promises: Mapped[str | None] = mapped_column(EncryptedText())
    loan_id: Mapped[int | None] = mapped_column(Integer, index=True)
    corrects_id: Mapped[int | None] = mapped_column(Integer)
    prev_hash: Mapped[str] = mapped_column(String(64))
    entry_hash: Mapped[str] = mapped_column(String(64))

    attachments: Mapped[list[ContactAttachmentRow]] = relationship(
        back_populates="entry", cascade="all, delete-orphan", order_by="ContactAttachmentRow.position"
    )


class ContactAttachmentRow(Base):
    """A file attached to an entry; the bytes live in the attachment folder under ``sha256``."""

    __tablename__ = "contact_attachment"
    __table_args__ = (CheckConstraint("size >= 0", name="size_not_negative"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("contact_entry.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    size: Mapped[int] = mapped_column(BigInteger)
    media_type: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(EncryptedText(255))

    entry: Mapped[ContactEntryRow] = relationship(back_populates="attachments")


class ContactLogHead(Base):
    """The newest link of the chain: how many entries there are and the last one's hash (one row)."""

    __tablename__ = "contact_log_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    count: Mapped[int] = mapped_column(Integer)
    head_hash: Mapped[str] = mapped_column(String(64))
