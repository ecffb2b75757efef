"""Keys of encryption at rest: enable it on a store, rotate the data key (and the master key), status.

Every sensitive column (:class:`~xieshang.store.crypto.EncryptedText` /
:class:`~xieshang.store.crypto.EncryptedJSON`, found in the models' metadata) and every attachment
file is re-encrypted under a new data key:

1. the attachment files are written, sealed with the new key, to ``<file>.rekey`` next to them;
2. one transaction adds the new data key (wrapped by the master key), makes it the active one,
   re-wraps the other keys under a new master key if one is given, and rewrites every value;
3. after the commit the ``.rekey`` files replace the old ones (``os.replace``); then the old data
   keys, no longer used by any value or file, are removed.

A failure before the commit leaves the store as it was (the ``.rekey`` files are removed); a
crash between the commit and the last swap leaves files under an old key that is still in the
keyring, so everything stays readable and the next ``keys rotate`` finishes the job. The contact
log's hash chain covers the plaintext, so it verifies the same before and after.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, Text, delete, select, text, type_coerce, update
from sqlalchemy.exc import IntegrityError

from xieshang import clock
from xieshang.errors import UserError
from xieshang.records.attachments import SEALED_MAGIC, sha256_hex
from xieshang.store.crypto import (
    COVER,
    KEY_ENV,
    PASSPHRASE_ENV,
    SCRYPT_N,
    SCRYPT_P,
    SCRYPT_R,
    CryptoError,
    EncryptedJSON,
    EncryptedText,
    Keyring,
    _b64e,
    attach_keyring,
    derive_key,
    file_kid,
    keyring_of,
    make_check,
    new_kid,
    parse_key,
    read_master,
    value_kid,
    wrap,
)
from xieshang.store.models import Base
from xieshang.store.models_crypto import CryptoKey, CryptoMaster

if TYPE_CHECKING:
    from sqlalchemy import Column, MetaData, Table
    from sqlalchemy.engine import Connection
    from sqlalchemy.orm import Session

    from xieshang.store.db import Store

REKEY_SUFFIX = ".rekey"


@dataclass(frozen=True)
class NewMaster:
    """A master key to set: from ``XIESHANG_KEY``-style base64 (``kind="key"``) or a passphrase."""

    kind: str
    secret: str

    def make(self) -> tuple[bytes, str, dict[str, Any], str]:
        """(master key, salt, params, kdf) — a fresh random salt for a passphrase."""
        if self.kind == "key":
            return parse_key(self.secret), "", {"n": 0, "r": 0, "p": 0}, "none"
        if not self.secret:
            raise CryptoError("crypto.error.need_passphrase", path="-", env=PASSPHRASE_ENV)
        salt = secrets.token_bytes(16)
        key = derive_key(self.secret, salt)
        return key, _b64e(salt), {"n": SCRYPT_N, "r": SCRYPT_R, "p": SCRYPT_P}, "scrypt"


def master_from_env() -> NewMaster | None:
    """``XIESHANG_KEY`` (preferred) or ``XIESHANG_PASSPHRASE`` as a master to set, if either is set."""
    key = os.environ.get(KEY_ENV, "").strip()
    if key:
        return NewMaster("key", key)
    from xieshang.store import crypto

    passphrase = crypto._given_passphrase or os.environ.get(PASSPHRASE_ENV)
    if passphrase:
        return NewMaster("passphrase", passphrase)
    return None


@dataclass
class KeyInfo:
    kid: str
    active: bool
    created: datetime
    values: int = 0
    files: int = 0

    def to_json(self) -> dict[str, Any]:
        return {"kid": self.kid, "active": self.active, "created": self.created.isoformat(),
                "values": self.values, "files": self.files}


@dataclass
class KeyStatus:
    """What ``keys status`` shows: how the store is protected and what each key still covers."""

    encrypted: bool
    kind: str | None = None
    kdf: str | None = None
    keys: list[KeyInfo] = field(default_factory=list)
    plaintext_values: int = 0
    plaintext_files: int = 0
    unreadable_files: int = 0

    def to_json(self) -> dict[str, Any]:
        return {"encrypted": self.encrypted, "kind": self.kind, "kdf": self.kdf,
                "keys": [k.to_json() for k in self.keys], "plaintext_values": self.plaintext_values,
                "plaintext_files": self.plaintext_files, "unreadable_files": self.unreadable_files}


@dataclass(frozen=True)
class RekeyReport:
    kid: str
    values: int
    files: int
    removed_keys: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {"kid": self.kid, "values": self.values, "files": self.files, "removed_keys": list(self.removed_keys)}


# ---------------------------------------------------------------------------------------
# Scanning
# ---------------------------------------------------------------------------------------


def _metadata(kind: str) -> MetaData:
    if kind == "accounts":
        from xieshang.store.accounts_models import AccountsBase

        return AccountsBase.metadata
    return Base.metadata


def encrypted_columns(kind: str = "case") -> Iterator[tuple[Table, list[Column[Any]]]]:
    """Every table with encrypted columns, and those columns (from the models' metadata of a case
    store, or of the accounts store)."""
    for table in _metadata(kind).sorted_tables:
        cols = [c for c in table.columns if isinstance(c.type, (EncryptedText, EncryptedJSON))]
        if cols:
            yield table, cols


def _raw_values(conn: Connection, kind: str) -> Iterator[Any]:
    for _table, cols in encrypted_columns(kind):
        raw = [type_coerce(c, JSON if isinstance(c.type, EncryptedJSON) else Text()) for c in cols]
        for row in conn.execute(select(*raw)):
            yield from (v for v in row if v is not None)


def _attachment_digests(conn: Connection, kind: str = "case") -> list[str]:
    if kind != "case":
        return []
    return [str(r[0]) for r in conn.execute(text("SELECT DISTINCT sha256 FROM contact_attachment ORDER BY sha256"))]


def _folder(store: Store) -> Path:
    from xieshang.services.records import attachment_folder

    return attachment_folder(store)


def _path(folder: Path, digest: str) -> Path:
    return folder / digest[:2] / digest[2:]


def status(store: Store) -> KeyStatus:
    """How the store is protected: master kind, data keys and how many values/files each covers."""
    with store.engine.connect() as conn:
        master = read_master(conn)
        rows = list(conn.execute(select(CryptoKey.kid, CryptoKey.active, CryptoKey.created_utc)))
        info = {str(k): KeyInfo(kid=str(k), active=bool(a), created=c.replace(tzinfo=UTC)) for k, a, c in rows}
        report = KeyStatus(encrypted=master is not None, kind=master.kind if master else None,
                           kdf=None if master is None else ("scrypt" if master.kind == "passphrase" else "none"))
        for value in _raw_values(conn, store.kind):
            kid = value_kid(value) if isinstance(value, str) else None
            if kid is None:
                report.plaintext_values += 1
            else:
                info.setdefault(kid, KeyInfo(kid=kid, active=False, created=datetime.min.replace(tzinfo=UTC)))
                info[kid].values += 1
        digests = _attachment_digests(conn, store.kind)
    folder = _folder(store) if digests else Path()
    for digest in digests:
        try:
            blob = _path(folder, digest).read_bytes()
        except OSError:
            report.unreadable_files += 1
            continue
        kid = file_kid(blob)
        if kid is None:
            report.plaintext_files += 1
        else:
            info.setdefault(kid, KeyInfo(kid=kid, active=False, created=datetime.min.replace(tzinfo=UTC)))
            info[kid].files += 1
    report.keys = sorted(info.values(), key=lambda k: (not k.active, k.created, k.kid))
    return report


# ---------------------------------------------------------------------------------------
# Re-keying
# ---------------------------------------------------------------------------------------


def _clean_leftovers(folder: Path) -> None:
    """``.rekey`` files of an interrupted run: their swap never happened, the originals are intact."""
    if folder.is_dir():
        for stray in folder.glob(f"*/*{REKEY_SUFFIX}"):
            stray.unlink(missing_ok=True)


def _prepare_files(store: Store, conn: Connection, ring: Keyring) -> list[tuple[Path, Path]]:
    """Write every attachment sealed with ``ring.active`` to ``<file>.rekey``; (new, old) pairs.
    A file that is missing or whose content no longer matches its name is left as it is:
    ``records verify`` reports it, and rotating must not hide it."""
    from xieshang.records.attachments import SealedFileError
    from xieshang.services.records import attachment_store

    if store.kind != "case":
        return []  # the accounts store has no files

    files = attachment_store(store)
    folder = files.root
    _clean_leftovers(folder)
    pairs: list[tuple[Path, Path]] = []
    try:
        for digest in _attachment_digests(conn):
            target = _path(folder, digest)
            if not target.is_file():
                continue
            try:
                plain = files.read(digest)
            except SealedFileError:
                continue
            if sha256_hex(plain) != digest:
                continue
            new = target.with_name(target.name + REKEY_SUFFIX)
            with open(new, "wb") as fh:
                fh.write(ring.seal_file(plain, digest))
                fh.flush()
                os.fsync(fh.fileno())
            pairs.append((new, target))
    except OSError as exc:
        for new, _ in pairs:
            new.unlink(missing_ok=True)
        raise UserError("records.error.attach_store", path=str(folder), detail=exc.strerror or str(exc)) from None
    except BaseException:
        for new, _ in pairs:
            new.unlink(missing_ok=True)
        raise
    return pairs


def _rewrite_values(conn: Connection, kind: str = "case") -> int:
    """Read every encrypted column (any key, or plaintext) and write it back (the active key);
    every keyed hash (:class:`~xieshang.store.crypto_guard.BlindIndex`) is computed again from
    the value it stands for."""
    from xieshang.store.crypto_guard import SOURCES

    count = 0
    for table, cols in encrypted_columns(kind):
        pk = list(table.primary_key.columns)
        indexes = {col: src for (name, col), src in SOURCES.items() if name == table.name}
        for row in conn.execute(select(*pk, *cols)).all():
            keys, values = row[:len(pk)], row[len(pk):]
            changes = {c.name: v for c, v in zip(cols, values, strict=True) if v is not None}
            changes.update({col: changes[src] for col, src in indexes.items() if src in changes})
            if not changes:
                continue
            cond = [c == k for c, k in zip(pk, keys, strict=True)]
            conn.execute(update(table).where(*cond).values(**changes))
            count += len(changes)
    return count


def _rekey(store: Store, *, new_master: NewMaster | None, creating: bool) -> RekeyReport:
    """Enable (``creating``) or rotate: new data key, everything rewritten, then old keys dropped."""
    from xieshang.store.crypto import master_key_for

    before = keyring_of(store.engine)
    if creating and before is not None:
        raise CryptoError("crypto.error.already_enabled", path=store.location)
    if not creating and before is None:
        raise CryptoError("crypto.error.not_enabled", path=store.location)
    kid = new_kid()
    data_key = secrets.token_bytes(32)
    ring = Keyring(keys={**(before.keys if before else {}), kid: data_key}, active=kid,
                   master_kind=new_master.kind if new_master else (before.master_kind if before else "key"),
                   master_key=before.master_key if before else None)
    now = clock.system_now().replace(tzinfo=None, microsecond=0)
    with store.engine.connect() as conn:
        master = read_master(conn)
        pairs = _prepare_files(store, conn, ring)
    try:
        if new_master is not None:
            master_key, salt, params, kdf = new_master.make()
        elif before is not None and before.master_key is not None:
            master_key = before.master_key
        else:
            assert master is not None
            master_key = master_key_for(master, store.location)
        attach_keyring(store.engine, ring)
        with store.transaction() as s:
            conn = s.connection()
            if creating and s.get(CryptoMaster, 1) is not None:  # another process was quicker
                raise CryptoError("crypto.error.already_enabled", path=store.location)
            if new_master is not None:
                s.execute(delete(CryptoMaster))
                s.flush()
                s.add(CryptoMaster(id=1, kind=new_master.kind, kdf=kdf, salt=salt, params={**params, "cover": COVER},
                                   key_check=make_check(master_key), created_utc=now))
            else:
                _mark_covered(s)
            for row in s.scalars(select(CryptoKey)):
                row.active = False
                row.wrapped = wrap(master_key, row.kid, ring.keys[row.kid])
            s.add(CryptoKey(kid=kid, wrapped=wrap(master_key, kid, data_key), active=True, created_utc=now))
            ring.master_key = master_key
            s.flush()
            values = _rewrite_values(conn, store.kind)
    except BaseException:
        attach_keyring(store.engine, before)
        for new, _ in pairs:
            new.unlink(missing_ok=True)
        raise
    _reattach(store, ring)
    for new, old in pairs:
        os.replace(new, old)
    removed = _drop_unused_keys(store)
    for gone in removed:
        ring.keys.pop(gone, None)
    scrub(store)
    return RekeyReport(kid=kid, values=values, files=len(pairs), removed_keys=tuple(removed))


def _mark_covered(s: Session) -> None:
    row = s.get(CryptoMaster, 1)
    if row is not None:
        row.params = {**dict(row.params), "cover": COVER}


def _reattach(store: Store, ring: Keyring) -> None:
    """The new keyring, able to reload itself, with the write guard (as :func:`unlock` attaches)."""
    from xieshang.store.crypto import _attach

    with store.engine.connect() as conn:
        master = read_master(conn)
    if master is not None and ring.master_key is not None:
        _attach(store, ring, master, ring.master_key)


def reseal(store: Store) -> int:
    """Encrypt what an older version left readable (the columns it did not yet encrypt) and compute
    the keyed hashes, in one transaction; called on open when ``crypto_master`` says an older cover."""
    with store.transaction() as s:
        master = read_master(s.connection())
        if master is None or master.cover >= COVER:  # another process did it meanwhile
            return 0
        values = _rewrite_values(s.connection(), store.kind)
        _mark_covered(s)
    scrub(store)
    return values


def scrub(store: Store) -> None:
    """SQLite keeps the old bytes of a rewritten value in free pages and in the WAL until they are
    reused: after plaintext was encrypted, rebuild the file (``VACUUM``) and empty the WAL, so the
    plaintext is gone from the disk too. Best effort (another process reading keeps its snapshot);
    PostgreSQL: see docs/server.md (``VACUUM FULL``)."""
    if store.engine.dialect.name != "sqlite":
        return
    raw = store.engine.raw_connection()
    try:
        cursor = raw.cursor()
        for statement in ("PRAGMA wal_checkpoint(TRUNCATE)", "VACUUM", "PRAGMA wal_checkpoint(TRUNCATE)"):
            try:
                cursor.execute(statement)
            except Exception:  # busy: another process holds the file; the next scrub does it
                break
        cursor.close()
    finally:
        raw.close()


def _drop_unused_keys(store: Store) -> list[str]:
    """Remove the data keys that no value and no file uses any more (never the active one)."""
    report = status(store)
    unused = [k.kid for k in report.keys if not k.active and k.values == 0 and k.files == 0]
    if unused:
        with store.transaction() as s:
            s.execute(delete(CryptoKey).where(CryptoKey.kid.in_(unused)))
    return unused


def enable(store: Store, master: NewMaster) -> RekeyReport:
    """Encrypt a plaintext store: every sensitive value and every attachment, under ``master``."""
    return _rekey(store, new_master=master, creating=True)


def rotate(store: Store, new_master: NewMaster | None = None) -> RekeyReport:
    """Re-encrypt everything under a new data key; ``new_master`` also replaces the master key
    (a new passphrase or ``XIESHANG_KEY``)."""
    return _rekey(store, new_master=new_master, creating=False)


def enable_empty(store: Store) -> None:
    """A key is configured and the store has no case yet: start it encrypted (called on open)."""
    master = master_from_env()
    assert master is not None
    try:
        _rekey(store, new_master=master, creating=True)
    except (IntegrityError, CryptoError) as exc:  # another process enabled it at the same moment
        if isinstance(exc, CryptoError) and exc.key != "crypto.error.already_enabled":
            raise
        from xieshang.store.crypto import unlock

        unlock(store)


def is_sealed(blob: bytes) -> bool:
    return blob.startswith(SEALED_MAGIC)
