"""Alembic migrations of the case store, run programmatically by :mod:`xieshang.store.db`."""
