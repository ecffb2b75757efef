"""The mixed-integer model: one option per loan and the money paid to each loan each month.

Solved with HiGHS (``highspy``). Variables, per loan ``l``:

* a binary ``y`` per option (``Σ y = 1``): pay as contracted (with or without a waiver asked at the
  start) or a negotiated stream (instalment plan, 停息挂账, 展期, settlement in month k);
* for each contract variant: payment ``p[t]``, still-to-pay ``R[t]``, overdue ``O[t]`` and paid-so-far
  ``S[t]`` (the disaggregated form: every amount scales with its ``y``, so an unchosen variant is all
  zeros), with the linear growth of :mod:`xieshang.planner.debts`; ``R[T] = 0`` (cleared by the horizon);
* a negotiated stream pays fixed amounts (its schedule from the engine) times its ``y``.

Money: cash ``K[t] ≥ 0`` carries unspent capacity forward: ``K[t] = K[t−1] + capacity[t] − paid[t]``
(the lump sum joins month 0). Objectives: ``cost`` (total paid), ``time`` (months with a payment, via
monotone binaries), ``monthly`` (the largest month), ``credit`` (account-months overdue, via binaries);
the others break ties with small weights (cheap continuous proxies: balance-months, overdue
amount-months, the largest month, total paid). Asking for nothing is preferred when it costs the same.
"""

from __future__ import annotations

import contextlib
import math
import os
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from xieshang.planner.debts import DebtModel, prune

OBJECTIVES: tuple[str, ...] = ("cost", "time", "monthly", "credit")
INF = math.inf
_ASK_COST = 0.01  # yuan-equivalent tie-breaker: prefer not to ask when it changes nothing
_EPS = 1e-4  # weight of the tie-breaking terms relative to the objective


@contextlib.contextmanager
def _quiet_stdout() -> Iterator[None]:
    """HiGHS prints a banner on stdout the first time a solver is made; keep stdout for JSON."""
    sys.stdout.flush()
    try:
        fd = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):
        yield
        return
    saved = os.dup(fd)
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), fd)
            yield
    finally:
        os.dup2(saved, fd)
        os.close(saved)


_BANNER_DONE = False


def _highs() -> Any:
    global _BANNER_DONE
    import highspy

    if _BANNER_DONE:
        h = highspy.Highs()  # type: ignore[no-untyped-call]
    else:
        with _quiet_stdout():
            h = highspy.Highs()  # type: ignore[no-untyped-call]
        _BANNER_DONE = True
    h.setOptionValue("output_flag", False)
    h.setOptionValue("log_to_console", False)
    # The sub-MIP heuristics cost more than they find here: the model's good solutions come from
    # the LP (measured on the benchmark corpus, benchmarks/bench_plan.py).
    for name in ("mip_heuristic_run_rins", "mip_heuristic_run_rens", "mip_heuristic_run_root_reduced_cost"):
        h.setOptionValue(name, False)
    return h


class _Lp:
    """A small row-wise model builder over ``highspy``."""

    def __init__(self) -> None:
        self.cost: list[float] = []
        self.lb: list[float] = []
        self.ub: list[float] = []
        self.integer: list[bool] = []
        self.starts: list[int] = [0]
        self.index: list[int] = []
        self.value: list[float] = []
        self.rlo: list[float] = []
        self.rhi: list[float] = []

    def var(self, cost: float = 0.0, lb: float = 0.0, ub: float = INF, integer: bool = False) -> int:
        self.cost.append(cost)
        self.lb.append(lb)
        self.ub.append(ub)
        self.integer.append(integer)
        return len(self.cost) - 1

    def binary(self, cost: float = 0.0) -> int:
        return self.var(cost, 0.0, 1.0, True)

    def row(self, terms: Sequence[tuple[int, float]], lo: float, hi: float) -> None:
        merged: dict[int, float] = {}
        for i, v in terms:
            merged[i] = merged.get(i, 0.0) + v
        for i, v in merged.items():
            if v != 0.0:
                self.index.append(i)
                self.value.append(v)
        self.starts.append(len(self.index))
        self.rlo.append(lo)
        self.rhi.append(hi)

    def add_cost(self, i: int, c: float) -> None:
        self.cost[i] += c

    def solve(self, time_limit: float, gap: float) -> tuple[str, list[float]]:
        import highspy
        import numpy as np

        h = _highs()
        h.setOptionValue("time_limit", float(time_limit))
        h.setOptionValue("mip_rel_gap", float(gap))
        lp = highspy.HighsLp()
        lp.num_col_ = len(self.cost)
        lp.num_row_ = len(self.rlo)
        lp.col_cost_ = np.array(self.cost, dtype=np.double)
        lp.col_lower_ = np.array(self.lb, dtype=np.double)
        lp.col_upper_ = np.array([highspy.kHighsInf if u == INF else u for u in self.ub], dtype=np.double)
        lp.row_lower_ = np.array([-highspy.kHighsInf if v == -INF else v for v in self.rlo], dtype=np.double)
        lp.row_upper_ = np.array([highspy.kHighsInf if v == INF else v for v in self.rhi], dtype=np.double)
        lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
        lp.a_matrix_.start_ = np.array(self.starts, dtype=np.int32)
        lp.a_matrix_.index_ = np.array(self.index, dtype=np.int32)
        lp.a_matrix_.value_ = np.array(self.value, dtype=np.double)
        lp.integrality_ = [highspy.HighsVarType.kInteger if b else highspy.HighsVarType.kContinuous
                           for b in self.integer]
        h.passModel(lp)
        h.run()
        status = h.getModelStatus()
        has_solution = h.getInfo().primal_solution_status == 2  # kSolutionStatusFeasible
        if status == highspy.HighsModelStatus.kOptimal or (has_solution and status in (
                highspy.HighsModelStatus.kTimeLimit, highspy.HighsModelStatus.kInterrupt)):
            return ("optimal" if status == highspy.HighsModelStatus.kOptimal else "time-limit",
                    list(h.getSolution().col_value))
        if status in (highspy.HighsModelStatus.kInfeasible, highspy.HighsModelStatus.kUnboundedOrInfeasible):
            return "infeasible", []
        return "failed", []


def _size(m: DebtModel) -> float:
    if m.contract:
        return m.contract[0].r0
    return max((float(st.total) for st in m.streams), default=0.0)


def _balance_months(payments: Sequence[object]) -> float:
    """Σ over months of what is still to pay under a fixed stream (a proxy for how long it runs)."""
    amounts = [float(str(a)) for a in payments]
    left = sum(amounts)
    total = 0.0
    for a in amounts:
        total += left
        left -= a
    return total


@dataclass(frozen=True, slots=True)
class LoanChoice:
    """The option picked for one loan and what the model pays it each month (yuan, floats)."""

    loan_index: int
    option_index: int  # index into contract variants, then streams (len(contract) + i)
    payments: tuple[float, ...]


@dataclass(frozen=True, slots=True)
class Solution:
    status: str  # "optimal" | "time-limit" | "infeasible" | "failed"
    choices: tuple[LoanChoice, ...] = ()
    objective: float = 0.0
    extra_income: float = 0.0  # shortfall modes: the extra monthly money needed
    extra_lump: float = 0.0
    asks: tuple[tuple[int, int], ...] = ()  # shortfall "asks" mode: (loan index, option index) used

    @property
    def found(self) -> bool:
        return self.status in ("optimal", "time-limit")


@dataclass
class _LoanVars:
    y: list[int] = field(default_factory=list)
    pay: list[list[tuple[int, float]]] = field(default_factory=list)  # per option: per month (var, coef)
    p: list[list[int]] = field(default_factory=list)  # contract variants: payment vars


def solve(models: Sequence[DebtModel], capacity: Sequence[float], lump: float, objective: str = "cost", *,
          mode: str = "plan", hypothetical: frozenset[tuple[int, int]] = frozenset(),
          time_limit: float = 20.0, gap: float = 1e-4) -> Solution:
    """Build and solve the model.

    ``mode``: ``plan`` (the capacity as given), ``income`` (minimise a monthly amount added to every
    month), ``lump`` (minimise a one-off amount added to month 0), ``asks`` (minimise how many
    ``hypothetical`` options — (loan index, stream index) — are used). Hypothetical options are
    excluded in the other modes.
    """
    if objective not in OBJECTIVES:
        raise ValueError(objective)
    months = len(capacity)
    stream_index = [list(range(len(m.streams))) for m in models]  # model stream → the caller's index
    if objective == "cost" and mode == "plan":  # carry-over: only cumulative payments and the total matter
        pruned = [prune(m.streams, cumulative=True) for m in models]
        stream_index = [[next(k for k, o in enumerate(m.streams) if o is st) for st in ps]
                        for m, ps in zip(models, pruned, strict=True)]
        models = [replace(m, streams=ps) for m, ps in zip(models, pruned, strict=True)]
    lp = _Lp()
    total_scale = max(1.0, sum(_size(m) for m in models))
    loans: list[_LoanVars] = []
    tie_cost = _EPS if objective != "cost" else 0.0
    prim_cost = 1.0 if objective == "cost" else tie_cost
    bal_w = _EPS / max(1, months) if objective != "time" else 0.0
    over_w = _EPS / max(1, months) if objective != "credit" else 0.0
    # time objective: D[t] = 1 while anything is being paid
    dvar: list[int] = []
    if objective == "time":
        dvar = [lp.binary(1.0) for _ in range(months)]
        for t in range(months - 1):
            lp.row([(dvar[t], 1.0), (dvar[t + 1], -1.0)], 0.0, INF)
    zvar: list[list[int]] = []
    ask_vars: list[tuple[int, int, int]] = []
    for li, m in enumerate(models):
        lv = _LoanVars()
        big = max(1.0, _size(m)) * 3.0
        if objective == "credit":
            zvar.append([lp.binary(1.0) for _ in range(months)])
        for cm in m.contract:
            y = lp.binary(0.0 if cm.waived.total == 0 else _ASK_COST)
            lv.y.append(y)
            p = [lp.var(prim_cost) for _ in range(months)]
            r = [lp.var(bal_w) for _ in range(months + 1)]
            o = [lp.var(over_w) for _ in range(months)]
            q = [lp.var() for _ in range(months)] if any(cm.card_q) else []
            lp.ub[r[months]] = 0.0
            lp.row([(r[0], 1.0), (y, -cm.r0)], 0.0, 0.0)
            for t in range(months):
                g = 1.0 + cm.grow_r[t]
                lp.row([(r[t + 1], 1.0), (r[t], -g), (p[t], g), (o[t], -cm.grow_o[t])], 0.0, 0.0)
                lp.row([(p[t], 1.0), (r[t], -1.0)], -INF, 0.0)
                # overdue after paying: arrears + instalments due so far + everything the debt has grown
                # by (unpaid penalty bears penalty too: the engine applies payments to it first)
                #   O[t] ≥ (A[t] − R0)·y + R[t] − p[t]      (R[t] = R0 − S[t−1] + growth so far)
                due = cm.a0 + sum(cm.dues[: t + 1])
                row = [(o[t], 1.0), (y, cm.r0 - due), (r[t], -1.0), (p[t], 1.0)]
                if q:
                    lp.row([(q[t], 1.0), (r[t], -cm.card_q[t]), *([(q[t - 1], -1.0)] if t else [])], 0.0, 0.0)
                    row.append((q[t], -1.0))
                lp.row(row, 0.0, INF)
                if dvar:
                    lp.row([(p[t], 1.0), (dvar[t], -big)], -INF, 0.0)
                if zvar:
                    lp.row([(o[t], 1.0), (zvar[li][t], -big)], -INF, 1.0)
            lv.pay.append([(p[t], 1.0) for t in range(months)])
            lv.p.append(p)
        for si, st in enumerate(m.streams):
            hyp = (li, si) in hypothetical
            cost = float(st.total) * prim_cost + _ASK_COST + bal_w * _balance_months(st.payments)
            if objective == "credit" and st.settlement_month:
                cost += float(st.settlement_month) * (1.0 if m.status.dpd > 0 else 0.0)
            y = lp.binary(cost)
            if hyp:
                if mode == "asks":
                    ask_vars.append((li, len(m.contract) + si, y))
                else:
                    lp.ub[y] = 0.0
            lv.y.append(y)
            lv.pay.append([(y, float(a)) for a in st.payments])
            if dvar:
                lp.row([(y, 1.0), (dvar[st.last_month], -1.0)], -INF, 0.0)
        lp.row([(y, 1.0) for y in lv.y], 1.0, 1.0)
        loans.append(lv)
    # money
    extra = lp.var(1.0 if mode == "income" else 0.0, 0.0, INF if mode == "income" else 0.0)
    extra_lump = lp.var(1.0 / months if mode == "lump" else 0.0, 0.0, INF if mode == "lump" else 0.0)
    wvar = lp.var(1.0 if objective == "monthly" else 0.0)
    if mode != "plan":  # the extra money (or the number of asks) first; the plan's own objective breaks ties
        keep = {extra, extra_lump} | {y for _, _, y in ask_vars}
        for i in range(len(lp.cost)):
            if i not in keep:
                lp.cost[i] *= _EPS / total_scale
        for _, _, y in ask_vars:
            lp.cost[y] = 1.0
    kvar = [lp.var() for _ in range(months)]
    for t in range(months):
        pays: list[tuple[int, float]] = []
        for lv in loans:
            for opt in lv.pay:
                i, c = opt[t]
                if c != 0.0:
                    pays.append((i, c))
        if objective == "monthly":
            lp.row([(wvar, 1.0), *((i, -c) for i, c in pays)], 0.0, INF)
        row = [(kvar[t], 1.0), *pays, (extra, -1.0)]
        if t:
            row.append((kvar[t - 1], -1.0))
            lp.row(row, capacity[t], capacity[t])
        else:
            row.append((extra_lump, -1.0))
            lp.row(row, capacity[0] + lump, capacity[0] + lump)
    status, x = lp.solve(time_limit, gap)
    if status not in ("optimal", "time-limit"):
        return Solution(status=status)
    choices = []
    for li, lv in enumerate(loans):
        oi = max(range(len(lv.y)), key=lambda k: x[lv.y[k]])
        pays_t = tuple(max(0.0, x[lv.pay[oi][t][0]] * lv.pay[oi][t][1]) for t in range(months))
        nc = len(models[li].contract)
        original = oi if oi < nc else nc + stream_index[li][oi - nc]
        choices.append(LoanChoice(loan_index=li, option_index=original, payments=pays_t))
    asks = tuple((li, oi) for li, oi, y in ask_vars if x[y] > 0.5)
    obj = sum(c * v for c, v in zip(lp.cost, x, strict=True))
    return Solution(status=status, choices=tuple(choices), objective=obj, extra_income=x[extra],
                    extra_lump=x[extra_lump], asks=asks)
