"""``python -m benchmarks`` (``make bench``): run the engine benchmarks, print a summary, save JSON.

Options: ``--quick`` (a smaller corpus, for trying things; results are not saved unless ``--out``
is given), ``--only a,c`` (some of the benchmarks), ``--out PATH``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import decimal
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from benchmarks import bench_engine

DEFAULT_OUT = Path(__file__).resolve().parent / "results" / "engine.json"


def machine() -> dict[str, Any]:
    def git(*args: str) -> str:
        try:
            return subprocess.run(["git", *args], capture_output=True, text=True, check=False,
                                  cwd=bench_engine.ROOT).stdout.strip()
        except OSError:
            return ""

    cpu = platform.processor() or ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "python": sys.version.split()[0],
        "implementation": platform.python_implementation(),
        "decimal": f"libmpdec {getattr(decimal, '__libmpdec_version__', 'pure-python')}",
        "platform": platform.platform(),
        "cpu": cpu,
        "cpu_count": os.cpu_count(),
        "commit": git("rev-parse", "--short", "HEAD"),
    }


def summary(results: dict[str, Any]) -> str:
    lines = ["", "xieshang engine benchmarks", "=" * 26]
    a = results.get("a")
    if a:
        lines += [
            f"(a) {a['loans']:,} loans × {a['instalments_per_loan']} instalments, "
            f"~{a['days_per_loan_mean']:.0f} days and {a['payments_per_loan_mean']} payments each",
            f"    engine: {a['engine_seconds_all']:.2f} s for all "
            f"({a['engine_ms_per_loan_mean']:.3f} ms/loan), peak {a['engine_peak_kib_one_loan']} KiB per loan, "
            f"{a['engine_peak_mib_all_keeping_owed']} MiB over all {a['loans']:,} keeping what each owes",
            f"    naive:  {a['naive_ms_per_loan_mean']:.1f} ms/loan on a sample of {a['naive_sample_size']} "
            f"(→ ~{a['naive_seconds_all_extrapolated']:.0f} s for all, extrapolated), "
            f"peak {a['naive_peak_kib_one_loan']} KiB per loan",
            f"    speed-up: {a['speedup_extrapolated']}× (same sampled loans: {a['speedup_same_loans']}×); "
            f"identical to the fen: {a['identical_to_the_fen_on_sample']}/{a['naive_sample_size']}",
        ]
    b = results.get("b")
    if b:
        lines += [
            f"(b) {b['loans']:,} loans, same {b['instalments_per_loan']} instalments + {b['payments_per_loan']} "
            "payments over 1 year vs 3 years",
            f"    engine {b['engine_ms_per_loan_1y']:.3f} → {b['engine_ms_per_loan_3y']:.3f} ms/loan "
            f"(× {b['engine_ratio_3y_over_1y']}); naive {b['naive_ms_per_loan_1y']:.1f} → "
            f"{b['naive_ms_per_loan_3y']:.1f} ms/loan (× {b['naive_ratio_3y_over_1y']})",
        ]
    c = results.get("c")
    if c:
        lines += [f"(c) {c['loans']} loans, {c['days']} days, {c['payments']} payments: engine median "
                  f"{c['engine_ms_median']:.2f} ms (naive once: {c['naive_ms_once']:.0f} ms)"]
    d = results.get("d")
    if d:
        lines += [f"(d) `{d['command']}`: {d['command_s_median']:.3f} s median of {d['runs']} "
                  f"(python -c pass: {d['python_pass_s_median']:.3f} s)"]
    lines += ["", "targets:"]
    for name, v in results.get("targets", {}).items():
        lines.append(f"    {'met    ' if v['met'] else 'NOT MET'}  {name}: {v['value']} (target {v['target']})")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a small corpus; results not saved unless --out")
    parser.add_argument("--only", default="a,b,c,d,plan,web,server",
                        help="comma-separated subset of a,b,c,d,plan,web,server")
    parser.add_argument("--out", type=Path, default=None, help=f"results file (default {DEFAULT_OUT})")
    args = parser.parse_args(argv)
    which = {w.strip() for w in args.only.split(",") if w.strip()}

    def log(msg: str) -> None:
        print(msg, file=sys.stderr, flush=True)

    sizes = {"a": (1000, 40), "b": (300, 20), "c": 10, "d": 5} if args.quick else {
        "a": (10000, 300), "b": (2000, 60), "c": 50, "d": 15}
    began = time.perf_counter()
    results: dict[str, Any] = {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "quick": args.quick,
    }
    if "a" in which:
        results["a"] = bench_engine.bench_a(*sizes["a"], log=log)  # type: ignore[misc]
    if "b" in which:
        results["b"] = bench_engine.bench_b(*sizes["b"], log=log)  # type: ignore[misc]
    if "c" in which:
        results["c"] = bench_engine.bench_c(sizes["c"], log=log)  # type: ignore[arg-type]
    if "d" in which:
        results["d"] = bench_engine.bench_d(sizes["d"], log=log)  # type: ignore[arg-type]
    results["targets"] = bench_engine.verdicts(results)
    results["bench_seconds"] = round(time.perf_counter() - began, 1)
    print(summary(results))
    out = args.out or (None if args.quick else DEFAULT_OUT)
    if out is not None and which & {"a", "b", "c", "d"}:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(results, indent=2, ensure_ascii=False, default=str) + "\n", encoding="utf-8")
        print(f"\nresults written to {out}")
    if "plan" in which:  # the planner (benchmarks/bench_plan.py) → results/plan.json
        from benchmarks import bench_plan

        plan = {"date": results["date"], "machine": results["machine"], **bench_plan.run(args.quick, log)}
        print(bench_plan.summary(plan))
        plan_out = None if args.quick and args.out is None else DEFAULT_OUT.parent / "plan.json"
        if plan_out is not None:
            plan_out.write_text(json.dumps(plan, indent=2, ensure_ascii=False, default=str) + "\n", encoding="utf-8")
            print(f"\nresults written to {plan_out}")
    if "web" in which:  # the web app under 20 clients (benchmarks/bench_web.py) → results/web.json
        from benchmarks import bench_web

        web = {"date": results["date"], "machine": results["machine"], **bench_web.run(args.quick, log)}
        print(bench_web.summary(web))
        web_out = None if args.quick and args.out is None else DEFAULT_OUT.parent / "web.json"
        if web_out is not None:
            web_out.write_text(json.dumps(web, indent=2, ensure_ascii=False, default=str) + "\n", encoding="utf-8")
            print(f"\nresults written to {web_out}")
    if "server" in which:  # server mode on PostgreSQL, 50 sessions (benchmarks/bench_server.py) → results/server.json
        from benchmarks import bench_server

        srv = {"date": results["date"], "machine": results["machine"], **bench_server.run(args.quick, log)}
        print(bench_server.summary(srv))
        srv_out = None if args.quick and args.out is None else DEFAULT_OUT.parent / "server.json"
        if srv_out is not None:
            srv_out.write_text(json.dumps(srv, indent=2, ensure_ascii=False, default=str) + "\n", encoding="utf-8")
            print(f"\nresults written to {srv_out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
