"""Reliability: what a killed process, a full disk, a read-only store and hostile input files do
to a store — nothing half-written, the hash chain intact, clear errors (exit 2) in zh/en.

* SIGKILL: a real process writes payments and contact-log entries with attachments in a loop
  (through the services, and through the real CLI) and is ``kill -9``-ed at random moments,
  several rounds, plaintext and encrypted; after each kill ``PRAGMA integrity_check``, the foreign
  keys, every acknowledged write present, at most the one in flight more, every entry with its
  attachment, ``xieshang records verify`` exit 0 and ``xieshang status`` working. Also a kill during
  ``keys rotate``.
* Disk full: SQLite's ``max_page_count`` (SQLITE_FULL) and a file-size limit (``RLIMIT_FSIZE``,
  EFBIG) under the real CLI; a read-only store file and attachment folder (as root, without the
  capabilities that let root ignore permissions).
* Fuzzing (hypothesis): ``import`` documents (mutated exports, arbitrary JSON, arbitrary bytes) and
  attachment uploads (arbitrary bytes behind every accepted magic number): only ``UserError``,
  and a refused one leaves the store (rows and attachment files) exactly as it was.
"""

from __future__ import annotations

import json
import os
import random
import resource
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import closing
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.child_env import child_env
from tests.records_helpers import SAMPLES, content, png_bytes

from xieshang.errors import UserError
from xieshang.services.records import add_entry, attachment_folder, list_entries, verify_log
from xieshang.services.transfer import export_case, import_case, parse_document
from xieshang.store.crypto import generate_key
from xieshang.store.db import Store, open_store

ROOT = Path(__file__).resolve().parent.parent
TODAY = date(2026, 11, 1)


def _env(db: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
    env = child_env(("XIESHANG_", "LC_", "LANG"))
    env.update({"XIESHANG_DB": str(db), "COLUMNS": "200", "PYTHONPATH": str(ROOT), **(extra or {})})
    return env


def cli(db: Path, *args: str, env: dict[str, str] | None = None, lang: str | None = None, check: int | None = 0,
        **popen: Any) -> subprocess.CompletedProcess[str]:
    argv = [sys.executable, "-m", "xieshang", *args] + (["--lang", lang] if lang else [])
    proc = subprocess.run(argv, env=_env(db, env), capture_output=True, text=True, stdin=subprocess.DEVNULL,
                          timeout=180, **popen)
    if check is not None:
        assert proc.returncode == check, (args, proc.stdout, proc.stderr)
    return proc


# ---------------------------------------------------------------------------------------
# SIGKILL during a burst of writes
# ---------------------------------------------------------------------------------------

#: The writer: payments and entries (each with a new attachment) in a loop, one line per commit.
WRITER = r"""
import sys, struct, zlib
from pathlib import Path
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from xieshang.records.model import EntryContent
from xieshang.services.case import add_payment, list_loans
from xieshang.services.records import add_entry
from xieshang.store.db import open_store

def png(seed):
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    raw = seed.to_bytes(8, "big") * 64
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))

store = open_store(sys.argv[1])
start, tmp = int(sys.argv[2]), sys.argv[3]
loans = [l.id for l in list_loans(store)]
cst = timezone(timedelta(hours=8))
for i in range(start, start + 100000):
    if i % 2:
        add_payment(store, loans[i % len(loans)], Decimal(i % 90 + 1), note=f"burst {i}")
        print("P", i, flush=True)
    else:
        path = Path(f"{tmp}/shot-{i}.png")
        with open(path, "wb") as fh:
            fh.write(png(i))
        add_entry(store, EntryContent(occurred=datetime(2026, 10, 1, 9, 0, tzinfo=cst) + timedelta(seconds=i % 100000),
                                      direction="incoming", channel="call", counterparty="burst agency",
                                      counterparty_kind="agency", summary=f"burst {i}", outcome="connected"),
                  attach=[path])
        print("E", i, flush=True)
"""

#: The same through the real CLI, one process per write.
CLI_WRITER = r"""
set -u
i=$1
while true; do
  "$PY" -m xieshang pay add 1 "$(( i % 90 + 1 ))" --note "cli $i" \
    >/dev/null && echo "P $i"
  printf 'call %s\n' "$i" > "$TMPD/note-$i.txt"
  "$PY" -m xieshang records add --channel call --direction incoming --counterparty "cli agency" \
    --summary "cli $i" --when "2026-10-01 10:$(printf %02d $(( i % 60 )))" --tz +08:00 --attach "$TMPD/note-$i.txt" \
    >/dev/null && echo "E $i"
  i=$(( i + 1 ))
done
"""


def _acknowledged(lines: list[str]) -> tuple[int, int]:
    payments = sum(1 for line in lines if line.startswith("P "))
    entries = sum(1 for line in lines if line.startswith("E "))
    return payments, entries


def _kill_after(argv: list[str], env: dict[str, str], delay: float, *, group: bool = False) -> list[str]:
    """Start ``argv``, wait for its first acknowledged write, then ``delay`` seconds, then SIGKILL."""
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            stdin=subprocess.DEVNULL, start_new_session=group)
    assert proc.stdout is not None
    lines: list[str] = []
    first = proc.stdout.readline()
    assert first, proc.stderr.read() if proc.stderr else ""
    lines.append(first)
    time.sleep(delay)
    if group:
        os.killpg(proc.pid, signal.SIGKILL)
    else:
        proc.kill()
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == -signal.SIGKILL, err  # killed, not dead of its own error
    lines.extend(out.splitlines())
    return lines


def _check_store(db: Path, env: dict[str, str], *, payments: tuple[int, int], entries: tuple[int, int]) -> None:
    """The store after a kill: intact file, consistent rows, chain verified, status computes."""
    with closing(sqlite3.connect(db)) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        n_pay = conn.execute("SELECT count(*) FROM payment").fetchone()[0]
        n_entries, top = conn.execute("SELECT count(*), coalesce(max(id), 0) FROM contact_entry").fetchone()
        head = conn.execute("SELECT count FROM contact_log_head").fetchone()
        orphans = conn.execute("SELECT count(*) FROM payment WHERE loan_id NOT IN (SELECT id FROM loan)").fetchone()
        bare = conn.execute("SELECT count(*) FROM contact_entry e WHERE e.id > 5 AND NOT EXISTS "
                            "(SELECT 1 FROM contact_attachment a WHERE a.entry_id = e.id)").fetchone()
    assert payments[0] <= n_pay <= payments[1], (n_pay, payments)
    assert entries[0] <= n_entries <= entries[1], (n_entries, entries)
    assert head is not None and head[0] == top == n_entries  # no gap, head in step
    assert orphans == (0,) and bare == (0,)  # every burst entry has its attachment row
    verified = json.loads(cli(db, "records", "verify", "--json", env=env).stdout)
    assert verified["intact"] and verified["entries"] == n_entries
    status = json.loads(cli(db, "status", "--json", env=env).stdout)
    assert status  # every loan's figures compute from the payments kept


def _counts(db: Path) -> tuple[int, int]:
    with closing(sqlite3.connect(db)) as conn:
        return (conn.execute("SELECT count(*) FROM payment").fetchone()[0],
                conn.execute("SELECT count(*) FROM contact_entry").fetchone()[0])


@pytest.mark.slow
@pytest.mark.parametrize("encrypted", [False, True], ids=["plaintext", "encrypted"])
def test_sigkill_during_a_burst_of_writes_leaves_nothing_half_written(tmp_path: Path, encrypted: bool) -> None:
    db = tmp_path / "s.sqlite"
    extra = {"XIESHANG_KEY": generate_key()} if encrypted else {}
    env = _env(db, extra)
    cli(db, "demo", env=extra)
    uploads = tmp_path / "uploads"
    uploads.mkdir()
    rng = random.Random(8)
    next_i = 1
    for _round in range(4):
        before = _counts(db)
        lines = _kill_after([sys.executable, "-c", WRITER, str(db), str(next_i), str(uploads)], env,
                            rng.uniform(0.05, 1.2))
        acked_p, acked_e = _acknowledged(lines)
        assert acked_p + acked_e >= 1
        print(f"round {_round}: killed after {acked_p} payments and {acked_e} entries acknowledged")
        _check_store(db, extra, payments=(before[0] + acked_p, before[0] + acked_p + 1),
                     entries=(before[1] + acked_e, before[1] + acked_e + 1))
        next_i += 100_000
    if encrypted:
        with closing(sqlite3.connect(db)) as conn:
            assert "burst" not in repr(conn.execute("SELECT summary FROM contact_entry").fetchall())


@pytest.mark.slow
def test_sigkill_of_the_real_cli_in_a_loop(tmp_path: Path) -> None:
    db = tmp_path / "s.sqlite"
    cli(db, "demo")
    tmpd = tmp_path / "notes"
    tmpd.mkdir()
    env = {**_env(db), "PY": sys.executable, "TMPD": str(tmpd)}
    rng = random.Random(3)
    for r in range(2):
        before = _counts(db)
        lines = _kill_after(["bash", "-c", CLI_WRITER, "writer", str(1000 * (r + 1))], env,
                            rng.uniform(0.3, 2.5), group=True)
        acked_p, acked_e = _acknowledged(lines)
        _check_store(db, {}, payments=(before[0] + acked_p, before[0] + acked_p + 1),
                     entries=(before[1] + acked_e, before[1] + acked_e + 1))


@pytest.mark.slow
def test_sigkill_during_key_rotation(tmp_path: Path) -> None:
    """``keys rotate`` killed at random moments: the store always opens with its key and verifies."""
    db = tmp_path / "s.sqlite"
    key = {"XIESHANG_KEY": generate_key()}
    cli(db, "demo", env=key)
    store_env = _env(db, key)
    uploads = tmp_path / "uploads"
    uploads.mkdir()
    # 40 entries with attachments, so a rotation has files to swap
    lines = subprocess.run([sys.executable, "-c", WRITER.replace("range(start, start + 100000)",
                                                                  "range(start, start + 80)"),
                            str(db), "2", str(uploads)], env=store_env, capture_output=True, text=True, check=True)
    assert lines.stdout.count("E ") == 40
    head = json.loads(cli(db, "records", "verify", "--json", env=key).stdout)["head_hash"]
    rng = random.Random(5)
    for _ in range(5):
        proc = subprocess.Popen([sys.executable, "-m", "xieshang", "keys", "rotate"], env=store_env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.2, 1.5))
        proc.kill()
        proc.wait(timeout=30)
        verified = json.loads(cli(db, "records", "verify", "--json", env=key).stdout)
        assert verified["intact"] and verified["head_hash"] == head and verified["attachments"] == 40
    cli(db, "keys", "rotate", env=key)
    status = json.loads(cli(db, "keys", "status", "--json", env=key).stdout)
    assert len(status["keys"]) == 1 and status["keys"][0]["files"] == 40 and status["plaintext_values"] == 0
    assert not list(Path(str(db) + ".attachments").rglob("*.rekey"))


# ---------------------------------------------------------------------------------------
# Disk full, file too large, read-only
# ---------------------------------------------------------------------------------------

#: Runs the real CLI with every SQLite connection capped at its current size (SQLITE_FULL).
FULL_DISK = r"""
import sys
from sqlalchemy import event
from sqlalchemy.engine import Engine

@event.listens_for(Engine, "connect")
def _cap(dbapi_connection, _record):
    cur = dbapi_connection.cursor()
    pages = cur.execute("PRAGMA page_count").fetchone()[0]
    cur.execute(f"PRAGMA max_page_count = {max(pages, 1)}")
    cur.close()

from xieshang.cli.main import main
sys.argv = ["xieshang", *sys.argv[1:]]
main()
"""


def _store_state(db: Path) -> tuple[str, int, list[str]]:
    export = cli(db, "export").stdout
    with closing(sqlite3.connect(db)) as conn:
        entries = conn.execute("SELECT count(*) FROM contact_entry").fetchone()[0]
    folder = Path(str(db) + ".attachments")
    files = sorted(str(p.relative_to(folder)) for p in folder.rglob("*")) if folder.exists() else []
    return export, entries, files


def test_a_full_disk_is_reported_clearly_and_nothing_is_lost(tmp_path: Path) -> None:
    db = tmp_path / "s.sqlite"
    cli(db, "demo")
    cli(db, "pay", "add", "1", "10")
    with closing(sqlite3.connect(db)) as conn:  # fold the WAL in, so the cap is the file's real size
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    before = _store_state(db)
    big = "很长的备注" * 4000
    commands = (["pay", "add", "1", "20", "--note", big],
                ["records", "add", "--channel", "sms", "--direction", "incoming", "--counterparty", "x",
                 "--summary", big])
    for lang, words in (("zh_CN", "磁盘已满"), ("en", "is full")):
        for command in commands:
            proc = subprocess.run([sys.executable, "-c", FULL_DISK, "--lang", lang, *command], env=_env(db),
                                  capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=120)
            assert proc.returncode == 2, (proc.stdout, proc.stderr)
            assert words in proc.stderr and "Traceback" not in proc.stderr, proc.stderr
    assert _store_state(db) == before


def _limit_file_size(limit: int) -> Callable[[], None]:
    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return apply


def test_a_file_size_limit_is_reported_clearly_and_nothing_is_lost(tmp_path: Path) -> None:
    db = tmp_path / "s.sqlite"
    cli(db, "demo")
    with closing(sqlite3.connect(db)) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    before = _store_state(db)
    # the database write hits the limit (the WAL may not grow past 8 KiB)
    big = "x" * 20000
    for lang, words in (("zh_CN", "无法写入数据库"), ("en", "Could not write the store")):
        proc = cli(db, "records", "add", "--channel", "sms", "--direction", "incoming", "--counterparty", "x",
                   "--summary", big, lang=lang, check=2, preexec_fn=_limit_file_size(8192))
        assert words in proc.stderr and "Traceback" not in proc.stderr
    # the attachment write hits the limit first: the file and the entry are both refused
    shot = tmp_path / "big.png"
    shot.write_bytes(png_bytes(1) + b"\x00" * 200_000)
    proc = cli(db, "--lang", "en", "records", "add", "--channel", "sms", "--direction", "incoming",
               "--counterparty", "x", "--summary", "with a big screenshot", "--attach", str(shot), check=2,
               preexec_fn=_limit_file_size(100_000))
    assert "attachment" in proc.stderr.lower() and "Traceback" not in proc.stderr
    assert _store_state(db) == before
    assert not [p for p in Path(str(db) + ".attachments").rglob("*") if p.is_file()]


def _without_override() -> Callable[[], None] | None:
    """As root (who ignores file permissions), take away the capabilities that let it: the child
    then meets the permission bits like any user (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_FOWNER
    dropped from its bounding set before ``exec``)."""
    if os.geteuid() != 0:
        return None
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)

    def drop() -> None:
        for cap in (1, 2, 3):
            if libc.prctl(24, cap, 0, 0, 0) != 0:  # PR_CAPBSET_DROP
                raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")

    return drop


def _chmod_tree(path: Path, mode_dir: int, mode_file: int) -> None:
    for p in [path, *path.rglob("*")]:
        p.chmod(mode_dir if p.is_dir() else mode_file)


def test_a_read_only_store_is_reported_clearly_and_unchanged(tmp_path: Path) -> None:
    db = tmp_path / "store" / "s.sqlite"
    db.parent.mkdir()
    cli(db, "demo")
    with closing(sqlite3.connect(db)) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    _chmod_tree(db.parent, 0o555, 0o444)
    before = db.read_bytes()
    try:
        for lang, words in (("zh_CN", "只读"), ("en", "read-only")):
            proc = cli(db, "pay", "add", "1", "10", lang=lang, check=2, preexec_fn=_without_override())
            assert words in proc.stderr and "Traceback" not in proc.stderr, proc.stderr
        assert db.read_bytes() == before
    finally:
        _chmod_tree(db.parent, 0o755, 0o644)


def test_a_read_only_attachment_folder_is_reported_clearly_and_nothing_is_written(tmp_path: Path) -> None:
    db = tmp_path / "store" / "s.sqlite"
    db.parent.mkdir()
    cli(db, "demo")
    shot = tmp_path / "shot.png"
    shot.write_bytes(png_bytes(2))
    cli(db, "records", "add", "--channel", "sms", "--direction", "incoming", "--counterparty", "x",
        "--summary", "first", "--attach", str(shot))
    folder = Path(str(db) + ".attachments")
    _chmod_tree(folder, 0o555, 0o444)  # the store stays writable, the attachment folder not
    shot2 = tmp_path / "shot2.png"
    shot2.write_bytes(png_bytes(3))
    before = _store_state(db)
    try:
        for lang in ("zh_CN", "en"):
            proc = cli(db, "records", "add", "--channel", "sms", "--direction", "incoming", "--counterparty", "x",
                       "--summary", "second", "--attach", str(shot2), lang=lang, check=2,
                       preexec_fn=_without_override())
            assert str(folder) in proc.stderr and "Traceback" not in proc.stderr, proc.stderr
        assert _store_state(db) == before
    finally:
        _chmod_tree(folder, 0o755, 0o644)


# ---------------------------------------------------------------------------------------
# Fuzzing: import documents
# ---------------------------------------------------------------------------------------

JSON_LEAF = st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats(allow_nan=False) \
    | st.text(max_size=30) | st.sampled_from(["", "0", "-1", "1e999", "2025-02-30", "9999999999999.99",
                                              "0.0005/daily", "1/annual", "-0.1/monthly", "loan", "card",
                                              "revolving", "zh_CN", "en", "xsenc:1:abcd:zz", "\x00", "💥"])
JSON_ANY = st.recursive(JSON_LEAF, lambda inner: st.lists(inner, max_size=4)
                        | st.dictionaries(st.text(max_size=12), inner, max_size=4), max_leaves=12)


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(node, dict):
        for k, v in node.items():
            out.extend(_paths(v, (*prefix, k)))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out.extend(_paths(v, (*prefix, i)))
    return out


def _set(doc: Any, path: tuple[Any, ...], value: Any) -> Any:
    if not path:
        return value
    node = doc
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value
    return doc


@st.composite
def mutated_exports(draw: st.DrawFn, base: dict[str, Any]) -> bytes:
    """A valid export with a few nodes replaced, removed or duplicated, then maybe cut or garbled."""
    doc = json.loads(json.dumps(base))
    for _ in range(draw(st.integers(1, 4))):
        paths = _paths(doc)
        path = draw(st.sampled_from(paths))
        action = draw(st.sampled_from(["replace", "delete", "extra"]))
        if action == "replace" or not path:
            doc = _set(doc, path, draw(JSON_ANY))
        elif action == "delete":
            parent = doc
            for part in path[:-1]:
                parent = parent[part]
            del parent[path[-1]]
        else:
            parent = doc
            for part in path[:-1]:
                parent = parent[part]
            if isinstance(parent, dict):
                parent[draw(st.text(max_size=10))] = draw(JSON_ANY)
            else:
                parent.append(draw(JSON_ANY))
    data = json.dumps(doc, ensure_ascii=draw(st.booleans())).encode()
    tail = draw(st.sampled_from(["keep", "cut", "garble"]))
    if tail == "cut":
        data = data[:draw(st.integers(0, len(data)))]
    elif tail == "garble":
        at = draw(st.integers(0, max(len(data) - 1, 0)))
        data = data[:at] + draw(st.binary(min_size=1, max_size=4)) + data[at + 1:]
    return data


@pytest.fixture(scope="module")
def demo_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Store, dict[str, Any]]]:
    db = tmp_path_factory.mktemp("fuzz") / "s.sqlite"
    cli(db, "demo")
    store = open_store(str(db))
    yield store, json.loads(export_case(store))
    store.close()


def _import_or_refuse(store: Store, data: bytes) -> None:
    before = export_case(store)
    try:
        import_case(store, data, source="fuzz.json", replace=True, today=TODAY)
    except UserError as exc:
        assert exc.message("en") and exc.message("zh_CN")
        assert export_case(store) == before  # a refused import writes nothing
        return
    # accepted: what was imported is what the store now holds
    person, loans = parse_document(data, today=TODAY)
    doc = json.loads(export_case(store))
    assert doc["person"]["name"] == person.name and len(doc["loans"]) == len(loans)


_FUZZ = settings(max_examples=int(os.environ.get("XIESHANG_FUZZ_EXAMPLES", "150")), deadline=None,
                 suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                        HealthCheck.data_too_large])


@_FUZZ
@given(data=st.data())
def test_fuzzed_import_documents_never_crash_or_half_write(demo_store: tuple[Store, dict[str, Any]],
                                                           data: st.DataObject) -> None:
    store, base = demo_store
    _import_or_refuse(store, data.draw(mutated_exports(base)))


@_FUZZ
@given(doc=JSON_ANY, raw=st.binary(max_size=200))
def test_arbitrary_json_and_bytes_are_refused_cleanly(demo_store: tuple[Store, dict[str, Any]], doc: Any,
                                                      raw: bytes) -> None:
    store, _ = demo_store
    _import_or_refuse(store, json.dumps(doc).encode())
    _import_or_refuse(store, raw)
    _import_or_refuse(store, json.dumps({"format": "xieshang-case", "version": 1, "person": doc}).encode())


def test_refused_import_through_the_cli_exits_2_and_changes_nothing(tmp_path: Path) -> None:
    db = tmp_path / "s.sqlite"
    cli(db, "demo")
    export = cli(db, "export").stdout
    doc = json.loads(export)
    doc["loans"][0]["payments"].append({"date": "2025-02-30", "amount": "1.00"})
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(doc), encoding="utf-8")
    for lang in ("zh_CN", "en"):
        proc = cli(db, "import", str(bad), "--replace", lang=lang, check=2)
        assert "Traceback" not in proc.stderr and "bad.json" in proc.stderr
    bad.write_bytes(b"\xff\xfe{not json")
    cli(db, "import", str(bad), "--replace", check=2)
    assert cli(db, "export").stdout == export


# ---------------------------------------------------------------------------------------
# Fuzzing: attachment uploads
# ---------------------------------------------------------------------------------------

MAGICS = [b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"%PDF-", b"ID3", b"\xff\xfb", b"\x00\x00\x00\x20ftyp",
          b"\x00\x00\x01\x00ftypM4A ", b"#!AMR\n", b"#!AMR-WB\n", b"RIFF\x00\x00\x00\x00WAVE", b"\xff\xfe",
          b"\xfe\xff", b"\xef\xbb\xbf", b"From: a\r\nTo: b\r\n", b"\x00XSENC1\x00", b""]
UPLOADS = st.one_of(
    st.binary(max_size=300),
    st.builds(lambda m, tail: m + tail, st.sampled_from(MAGICS), st.binary(max_size=300)),
    st.text(max_size=200).map(lambda s: s.encode("utf-8")),
    st.sampled_from(list(SAMPLES.values())),
)
NAMES = st.text(st.characters(blacklist_categories=["Cs"], blacklist_characters="/\x00"), min_size=1, max_size=80)


@pytest.fixture(scope="module")
def log_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Store, Path]]:
    folder = tmp_path_factory.mktemp("uploads")
    store = open_store(str(folder / "s.sqlite"))
    yield store, folder
    store.close()


def _files_of(store: Store) -> dict[str, bytes]:
    root = attachment_folder(store)
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()} if root.exists() else {}


@_FUZZ
@given(blobs=st.lists(st.tuples(NAMES, UPLOADS), min_size=1, max_size=3), summary=st.text(max_size=50))
def test_fuzzed_uploads_never_crash_or_half_write(log_store: tuple[Store, Path],
                                                  blobs: list[tuple[str, bytes]], summary: str) -> None:
    store, folder = log_store
    paths = []
    for i, (name, blob) in enumerate(blobs):
        sub = folder / f"in-{i}"
        sub.mkdir(exist_ok=True)
        path = sub / (name.strip(". ")[:60] or "x")
        try:
            path.write_bytes(blob)
        except OSError:
            continue  # a name this file system refuses: not the store's concern
        paths.append(path)
    entries_before, files_before = len(list_entries(store)), _files_of(store)
    try:
        entry = add_entry(store, content(summary=summary or "s"), attach=paths,
                          now=datetime(2026, 11, 1, tzinfo=UTC))
    except UserError as exc:
        assert exc.message("en") and exc.message("zh_CN")
        assert len(list_entries(store)) == entries_before and _files_of(store) == files_before
    else:
        assert len(entry.content.attachments) == len(paths)
        assert all(ref.size > 0 for ref in entry.content.attachments)
    finally:
        for p in paths:
            p.unlink(missing_ok=True)
    assert verify_log(store).intact


def test_temporary_files_of_a_killed_write_are_swept(tmp_path: Path) -> None:
    from xieshang.records.attachments import AttachmentStore, sha256_hex

    files = AttachmentStore(tmp_path / "att")
    folder = files.path_of(sha256_hex(png_bytes(2))).parent
    folder.mkdir(parents=True)
    stale, fresh = folder / ".incoming.killed", folder / ".incoming.in-progress"
    stale.write_bytes(b"half")
    fresh.write_bytes(b"half")
    os.utime(stale, (time.time() - 7200, time.time() - 7200))
    digest, new = files.put(png_bytes(2))  # the next write into that folder sweeps it
    assert new and files.read(digest) == png_bytes(2)
    assert not stale.exists() and fresh.exists()  # a write in progress elsewhere is left alone
