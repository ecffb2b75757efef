"""Server mode under load on PostgreSQL (``make bench``; results in ``benchmarks/results/server.json``; issue 8 item 8).

A throwaway PostgreSQL (``tests/pg_cluster.py``: Debian's ``initdb``/``pg_ctl``, unix socket,
``fsync=off``) holds the accounts and one schema per case. Set-up, in this process: an admin and
``SESSIONS`` borrower accounts (passwords hashed at a cheap argon2 cost, like the tests'
``fast_hashing``; the server rehashes each at the real cost when it signs in, which the sign-in
phase therefore measures) and each borrower's case schema migrated. Then the real server —
``python -m xieshang serve --server`` (uvicorn, one process) — on a free loopback port, and
``SESSIONS`` concurrent clients (asyncio + httpx, one keep-alive connection each), each its own
borrower, one phase at a time:

1. ``signin``: ``POST /login`` (argon2id verify + rehash at RFC 9106's cost), then
   ``GET /api/session`` for the CSRF token;
2. ``demo``: ``POST /start/demo`` — the demo case loaded into the client's own case (4 debts,
   payments, contact log, agreement);
3. ``mix``: a bounded number of requests (and a time limit), each client cycling through the
   dashboard ``GET /``, the loan page ``GET /loans/1``, a payment ``POST /loans/1/payments`` (form
   with the CSRF token; 303 expected) and the contact log ``GET /records``;
4. ``static``: ``GET /static/app.css`` with as many clients — the baseline (server, event loop and
   client without any of our code), through ``bench_web``'s client.

Latency is per request, send to last byte; an error is an unexpected status or a transport
failure. Afterwards every case is opened in-process and its payments on loan 1 counted: each
acknowledged payment must be there, no more (``payments_lost``). Run alone with
``python -m benchmarks.bench_server [--quick]``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks.bench_web import START_TIMEOUT_S, _free_port, _pct
from benchmarks.bench_web import _run as run_static

ROOT = Path(__file__).resolve().parent.parent
SESSIONS = 50
PASSWORD = "bench-password-0123"
SESSION_COOKIE = "__Host-xieshang_session"
#: The mix each client cycles through: (kind, method, path, expected status).
MIX = (("dashboard", "GET", "/", 200), ("loan", "GET", "/loans/1", 200),
       ("payment", "POST", "/loans/1/payments", 303), ("records", "GET", "/records", 200))


@dataclass
class Client:
    username: str
    cookie: str = ""
    csrf: str = ""
    payments: int = 0


@dataclass
class Tally:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    first_error: str = ""

    def add(self, kind: str, began: float, ok: bool, detail: str = "") -> None:
        self.latencies[kind].append((time.perf_counter() - began) * 1000)
        if not ok:
            self.errors[kind] += 1
            self.first_error = self.first_error or f"{kind}: {detail}"[:300]


def _stats(values: list[float], errors: int, wall: float | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"requests": len(values), "errors": errors,
                           "p50_ms": round(statistics.median(values), 1), "p95_ms": round(_pct(values, 95), 1),
                           "max_ms": round(max(values), 1)}
    if wall is not None:
        out["wall_s"] = round(wall, 2)
        out["throughput_rps"] = round(len(values) / wall, 1)
    return out


@contextlib.contextmanager
def _cheap_hashing() -> Iterator[None]:
    """Set-up only: accounts hashed at a cheap argon2 cost (the server rehashes at sign-in)."""
    from argon2 import PasswordHasher

    from xieshang.services import accounts

    saved = accounts._hasher
    fast = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    accounts._hasher = lambda: fast  # type: ignore[assignment]
    try:
        yield
    finally:
        accounts._hasher = saved


def _setup(url: str, data_dir: Path, n: int) -> tuple[list[Client], dict[str, str], float]:
    """Admin + ``n`` borrowers, each case schema migrated; the clients, their case ids, seconds."""
    from xieshang.services.access import open_server
    from xieshang.services.accounts import create_account

    began = time.perf_counter()
    server = open_server(data_dir, database_url=url)
    cases: dict[str, str] = {}
    try:
        with _cheap_hashing():
            create_account(server.accounts, "admin", PASSWORD, role="admin")
            for i in range(n):
                acc = create_account(server.accounts, f"borrower{i:02d}", PASSWORD, role="borrower")
                assert acc.case_id is not None
                cases[acc.username] = acc.case_id
                server.case_store(acc.case_id)  # the schema and its migrations
    finally:
        server.close()
    return [Client(name) for name in cases], cases, time.perf_counter() - began


def _payments_found(url: str, data_dir: Path, cases: dict[str, str]) -> dict[str, int]:
    from xieshang.services.access import open_server
    from xieshang.services.case import list_payments

    server = open_server(data_dir, database_url=url)
    try:
        return {name: len(list_payments(server.case_store(cid), 1)) for name, cid in cases.items()}
    finally:
        server.close()


def _demo_payments() -> int:
    """How many payments the demo itself puts on loan 1 today (the same in every case)."""
    from xieshang.services.case import list_payments
    from xieshang.services.demo import load_demo
    from xieshang.store.db import open_store

    with tempfile.TemporaryDirectory(prefix="xieshang-bench-demo-") as tmp:
        st = open_store(str(Path(tmp) / "demo.sqlite"))
        try:
            load_demo(st)
            return len(list_payments(st, 1))
        finally:
            st.close()


def _start(url: str, data_dir: Path, log_path: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    env = {**{k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "XIESHANG_ACCOUNTS_DB")},
           "XIESHANG_DB": url, "XIESHANG_DATA_DIR": str(data_dir), "XIESHANG_LANG": "zh_CN",
           "PYTHONPATH": str(ROOT / "src")}
    with log_path.open("wb") as log:
        proc = subprocess.Popen([sys.executable, "-m", "xieshang", "serve", "--server", "--host", "127.0.0.1",
                                 "--port", str(port)], env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + START_TIMEOUT_S
    while True:
        with contextlib.suppress(OSError), urllib.request.urlopen(base + "/static/app.css", timeout=2) as r:
            if r.status == 200:
                return proc, base
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise RuntimeError("xieshang serve --server did not start:\n" + log_path.read_text(errors="replace"))
        time.sleep(0.2)


async def _phases(base: str, clients: list[Client], per_client: int, limit_s: float,
                  log: Callable[[str], None]) -> dict[str, Any]:
    import httpx

    tallies = {name: Tally() for name in ("signin", "demo", "mix")}
    walls: dict[str, float] = {}

    async def phase(name: str, body: Callable[[httpx.AsyncClient, Client, Tally], Any]) -> None:
        log(f"server: {name}, {len(clients)} sessions")
        began = time.perf_counter()
        await asyncio.gather(*(body(c, cl, tallies[name]) for c, cl in zip(conns, clients, strict=True)))
        walls[name] = time.perf_counter() - began

    async def signin(c: httpx.AsyncClient, cl: Client, tally: Tally) -> None:
        began = time.perf_counter()
        try:
            r = await c.post("/login", data={"username": cl.username, "password": PASSWORD, "next": "/"})
            for header in r.headers.get_list("set-cookie"):
                if header.startswith(SESSION_COOKIE + "="):
                    cl.cookie = header.split(";", 1)[0]
            c.headers["Cookie"] = cl.cookie
            s = await c.get("/api/session")
            cl.csrf = s.json()["csrf_token"] if s.status_code == 200 else ""
            c.headers["X-CSRF-Token"] = cl.csrf
            tally.add("signin", began, r.status_code == 303 and bool(cl.cookie and cl.csrf), f"{r.status_code}")
        except (httpx.HTTPError, ValueError, KeyError) as exc:
            tally.add("signin", began, False, repr(exc))

    async def demo(c: httpx.AsyncClient, cl: Client, tally: Tally) -> None:
        began = time.perf_counter()
        try:
            r = await c.post("/start/demo")
            tally.add("demo", began, r.status_code == 303, f"{r.status_code} {r.text[:200]}")
        except httpx.HTTPError as exc:
            tally.add("demo", began, False, repr(exc))

    deadline = 0.0

    async def mix(c: httpx.AsyncClient, cl: Client, tally: Tally) -> None:
        offset = secrets.randbelow(len(MIX))  # the clients do not all send the same kind at once
        for i in range(per_client):
            if time.perf_counter() > deadline:
                break
            kind, method, path, expected = MIX[(i + offset) % len(MIX)]
            began = time.perf_counter()
            try:
                if method == "POST":
                    r = await c.post(path, data={"amount": "1.00", "channel": "bench"})
                else:
                    r = await c.get(path)
                ok = r.status_code == expected
                if ok and kind == "payment":
                    cl.payments += 1
                tally.add(kind, began, ok, f"{r.status_code} {r.text[:200]}")
            except httpx.HTTPError as exc:
                tally.add(kind, began, False, repr(exc))

    conns = [httpx.AsyncClient(base_url=base, timeout=120.0, limits=httpx.Limits(max_connections=1))
             for _ in clients]
    try:
        await phase("signin", signin)
        await phase("demo", demo)
        deadline = time.perf_counter() + limit_s
        await phase("mix", mix)
    finally:
        await asyncio.gather(*(c.aclose() for c in conns))

    out: dict[str, Any] = {}
    for name in ("signin", "demo"):
        t = tallies[name]
        out[name] = _stats(t.latencies[name], t.errors[name], walls[name])
    t = tallies["mix"]
    every = [x for values in t.latencies.values() for x in values]
    out["mix"] = {**_stats(every, sum(t.errors.values()), walls["mix"]),
                  "stopped_by_time_limit": len(every) < per_client * len(clients),
                  "by_kind": {kind: _stats(t.latencies[kind], t.errors[kind]) for kind, *_ in MIX}}
    firsts = {name: tallies[name].first_error for name in tallies if tallies[name].first_error}
    if firsts:
        out["first_errors"] = firsts
    return out


def run(quick: bool, log: Callable[[str], None]) -> dict[str, Any]:
    """Start PostgreSQL and the server, run the phases, stop both; the results as a dict."""
    from tests.pg_cluster import Cluster, server_bin

    bindir = server_bin()
    if bindir is None:
        raise RuntimeError("PostgreSQL server programs not found (apt-get install postgresql, or make deps-server)")
    per_client, limit_s, static_total = (4, 20.0, 500) if quick else (16, 60.0, 2000)
    started = time.perf_counter()
    cluster = Cluster(bindir).start()
    try:
        cluster.admin("CREATE DATABASE xieshang")
        url = cluster.url("xieshang")
        with tempfile.TemporaryDirectory(prefix="xieshang-bench-server-") as tmp:
            data_dir = Path(tmp) / "data"
            log(f"server: PostgreSQL at {cluster.socket}; {SESSIONS} accounts and case schemas")
            clients, cases, setup_s = _setup(url, data_dir, SESSIONS)
            proc, base = _start(url, data_dir, Path(tmp) / "server.log")
            try:
                result: dict[str, Any] = {
                    "server": "xieshang serve --server (uvicorn, 1 process)",
                    "database": "PostgreSQL (throwaway, unix socket, fsync off), accounts + one schema per case",
                    "sessions": SESSIONS, "mix_requests_per_session": per_client, "mix_time_limit_s": limit_s,
                    "mix": [f"{m} {p}" for _, m, p, _ in MIX], "setup_s": round(setup_s, 1),
                    "load_average_before": [round(x, 2) for x in os.getloadavg()]}
                result.update(asyncio.run(_phases(base, clients, per_client, limit_s, log)))
                log(f"server: static baseline, {SESSIONS} clients × {static_total}")
                result["static"] = asyncio.run(run_static(base, "static", static_total, SESSIONS))
                result["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
            finally:
                proc.terminate()
                try:
                    proc.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    proc.kill()
            found = _payments_found(url, data_dir, cases)
    finally:
        cluster.stop()
    acknowledged = {cl.username: cl.payments for cl in clients}
    demo_payments = _demo_payments()
    result["payments"] = {
        "acknowledged": sum(acknowledged.values()),
        "lost": sum(max(0, acknowledged[n] + demo_payments - found[n]) for n in found),
        "extra": sum(max(0, found[n] - acknowledged[n] - demo_payments) for n in found),
    }
    result["bench_seconds"] = round(time.perf_counter() - started, 1)
    static = result["static"]
    result["ratios_to_static"] = {
        "p50": round(result["mix"]["p50_ms"] / max(static["p50_ms"], 0.1), 1),
        "p95": round(result["mix"]["p95_ms"] / max(static["p95_ms"], 0.1), 1)}
    return result


def summary(r: dict[str, Any]) -> str:
    lines = ["", "xieshang server benchmark", "=" * 25,
             f"{r['server']}; {r['database']}; {r['sessions']} concurrent sessions on loopback; "
             f"set-up {r['setup_s']} s; load average before {r['load_average_before']}, after {r['load_average_after']}"]
    for name in ("signin", "demo", "mix", "static"):
        s = r[name]
        lines.append(f"  {name:8s} {s['requests']:5d} requests: p50 {s['p50_ms']} ms, p95 {s['p95_ms']} ms, "
                     f"max {s['max_ms']} ms, {s['throughput_rps']} req/s, {s['errors']} errors")
    for kind, s in r["mix"]["by_kind"].items():
        lines.append(f"    mix/{kind:9s} {s['requests']:4d}: p50 {s['p50_ms']} ms, p95 {s['p95_ms']} ms, "
                     f"{s['errors']} errors")
    p = r["payments"]
    lines.append(f"  payments acknowledged {p['acknowledged']}, lost {p['lost']}, extra {p['extra']}; "
                 f"mix p50/p95 × {r['ratios_to_static']['p50']} / × {r['ratios_to_static']['p95']} the static file")
    if r.get("first_errors"):
        lines.append(f"  first errors: {r['first_errors']}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    import argparse
    import datetime as dt

    from benchmarks.__main__ import DEFAULT_OUT, machine

    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_server", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer requests; results not saved unless --out")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)
    result = {"date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"), "machine": machine(),
              "quick": args.quick, **run(args.quick, lambda m: print(m, file=sys.stderr, flush=True))}
    print(summary(result))
    out = args.out or (None if args.quick else DEFAULT_OUT.parent / "server.json")
    if out is not None:
        out.write_text(json.dumps(result, indent=2, ensure_ascii=False, default=str) + "\n", encoding="utf-8")
        print(f"\nresults written to {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
