"""The store's data revision: one row whose token changes in every transaction that writes.

Read by :mod:`xieshang.store.revision` (the web app's cache of computed pages is keyed by it).
The row is made here (with a random token) so the first write only has to update it.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29
"""

from __future__ import annotations

import secrets

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    table = op.create_table(
        "store_revision",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("token", sa.String(32), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_store_revision"),
    )
    op.bulk_insert(table, [{"id": 1, "token": secrets.token_hex(16)}])  # random: no two stores share one


def downgrade() -> None:
    op.drop_table("store_revision")
