"""The local case store: SQLAlchemy 2 models, Alembic migrations shipped in the package.

Only :mod:`xieshang.services` writes through this package; the faces never touch it directly.
"""
