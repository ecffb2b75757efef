"""Shared helpers of the contact-log tests: tiny valid files of each accepted kind, entries."""

from __future__ import annotations

import struct
import zlib
from datetime import datetime, timedelta, timezone
from pathlib import Path

from xieshang.records.model import EntryContent

CST = timezone(timedelta(hours=8))


def png_bytes(seed: int = 0) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    raw = bytes([0, seed % 256, 0, 0])
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


SAMPLES: dict[str, bytes] = {
    "image/png": png_bytes(),
    "image/jpeg": b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 32,
    "application/pdf": b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\n%%EOF\n",
    "audio/mpeg": b"ID3\x03\x00\x00\x00\x00\x00\x00" + b"\xff\xfb\x90\x00" + b"\x00" * 64,
    "audio/mp4": b"\x00\x00\x00\x20ftypM4A \x00\x00\x00\x00M4A mp42isom" + b"\x00" * 32,
    "audio/amr": b"#!AMR\n" + b"\x3c" * 32,
    "audio/wav": b"RIFF\x24\x00\x00\x00WAVEfmt " + b"\x00" * 32,
    "text/plain": "对方说下周再打来。\nThey will call again next week.\n".encode(),
    "message/rfc822": b"From: collector@example.com\r\nTo: me@example.com\r\nSubject: notice\r\n\r\nPay now.\r\n",
}


def write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def content(hh: int = 10, mm: int = 0, *, day: int = 10, **kw: object) -> EntryContent:
    base: dict[str, object] = {
        "occurred": datetime(2025, 11, day, hh, mm, tzinfo=CST), "direction": "incoming", "channel": "call",
        "counterparty": "某催收公司", "counterparty_kind": "agency", "summary": "催还款。", "outcome": "connected",
    }
    base.update(kw)
    return EntryContent(**base)  # type: ignore[arg-type]
