"""Pure computation: schedules, accrual, penalties, status, projections, APR. No I/O here."""
