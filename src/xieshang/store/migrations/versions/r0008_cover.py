"""Encryption covers what identifies people: names, labels, file names (issue 12).

The borrower's name, lenders, contract numbers, payment and credit-check channels, the contact
log's counterparty, attachment file names, task titles, credit-report accounts, finance and
budget labels and the letters' loan labels become encrypted columns. Their ciphertext is longer
than the value, so on PostgreSQL (which enforces ``VARCHAR(n)``) the ones that had a length
become ``TEXT``; SQLite never enforces a length and is left as it is (no table rebuild).

``budget_line.category_key`` is new: the keyed hash of the category, to find a line by it once
the category itself is encrypted. Here it is filled with the category as it is; a store that is
already encrypted is re-encrypted, and these hashes computed, when it is next opened with its
key (``crypto_master.params.cover`` < 2, see ``store/crypto.py``).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | None = None
depends_on: str | None = None

#: (table, column, length before) of the newly encrypted columns that had a declared length.
_SIZED = (("person", "name", 200), ("loan", "lender", 200), ("loan", "contract_no", 100),
          ("payment", "channel", 100), ("contact_entry", "counterparty", 200), ("contact_attachment", "name", 255),
          ("credit_check", "channel", 100), ("credit_entry", "account", 200), ("budget_line", "category", 100),
          ("finance_item", "name", 100), ("document_made", "loan_label", 200))


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        for table, column, length in _SIZED:
            op.alter_column(table, column, type_=sa.Text(), existing_type=sa.String(length))
    op.add_column("budget_line", sa.Column("category_key", sa.String(100), nullable=True))
    op.execute("UPDATE budget_line SET category_key = category")


def downgrade() -> None:
    with op.batch_alter_table("budget_line") as batch:
        batch.drop_column("category_key")
    if op.get_bind().dialect.name != "sqlite":
        for table, column, length in _SIZED:
            op.alter_column(table, column, type_=sa.String(length), existing_type=sa.Text())
