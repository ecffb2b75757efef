"""The tables of encryption at rest: ``crypto_master`` (one row) and ``crypto_key``.

``crypto_master`` says how the master key is obtained (``key``: ``XIESHANG_KEY``; ``passphrase``:
scrypt with ``salt`` and ``params``) and holds a key-check value; ``crypto_key`` holds each data
key wrapped by the master key, by key id, and which one new values are written with. No row in
``crypto_master``: a plaintext store. See :mod:`xieshang.store.crypto`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, CheckConstraint, DateTime, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from xieshang.store.models import Base


class CryptoMaster(Base):
    """How to get the master key of this store, and a value to check it against."""

    __tablename__ = "crypto_master"
    __table_args__ = (CheckConstraint("kind IN ('key', 'passphrase')", name="kind"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    kind: Mapped[str] = mapped_column(String(16))
    kdf: Mapped[str] = mapped_column(String(16))  # "scrypt", or "none" for a raw key
    salt: Mapped[str] = mapped_column(String(64))  # base64url, empty for a raw key
    params: Mapped[dict[str, Any]] = mapped_column(JSON)
    key_check: Mapped[str] = mapped_column(Text)
    created_utc: Mapped[datetime] = mapped_column(DateTime)


class CryptoKey(Base):
    """One data key, wrapped (AES-256-GCM) by the master key."""

    __tablename__ = "crypto_key"

    kid: Mapped[str] = mapped_column(String(16), primary_key=True)
    wrapped: Mapped[str] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(Boolean, default=False)
    created_utc: Mapped[datetime] = mapped_column(DateTime)
