"""Encryption at rest: crypto_master and crypto_key; encrypted columns become TEXT outside SQLite.

The ciphertext of a value is longer than the value, so on PostgreSQL (which enforces
``VARCHAR(n)``) the encrypted columns that had a length become ``TEXT``. SQLite never enforces a
declared length, so its columns are left as they are (no table rebuild).

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | None = None
depends_on: str | None = None

#: (table, column, length before) of the encrypted columns that had a declared length.
_SIZED = (("person", "phone", 50), ("person", "email", 200), ("person", "id_number", 50),
          ("contact_entry", "counterparty_phone", 50), ("contact_entry", "contacted_name", 200))


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


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        for table, column, length in _SIZED:
            op.alter_column(table, column, type_=sa.String(length), existing_type=sa.Text())
    op.drop_table("crypto_key")
    op.drop_table("crypto_master")
