"""Documents made for the case: document_made.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "document_made",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("loan_id", sa.Integer(), nullable=True),
        sa.Column("loan_label", sa.String(200), nullable=True),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("lang", sa.String(16), nullable=False),
        sa.Column("format", sa.String(8), nullable=False),
        sa.Column("path", sa.Text(), nullable=True),
        sa.Column("made_utc", sa.DateTime(), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("hardship_reason", sa.String(32), nullable=True),
        sa.Column("hardship_text", sa.Text(), nullable=True),
        sa.Column("hardship_since", sa.Date(), nullable=True),
        sa.Column("hardship_until", sa.Date(), nullable=True),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.CheckConstraint("format IN ('md', 'html', 'pdf', 'docx')", name="ck_document_made_format"),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], name="fk_document_made_person_id_person",
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["loan_id"], ["loan.id"], name="fk_document_made_loan_id_loan",
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name="pk_document_made"),
    )
    op.create_index("ix_document_made_person_id", "document_made", ["person_id"])
    op.create_index("ix_document_made_loan_id", "document_made", ["loan_id"])


def downgrade() -> None:
    op.drop_index("ix_document_made_loan_id", table_name="document_made")
    op.drop_index("ix_document_made_person_id", table_name="document_made")
    op.drop_table("document_made")
