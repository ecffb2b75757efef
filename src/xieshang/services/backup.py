"""Backup and restore of the whole store: every table, and the contact log's attachments.

A backup is one ZIP file (format ``xieshang-backup``, version 1)::

    manifest.json               format, version, schema revision, source back-end, time, and for
                                every member its SHA-256 and size (tables also their row count)
    tables/<table>.jsonl        line 1: the column names; then one JSON array per row, by id
    attachments/<sha256>        each attachment the log refers to, once (content-addressed)

It is portable: a backup of a SQLite store restores into PostgreSQL and the other way round.
Dates and times are ISO text, JSON columns stay JSON, everything else is a JSON scalar.

It is a faithful copy: the tables are read as they are in the database (reflected, not through
the models), so with encryption at rest the sensitive values stay ciphertext, the wrapped keys
come along, and attachment files are copied as stored (sealed); restoring needs the same key.

Consistency while others keep writing:

* SQLite: the sqlite3 backup API copies the live database (WAL mode, other writers allowed) into
  a temporary file in one step, which is then read at leisure.
* PostgreSQL: every table is read in one ``REPEATABLE READ READ ONLY`` transaction, so all
  tables come from the same snapshot.

Attachments are written before the rows that name them and never changed or removed after,
so every file a snapshot refers to is on disk; each is hashed again as it is copied.

Restore reads and checks the whole file first (manifest, every member's SHA-256, the schema
revision), then refuses a store that holds anything, then writes the attachment files and all
rows in one transaction (PostgreSQL sequences moved past the restored ids). If anything fails,
the transaction is rolled back and the attachment files it added are removed: all or nothing.
A backup made by an older version (a schema revision this one ships) goes into the schema it was
made with: inside the same transaction the empty store is migrated down to that revision, the rows
are written, and the store is migrated up to head. A newer revision is refused.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import re
import sqlite3
import tempfile
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Date, DateTime, MetaData, Table, func, select, text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import OperationalError, StatementError

from xieshang import clock
from xieshang.errors import UserError
from xieshang.store.db import _db_error  # the store's own wording of driver errors

if TYPE_CHECKING:
    from xieshang.store.db import Store

FORMAT = "xieshang-backup"
VERSION = 1
MANIFEST = "manifest.json"
_CHUNK = 1024 * 1024


@dataclass(frozen=True, slots=True)
class BackupReport:
    """What a backup or restore moved."""

    path: str
    backend: str
    revision: str
    tables: dict[str, int]
    attachments: int
    sha256: str

    @property
    def rows(self) -> int:
        return sum(self.tables.values())

    def to_json(self) -> dict[str, Any]:
        return {"path": self.path, "backend": self.backend, "revision": self.revision, "rows": self.rows,
                "tables": self.tables, "attachments": self.attachments, "sha256": self.sha256}


#: Tables a store may fill by itself when it is opened (encryption at rest enabled on an empty
#: store with a key configured): they do not make a store "not empty", and a restore replaces them.
SELF_MADE = frozenset({"crypto_master", "crypto_key"})
#: Tables that are not data: Alembic's version, the data revision (a restore writes a new one).
NOT_DATA = frozenset({"alembic_version", "store_revision"})


def tables() -> list[Table]:
    """Every table of the store's models, parents before children."""
    from xieshang.store.models import Base

    return [t for t in Base.metadata.sorted_tables if t.name not in NOT_DATA]


def db_tables(conn: Connection) -> list[Table]:
    """Every table in the database as it is (reflected, plain column types), parents first;
    Alembic's version table and the data revision are not data."""
    meta = MetaData()
    meta.reflect(bind=conn)
    return [t for t in meta.sorted_tables if t.name not in NOT_DATA]


def backend_of(store: Store) -> str:
    return str(store.engine.dialect.name)


# ---------------------------------------------------------------------------------------
# Encoding rows
# ---------------------------------------------------------------------------------------


def _encode(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return value


def _decoder(table: Table) -> list[Any]:
    out: list[Any] = []
    for col in table.columns:
        if isinstance(col.type, DateTime):
            out.append(lambda v: None if v is None else datetime.fromisoformat(v))
        elif isinstance(col.type, Date):
            out.append(lambda v: None if v is None else date.fromisoformat(v))
        else:
            out.append(None)
    return out


def _order(table: Table) -> list[Any]:
    return list(table.primary_key.columns) or list(table.columns)


def _dump_table(conn: Connection, table: Table) -> tuple[bytes, int]:
    names = [c.name for c in table.columns]
    lines = [json.dumps(names, ensure_ascii=False)]
    for row in conn.execute(select(*table.columns).order_by(*_order(table))):
        lines.append(json.dumps([_encode(v) for v in row], ensure_ascii=False, separators=(",", ":")))
    return ("\n".join(lines) + "\n").encode("utf-8"), len(lines) - 1


def _revision(conn: Connection) -> str:
    rows = [str(r[0]) for r in conn.execute(text("SELECT version_num FROM alembic_version"))]
    return ",".join(sorted(rows))


def _read_snapshot(conn: Connection) -> tuple[str, dict[str, bytes], dict[str, int], set[str]]:
    revision = _revision(conn)
    dumps: dict[str, bytes] = {}
    counts: dict[str, int] = {}
    found = db_tables(conn)
    for table in found:
        dumps[table.name], counts[table.name] = _dump_table(conn, table)
    shas: set[str] = set()
    if any(t.name == "contact_attachment" for t in found):
        shas = {str(s) for s in conn.scalars(text("SELECT DISTINCT sha256 FROM contact_attachment"))}
    return revision, dumps, counts, shas


@contextmanager
def _snapshot(store: Store) -> Iterator[Connection]:
    """A connection that sees one consistent state of the whole store."""
    if backend_of(store) == "sqlite":
        from xieshang.store.db import make_engine

        with tempfile.TemporaryDirectory(prefix="xieshang-backup-") as tmp:
            copy = Path(tmp) / "snapshot.sqlite"
            raw = store.engine.raw_connection()
            try:
                source = raw.driver_connection
                assert isinstance(source, sqlite3.Connection)
                with sqlite3.connect(copy) as target:
                    source.backup(target)  # one step: a consistent copy while others write
                target.close()
            finally:
                raw.close()
            engine = make_engine(f"sqlite:///{copy}")
            try:
                with engine.connect() as conn, conn.begin():
                    yield conn
            finally:
                engine.dispose()
        return
    with store.engine.connect() as conn:
        snap = conn.execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True)
        with snap.begin():
            yield snap


# ---------------------------------------------------------------------------------------
# Backup
# ---------------------------------------------------------------------------------------


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _file_sha(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(_CHUNK), b""):
            h.update(block)
    return h.hexdigest()


def backup(store: Store, path: Path, *, now: datetime | None = None) -> BackupReport:
    """Write a consistent backup of ``store`` (tables and attachments) to ``path``, atomically."""
    from xieshang.services.records import attachment_store

    try:
        with _snapshot(store) as conn:
            revision, dumps, counts, shas = _read_snapshot(conn)
    except OperationalError as exc:
        raise _db_error(store.location, exc) from exc
    files = attachment_store(store)
    path = path.expanduser().absolute()
    if path.is_dir():
        raise UserError("backup.error.is_dir", path=str(path))
    members: dict[str, dict[str, Any]] = {}
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise UserError("backup.error.write", path=str(path), detail=exc.strerror or str(exc)) from exc
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as raw, zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED) as zf:
            for table_name, data in dumps.items():
                name = f"tables/{table_name}.jsonl"
                zf.writestr(name, data)
                members[name] = {"sha256": _sha(data), "size": len(data), "rows": counts[table_name]}
            for sha in sorted(shas):
                name = f"attachments/{sha}"
                if not files.has(sha):
                    raise UserError("backup.error.attachment_missing", sha256=sha, folder=str(files.root))
                try:
                    plain = files.read(sha)  # opened with the store's key when it is encrypted
                except ValueError:
                    plain = b""
                if _sha(plain) != sha:
                    raise UserError("backup.error.attachment_changed", sha256=sha, folder=str(files.root))
                data = files.path_of(sha).read_bytes()  # as stored (sealed, with encryption at rest)
                zf.writestr(zipfile.ZipInfo(name, date_time=(2000, 1, 1, 0, 0, 0)), data,
                            compress_type=zipfile.ZIP_STORED)
                members[name] = {"sha256": _sha(data), "size": len(data), "plain_sha256": sha}
            manifest = {
                "format": FORMAT, "version": VERSION, "revision": revision, "backend": backend_of(store),
                "created_utc": (now or clock.now()).astimezone(UTC).isoformat(timespec="seconds"),
                "tables": list(dumps), "members": members,
            }
            zf.writestr(MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=1, sort_keys=True))
            raw.flush()
            os.fsync(raw.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise UserError("backup.error.write", path=str(path), detail=exc.strerror or str(exc)) from exc
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return BackupReport(path=str(path), backend=backend_of(store), revision=revision, tables=counts,
                        attachments=len(shas), sha256=_file_sha(path))


# ---------------------------------------------------------------------------------------
# Restore
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Backup:
    manifest: dict[str, Any]
    tables: dict[str, tuple[list[str], list[list[Any]]]]
    attachments: dict[str, bytes]


def read_backup(path: Path) -> _Backup:
    """Read and check a backup file whole: nothing is trusted before every hash matches."""
    try:
        data = path.expanduser().read_bytes()
    except FileNotFoundError:
        raise UserError("backup.error.missing", path=str(path)) from None
    except IsADirectoryError:
        raise UserError("backup.error.is_dir", path=str(path)) from None
    except OSError as exc:
        raise UserError("backup.error.read", path=str(path), detail=exc.strerror or str(exc)) from exc
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        manifest = json.loads(zf.read(MANIFEST))
    except (zipfile.BadZipFile, KeyError, ValueError):
        raise UserError("backup.error.not_a_backup", path=str(path)) from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise UserError("backup.error.not_a_backup", path=str(path))
    if manifest.get("version") != VERSION:
        raise UserError("backup.error.version", path=str(path), version=str(manifest.get("version")))
    members = manifest.get("members")
    if not isinstance(members, dict) or set(members) != set(zf.namelist()) - {MANIFEST}:
        raise UserError("backup.error.damaged", path=str(path), member=MANIFEST)
    contents: dict[str, bytes] = {}
    for name, info in members.items():
        try:
            blob = zf.read(name)
        except (zipfile.BadZipFile, KeyError, ValueError, OSError):
            raise UserError("backup.error.damaged", path=str(path), member=name) from None
        if not isinstance(info, dict) or _sha(blob) != info.get("sha256") or len(blob) != info.get("size"):
            raise UserError("backup.error.damaged", path=str(path), member=name)
        contents[name] = blob
    parsed: dict[str, tuple[list[str], list[list[Any]]]] = {}
    attachments: dict[str, bytes] = {}
    for name, blob in contents.items():
        if name.startswith("attachments/"):
            sha = name.removeprefix("attachments/")
            if not re.fullmatch(r"[0-9a-f]{64}", sha):
                raise UserError("backup.error.damaged", path=str(path), member=name)
            attachments[sha] = blob
        elif name.startswith("tables/") and name.endswith(".jsonl"):
            try:
                lines = blob.decode("utf-8").splitlines()
                header, rows = json.loads(lines[0]), [json.loads(x) for x in lines[1:]]
            except (UnicodeDecodeError, ValueError, IndexError):
                raise UserError("backup.error.damaged", path=str(path), member=name) from None
            parsed[name.removeprefix("tables/").removesuffix(".jsonl")] = (header, rows)
    return _Backup(manifest=manifest, tables=parsed, attachments=attachments)


def _is_empty(conn: Connection, found: list[Table]) -> bool:
    return all(not conn.execute(select(func.count()).select_from(t)).scalar_one()
               for t in found if t.name not in SELF_MADE)


def _fix_sequences(conn: Connection, found: list[Table]) -> None:
    """PostgreSQL: move every serial id's sequence past the restored ids."""
    for table in found:
        for col in table.primary_key.columns:
            seq = conn.execute(text("SELECT pg_get_serial_sequence(:t, :c)"),
                               {"t": table.name, "c": col.name}).scalar()
            if seq:
                conn.execute(text(f'SELECT setval(:s, COALESCE((SELECT MAX("{col.name}") FROM "{table.name}"), 0) + 1, false)'),
                             {"s": seq})


def _write_raw(target: Path, data: bytes) -> bool:
    """Put an attachment file back as it was stored; ``False`` when it is already there."""
    if target.is_file():
        return False
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".incoming.", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return True


def _migrate(conn: Connection, revision: str, *, down: bool) -> None:
    """Move an (empty) store's schema inside the restore's transaction."""
    from alembic import command

    from xieshang.store.db import alembic_config

    for table in reversed(db_tables(conn)):
        if table.name in SELF_MADE:
            conn.execute(table.delete())
    if down:
        command.downgrade(alembic_config(conn), revision)
    else:
        command.upgrade(alembic_config(conn), revision)


def restore(store: Store, path: Path) -> BackupReport:
    """Restore the backup at ``path`` into ``store``, which must be empty. All or nothing."""
    from xieshang.services.records import attachment_store
    from xieshang.store.db import known_revisions

    found = read_backup(path)
    manifest = found.manifest
    with store.engine.connect() as conn:
        current = _revision(conn)
    wanted = str(manifest.get("revision"))
    older = wanted != current
    if older and wanted not in known_revisions():
        raise UserError("backup.error.revision", path=str(path), revision=wanted, current=current)
    files = attachment_store(store)
    added: list[Path] = []
    from xieshang.store.crypto import attach_keyring, keyring_of, plaintext_allowed, unlock

    own_keys = keyring_of(store.engine)  # the empty store's own keys: replaced by the backup's
    attach_keyring(store.engine, None)  # rows are copied as stored (ciphertext), nothing is sealed here
    try:
        with store.engine.begin() as conn:
            if older:  # a backup of an older version: into the schema it was made with, then upgrade
                if not _is_empty(conn, db_tables(conn)):
                    raise UserError("backup.error.not_empty", path=store.location)
                _migrate(conn, wanted, down=True)
            target = db_tables(conn)
            known = {t.name: t for t in target}
            unknown = sorted(set(found.tables) - set(known))
            if unknown:
                raise UserError("backup.error.damaged", path=str(path), member=f"tables/{unknown[0]}.jsonl")
            for name, (header, _rows) in found.tables.items():
                if header != [c.name for c in known[name].columns]:
                    raise UserError("backup.error.damaged", path=str(path), member=f"tables/{name}.jsonl")
            if not _is_empty(conn, target):
                raise UserError("backup.error.not_empty", path=store.location)
            for table in reversed(target):  # keys the target made for itself encrypt nothing yet
                if table.name in SELF_MADE:
                    conn.execute(table.delete())
            for sha, blob in sorted(found.attachments.items()):
                try:
                    if _write_raw(files.path_of(sha), blob):
                        added.append(files.path_of(sha))
                except OSError as exc:
                    raise UserError("backup.error.attachments", folder=str(files.root),
                                    detail=exc.strerror or str(exc)) from exc
            counts: dict[str, int] = {}
            for table in target:
                header, rows = found.tables.get(table.name, ([], []))
                counts[table.name] = len(rows)
                if not rows:
                    continue
                member = f"tables/{table.name}.jsonl"
                decode = _decoder(table)
                try:
                    values = [{name: (f(v) if f else v) for name, f, v in zip(header, decode, row, strict=True)}
                              for row in rows]
                    conn.execute(table.insert(), values)
                except (ValueError, TypeError, StatementError) as exc:
                    raise UserError("backup.error.damaged", path=str(path), member=member) from exc
            if older:
                _migrate(conn, "head", down=False)
                target = db_tables(conn)
            if backend_of(store) == "postgresql":
                _fix_sequences(conn, target)
    except BaseException as exc:
        attach_keyring(store.engine, own_keys)
        for file in added:
            file.unlink(missing_ok=True)
            with contextlib.suppress(OSError):
                file.parent.rmdir()
        if isinstance(exc, OperationalError):  # locked, read-only, gone: said in the user's words
            raise _db_error(store.location, exc) from exc
        raise
    with plaintext_allowed():  # a plaintext backup stays plaintext (``keys enable`` encrypts it)
        unlock(store)  # the restored keys (and an older backup's columns sealed, see crypto.COVER)
    return BackupReport(path=str(path), backend=backend_of(store), revision=current, tables=counts,
                        attachments=len(found.attachments), sha256=_file_sha(path.expanduser()))
