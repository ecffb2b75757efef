"""Encryption at rest: keys, the keyring of an open store, and the column types that use it.

Envelope encryption. Each store has one *master key* — ``XIESHANG_KEY`` (32 bytes, base64) or
derived from a passphrase (``XIESHANG_PASSPHRASE`` or a prompt) with scrypt and a per-store
random salt — and one or more *data keys* (random 32 bytes, each with a short key id), kept in
``crypto_key`` wrapped (AES-256-GCM) by the master key. ``crypto_master`` holds the salt, the
KDF parameters and a key-check value, so a wrong passphrase is told apart from damaged data.

Sensitive columns are :class:`EncryptedText` / :class:`EncryptedJSON`. With a keyring attached
to the engine's dialect (:func:`unlock`, called when a store is opened), a value is written as
``xsenc:1:<key id>:<base64url(nonce | AES-GCM ciphertext)>``; without one (a plaintext store)
values are written exactly as before. Reading accepts both, so a store can be encrypted
(``keys enable``) or re-keyed (``keys rotate``) value by value; every ciphertext names its key.
Attachment files get the same treatment via :meth:`Keyring.seal_file` / :meth:`Keyring.open_file`,
bound to the SHA-256 of their plaintext (their address).

The types are backend-neutral: the ciphertext is plain text (PostgreSQL stores the encrypted
columns as ``TEXT``, SQLite keeps the declared ``VARCHAR`` it never enforced).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, String, Text, text
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator, TypeEngine

from xieshang.errors import UserError

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection, Engine

    from xieshang.store.db import Store

KEY_ENV = "XIESHANG_KEY"
PASSPHRASE_ENV = "XIESHANG_PASSPHRASE"
PREFIX = "xsenc:"
_CIPHER_PREFIX = "xsenc:1:"
_ESCAPE_PREFIX = "xsenc:0:"  # a plaintext value that happens to start with "xsenc:"
INDEX_PREFIX = "xsidx:"
#: Which set of columns this version encrypts: 2 added the names, labels, file names and the
#: accounts store (issue 12). A store whose ``crypto_master`` says less is re-encrypted on open.
COVER = 2
FILE_MAGIC = b"\x00XSENC1\x00"
_CHECK_PLAINTEXT = b"xieshang key check v1"
_NONCE = 12
#: scrypt cost, one of OWASP's recommended settings (N=2**15, r=8, p=3: 32 MiB); stored per store,
#: so a later version can raise it for new stores without locking out old ones.
SCRYPT_N = 2**15
SCRYPT_R = 8
SCRYPT_P = 3
_DIALECT_ATTR = "xieshang_keyring"


class CryptoError(UserError):
    """A key is missing, wrong, or a ciphertext does not open."""


# ---------------------------------------------------------------------------------------
# Primitives
# ---------------------------------------------------------------------------------------


def _aead(key: bytes) -> Any:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    return AESGCM(key)


def _seal(key: bytes, data: bytes, aad: bytes) -> bytes:
    nonce = secrets.token_bytes(_NONCE)
    return nonce + bytes(_aead(key).encrypt(nonce, data, aad))


def _open(key: bytes, blob: bytes, aad: bytes) -> bytes:
    from cryptography.exceptions import InvalidTag

    if len(blob) < _NONCE + 16:
        raise ValueError("ciphertext too short")
    try:
        return bytes(_aead(key).decrypt(blob[:_NONCE], blob[_NONCE:], aad))
    except InvalidTag:
        raise ValueError("ciphertext does not open with this key") from None


def _b64e(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def _b64d(value: str) -> bytes:
    return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))


def parse_key(value: str) -> bytes:
    """A master key given as base64 (standard or URL-safe) of exactly 32 bytes."""
    raw = value.strip()
    try:
        key = base64.b64decode(raw.replace("-", "+").replace("_", "/") + "=" * (-len(raw) % 4), validate=True)
    except (binascii.Error, ValueError):
        raise CryptoError("crypto.error.bad_key", env=KEY_ENV) from None
    if len(key) != 32:
        raise CryptoError("crypto.error.bad_key", env=KEY_ENV)
    return key


def generate_key() -> str:
    """A new random master key, base64, for ``XIESHANG_KEY``."""
    return base64.b64encode(secrets.token_bytes(32)).decode("ascii")


_derived: dict[tuple[bytes, bytes, int, int, int], bytes] = {}


def derive_key(passphrase: str, salt: bytes, n: int = SCRYPT_N, r: int = SCRYPT_R, p: int = SCRYPT_P) -> bytes:
    """scrypt(passphrase, salt) → 32 bytes; remembered for the process (the web app opens once,
    tests open often). The cache key is a hash of the passphrase, never the passphrase itself."""
    from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

    memo = (hashlib.sha256(passphrase.encode("utf-8")).digest(), salt, n, r, p)
    if memo not in _derived:
        _derived[memo] = Scrypt(salt=salt, length=32, n=n, r=r, p=p).derive(passphrase.encode("utf-8"))
    return _derived[memo]


def new_kid() -> str:
    return secrets.token_hex(4)


# ---------------------------------------------------------------------------------------
# Keyring
# ---------------------------------------------------------------------------------------


@dataclass
class Keyring:
    """The data keys of an open store (key id → key) and the one new values are written with."""

    keys: dict[str, bytes]
    active: str
    master_kind: str = "key"
    master_key: bytes | None = field(default=None, repr=False)
    #: Reads the store's keyring again (set by :func:`unlock`): another process may have rotated
    #: the keys since this one was loaded (``xieshang serve --workers``, ``keys rotate``).
    reload: Callable[[], Keyring] | None = field(default=None, repr=False, compare=False)

    def refresh(self) -> bool:
        """Take the store's current data keys and active key; whether anything changed."""
        if self.reload is None:
            return False
        fresh = self.reload()
        changed = fresh.active != self.active or set(fresh.keys) != set(self.keys)
        self.keys.update(fresh.keys)
        self.active = fresh.active
        return changed

    def _key(self, kid: str) -> bytes:
        key = self.keys.get(kid)
        if key is None and self.refresh():
            key = self.keys.get(kid)
        if key is None:
            raise CryptoError("crypto.error.unknown_kid", kid=kid)
        return key

    def index(self, value: str) -> str:
        """A keyed hash of ``value`` (HMAC-SHA256 under a key derived from the active data key):
        equal values give equal hashes, so a column of them can be searched, but it cannot be
        read back or guessed without the key. Rotating the key recomputes every one."""
        import hmac

        kid = self.active
        sub = hmac.new(self._key(kid), b"xieshang/index/v1", hashlib.sha256).digest()
        return f"{INDEX_PREFIX}{kid}:{hmac.new(sub, value.encode('utf-8'), hashlib.sha256).hexdigest()}"

    def encrypt(self, value: str) -> str:
        kid = self.active
        blob = _seal(self._key(kid), value.encode("utf-8"), b"xieshang/text/" + kid.encode("ascii"))
        return f"{_CIPHER_PREFIX}{kid}:{_b64e(blob)}"

    def decrypt(self, stored: str) -> str:
        kid, _, body = stored[len(_CIPHER_PREFIX):].partition(":")
        try:
            plain = _open(self._key(kid), _b64d(body), b"xieshang/text/" + kid.encode("ascii"))
            return plain.decode("utf-8")
        except (ValueError, binascii.Error, UnicodeDecodeError):
            raise CryptoError("crypto.error.corrupt_value", kid=kid) from None

    def seal_file(self, data: bytes, digest: str) -> bytes:
        kid = self.active.encode("ascii")
        return FILE_MAGIC + bytes([len(kid)]) + kid + _seal(self._key(self.active), data,
                                                            b"xieshang/file/" + digest.encode() + b"/" + kid)

    def open_file(self, blob: bytes, digest: str) -> bytes:
        """The plaintext of a sealed attachment; :class:`ValueError` when it does not open."""
        n = blob[len(FILE_MAGIC)] if len(blob) > len(FILE_MAGIC) else 0
        kid = blob[len(FILE_MAGIC) + 1:len(FILE_MAGIC) + 1 + n]
        key = self.keys.get(kid.decode("ascii", "replace"))
        if key is None:
            raise ValueError(f"unknown key id {kid!r}")
        return _open(key, blob[len(FILE_MAGIC) + 1 + n:], b"xieshang/file/" + digest.encode() + b"/" + kid)


def file_kid(blob: bytes) -> str | None:
    """The key id a sealed file names, or ``None`` for a plaintext file."""
    if not blob.startswith(FILE_MAGIC) or len(blob) <= len(FILE_MAGIC):
        return None
    n = blob[len(FILE_MAGIC)]
    return blob[len(FILE_MAGIC) + 1:len(FILE_MAGIC) + 1 + n].decode("ascii", "replace")


def value_kid(stored: str) -> str | None:
    """The key id of a stored column value (raw, as in the database), or ``None`` for plaintext."""
    raw = stored
    if raw.startswith('"'):  # a JSON column stores the ciphertext as a JSON string
        raw = raw[1:]
    if not raw.startswith(_CIPHER_PREFIX):
        return None
    return raw[len(_CIPHER_PREFIX):].partition(":")[0]


def keyring_of(engine_or_dialect: Engine | Dialect) -> Keyring | None:
    dialect = engine_or_dialect if isinstance(engine_or_dialect, Dialect) else engine_or_dialect.dialect
    ring = getattr(dialect, _DIALECT_ATTR, None)
    return ring if isinstance(ring, Keyring) else None


def attach_keyring(engine: Engine, ring: Keyring | None) -> None:
    setattr(engine.dialect, _DIALECT_ATTR, ring)


# ---------------------------------------------------------------------------------------
# Column types
# ---------------------------------------------------------------------------------------


def _encode(value: str, dialect: Dialect) -> str:
    ring = keyring_of(dialect)
    if ring is not None:
        return ring.encrypt(value)
    return _ESCAPE_PREFIX + value if value.startswith(PREFIX) else value


def _decode(value: str, dialect: Dialect) -> str:
    if not value.startswith(PREFIX):
        return value
    if value.startswith(_ESCAPE_PREFIX):
        return value[len(_ESCAPE_PREFIX):]
    ring = keyring_of(dialect)
    if ring is None:
        raise CryptoError("crypto.error.locked", env=PASSPHRASE_ENV, key_env=KEY_ENV)
    return ring.decrypt(value)


class EncryptedText(TypeDecorator[str]):
    """A text column encrypted when the store has a key; ``length`` is the declared length
    SQLite keeps (it never enforces it); other backends store ``TEXT`` (ciphertext is longer)."""

    impl = Text
    cache_ok = True

    def __init__(self, length: int | None = None) -> None:
        super().__init__()
        self.length = length

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "sqlite" and self.length is not None:
            return String(self.length)
        return Text()

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        return None if value is None else _encode(value, dialect)

    def process_result_value(self, value: Any, dialect: Dialect) -> str | None:
        return None if value is None else _decode(str(value), dialect)


class EncryptedJSON(TypeDecorator[Any]):
    """A JSON column encrypted when the store has a key: the ciphertext is stored as a JSON string."""

    impl = JSON
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if value is None or keyring_of(dialect) is None:
            return value
        return _encode(json.dumps(value, ensure_ascii=False, sort_keys=True), dialect)

    def process_result_value(self, value: Any, dialect: Dialect) -> Any:
        if isinstance(value, str) and value.startswith(_CIPHER_PREFIX):
            return json.loads(_decode(value, dialect))
        return value


# ---------------------------------------------------------------------------------------
# Unlocking a store
# ---------------------------------------------------------------------------------------

#: How the CLI asks for a passphrase (set by the CLI face; ``None``: never ask, e.g. the web app).
passphrase_prompt: Callable[[str], str] | None = None
_plaintext_ok = False


@contextmanager
def plaintext_allowed() -> Iterator[None]:
    """Open a plaintext store although a key is configured (``keys enable`` / ``keys status``)."""
    global _plaintext_ok
    before, _plaintext_ok = _plaintext_ok, True
    try:
        yield
    finally:
        _plaintext_ok = before


@dataclass(frozen=True)
class Master:
    """The ``crypto_master`` row."""

    kind: str  # "key" (XIESHANG_KEY) or "passphrase"
    salt: bytes
    n: int
    r: int
    p: int
    check: str
    cover: int = 1


def read_master(conn: Connection) -> Master | None:
    row = conn.execute(text("SELECT kind, salt, params, key_check FROM crypto_master WHERE id = 1")).first()
    if row is None:
        return None
    params = json.loads(row[2]) if isinstance(row[2], str) else dict(row[2])
    return Master(kind=str(row[0]), salt=_b64d(str(row[1])), n=int(params["n"]), r=int(params["r"]),
                  p=int(params["p"]), check=str(row[3]), cover=int(params.get("cover", 1)))


def make_check(master_key: bytes) -> str:
    return _b64e(_seal(master_key, _CHECK_PLAINTEXT, b"xieshang/check"))


def check_master(master_key: bytes, check: str) -> bool:
    try:
        return _open(master_key, _b64d(check), b"xieshang/check") == _CHECK_PLAINTEXT
    except (ValueError, binascii.Error):
        return False


def wrap(master_key: bytes, kid: str, data_key: bytes) -> str:
    return _b64e(_seal(master_key, data_key, b"xieshang/wrap/" + kid.encode("ascii")))


def unwrap(master_key: bytes, kid: str, wrapped: str) -> bytes:
    return _open(master_key, _b64d(wrapped), b"xieshang/wrap/" + kid.encode("ascii"))


#: A passphrase this process was handed in memory (``xieshang serve``: typed once at start and
#: passed to the workers through a pipe, see :mod:`xieshang.cli.serve_workers`); never written out.
_given_passphrase: str | None = None


def give_passphrase(value: str | None) -> None:
    global _given_passphrase
    _given_passphrase = value or None


def ask_passphrase(location: str) -> str | None:
    """The passphrase handed in memory, else ``XIESHANG_PASSPHRASE``, else the CLI's prompt, else ``None``."""
    if _given_passphrase:
        return _given_passphrase
    env = os.environ.get(PASSPHRASE_ENV)
    if env:
        return env
    prompt = terminal_prompt()
    if prompt is not None:
        from xieshang.i18n import t

        return prompt(t("crypto.prompt", path=location))
    return None


def _getpass(message: str) -> str:
    import getpass

    return getpass.getpass(message + " ")


def terminal_prompt() -> Callable[[str], str] | None:
    """How to ask for a passphrase: the prompt a caller set (``passphrase_prompt``), else a hidden
    prompt when standard input is a terminal, else ``None`` (scripts, tests, servers without one)."""
    import sys

    if passphrase_prompt is not None:
        return passphrase_prompt
    if sys.stdin is not None and sys.stdin.isatty():
        return _getpass
    return None


def master_key_for(master: Master, location: str) -> bytes:
    """The master key of a store from the environment or the passphrase, checked."""
    if master.kind == "key":
        env = os.environ.get(KEY_ENV, "").strip()
        if not env:
            raise CryptoError("crypto.error.need_key", path=location, env=KEY_ENV)
        key = parse_key(env)
        if not check_master(key, master.check):
            raise CryptoError("crypto.error.wrong_key", path=location, env=KEY_ENV)
        return key
    passphrase = ask_passphrase(location)
    if not passphrase:
        raise CryptoError("crypto.error.need_passphrase", path=location, env=PASSPHRASE_ENV)
    key = derive_key(passphrase, master.salt, master.n, master.r, master.p)
    if not check_master(key, master.check):
        raise CryptoError("crypto.error.wrong_passphrase", path=location, env=PASSPHRASE_ENV)
    return key


def load_keyring(conn: Connection, master: Master, master_key: bytes) -> Keyring:
    keys: dict[str, bytes] = {}
    active: str | None = None
    for kid, wrapped, is_active in conn.execute(text("SELECT kid, wrapped, active FROM crypto_key")):
        try:
            keys[str(kid)] = unwrap(master_key, str(kid), str(wrapped))
        except (ValueError, binascii.Error):
            raise CryptoError("crypto.error.corrupt_value", kid=str(kid)) from None
        if is_active:
            active = str(kid)
    if active is None:
        raise CryptoError("crypto.error.no_active_key")
    return Keyring(keys=keys, active=active, master_kind=master.kind, master_key=master_key)


def key_configured() -> bool:
    return bool(os.environ.get(KEY_ENV, "").strip() or os.environ.get(PASSPHRASE_ENV) or _given_passphrase)


#: Tables whose rows mean a store holds data (a plaintext one is then refused, not encrypted).
DATA_TABLES = {"case": ("person", "contact_entry")}


def _has_case_data(conn: Connection, kind: str = "case") -> bool:
    for table in DATA_TABLES[kind]:
        if conn.execute(text(f"SELECT 1 FROM {table} LIMIT 1")).first() is not None:
            return True
    return False


def _attach(store: Store, ring: Keyring, master: Master, key: bytes) -> None:
    """Attach ``ring``, able to reload itself, and the check that a write uses the active key."""
    from xieshang.store.crypto_guard import guard_writes

    def reload() -> Keyring:
        with store.engine.connect() as conn:
            return load_keyring(conn, master, key)

    ring.reload = reload
    attach_keyring(store.engine, ring)
    guard_writes(store.engine)


def unlock(store: Store) -> None:
    """Attach the keyring to a just-opened store (nothing for a plaintext store).

    * encrypted store: the master key from ``XIESHANG_KEY`` / the passphrase, checked; a missing
      or wrong one is a :class:`CryptoError` in the user's language;
    * plaintext store and a key configured: an empty store is encrypted from the start (the
      first write is already ciphertext); one with data is refused until ``keys enable``.
    """
    kind = getattr(store, "kind", "case")
    with store.engine.connect() as conn:
        master = read_master(conn)
        if master is not None:
            key = master_key_for(master, store.location)
            ring = load_keyring(conn, master, key)
        elif not key_configured() or _plaintext_ok:
            attach_keyring(store.engine, None)
            return
        else:  # the accounts store is encrypted on open once a key is set (nobody's case is in it)
            has_data = kind == "case" and _has_case_data(conn, kind)
    if master is not None:
        _attach(store, ring, master, key)
        if master.cover < COVER:  # encrypted by an older version: seal what it left readable
            from xieshang.services.keys import reseal

            reseal(store)
        return
    if has_data:
        raise CryptoError("crypto.error.plaintext_store", path=store.location)
    from xieshang.services.keys import enable_empty

    enable_empty(store)
