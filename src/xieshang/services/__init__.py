"""Use-cases, one module per area; the faces (CLI, later web) call only these.

- :mod:`xieshang.services.case` — the person, loans, payments, lender-stated figures, and the
  bridge to the engine (:func:`~xieshang.services.case.loan_terms`,
  :func:`~xieshang.services.case.loan_payments`).
- :mod:`xieshang.services.demo` — the live demo case.
- :mod:`xieshang.services.transfer` — export/import of the whole case as versioned JSON.

Overview use-cases (status, projection, timeline, reconciliation) get modules of their own
and read loans through :func:`xieshang.services.case.list_loans`.

Every function takes an open :class:`~xieshang.store.db.Store` and does its writes in one
transaction; :func:`open_case_store` opens the configured store.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from xieshang.store.db import Store


def open_case_store(*, create: bool = True) -> Store:
    """The store named by ``--db`` / ``XIESHANG_DB`` or the default, migrated to head."""
    from xieshang.store.db import open_store

    return open_store(create=create)
