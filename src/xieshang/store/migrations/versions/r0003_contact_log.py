"""The contact log: contact_entry, contact_attachment, contact_log_head.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "contact_entry",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("occurred_utc", sa.DateTime(), nullable=False),
        sa.Column("utc_offset_min", sa.Integer(), nullable=False),
        sa.Column("recorded_utc", sa.DateTime(), nullable=False),
        sa.Column("direction", sa.String(16), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("counterparty_kind", sa.String(16), nullable=False),
        sa.Column("counterparty", sa.String(200), nullable=False),
        sa.Column("counterparty_phone", sa.String(50), nullable=True),
        sa.Column("contacted", sa.String(16), nullable=False),
        sa.Column("contacted_name", sa.String(200), nullable=True),
        sa.Column("outcome", sa.String(16), nullable=True),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("disclosed", sa.Boolean(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("their_promises", sa.Text(), nullable=True),
        sa.Column("my_promises", sa.Text(), nullable=True),
        sa.Column("loan_id", sa.Integer(), nullable=True),
        sa.Column("corrects_id", sa.Integer(), nullable=True),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("entry_hash", sa.String(64), nullable=False),
        sa.CheckConstraint("direction IN ('incoming', 'outgoing')", name="ck_contact_entry_direction"),
        sa.CheckConstraint("channel IN ('call', 'sms', 'app-chat', 'email', 'letter', 'visit')",
                           name="ck_contact_entry_channel"),
        sa.CheckConstraint("counterparty_kind IN ('lender', 'agency', 'person', 'authority', 'unknown')",
                           name="ck_contact_entry_counterparty_kind"),
        sa.CheckConstraint(
            "contacted IN ('borrower', 'relative', 'employer', 'colleague', 'contact-list', 'other')",
            name="ck_contact_entry_contacted"),
        sa.CheckConstraint("outcome IS NULL OR outcome IN ('connected', 'unanswered')",
                           name="ck_contact_entry_outcome"),
        sa.CheckConstraint("count >= 1", name="ck_contact_entry_count_positive"),
        sa.PrimaryKeyConstraint("id", name="pk_contact_entry"),
    )
    op.create_index("ix_contact_entry_loan_id", "contact_entry", ["loan_id"])
    op.create_table(
        "contact_attachment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("entry_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("media_type", sa.String(64), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.CheckConstraint("size >= 0", name="ck_contact_attachment_size_not_negative"),
        sa.ForeignKeyConstraint(["entry_id"], ["contact_entry.id"], ondelete="CASCADE",
                                name="fk_contact_attachment_entry_id_contact_entry"),
        sa.PrimaryKeyConstraint("id", name="pk_contact_attachment"),
    )
    op.create_index("ix_contact_attachment_entry_id", "contact_attachment", ["entry_id"])
    op.create_index("ix_contact_attachment_sha256", "contact_attachment", ["sha256"])
    op.create_table(
        "contact_log_head",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("head_hash", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_contact_log_head"),
    )


def downgrade() -> None:
    op.drop_table("contact_log_head")
    op.drop_index("ix_contact_attachment_sha256", table_name="contact_attachment")
    op.drop_index("ix_contact_attachment_entry_id", table_name="contact_attachment")
    op.drop_table("contact_attachment")
    op.drop_index("ix_contact_entry_loan_id", table_name="contact_entry")
    op.drop_table("contact_entry")
