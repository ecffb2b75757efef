"""Accounts store: accounts, case files, grants, invitations, sessions, login attempts, audit log.

Revision ID: a0001
Revises:
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "a0001"
down_revision: str | None = None
branch_labels: str | None = None
depends_on: str | None = None

ROLE_CHECK = "role IN ('borrower', 'counsellor', 'admin')"


def upgrade() -> None:
    op.create_table(
        "account",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("display_name", sa.String(200), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("disabled_at", sa.DateTime(), nullable=True),
        sa.CheckConstraint(ROLE_CHECK, name="ck_account_role"),
        sa.PrimaryKeyConstraint("id", name="pk_account"),
        sa.UniqueConstraint("username", name="uq_account_username"),
    )
    op.create_table(
        "case_file",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["owner_id"], ["account.id"], name="fk_case_file_owner_id_account",
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_case_file"),
        sa.UniqueConstraint("owner_id", name="uq_case_file_owner_id"),
    )
    op.create_table(
        "access_grant",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.String(32), nullable=False),
        sa.Column("counsellor_id", sa.Integer(), nullable=False),
        sa.Column("granted_at", sa.DateTime(), nullable=False),
        sa.Column("revoked_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["case_file.id"], name="fk_access_grant_case_id_case_file",
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["counsellor_id"], ["account.id"], name="fk_access_grant_counsellor_id_account",
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_access_grant"),
    )
    op.create_index("ix_access_grant_case_id", "access_grant", ["case_id"])
    op.create_index("ix_access_grant_counsellor_id", "access_grant", ["counsellor_id"])
    op.create_table(
        "invitation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("used_at", sa.DateTime(), nullable=True),
        sa.Column("used_by", sa.Integer(), nullable=True),
        sa.CheckConstraint(ROLE_CHECK, name="ck_invitation_role"),
        sa.ForeignKeyConstraint(["created_by"], ["account.id"], name="fk_invitation_created_by_account",
                                ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["used_by"], ["account.id"], name="fk_invitation_used_by_account",
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name="pk_invitation"),
        sa.UniqueConstraint("token_hash", name="uq_invitation_token_hash"),
    )
    op.create_table(
        "web_session",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("csrf_token", sa.String(64), nullable=False),
        sa.Column("active_case_id", sa.String(32), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["account.id"], name="fk_web_session_account_id_account",
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_web_session"),
        sa.UniqueConstraint("token_hash", name="uq_web_session_token_hash"),
    )
    op.create_index("ix_web_session_account_id", "web_session", ["account_id"])
    op.create_table(
        "login_attempt",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("ip", sa.String(64), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("ok", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_login_attempt"),
    )
    op.create_index("ix_login_attempt_username", "login_attempt", ["username"])
    op.create_index("ix_login_attempt_ip", "login_attempt", ["ip"])
    op.create_index("ix_login_attempt_at", "login_attempt", ["at"])
    op.create_table(
        "audit_entry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.String(32), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=True),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("method", sa.String(8), nullable=False),
        sa.Column("path", sa.String(500), nullable=False),
        sa.Column("status", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["account.id"], name="fk_audit_entry_account_id_account",
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name="pk_audit_entry"),
    )
    op.create_index("ix_audit_entry_case_id", "audit_entry", ["case_id"])
    op.create_index("ix_audit_entry_at", "audit_entry", ["at"])


def downgrade() -> None:
    for name in ("audit_entry", "login_attempt", "web_session", "invitation", "access_grant", "case_file",
                 "account"):
        op.drop_table(name)
