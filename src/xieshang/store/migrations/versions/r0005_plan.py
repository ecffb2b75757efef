"""Planning: finances (profile + items), lenders' offers and refusals, the saved plan and its proposals.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "finance_profile",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("dependents", sa.Integer(), nullable=False),
        sa.Column("savings_fen", sa.BigInteger(), nullable=False),
        sa.Column("living_buffer_fen", sa.BigInteger(), nullable=False),
        sa.Column("protected_minimum_fen", sa.BigInteger(), nullable=True),
        sa.Column("emergency_reserve_fen", sa.BigInteger(), nullable=True),
        sa.Column("updated_on", sa.Date(), nullable=False),
        sa.CheckConstraint("dependents >= 0", name="ck_finance_profile_dependents_not_negative"),
        sa.CheckConstraint("savings_fen >= 0", name="ck_finance_profile_savings_not_negative"),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], name="fk_finance_profile_person_id_person",
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_finance_profile"),
        sa.UniqueConstraint("person_id", name="uq_finance_profile_person_id"),
    )
    op.create_table(
        "finance_item",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.Column("frequency", sa.String(16), nullable=True),
        sa.Column("stability", sa.String(16), nullable=True),
        sa.Column("change_on", sa.Date(), nullable=True),
        sa.Column("change_to_fen", sa.BigInteger(), nullable=True),
        sa.CheckConstraint("kind IN ('income', 'expense', 'asset', 'obligation')", name="ck_finance_item_kind"),
        sa.CheckConstraint("amount_fen >= 0", name="ck_finance_item_amount_not_negative"),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], name="fk_finance_item_person_id_person",
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_finance_item"),
    )
    op.create_index("ix_finance_item_person_id", "finance_item", ["person_id"])
    op.create_table(
        "plan_offer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("loan_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("refused", sa.Boolean(), nullable=False),
        sa.Column("months", sa.Integer(), nullable=True),
        sa.Column("down_payment_fen", sa.BigInteger(), nullable=True),
        sa.Column("interest", sa.String(16), nullable=True),
        sa.Column("reduced_annual_rate", sa.String(32), nullable=True),
        sa.Column("waiver_share", sa.String(32), nullable=True),
        sa.Column("amount_fen", sa.BigInteger(), nullable=True),
        sa.Column("chance", sa.String(32), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("recorded_on", sa.Date(), nullable=False),
        sa.CheckConstraint("kind IN ('instalment', 'interest-freeze', 'extension', 'waiver', 'settlement')",
                           name="ck_plan_offer_kind"),
        sa.ForeignKeyConstraint(["loan_id"], ["loan.id"], name="fk_plan_offer_loan_id_loan", ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_plan_offer"),
    )
    op.create_index("ix_plan_offer_loan_id", "plan_offer", ["loan_id"])
    op.create_table(
        "saved_plan",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("created_on", sa.Date(), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("objective", sa.String(16), nullable=False),
        sa.Column("months", sa.Integer(), nullable=False),
        sa.Column("monthly_capacity_fen", sa.BigInteger(), nullable=False),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], name="fk_saved_plan_person_id_person",
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_saved_plan"),
    )
    op.create_index("ix_saved_plan_person_id", "saved_plan", ["person_id"])
    op.create_table(
        "saved_proposal",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("loan_id", sa.Integer(), nullable=False),
        sa.Column("option", sa.String(32), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("down_payment_fen", sa.BigInteger(), nullable=False),
        sa.Column("monthly_amount_fen", sa.BigInteger(), nullable=False),
        sa.Column("months", sa.Integer(), nullable=False),
        sa.Column("interest", sa.String(16), nullable=False),
        sa.Column("reduced_annual_rate", sa.String(32), nullable=True),
        sa.Column("waive_penalty_fen", sa.BigInteger(), nullable=False),
        sa.Column("waive_compound_fen", sa.BigInteger(), nullable=False),
        sa.Column("waive_fees_fen", sa.BigInteger(), nullable=False),
        sa.Column("settlement_amount_fen", sa.BigInteger(), nullable=True),
        sa.Column("total_to_pay_fen", sa.BigInteger(), nullable=False),
        sa.Column("owed_now_fen", sa.BigInteger(), nullable=False),
        sa.Column("notes", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["plan_id"], ["saved_plan.id"], name="fk_saved_proposal_plan_id_saved_plan",
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["loan_id"], ["loan.id"], name="fk_saved_proposal_loan_id_loan", ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_saved_proposal"),
    )
    op.create_index("ix_saved_proposal_plan_id", "saved_proposal", ["plan_id"])
    op.create_index("ix_saved_proposal_loan_id", "saved_proposal", ["loan_id"])


def downgrade() -> None:
    op.drop_index("ix_saved_proposal_loan_id", table_name="saved_proposal")
    op.drop_index("ix_saved_proposal_plan_id", table_name="saved_proposal")
    op.drop_table("saved_proposal")
    op.drop_index("ix_saved_plan_person_id", table_name="saved_plan")
    op.drop_table("saved_plan")
    op.drop_index("ix_plan_offer_loan_id", table_name="plan_offer")
    op.drop_table("plan_offer")
    op.drop_index("ix_finance_item_person_id", table_name="finance_item")
    op.drop_table("finance_item")
    op.drop_table("finance_profile")
