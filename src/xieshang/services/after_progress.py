"""Which of the after-the-agreement areas hold data: for the guided start's "done" marks.

One short transaction of existence checks, cheap enough for every dashboard and guide page
(the full services — :func:`xieshang.services.agreements.list_agreements`,
:func:`xieshang.services.prevention.budget`, :func:`~xieshang.services.prevention.emergency_fund` —
would replay more than these questions need).
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from sqlalchemy import select

from xieshang import clock
from xieshang.store.models_after import AgreementRow, BudgetLineRow, EmergencyFundRow

if TYPE_CHECKING:
    from xieshang.store.db import Store


def after_progress(store: Store, today: date | None = None) -> set[str]:
    """``"agreement"`` when an agreement is recorded; ``"prevention"`` when a budget applies to
    ``today``'s month (its own lines or an earlier month's, as :func:`~xieshang.services.prevention.budget`
    falls back) or an emergency fund is set."""
    from xieshang.services.prevention import month_of

    month = month_of(today or clock.today())
    out: set[str] = set()
    with store.transaction() as s:
        if s.scalar(select(AgreementRow.id).limit(1)) is not None:
            out.add("agreement")
        if (s.scalar(select(BudgetLineRow.id).where(BudgetLineRow.month <= month).limit(1)) is not None
                or s.scalar(select(EmergencyFundRow.id).limit(1)) is not None):
            out.add("prevention")
    return out
