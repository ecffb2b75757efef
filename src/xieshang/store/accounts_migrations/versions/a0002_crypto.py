"""Accounts store: encryption at rest (issue 12) — crypto tables, display names and the audit log.

``crypto_master`` and ``crypto_key`` as in a case store (``r0006``). The display name and every
audit-log column but the row's id, account id and time become encrypted columns: ``TEXT`` on
PostgreSQL (ciphertext is longer than ``VARCHAR(n)``; the status code was an integer); SQLite is
left as it is. ``audit_entry.case_key`` is new: the keyed hash of the case id, to find a case's
entries once the case id itself is encrypted (filled here with the case id as it is; hashed when
encryption is enabled).

Revision ID: a0002
Revises: a0001
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "a0002"
down_revision: str | None = "a0001"
branch_labels: str | None = None
depends_on: str | None = None

_SIZED = (("account", "display_name", 200), ("audit_entry", "case_id", 32), ("audit_entry", "username", 64),
          ("audit_entry", "role", 16), ("audit_entry", "action", 16), ("audit_entry", "method", 8),
          ("audit_entry", "path", 500))


def upgrade() -> None:
    op.create_table(
        "crypto_master",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("kdf", sa.String(16), nullable=False),
        sa.Column("salt", sa.String(64), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("key_check", sa.Text(), nullable=False),
        sa.Column("created_utc", sa.DateTime(), nullable=False),
        sa.CheckConstraint("kind IN ('key', 'passphrase')", name="ck_crypto_master_kind"),
        sa.PrimaryKeyConstraint("id", name="pk_crypto_master"),
    )
    op.create_table(
        "crypto_key",
        sa.Column("kid", sa.String(16), nullable=False),
        sa.Column("wrapped", sa.Text(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_utc", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("kid", name="pk_crypto_key"),
    )
    if op.get_bind().dialect.name != "sqlite":
        for table, column, length in _SIZED:
            op.alter_column(table, column, type_=sa.Text(), existing_type=sa.String(length))
        op.alter_column("audit_entry", "status", type_=sa.Text(), existing_type=sa.Integer(),
                        postgresql_using="status::text")
    op.add_column("audit_entry", sa.Column("case_key", sa.String(100), nullable=True))
    op.execute("UPDATE audit_entry SET case_key = case_id")
    op.create_index("ix_audit_entry_case_key", "audit_entry", ["case_key"])


def downgrade() -> None:
    op.drop_index("ix_audit_entry_case_key", "audit_entry")
    with op.batch_alter_table("audit_entry") as batch:
        batch.drop_column("case_key")
    if op.get_bind().dialect.name != "sqlite":
        op.alter_column("audit_entry", "status", type_=sa.Integer(), existing_type=sa.Text(),
                        postgresql_using="status::integer")
        for table, column, length in _SIZED:
            op.alter_column(table, column, type_=sa.String(length), existing_type=sa.Text())
    op.drop_table("crypto_key")
    op.drop_table("crypto_master")
