"""The web app under load (``make bench``; results in ``benchmarks/results/web.json``; issue 7 item 8).

The real server — ``python -m xieshang serve`` (uvicorn, one process) — on a free loopback port
against a temporary store holding the demo case. 20 concurrent clients (asyncio + httpx, one
connection each, keep-alive) send a bounded number of requests per scenario, one scenario at a
time:

- ``static``: ``GET /static/app.css`` — the baseline: what the server, the event loop and the
  client cost without any of our code, so the other figures are also given as ratios to it;
- ``dashboard``: ``GET /`` — the overview of the demo case (every debt through the engine);
- ``whatif``: ``GET /plan/result?income=…`` with ``HX-Request`` — the live what-if the plan page
  sends on every change: a whole re-plan (baselines, the mixed-integer model, the replay, the
  stress test) and the charts; the income cycles through ten values, as a user moving the
  income back and forth would: after the first ten, answered from the app's cache of computed
  results (``services/memo.py``, valid while the store's data revision is unchanged);
- ``whatif_new``: the same request with an income never asked before (a new value on every
  request of the run, in the same range), so every one is a cache miss: the cost of a re-plan
  with the page.

Each scenario is also measured with a single client (no queueing: the service time). Latency is
per request, from send to the last byte; errors are non-2xx answers and transport failures.
Targets (issue 7): p95 ≤ 100 ms for the dashboard and ≤ 300 ms for a what-if with 20 clients on
a 2-core machine. The verdicts are written, not asserted.
"""

from __future__ import annotations

import asyncio
import itertools
import math
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

CLIENTS = 20
TARGETS_MS = {"dashboard_p95_ms": 100.0, "whatif_p95_ms": 300.0}
INCOMES = ("9000", "9500", "10000", "10500", "11000", "12000", "13000", "14000", "15000", "16000")
START_TIMEOUT_S = 60
SCENARIOS = ("static", "dashboard", "whatif", "whatif_new")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _pct(values: list[float], p: float) -> float:
    """The p-th percentile (nearest rank) of ``values``."""
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, math.ceil(p / 100 * len(ordered)) - 1))
    return ordered[k]


_fresh = itertools.count(1)


def _request(name: str, i: int) -> tuple[str, dict[str, str]]:
    if name == "static":
        return "/static/app.css", {}
    if name == "dashboard":
        return "/", {}
    if name == "whatif_new":  # in the range of INCOMES, with fen no value there has: never asked before
        k = next(_fresh)
        return f"/plan/result?income={9000 + (k * 113) % 7000}.{k % 100:02d}", {"HX-Request": "true"}
    return f"/plan/result?income={INCOMES[i % len(INCOMES)]}", {"HX-Request": "true"}


async def _run(base: str, name: str, total: int, clients: int) -> dict[str, Any]:
    import httpx

    latencies: list[float] = []
    errors = 0
    counter = iter(range(total))

    # Made before the clock starts: making an httpx client takes ~20 ms of this event loop (its
    # SSL context), which would otherwise be counted in the first requests of the clients made first.
    made = [httpx.AsyncClient(base_url=base, timeout=60.0, limits=httpx.Limits(max_connections=1))
            for _ in range(clients)]

    async def client(c: httpx.AsyncClient) -> None:
        nonlocal errors
        async with c:
            for i in counter:
                path, headers = _request(name, i)
                began = time.perf_counter()
                try:
                    r = await c.get(path, headers=headers)
                    await r.aread()
                    ok = r.status_code == 200
                except httpx.HTTPError:
                    ok = False
                latencies.append((time.perf_counter() - began) * 1000)
                errors += 0 if ok else 1

    began = time.perf_counter()
    await asyncio.gather(*(client(c) for c in made))
    wall = time.perf_counter() - began
    return {"clients": clients, "requests": total, "errors": errors,
            "p50_ms": round(statistics.median(latencies), 1), "p95_ms": round(_pct(latencies, 95), 1),
            "max_ms": round(max(latencies), 1), "mean_ms": round(statistics.fmean(latencies), 1),
            "throughput_rps": round(total / wall, 1), "wall_s": round(wall, 2)}


def _start(folder: Path) -> tuple[subprocess.Popen[bytes], str]:
    from xieshang.services.demo import load_demo
    from xieshang.store.db import open_store

    db = folder / "store.sqlite"
    st = open_store(str(db), create=True)
    load_demo(st)
    st.close()
    port = _free_port()
    env = {**os.environ, "XIESHANG_DB": str(db), "XIESHANG_LANG": "zh_CN"}
    log = (folder / "server.log").open("wb")
    proc = subprocess.Popen([sys.executable, "-m", "xieshang", "serve", "--port", str(port)], env=env,
                            stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + START_TIMEOUT_S
    while True:
        try:
            with urllib.request.urlopen(base + "/static/app.css", timeout=2) as r:
                if r.status == 200:
                    return proc, base
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise RuntimeError("xieshang serve did not start:\n" + (folder / "server.log").read_text())
        time.sleep(0.2)


def verdicts(r: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for key, target in TARGETS_MS.items():
        scenario = key.split("_")[0]
        value = r["loaded"][scenario]["p95_ms"]
        out[key] = {"value": value, "target": target, "met": value <= target and r["loaded"][scenario]["errors"] == 0}
    return out


def run(quick: bool, log: Callable[[str], None]) -> dict[str, Any]:
    """Start the server, run the scenarios, stop it; the results as a dict."""
    sizes = {"static": 200, "dashboard": 100, "whatif": 40, "whatif_new": 20} if quick else \
        {"static": 1000, "dashboard": 400, "whatif": 100, "whatif_new": 60}
    single = {"static": 50, "dashboard": 30, "whatif": 10, "whatif_new": 5} if quick else \
        {"static": 200, "dashboard": 60, "whatif": 20, "whatif_new": 15}
    with tempfile.TemporaryDirectory(prefix="xieshang-bench-web-") as tmp:
        proc, base = _start(Path(tmp))
        try:
            log(f"web: server at {base}; warming up")
            asyncio.run(_run(base, "whatif", 4, 2))
            asyncio.run(_run(base, "dashboard", 10, 2))
            result: dict[str, Any] = {"server": "xieshang serve (uvicorn, 1 process, cache of computed results "
                                                + ("off" if os.environ.get("XIESHANG_WEB_CACHE") == "0" else "on") + ")", "clients": CLIENTS,
                                      "load_average_before": [round(x, 2) for x in os.getloadavg()],
                                      "store": "SQLite, the demo case (4 debts)", "single": {}, "loaded": {}}
            for name in SCENARIOS:
                log(f"web: {name}, 1 client × {single[name]}")
                result["single"][name] = asyncio.run(_run(base, name, single[name], 1))
                log(f"web: {name}, {CLIENTS} clients × {sizes[name]} requests")
                result["loaded"][name] = asyncio.run(_run(base, name, sizes[name], CLIENTS))
            result["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
    base_loaded = result["loaded"]["static"]
    result["ratios_to_static"] = {
        name: {"p50": round(result["loaded"][name]["p50_ms"] / max(base_loaded["p50_ms"], 0.1), 1),
               "p95": round(result["loaded"][name]["p95_ms"] / max(base_loaded["p95_ms"], 0.1), 1)}
        for name in SCENARIOS[1:]}
    result["targets"] = verdicts(result)
    return result


def summary(r: dict[str, Any]) -> str:
    lines = ["", "xieshang web benchmark", "=" * 22,
             f"{r['server']}, {r['store']}; {r['clients']} concurrent clients on loopback; "
             f"load average before {r['load_average_before']}, after {r['load_average_after']}"]
    for name in SCENARIOS:
        if name not in r["single"]:
            continue
        one, many = r["single"][name], r["loaded"][name]
        ratio = r["ratios_to_static"].get(name)
        lines.append(f"  {name:10s} 1 client: p50 {one['p50_ms']} ms, p95 {one['p95_ms']} ms | "
                     f"{many['clients']} clients × {many['requests']}: p50 {many['p50_ms']} ms, p95 {many['p95_ms']} ms,"
                     f" {many['throughput_rps']} req/s, {many['errors']} errors"
                     + (f" (× {ratio['p50']} / × {ratio['p95']} the static file)" if ratio else ""))
    lines += ["", "targets:"]
    for name, v in r["targets"].items():
        lines.append(f"    {'met    ' if v['met'] else 'NOT MET'}  {name}: {v['value']} (target {v['target']})")
    return "\n".join(lines)
