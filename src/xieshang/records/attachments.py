"""Attachments: the type told by the file's first bytes, and a content-addressed folder.

:func:`sniff` is pure. :class:`AttachmentStore` keeps each file once, under its SHA-256, in a
folder next to the store: ``<store>.attachments/ab/cdef…`` (``ab`` = the first two hex digits).
Files are written atomically (temporary file + ``os.replace``) and never changed afterwards,
except by ``keys rotate``/``keys enable``. With a ``cipher`` (encryption at rest, see
:mod:`xieshang.store.crypto`) a file is stored sealed but still named by the SHA-256 of its
plaintext; :meth:`AttachmentStore.read` returns the plaintext either way.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

#: The largest attachment accepted (a long call recording in MP3 or M4A fits; WAV of an hour does not).
MAX_ATTACHMENT_BYTES = 50 * 1024 * 1024

#: A temporary ``.incoming.*`` file older than this was left by a killed process (see :meth:`AttachmentStore.sweep`).
STALE_SECONDS = 3600.0

#: Media type → file extension used in bundles.
EXTENSIONS = {
    "image/png": "png",
    "image/jpeg": "jpg",
    "application/pdf": "pdf",
    "audio/mpeg": "mp3",
    "audio/mp4": "m4a",
    "audio/amr": "amr",
    "audio/amr-wb": "awb",
    "audio/wav": "wav",
    "text/plain": "txt",
    "message/rfc822": "eml",
}

_EML_HEADERS = re.compile(
    rb"^(from|to|subject|date|received|return-path|message-id|mime-version|delivered-to|reply-to|cc):[ \t]",
    re.IGNORECASE | re.MULTILINE,
)
_M4A_BRANDS = (b"M4A ", b"M4B ")


def _mpeg_audio(head: bytes) -> bool:
    """An MPEG audio frame header: 11 sync bits, a known version, a layer, a usable bitrate."""
    if len(head) < 4 or head[0] != 0xFF or head[1] & 0xE0 != 0xE0:
        return False
    version = (head[1] >> 3) & 0x03
    layer = (head[1] >> 1) & 0x03
    bitrate = head[2] >> 4
    rate = (head[2] >> 2) & 0x03
    return version != 0x01 and layer != 0x00 and bitrate not in (0x00, 0x0F) and rate != 0x03


def _text(data: bytes) -> bool:
    """UTF-8 (or UTF-16 with a BOM) text without control characters other than tab, CR, LF, FF."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError:
            return False
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            return False
    return bool(text.strip()) and not any((ord(c) < 32 and c not in "\t\r\n\f") or c == "\x7f" for c in text)


def sniff(data: bytes) -> str | None:
    """The media type of ``data`` told by its content, or ``None`` when it is not an accepted kind."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"%PDF-"):
        return "application/pdf"
    if (data.startswith(b"ID3") and len(data) > 10) or _mpeg_audio(data[:4]):
        return "audio/mpeg"
    if data[4:8] == b"ftyp":
        size = int.from_bytes(data[:4], "big")
        box = data[8:max(16, min(size, 256))]
        if any(box[i:i + 4] in _M4A_BRANDS for i in range(0, len(box) - 3, 4)):
            return "audio/mp4"
        return None
    if data.startswith(b"#!AMR-WB\n"):
        return "audio/amr-wb"
    if data.startswith(b"#!AMR\n"):
        return "audio/amr"
    if data[:4] == b"RIFF" and data[8:12] == b"WAVE":
        return "audio/wav"
    if _text(data):
        return "message/rfc822" if len(_EML_HEADERS.findall(data[:4096])) >= 2 else "text/plain"
    return None


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


#: The first bytes of a sealed (encrypted) attachment; no accepted plaintext kind starts so.
SEALED_MAGIC = b"\x00XSENC1\x00"


class FileCipher(Protocol):
    """Seals and opens attachment files, bound to the SHA-256 of the plaintext."""

    def seal_file(self, data: bytes, digest: str) -> bytes: ...

    def open_file(self, blob: bytes, digest: str) -> bytes: ...


class SealedFileError(ValueError):
    """A sealed attachment that does not open (no key, wrong key, or changed bytes)."""


@dataclass(frozen=True, slots=True)
class AttachmentStore:
    """The content-addressed folder of one store (``cipher``: seal new files, open sealed ones)."""

    root: Path
    cipher: FileCipher | None = None

    def path_of(self, sha256: str) -> Path:
        if not re.fullmatch(r"[0-9a-f]{64}", sha256):
            raise ValueError(f"not a SHA-256: {sha256!r}")
        return self.root / sha256[:2] / sha256[2:]

    def has(self, sha256: str) -> bool:
        return self.path_of(sha256).is_file()

    def read(self, sha256: str) -> bytes:
        """The file's plaintext; :class:`SealedFileError` when a sealed file does not open."""
        blob = self.path_of(sha256).read_bytes()
        if not blob.startswith(SEALED_MAGIC):
            return blob
        if self.cipher is None:
            raise SealedFileError(f"{sha256} is encrypted and no key is open")
        try:
            return self.cipher.open_file(blob, sha256)
        except ValueError as exc:
            raise SealedFileError(str(exc)) from None

    def put(self, data: bytes) -> tuple[str, bool]:
        """Store ``data``; returns its SHA-256 and whether a new file was written."""
        digest = sha256_hex(data)
        target = self.path_of(digest)
        if target.is_file():
            try:
                if sha256_hex(self.read(digest)) == digest:
                    return digest, False
            except SealedFileError:
                pass  # a damaged copy: replaced below
        created = [d for d in (self.root, target.parent) if not d.exists()]
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd, tmp = tempfile.mkstemp(prefix=".incoming.", dir=target.parent)
        except BaseException:
            self._drop_empty(created)
            raise
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data if self.cipher is None else self.cipher.seal_file(data, digest))
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            self._drop_empty(created)  # a failed write (disk full, no permission) leaves no trace
            raise
        self.sweep(target.parent)
        return digest, True

    @staticmethod
    def sweep(folder: Path, older_than: float = STALE_SECONDS) -> int:
        """Remove temporary files that a killed process left behind (older than ``older_than``
        seconds, so a write in progress elsewhere is never touched); how many were removed."""
        import time

        limit = time.time() - older_than
        removed = 0
        for stale in folder.glob(".incoming.*"):
            try:
                if stale.stat().st_mtime < limit:
                    stale.unlink()
                    removed += 1
            except OSError:
                continue
        return removed

    @staticmethod
    def _drop_empty(folders: list[Path]) -> None:
        for folder in reversed(folders):
            try:
                folder.rmdir()
            except OSError:
                break

    def remove(self, sha256: str) -> None:
        """Take back a file written by a command that then failed (never used on older files)."""
        path = self.path_of(sha256)
        path.unlink(missing_ok=True)
        for folder in (path.parent, self.root):
            try:
                folder.rmdir()
            except OSError:
                break
