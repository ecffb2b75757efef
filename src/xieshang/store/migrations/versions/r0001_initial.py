"""The first case store: person, loan, payment, lender_figure.

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "person",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("phone", sa.String(50), nullable=True),
        sa.Column("email", sa.String(200), nullable=True),
        sa.Column("id_number", sa.String(50), nullable=True),
        sa.Column("locale", sa.String(16), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_person"),
    )
    op.create_table(
        "loan",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("lender", sa.String(200), nullable=False),
        sa.Column("profile_id", sa.String(100), nullable=False),
        sa.Column("product", sa.String(16), nullable=False),
        sa.Column("principal_fen", sa.BigInteger(), nullable=True),
        sa.Column("rate", sa.String(64), nullable=True),
        sa.Column("term_months", sa.Integer(), nullable=True),
        sa.Column("start_date", sa.Date(), nullable=True),
        sa.Column("method", sa.String(32), nullable=True),
        sa.Column("received_fen", sa.BigInteger(), nullable=True),
        sa.Column("statement_balance_fen", sa.BigInteger(), nullable=True),
        sa.Column("statement_date", sa.Date(), nullable=True),
        sa.Column("due_date", sa.Date(), nullable=True),
        sa.Column("overrides", sa.JSON(), nullable=False),
        sa.Column("contract_no", sa.String(100), nullable=True),
        sa.Column("contacts", sa.JSON(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.CheckConstraint("product IN ('loan', 'card')", name="ck_loan_product"),
        sa.CheckConstraint("principal_fen IS NULL OR principal_fen > 0", name="ck_loan_principal_positive"),
        sa.CheckConstraint("received_fen IS NULL OR received_fen > 0", name="ck_loan_received_positive"),
        sa.CheckConstraint(
            "statement_balance_fen IS NULL OR statement_balance_fen > 0",
            name="ck_loan_statement_balance_positive",
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name="fk_loan_person_id_person", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_loan"),
    )
    op.create_index("ix_loan_person_id", "loan", ["person_id"])
    op.create_table(
        "payment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("loan_id", sa.Integer(), nullable=False),
        sa.Column("paid_on", sa.Date(), nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.Column("channel", sa.String(100), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.CheckConstraint("amount_fen > 0", name="ck_payment_amount_positive"),
        sa.ForeignKeyConstraint(["loan_id"], ["loan.id"], name="fk_payment_loan_id_loan", ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_payment"),
    )
    op.create_index("ix_payment_loan_id", "payment", ["loan_id"])
    op.create_table(
        "lender_figure",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("loan_id", sa.Integer(), nullable=False),
        sa.Column("stated_on", sa.Date(), nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.CheckConstraint("amount_fen >= 0", name="ck_lender_figure_amount_not_negative"),
        sa.ForeignKeyConstraint(
            ["loan_id"], ["loan.id"], name="fk_lender_figure_loan_id_loan", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_lender_figure"),
    )
    op.create_index("ix_lender_figure_loan_id", "lender_figure", ["loan_id"])


def downgrade() -> None:
    op.drop_index("ix_lender_figure_loan_id", table_name="lender_figure")
    op.drop_table("lender_figure")
    op.drop_index("ix_payment_loan_id", table_name="payment")
    op.drop_table("payment")
    op.drop_index("ix_loan_person_id", table_name="loan")
    op.drop_table("loan")
    op.drop_table("person")
