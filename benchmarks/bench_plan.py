"""The planner benchmark (``make bench``; results in ``benchmarks/results/plan.json``).

A seeded corpus of realistic cases: 2–20 debts each (instalment loans of every shipped loan
profile and credit cards), some current and some overdue by up to eight months, the profile's
typical negotiation options, monthly capacity from far below to well above what the debts
need, horizons of 12–60 months.

(p1) solve time of the mixed-integer model (build + HiGHS), median and p95 by debt count;
(p2) on a sub-corpus, the whole plan (four baselines through the engine, the model, the replay):
     the saving of the optimal plan over the best feasible baseline — mean, max, share of cases
     strictly better — and how often no plan fits.

Targets (issue 4): p95 ≤ 200 ms for ≤ 10 debts, ≤ 2 s for 20 debts. No figure is asserted.
"""

from __future__ import annotations

import random
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from xieshang.engine.schedule import add_months, build_schedule
from xieshang.engine.terms import Payment
from xieshang.planner.debts import Debt, debt_model, month_dates
from xieshang.planner.finances import Finances, IncomeSource
from xieshang.planner.model import solve
from xieshang.planner.options import ProfileOption, typical_options
from xieshang.planner.plan import make_plan
from xieshang.rates import DailyRate
from xieshang.rules import get_profile

START = date(2026, 3, 10)
LOAN_PROFILES = ("wangshangdai", "jiebei", "weilidai", "bank-consumer-loan", "consumer-finance")
TARGETS = {"p95_ms_le_10_debts": 200.0, "p95_ms_20_debts": 2000.0}


@dataclass(frozen=True)
class PlanCase:
    debts: list[Debt]
    finances: Finances
    months: int
    need: Decimal  # a rough monthly amount the debts need (for describing the capacity ratio)


def _options(pid: str, matured: bool) -> tuple[Any, ...]:
    prof = get_profile(pid)
    po = [ProfileOption(n.kind, n.max_months, n.source, n.confidence) for n in prof.negotiation]
    return tuple(typical_options(po, matured=matured))


def _debt(rng: random.Random, i: int) -> tuple[Debt, Decimal]:
    if rng.random() < 0.3:
        prof = get_profile("credit-card")
        late = rng.choice([0, 0, 15, 45, 100, 200])
        due = START - timedelta(days=late) if late else START + timedelta(days=rng.randint(1, 20))
        balance = Decimal(rng.randint(20, 600) * 100)
        terms = prof.card_terms(statement_balance=balance, statement_date=due - timedelta(days=20), due_date=due)
        return Debt(i, f"#{i}", terms, (), _options("credit-card", False)), balance / 10
    pid = rng.choice(LOAN_PROFILES)
    months = rng.choice([6, 12, 12, 24, 36])
    back = rng.randint(1, min(months, 10))
    start = add_months(START, -back) - timedelta(days=rng.randint(0, 27))
    rate = DailyRate(Decimal(rng.choice(["0.0002", "0.0003", "0.0004", "0.0005", "0.0006"])))
    principal = Decimal(rng.randint(10, 500) * 100)
    terms = get_profile(pid).loan_terms(principal=principal, term_months=months, start=start, rate=rate)
    periods = build_schedule(terms).periods
    due_so_far = [p for p in periods if p.due_date < START]
    paid = len(due_so_far) if rng.random() < 0.4 else rng.randint(0, len(due_so_far))
    pays = tuple(Payment(p.due_date, p.payment + p.fee) for p in periods[:paid])
    matured = periods[-1].due_date <= START
    return Debt(i, f"#{i}", terms, pays, _options(pid, matured)), periods[0].payment


def make_corpus(n: int, seed: int = 20261123, sizes: tuple[int, int] = (2, 20)) -> list[PlanCase]:
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        k = rng.randint(*sizes)
        debts, need = [], Decimal(0)
        for i in range(1, k + 1):
            d, monthly = _debt(rng, i)
            debts.append(d)
            need += monthly
        ratio = Decimal(rng.choice(["0.3", "0.6", "0.9", "1.2", "1.6", "2.5"]))
        capacity = (need * ratio).quantize(Decimal(1))
        fin = Finances(incomes=(IncomeSource("x", capacity + 2000),), protected_minimum=Decimal(2000),
                       savings=Decimal(rng.choice([0, 0, 3000, 10000])), emergency_reserve=Decimal(0))
        out.append(PlanCase(debts, fin, rng.choice([12, 24, 36, 48, 60]), need))
    return out


def _pct(xs: list[float], q: float) -> float:
    if not xs:
        return 0.0
    s = sorted(xs)
    return s[min(len(s) - 1, round(q * (len(s) - 1)))]


def bench_solve(cases: list[PlanCase], log: Callable[[str], None]) -> dict[str, Any]:
    """(p1) model build + solve time per case, by debt count."""
    by_k: dict[int, list[float]] = {}
    statuses: dict[str, int] = {}
    for n, case in enumerate(cases, start=1):
        dates = month_dates(START, case.months)
        models = [m for d in case.debts if (m := debt_model(d, dates, settlement_window=3)) is not None]
        cap = [float(case.finances.capacity(dates[t])) for t in range(case.months)]
        t0 = time.perf_counter()
        sol = solve(models, cap, float(case.finances.lump_sum), "cost")
        ms = (time.perf_counter() - t0) * 1000
        by_k.setdefault(len(case.debts), []).append(ms)
        statuses[sol.status] = statuses.get(sol.status, 0) + 1
        if n % 50 == 0:
            log(f"  (p1) {n}/{len(cases)} cases")
    buckets = {"2-5": range(2, 6), "6-10": range(6, 11), "11-15": range(11, 16), "16-19": range(16, 20),
               "20": range(20, 21)}
    rows = {}
    for name, rng in buckets.items():
        xs = [x for k in rng for x in by_k.get(k, [])]
        rows[name] = {"cases": len(xs), "median_ms": round(statistics.median(xs), 1) if xs else None,
                      "p95_ms": round(_pct(xs, 0.95), 1) if xs else None,
                      "max_ms": round(max(xs), 1) if xs else None}
    le10 = [x for k, xs in by_k.items() if k <= 10 for x in xs]
    return {"cases": len(cases), "by_debts": rows, "statuses": statuses,
            "p95_ms_le_10_debts": round(_pct(le10, 0.95), 1),
            "p95_ms_20_debts": rows["20"]["p95_ms"]}


def bench_savings(cases: list[PlanCase], log: Callable[[str], None]) -> dict[str, Any]:
    """(p2) the whole plan: saving of the optimal plan over the best feasible baseline."""
    savings: list[Decimal] = []
    shares: list[float] = []
    strictly = 0
    no_plan = 0
    model_basis = 0
    no_baseline = 0
    seconds: list[float] = []
    for n, case in enumerate(cases, start=1):
        t0 = time.perf_counter()
        res = make_plan(case.debts, case.finances, START, months=case.months)
        seconds.append(time.perf_counter() - t0)
        best = res.optimal
        if best is None or not best.feasible:
            no_plan += 1
            continue
        model_basis += best.basis == "model"
        feasible = [s for s in res.strategies[1:] if s.feasible]
        if not feasible:
            no_baseline += 1
            continue
        base = min(s.total_paid for s in feasible)
        saving = base - best.total_paid
        savings.append(saving)
        shares.append(float(saving / base) if base else 0.0)
        strictly += saving > 0
        if n % 10 == 0:
            log(f"  (p2) {n}/{len(cases)} cases")
    compared = len(savings)
    return {
        "cases": len(cases),
        "no_plan_fits": no_plan,
        "plan_but_no_baseline_fits": no_baseline,
        "compared_with_a_feasible_baseline": compared,
        "optimal_from_model": model_basis,
        "saving_mean": str((sum(savings, Decimal(0)) / compared).quantize(Decimal("0.01"))) if compared else None,
        "saving_max": str(max(savings)) if savings else None,
        "saving_min": str(min(savings)) if savings else None,  # < 0 would mean a baseline beat the plan
        "saving_mean_share": round(statistics.mean(shares), 4) if shares else None,
        "share_strictly_better": round(strictly / compared, 3) if compared else None,
        "whole_plan_seconds_median": round(statistics.median(seconds), 2) if seconds else None,
        "whole_plan_seconds_p95": round(_pct(seconds, 0.95), 2) if seconds else None,
    }


def verdicts(r: dict[str, Any]) -> dict[str, Any]:
    p1 = r.get("p1") or {}
    out = {}
    for key, target in TARGETS.items():
        value = p1.get(key)
        if value is not None:
            out[key] = {"value": value, "target": target, "met": value <= target}
    return out


def summary(r: dict[str, Any]) -> str:
    lines = ["", "xieshang planner benchmarks", "=" * 27]
    p1 = r.get("p1")
    if p1:
        lines.append(f"(p1) model solve time over {p1['cases']} cases (HiGHS statuses: {p1['statuses']})")
        for name, row in p1["by_debts"].items():
            lines.append(f"     {name:>5} debts: {row['cases']:4} cases, median {row['median_ms']} ms, "
                         f"p95 {row['p95_ms']} ms, max {row['max_ms']} ms")
    p2 = r.get("p2")
    if p2:
        lines += [f"(p2) whole plan on {p2['cases']} cases: no plan fits {p2['no_plan_fits']}; compared "
                  f"{p2['compared_with_a_feasible_baseline']}: saving over the best baseline mean "
                  f"{p2['saving_mean']} (mean share {p2['saving_mean_share']}), max {p2['saving_max']}, "
                  f"strictly better in {p2['share_strictly_better']} of them; plan from the model in "
                  f"{p2['optimal_from_model']}; whole plan median {p2['whole_plan_seconds_median']} s"]
    lines.append("targets:")
    for name, v in r.get("targets", {}).items():
        lines.append(f"    {'met    ' if v['met'] else 'NOT MET'}  {name}: {v['value']} ms (target {v['target']} ms)")
    return "\n".join(lines)


def run(quick: bool, log: Callable[[str], None]) -> dict[str, Any]:
    n_solve, n_full = (60, 8) if quick else (1000, 100)
    log(f"planner: corpus of {n_solve} cases (p1), {n_full} of them planned in full (p2)")
    cases = make_corpus(n_solve)
    began = time.perf_counter()
    results: dict[str, Any] = {"corpus_seed": 20261123, "quick": quick}
    results["p1"] = bench_solve(cases, log)
    results["p2"] = bench_savings(cases[:n_full], log)
    results["targets"] = verdicts(results)
    results["bench_seconds"] = round(time.perf_counter() - began, 1)
    return results
