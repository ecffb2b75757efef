"""``xieshang serve --server --workers 2`` (issue 12, item 10), as real processes on SQLite files
and on PostgreSQL schemas, with encryption at rest on.

To know which worker answers, the other one is paused (SIGSTOP) for a moment, so only one process
can accept connections: a fresh connection per request. The supervisor would replace a worker that
misses its health check (5 s by default): the tests raise it (``XIESHANG_WORKER_TIMEOUT``), and still
run slow steps such as loading the demo with both workers. Each worker answers alone; a session
signed in on one works on the other; a write on one is read by the other; after ``keys rotate
--server`` run beside the live server, both read the re-encrypted data and write again. A
passphrase typed on the terminal (a pty) reaches both workers, and appears in no process's
environment or command line.
"""

from __future__ import annotations

import http.client
import json
import os
import pty
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from tests.child_env import child_env
from tests.e2e.support import free_port

from xieshang.store.crypto import generate_key

PASSWORD = "correct horse battery"
START_S = 60


class Client:
    """HTTP to the server, a new connection per request, the session cookie kept by hand (it is
    ``Secure``: a cookie jar would not send it over plain HTTP to 127.0.0.1)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.cookie = ""
        self.csrf = ""

    def request(self, method: str, path: str, body: bytes | None = None,
                headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            hdrs = {"Connection": "close", **(headers or {})}
            if self.cookie:
                hdrs["Cookie"] = self.cookie
            if self.csrf and method != "GET":
                hdrs["X-CSRF-Token"] = self.csrf
            conn.request(method, path, body=body, headers=hdrs)
            r = conn.getresponse()
            return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
        finally:
            conn.close()

    def sign_in(self, user: str) -> None:
        status, headers, _ = self.request("POST", "/login", urlencode(
            {"username": user, "password": PASSWORD, "next": "/"}).encode(),
            {"Content-Type": "application/x-www-form-urlencoded"})
        assert status == 303, status
        self.cookie = headers["set-cookie"].split(";", 1)[0]
        self.csrf = self.json("GET", "/api/session")["csrf_token"]

    def json(self, method: str, path: str, payload: Any = None, *, ok: tuple[int, ...] = (200, 201)) -> Any:
        body = None if payload is None else json.dumps(payload).encode()
        status, _, data = self.request(method, path, body, {"Content-Type": "application/json"} if body else None)
        assert status in ok, (method, path, status, data[:300])
        return json.loads(data) if data else None


def _children(pid: int) -> list[int]:
    """The worker processes of the server (multiprocessing's spawned children, not its resource tracker)."""
    out = []
    for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split():
        cmd = Path(f"/proc/{child}/cmdline").read_bytes()
        if b"spawn_main" in cmd:
            out.append(int(child))
    return out


@contextmanager
def only(worker: int, others: list[int]) -> Iterator[None]:
    """Only ``worker`` accepts connections while the block runs (the others are paused)."""
    paused = [p for p in others if p != worker]
    for p in paused:
        os.kill(p, signal.SIGSTOP)
    try:
        time.sleep(0.2)
        yield
    finally:
        for p in paused:
            os.kill(p, signal.SIGCONT)
        time.sleep(0.3)


@contextmanager
def serving(env: dict[str, str], tmp_path: Path, *, stdin: Any = subprocess.DEVNULL,
            type_in: tuple[int, str] | None = None) -> Iterator[tuple[int, Any]]:
    """The server with 2 workers; ``type_in`` = (terminal fd, text): typed when it asks for a passphrase."""
    port = free_port()
    log = (tmp_path / "serve.log").open("w")
    proc = subprocess.Popen([sys.executable, "-m", "xieshang", "serve", "--server", "--workers", "2", "--port",
                             str(port)], env=env, stdin=stdin, stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)  # no controlling terminal: a prompt reads standard input
    try:
        deadline = time.monotonic() + START_S
        while True:
            if type_in is not None and "Passphrase" in (tmp_path / "serve.log").read_text():
                os.write(type_in[0], (type_in[1] + "\n").encode())  # after the prompt: getpass flushes input
                type_in = None
            try:
                if Client(port).request("GET", "/login")[0] == 200 and len(_children(proc.pid)) == 2:
                    break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                log.close()
                pytest.fail("serve --workers 2 did not start:\n" + (tmp_path / "serve.log").read_text())
            time.sleep(0.3)
        yield port, proc
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def _env(store_location: str, tmp_path: Path, **extra: str) -> dict[str, str]:
    env = child_env(("XIESHANG_", "DATABASE_URL"))
    env.update({"XIESHANG_DATA_DIR": str(tmp_path / "data"), "XIESHANG_LANG": "en",
                "XIESHANG_WORKER_TIMEOUT": "120", **extra})  # a paused worker is not replaced meanwhile
    if "://" in store_location:
        env["XIESHANG_DB"] = store_location  # cases as schemas of this database, accounts in schema "accounts"
    return env


def _admin(env: dict[str, str], *args: str) -> None:
    subprocess.run([sys.executable, "-m", "xieshang", "admin", *args, "--password-stdin"], input=PASSWORD + "\n",
                   env=env, check=True, capture_output=True, text=True, timeout=120)


def _pay(client: Client, loan: int, amount: str, day: str) -> None:
    """A payment; once refused with key_changed right after a rotation (nothing written), then it goes."""
    for _ in range(2):
        status, _, data = client.request("POST", f"/api/loans/{loan}/payments", json.dumps(
            {"amount": amount, "date": day}).encode(), {"Content-Type": "application/json"})
        if status in (200, 201):
            return
        assert b"key_changed" in data, (status, data[:300])
    pytest.fail("the payment was refused twice")


def test_two_workers_share_sessions_writes_and_a_rotated_key(store_location: str, tmp_path: Path) -> None:
    env = _env(store_location, tmp_path, XIESHANG_KEY=generate_key())
    _admin(env, "create-user", "--username", "alice", "--role", "borrower", "--name", "Alice")
    with serving(env, tmp_path) as (port, proc):
        a, b = _children(proc.pid)
        for worker in (a, b):  # each answers on its own
            with only(worker, [a, b]):
                assert Client(port).request("GET", "/login")[0] == 200
        alice = Client(port)
        with only(a, [a, b]):
            alice.sign_in("alice")  # the session is made by worker a …
        alice.json("POST", "/api/demo")  # (slow: both run, whichever takes it)
        with only(b, [a, b]):  # … and works on worker b
            assert alice.json("GET", "/api/session")["username"] == "alice"
            loans = alice.json("GET", "/api/loans")
            assert len(loans) == 4
            _pay(alice, loans[0]["id"], "123.45", "2026-10-01")
        with only(a, [a, b]):  # b's write, read by a
            payments = alice.json("GET", f"/api/loans/{loans[0]['id']}")["loan"]["payments"]
            assert "123.45" in json.dumps(payments)

        rotated = subprocess.run([sys.executable, "-m", "xieshang", "keys", "rotate", "--server", "--json"], env=env,
                                 capture_output=True, text=True, timeout=300)
        assert rotated.returncode == 0, rotated.stderr
        report = json.loads(rotated.stdout)
        assert report[0]["store"] == "accounts" and len(report) == 2
        assert all(r["result"]["removed_keys"] for r in report)  # the old keys are gone from the stores
        for n, worker in enumerate((a, b)):  # each worker reads the re-encrypted case and writes under the new key
            with only(worker, [a, b]):
                assert alice.json("GET", "/api/session")["username"] == "alice"
                assert len(alice.json("GET", "/api/loans")) == 4
                _pay(alice, loans[1]["id"], f"1{n}.00", "2026-10-02")
        with only(a, [a, b]):
            text = json.dumps(alice.json("GET", f"/api/loans/{loans[1]['id']}")["loan"]["payments"])
            assert "10.00" in text and "11.00" in text
        assert proc.poll() is None and sorted(_children(proc.pid)) == sorted([a, b])  # no worker was replaced


def test_a_typed_passphrase_reaches_both_workers_and_nowhere_else(tmp_path: Path) -> None:
    passphrase = "typed-passphrase-Zq7x!"
    env = _env(str(tmp_path / "x.sqlite"), tmp_path)
    _admin({**env, "XIESHANG_PASSPHRASE": passphrase}, "create-user", "--username", "alice", "--role", "borrower")
    main, replica = pty.openpty()  # the server's standard input is a terminal: it asks, once
    try:
        with serving(env, tmp_path, stdin=replica, type_in=(main, passphrase)) as (port, proc):
            a, b = _children(proc.pid)
            alice = Client(port)
            with only(a, [a, b]):
                alice.sign_in("alice")  # the accounts store opened with the passphrase in worker a
                alice.json("GET", "/api/loans", ok=(409,))  # no case yet: the case store made (encrypted) by a
            alice.json("POST", "/api/demo")
            for worker in (a, b):
                with only(worker, [a, b]):
                    assert len(alice.json("GET", "/api/loans")) == 4  # each worker opens the case
            for pid in (proc.pid, a, b):
                for part in ("environ", "cmdline"):
                    assert passphrase.encode() not in Path(f"/proc/{pid}/{part}").read_bytes(), (pid, part)
        case = next((tmp_path / "data" / "cases").glob("*.sqlite"))
        stored = case.read_bytes() + (Path(f"{case}-wal").read_bytes() if Path(f"{case}-wal").exists() else b"")
        assert b"xsenc:1:" in stored and "招商银行信用卡".encode() not in stored  # the demo's lenders, encrypted
    finally:
        os.close(main)
        os.close(replica)
