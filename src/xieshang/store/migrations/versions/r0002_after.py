"""After the agreement: agreement, task, credit_check, credit_entry, budget_line, emergency_fund.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "agreement",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("loan_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("recorded_on", sa.Date(), nullable=False),
        sa.Column("agreed_on", sa.Date(), nullable=True),
        sa.Column("confirmed_on", sa.Date(), nullable=True),
        sa.Column("confirmed_by_entry", sa.Integer(), nullable=True),
        sa.Column("start", sa.Date(), nullable=False),
        sa.Column("down_payment_fen", sa.BigInteger(), nullable=False),
        sa.Column("down_payment_due", sa.Date(), nullable=True),
        sa.Column("balance_fen", sa.BigInteger(), nullable=False),
        sa.Column("monthly_fen", sa.BigInteger(), nullable=True),
        sa.Column("months", sa.Integer(), nullable=False),
        sa.Column("first_due", sa.Date(), nullable=False),
        sa.Column("rate", sa.String(64), nullable=False),
        sa.Column("waivers", sa.JSON(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "status IN ('proposed', 'agreed-verbally', 'confirmed-in-writing', 'cancelled')",
            name="ck_agreement_status",
        ),
        sa.CheckConstraint("down_payment_fen >= 0", name="ck_agreement_down_payment_not_negative"),
        sa.CheckConstraint("balance_fen > 0", name="ck_agreement_balance_positive"),
        sa.CheckConstraint("monthly_fen IS NULL OR monthly_fen > 0", name="ck_agreement_monthly_positive"),
        sa.CheckConstraint("months >= 1 AND months <= 600", name="ck_agreement_months_range"),
        sa.ForeignKeyConstraint(["loan_id"], ["loan.id"], name="fk_agreement_loan_id_loan", ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_agreement"),
    )
    op.create_index("ix_agreement_loan_id", "agreement", ["loan_id"])
    op.create_table(
        "task",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("loan_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("due", sa.Date(), nullable=False),
        sa.Column("done_on", sa.Date(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "kind IN ('letter', 'follow-up', 'credit-check', 'payment', 'other')", name="ck_task_kind"
        ),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], name="fk_task_person_id_person", ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["loan_id"], ["loan.id"], name="fk_task_loan_id_loan", ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_task"),
    )
    op.create_index("ix_task_person_id", "task", ["person_id"])
    op.create_index("ix_task_loan_id", "task", ["loan_id"])
    op.create_table(
        "credit_check",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("checked_on", sa.Date(), nullable=False),
        sa.Column("channel", sa.String(100), nullable=False),
        sa.Column("free", sa.Boolean(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name="fk_credit_check_person_id_person", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_credit_check"),
    )
    op.create_index("ix_credit_check_person_id", "credit_check", ["person_id"])
    op.create_table(
        "credit_entry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("check_id", sa.Integer(), nullable=False),
        sa.Column("loan_id", sa.Integer(), nullable=True),
        sa.Column("account", sa.String(200), nullable=False),
        sa.Column("status_code", sa.String(4), nullable=False),
        sa.Column("overdue_fen", sa.BigInteger(), nullable=False),
        sa.Column("overdue_months", sa.Integer(), nullable=True),
        sa.Column("classification", sa.String(32), nullable=True),
        sa.Column("reported_on", sa.Date(), nullable=True),
        sa.Column("disputed_on", sa.Date(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.CheckConstraint("overdue_fen >= 0", name="ck_credit_entry_overdue_not_negative"),
        sa.CheckConstraint("overdue_months IS NULL OR overdue_months >= 0", name="ck_credit_entry_months_not_negative"),
        sa.CheckConstraint(
            "classification IS NULL OR classification IN "
            "('normal', 'special-mention', 'substandard', 'doubtful', 'loss')",
            name="ck_credit_entry_classification",
        ),
        sa.ForeignKeyConstraint(
            ["check_id"], ["credit_check.id"], name="fk_credit_entry_check_id_credit_check", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["loan_id"], ["loan.id"], name="fk_credit_entry_loan_id_loan", ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name="pk_credit_entry"),
    )
    op.create_index("ix_credit_entry_check_id", "credit_entry", ["check_id"])
    op.create_index("ix_credit_entry_loan_id", "credit_entry", ["loan_id"])
    op.create_table(
        "budget_line",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("month", sa.String(7), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("category", sa.String(100), nullable=False),
        sa.Column("planned_fen", sa.BigInteger(), nullable=False),
        sa.Column("actual_fen", sa.BigInteger(), nullable=True),
        sa.CheckConstraint("kind IN ('income', 'expense')", name="ck_budget_line_kind"),
        sa.CheckConstraint("planned_fen >= 0", name="ck_budget_line_planned_not_negative"),
        sa.CheckConstraint("actual_fen IS NULL OR actual_fen >= 0", name="ck_budget_line_actual_not_negative"),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name="fk_budget_line_person_id_person", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_budget_line"),
    )
    op.create_index("ix_budget_line_person_id", "budget_line", ["person_id"])
    op.create_table(
        "emergency_fund",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("target_fen", sa.BigInteger(), nullable=False),
        sa.Column("saved_fen", sa.BigInteger(), nullable=False),
        sa.Column("updated_on", sa.Date(), nullable=False),
        sa.CheckConstraint("target_fen >= 0", name="ck_emergency_fund_target_not_negative"),
        sa.CheckConstraint("saved_fen >= 0", name="ck_emergency_fund_saved_not_negative"),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name="fk_emergency_fund_person_id_person", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_emergency_fund"),
    )
    op.create_index("ix_emergency_fund_person_id", "emergency_fund", ["person_id"])


def downgrade() -> None:
    for table in ("emergency_fund", "budget_line", "credit_entry", "credit_check", "task", "agreement"):
        for index in {"agreement": ["loan_id"], "task": ["person_id", "loan_id"], "credit_check": ["person_id"],
                      "credit_entry": ["check_id", "loan_id"], "budget_line": ["person_id"],
                      "emergency_fund": ["person_id"]}[table]:
            op.drop_index(f"ix_{table}_{index}", table_name=table)
        op.drop_table(table)
