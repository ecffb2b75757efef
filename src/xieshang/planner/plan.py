"""The plan across all debts: the optimizer, the baselines, the replay check, proposals, shortfall.

:func:`make_plan` is the whole use-case without I/O:

1. capacity per month from :class:`~xieshang.planner.finances.Finances` (and a lump sum at the start);
2. the baselines — avalanche, snowball, collector-first, pro-rata — simulated through the engine
   (:class:`~xieshang.planner.debts.ContractSim`), everyone paying as contracted;
3. the mixed-integer model (:mod:`xieshang.planner.model`) picks one option per loan and the payments;
4. its plan is **replayed through the engine** (contract payments month by month, negotiated options
   as new :class:`~xieshang.engine.terms.LoanTerms`) and rejected if any constraint breaks: money in
   hand never negative, every agreed instalment on time, every debt cleared by the horizon;
5. the reported *optimal* strategy is the best verified candidate (the model's plan, or a baseline
   if one is better once replayed — the model's growth rates are deliberately pessimistic), so it is
   never worse than a feasible baseline;
6. no feasible candidate: an honest monthly shortfall, the smallest changes that make a plan feasible,
   and a triage order of which debts to keep current first.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from decimal import ROUND_CEILING, ROUND_DOWN, ROUND_HALF_UP, Decimal

from xieshang.engine.terms import CardTerms, RepaymentMethod
from xieshang.money import FEN, ZERO, fmt
from xieshang.planner.debts import (
    ContractSim,
    Debt,
    DebtModel,
    Stream,
    check_stream,
    debt_model,
    month_dates,
)
from xieshang.planner.finances import Finances
from xieshang.planner.model import OBJECTIVES, Solution, solve
from xieshang.planner.options import OptionSpec
from xieshang.planner.proposal import InterestTreatment, OptionKind, Proposal
from xieshang.planner.reference import reference

BASELINES: tuple[str, ...] = ("avalanche", "snowball", "collector", "pro_rata")
#: The stress test the issue asks for: income 20 % lower, and a ¥5,000 emergency in the second month.
STRESS_INCOME_CUT = Decimal("0.20")
STRESS_EMERGENCY = Decimal("5000")
DEFAULT_MONTHS = 60
RETRIES = 2  # re-solves with more money kept in hand when a replay runs short
#: What every baseline does with every loan: pay as contracted, nothing asked.
AS_CONTRACTED = OptionSpec(kind="contract", typical=False, source="contract", confidence="V")


@dataclass(frozen=True, slots=True)
class MonthRow:
    month: int  # 1-based for people
    on: date
    payments: tuple[tuple[int, Decimal], ...]  # (loan id, amount)
    capacity: Decimal
    set_aside: Decimal  # money in hand after this month's payments

    @property
    def total(self) -> Decimal:
        return sum((a for _, a in self.payments), ZERO)

    def to_json(self) -> dict[str, object]:
        return {"month": self.month, "date": self.on.isoformat(), "capacity": fmt(self.capacity),
                "total": fmt(self.total), "set_aside": fmt(self.set_aside),
                "payments": [{"loan_id": lid, "amount": fmt(a)} for lid, a in self.payments]}


@dataclass(frozen=True, slots=True)
class Strategy:
    name: str
    feasible: bool
    total_paid: Decimal
    months_to_debt_free: int | None
    overdue_account_months: int
    schedule: tuple[MonthRow, ...]
    choices: tuple[tuple[int, OptionSpec], ...] = ()  # (loan id, option) for the optimal plan
    streams: tuple[tuple[int, Stream], ...] = ()
    basis: str = ""  # for "optimal": "model" or the baseline it matched
    reason: str = ""  # why infeasible (message key)

    @property
    def max_month(self) -> Decimal:
        return max((r.total for r in self.schedule), default=ZERO)

    def key(self, objective: str) -> tuple[Decimal, ...]:
        months = Decimal(self.months_to_debt_free if self.months_to_debt_free is not None else 10**6)
        over = Decimal(self.overdue_account_months)
        keys = {"cost": (self.total_paid, months, over, self.max_month),
                "time": (months, self.total_paid, over, self.max_month),
                "monthly": (self.max_month, self.total_paid, months, over),
                "credit": (over, self.total_paid, months, self.max_month)}
        return keys[objective]

    def to_json(self) -> dict[str, object]:
        out: dict[str, object] = {
            "name": self.name, "feasible": self.feasible, "total_paid": fmt(self.total_paid),
            "months_to_debt_free": self.months_to_debt_free,
            "overdue_account_months": self.overdue_account_months,
            "max_monthly_payment": fmt(self.max_month),
            "schedule": [r.to_json() for r in self.schedule if r.payments],
        }
        if self.name == "optimal":
            out["basis"] = self.basis
            out["options"] = [{"loan_id": lid, **spec.to_json()} for lid, spec in self.choices]
        if self.reason:
            out["reason"] = self.reason
        return out


@dataclass(frozen=True, slots=True)
class Suggestion:
    """One smallest change that makes a plan feasible."""

    kind: str  # "income" | "lump-sum" | "ask" | "assets"
    amount: Decimal = ZERO
    loan_id: int | None = None
    option: OptionSpec | None = None
    waive: Decimal = ZERO

    def to_json(self) -> dict[str, object]:
        return {"kind": self.kind, "amount": fmt(self.amount), "loan_id": self.loan_id,
                "option": None if self.option is None else self.option.key,
                "months": None if self.option is None else self.option.months,
                "waive": fmt(self.waive)}


@dataclass(frozen=True, slots=True)
class TriageItem:
    loan_id: int
    rank: int
    keep_current: bool
    required: Decimal  # what keeping it current costs this month
    daily_cost: Decimal  # how much leaving it unpaid costs per day
    reasons: tuple[str, ...]

    def to_json(self) -> dict[str, object]:
        return {"loan_id": self.loan_id, "rank": self.rank, "keep_current": self.keep_current,
                "required": fmt(self.required), "daily_cost": fmt(self.daily_cost), "reasons": list(self.reasons)}


@dataclass(frozen=True, slots=True)
class StressResult:
    name: str  # "income-20" | "emergency-5000"
    survives: bool
    first_short_month: int | None
    short_by: Decimal

    def to_json(self) -> dict[str, object]:
        return {"name": self.name, "survives": self.survives, "first_short_month": self.first_short_month,
                "short_by": fmt(self.short_by)}


@dataclass(frozen=True, slots=True)
class PlanResult:
    start: date
    months: int
    objective: str
    capacity: tuple[Decimal, ...]
    lump_sum: Decimal
    strategies: tuple[Strategy, ...]
    proposals: tuple[Proposal, ...]
    shortfall: Decimal  # monthly shortfall (0 when a plan fits)
    solver_status: str
    solve_seconds: float
    suggestions: tuple[Suggestion, ...] = ()
    triage: tuple[TriageItem, ...] = ()
    stress: tuple[StressResult, ...] = ()
    labels: tuple[tuple[int, str], ...] = ()
    owed_now: Decimal = ZERO

    @property
    def optimal(self) -> Strategy | None:
        for s in self.strategies:
            if s.name == "optimal":
                return s
        return None

    @property
    def feasible(self) -> bool:
        best = self.optimal
        return best is not None and best.feasible

    def to_json(self) -> dict[str, object]:
        return {
            "start": self.start.isoformat(), "months": self.months, "objective": self.objective,
            "feasible": self.feasible, "owed_now": fmt(self.owed_now),
            "capacity_monthly": fmt(self.capacity[0]) if self.capacity else "0.00",
            "lump_sum": fmt(self.lump_sum),
            "strategies": [s.to_json() for s in self.strategies],
            "proposals": [p.to_json() for p in self.proposals],
            "shortfall": fmt(self.shortfall),
            "suggestions": [s.to_json() for s in self.suggestions],
            "triage": [t.to_json() for t in self.triage],
            "stress": [s.to_json() for s in self.stress],
            "loans": [{"loan_id": lid, "label": label} for lid, label in self.labels],
            "solver": {"status": self.solver_status, "seconds": round(self.solve_seconds, 4)},
        }


# ---------------------------------------------------------------------------------------
# Money in hand
# ---------------------------------------------------------------------------------------


def _cash_rows(dates: Sequence[date], capacity: Sequence[Decimal], lump: Decimal,
               paid: Sequence[dict[int, Decimal]]) -> tuple[tuple[MonthRow, ...], int | None]:
    """The month rows and the first month whose money in hand goes negative (None: never)."""
    rows = []
    cash = ZERO
    bad: int | None = None
    for t in range(len(capacity)):
        cash += capacity[t] + (lump if t == 0 else ZERO)
        pays = tuple(sorted((lid, a) for lid, a in paid[t].items() if a > 0))
        cash -= sum((a for _, a in pays), ZERO)
        if cash < 0 and bad is None:
            bad = t
        rows.append(MonthRow(t + 1, dates[t], pays, capacity[t], cash))
    return tuple(rows), bad


def _months_used(paid: Sequence[dict[int, Decimal]]) -> int:
    last = -1
    for t, row in enumerate(paid):
        if any(a > 0 for a in row.values()):
            last = t
    return last + 1


# ---------------------------------------------------------------------------------------
# Baselines
# ---------------------------------------------------------------------------------------


def _cost_rate(m: DebtModel) -> Decimal:
    st = m.status
    return st.growth_per_day / st.payoff if st.payoff > 0 else ZERO


def _order(name: str, models: Sequence[DebtModel]) -> list[int]:
    idx = list(range(len(models)))
    if name == "avalanche":
        return sorted(idx, key=lambda i: (-_cost_rate(models[i]), models[i].status.payoff))
    if name == "snowball":
        return sorted(idx, key=lambda i: (models[i].status.payoff, -_cost_rate(models[i])))
    if name == "collector":  # the most overdue (collectors push hardest) first
        return sorted(idx, key=lambda i: (-models[i].status.dpd, -models[i].status.overdue_amount))
    return idx


def simulate(name: str, models: Sequence[DebtModel], dates: Sequence[date], capacity: Sequence[Decimal],
             lump: Decimal, order: Sequence[int] | None = None) -> Strategy:
    """A baseline through the engine: each month keep accounts current in priority order, then put
    what is left on the first debt in the order (pro-rata: share both by amount owed)."""
    months = len(capacity)
    sims = [ContractSim(m.debt, dates) for m in models]
    prio = list(order) if order is not None else _order(name, models)
    paid: list[dict[int, Decimal]] = [{} for _ in range(months)]
    cash = ZERO
    for t in range(months):
        cash += capacity[t] + (lump if t == 0 else ZERO)
        state = {i: sims[i].due_now(t) for i in prio if not sims[i].closed}
        state = {i: v for i, v in state.items() if v[1] > 0}
        for i in list(prio):
            if i in {j for j, s in enumerate(sims) if s.closed}:
                continue
            if i not in state:
                sims[i].closed = True
                sims[i].closed_month = t
        plan: dict[int, Decimal] = {i: ZERO for i in state}
        if name == "pro_rata":
            need = sum((state[i][0] for i in state), ZERO)
            if need > 0:
                share = min(Decimal(1), cash / need)
                for i in state:
                    plan[i] = (state[i][0] * share).quantize(FEN, rounding=ROUND_DOWN)
            rest = cash - sum(plan.values(), ZERO)
            left = {i: state[i][1] - plan[i] for i in state}
            owed = sum(left.values(), ZERO)
            if rest > 0 and owed > 0:
                share = min(Decimal(1), rest / owed)
                for i in state:
                    plan[i] += (left[i] * share).quantize(FEN, rounding=ROUND_DOWN)
        else:
            budget = cash
            for i in prio:
                if i in state:
                    a = min(state[i][0], budget)
                    plan[i] = a
                    budget -= a
            for i in prio:
                if i in state and budget > 0:
                    a = min(state[i][1] - plan[i], budget)
                    plan[i] += a
                    budget -= a
        for i, amount in plan.items():
            if amount > 0:
                cash -= sims[i].pay(t, amount, state[i][1])
        for s in sims:
            s.end_month(t)
        if all(s.closed for s in sims):
            break
    for i, s in enumerate(sims):  # what each paid, after the engine's last word (see ContractSim._trim)
        for t, a in enumerate(s.paid):
            if a > 0:
                paid[t][models[i].debt.loan_id] = a
    rows, bad = _cash_rows(dates, capacity, lump, paid)
    feasible = all(s.closed for s in sims) and bad is None
    total = sum((a for row in paid for a in row.values()), ZERO)
    used = _months_used(paid)
    return Strategy(name=name, feasible=feasible, total_paid=total,
                    months_to_debt_free=used if feasible else None,
                    overdue_account_months=sum(s.overdue_months for s in sims), schedule=rows,
                    choices=tuple((m.debt.loan_id, AS_CONTRACTED) for m in models),
                    reason="" if feasible else "plan.reason.not_cleared")


# ---------------------------------------------------------------------------------------
# Replaying the model's plan
# ---------------------------------------------------------------------------------------


def _money(x: float) -> Decimal:
    return Decimal(repr(x)).quantize(FEN, rounding=ROUND_HALF_UP)


def replay(models: Sequence[DebtModel], sol: Solution, dates: Sequence[date], capacity: Sequence[Decimal],
           lump: Decimal) -> Strategy:
    """The model's plan through the engine; ``feasible`` only if every constraint holds there."""
    months = len(capacity)
    paid: list[dict[int, Decimal]] = [{} for _ in range(months)]
    overdue = 0
    ok = True
    reason = ""
    choices: list[tuple[int, OptionSpec]] = []
    streams: list[tuple[int, Stream]] = []
    for choice in sol.choices:
        m = models[choice.loan_index]
        lid = m.debt.loan_id
        nc = len(m.contract)
        if choice.option_index >= nc:
            st = m.streams[choice.option_index - nc]
            check = check_stream(m.debt, m.status, st, dates)
            choices.append((lid, st.option))
            streams.append((lid, st))
            if not check.ok:
                ok, reason = False, "plan.reason.terms_broken"
            overdue += check.overdue_months
            for t, a in enumerate(st.payments):
                if a > 0:
                    paid[t][lid] = a
            continue
        cm = m.contract[choice.option_index]
        choices.append((lid, cm.option))
        sim = ContractSim(m.debt, dates, cm.waived)
        planned = [_money(x) for x in choice.payments]
        last = max((t for t, a in enumerate(planned) if a > 0), default=0)
        held = ZERO  # planned money not needed yet: kept in hand until it can close the account
        terms = m.debt.terms
        interest_on_balance = isinstance(terms, CardTerms) or terms.method is RepaymentMethod.REVOLVING
        for t in range(months):
            if sim.closed:
                break
            due, payoff = sim.due_now(t)
            if payoff <= 0:
                sim.closed, sim.closed_month = True, t
                break
            budget = planned[t] + held
            if t >= last or budget >= payoff:
                amount = payoff  # close (the last planned month clears whatever the engine says is left)
            elif interest_on_balance:
                amount = budget  # cards and revolving credit: paying down the balance saves interest
            else:
                # No partial prepayment of an instalment loan: the engine applies one to the next
                # instalments' scheduled interest and still charges interest to the day at closing,
                # so it costs more than keeping the money until it can close the account.
                amount = min(budget, due)
            held = max(ZERO, budget - amount)
            sim.pay(t, amount, payoff)
            sim.end_month(t)
        for t, a in enumerate(sim.paid):
            if a > 0:
                paid[t][lid] = a
        overdue += sim.overdue_months
        if not sim.closed:
            ok, reason = False, "plan.reason.not_cleared"
    rows, bad = _cash_rows(dates, capacity, lump, paid)
    if bad is not None:
        ok, reason = False, "plan.reason.over_capacity"
    total = sum((a for row in paid for a in row.values()), ZERO)
    return Strategy(name="optimal", feasible=ok, total_paid=total,
                    months_to_debt_free=_months_used(paid) if ok else None, overdue_account_months=overdue,
                    schedule=rows, choices=tuple(choices), streams=tuple(streams), basis="model", reason=reason)


# ---------------------------------------------------------------------------------------
# Proposals
# ---------------------------------------------------------------------------------------


def _proposal(m: DebtModel, spec: OptionSpec, stream: Stream | None, paid: Sequence[Decimal],
              dates: Sequence[date]) -> Proposal:
    status = m.status
    lid = m.debt.loan_id
    owed = status.payoff
    if stream is not None and stream.settlement_month is not None:
        amount = stream.settlement_amount or ZERO
        o = status.owed
        return Proposal(loan_id=lid, option=OptionKind.SETTLEMENT, start_date=dates[stream.settlement_month],
                        down_payment=amount, settlement_amount=amount, total_to_pay=amount,
                        waive_penalty=o.penalty, waive_compound=o.compound, waive_fees=o.fees,
                        notes=_notes(spec, "plan.note.settlement"), owed_now=owed)
    if stream is not None:
        nt = stream.new_terms
        monthly = stream.payments[1] if len(stream.payments) > 1 else ZERO
        months = 0 if nt is None else nt.term_months
        return Proposal(loan_id=lid, option=spec.option_kind, start_date=dates[0], down_payment=stream.down_payment,
                        monthly_amount=monthly, months=months, interest=spec.interest,
                        reduced_annual_rate=spec.reduced_annual_rate if spec.interest is InterestTreatment.REDUCED
                        else None,
                        waive_penalty=stream.waived.penalty, waive_compound=stream.waived.compound,
                        waive_fees=stream.waived.fees, total_to_pay=stream.total,
                        notes=_notes(spec, "plan.note.freeze" if spec.interest is InterestTreatment.STOPS
                                     else f"plan.note.{spec.kind}"), owed_now=owed)
    # as contracted (with or without a waiver): the first payment, then the usual monthly amount
    nonzero = [(t, a) for t, a in enumerate(paid) if a > 0]
    first_t = nonzero[0][0] if nonzero else 0
    later = [a for _, a in nonzero[1:]]
    monthly = max(set(later), key=later.count) if later else ZERO
    cm = next((c for c in m.contract if c.option == spec), m.contract[0])
    kind = OptionKind.WAIVER if cm.waived.total > 0 else OptionKind.AS_CONTRACTED
    return Proposal(loan_id=lid, option=kind, start_date=dates[first_t],
                    down_payment=nonzero[0][1] if nonzero else ZERO, monthly_amount=monthly,
                    months=len(later), waive_penalty=cm.waived.penalty, waive_compound=cm.waived.compound,
                    waive_fees=cm.waived.fees, total_to_pay=sum((a for _, a in nonzero), ZERO),
                    notes=_notes(spec, "plan.note.waiver" if kind is OptionKind.WAIVER else "plan.note.as_contracted"),
                    owed_now=owed)


def _notes(spec: OptionSpec, key: str) -> tuple[str, ...]:
    return (key, "plan.note.typical" if spec.typical else "plan.note.offered")


def proposals_for(models: Sequence[DebtModel], best: Strategy, dates: Sequence[date]) -> tuple[Proposal, ...]:
    by_id = {m.debt.loan_id: m for m in models}
    streams = dict(best.streams)
    out = []
    for lid, spec in best.choices:
        paid = [next((a for l2, a in row.payments if l2 == lid), ZERO) for row in best.schedule]
        out.append(_proposal(by_id[lid], spec, streams.get(lid), paid, dates))
    return tuple(out)


# ---------------------------------------------------------------------------------------
# When no plan fits
# ---------------------------------------------------------------------------------------


def _hypothetical(m: DebtModel, dates: Sequence[date]) -> list[OptionSpec]:
    """The strongest ask not refused: the longest plan that fits, interest stopped, fees waived."""
    refused = m.debt.refused
    months = min(60, len(dates) - 2)
    if months < 1:
        return []
    share = Decimal(0) if "waiver" in refused else Decimal(1)
    for kind, interest in (("interest-freeze", InterestTreatment.STOPS), ("instalment", InterestTreatment.CONTINUES)):
        if kind not in refused:
            return [OptionSpec(kind=kind, months=months, interest=interest, waiver_share=share,
                               source="plan.suggestion", confidence="U")]
    return []


def triage(models: Sequence[DebtModel], cash: Decimal, dates: Sequence[date]) -> tuple[TriageItem, ...]:
    """Which debts to keep current first when money is short, and why.

    Order: accounts still current (keeping them current keeps them off the overdue record), then
    the highest cost of leaving a yuan unpaid per day, then the smallest amount needed. Accounts
    are marked *keep current* in that order while this month's money lasts.
    """
    items = []
    for m in models:
        sim = ContractSim(m.debt, dates)
        due, _ = sim.due_now(0)
        items.append((m, due, m.status.growth_per_day))
    items.sort(key=lambda x: (x[0].status.dpd > 0, -(x[2] / x[1] if x[1] > 0 else ZERO), x[1]))
    out = []
    left = cash
    for rank, (m, due, growth) in enumerate(items, start=1):
        keep = due <= left
        if keep:
            left -= due
        reasons: list[str] = []
        if m.status.dpd == 0:
            reasons.append("plan.triage.current")
        else:
            reasons.append("plan.triage.overdue")
        if growth > 0 and due > 0:
            reasons.append("plan.triage.costly")
        if m.debt.reports_to_pboc:
            reasons.append("plan.triage.credit_report")
        if not keep:
            reasons.append("plan.triage.no_money")
        out.append(TriageItem(m.debt.loan_id, rank, keep, due, growth, tuple(reasons)))
    return tuple(out)


def _ceil_yuan(x: float) -> Decimal:
    return Decimal(repr(max(0.0, x))).quantize(Decimal(1), rounding=ROUND_CEILING)


def _shortfall(models: list[DebtModel], dates: Sequence[date], cap: list[float], lump: float, objective: str,
               time_limit: float, settlement_window: int, finances: Finances) -> tuple[Decimal, list[Suggestion]]:
    suggestions: list[Suggestion] = []
    limit = min(time_limit, 10.0)
    inc = solve(models, cap, lump, objective, mode="income", time_limit=limit, gap=1e-4)
    short = _ceil_yuan(inc.extra_income) if inc.found else ZERO
    if short > 0:
        suggestions.append(Suggestion(kind="income", amount=short))
    lum = solve(models, cap, lump, objective, mode="lump", time_limit=limit, gap=1e-3)
    if lum.found and lum.extra_lump > 0:
        amount = _ceil_yuan(lum.extra_lump)
        suggestions.append(Suggestion(kind="lump-sum", amount=amount))
        if finances.assets_total > 0:
            suggestions.append(Suggestion(kind="assets", amount=min(amount, finances.assets_total)))
    # negotiation-only: add the strongest ask for each loan and use as few as possible
    extended: list[DebtModel] = []
    hyp: set[tuple[int, int]] = set()
    for li, m in enumerate(models):
        extra = _hypothetical(m, dates)
        if not extra:
            extended.append(m)
            continue
        d2 = replace(m.debt, options=(m.contract[0].option, *extra))
        m2 = debt_model(d2, dates, settlement_window=settlement_window)
        if m2 is None:
            extended.append(m)
            continue
        base = len(m.streams)
        merged = replace(m, streams=(*m.streams, *m2.streams))
        for k in range(len(m2.streams)):
            hyp.add((li, base + k))
        extended.append(merged)
    if hyp:
        asks = solve(extended, cap, lump, objective, mode="asks", hypothetical=frozenset(hyp),
                     time_limit=limit, gap=1e-3)
        if asks.found:
            for li, oi in asks.asks:
                m = extended[li]
                st = m.streams[oi - len(m.contract)]
                suggestions.append(Suggestion(kind="ask", amount=st.payments[1] if len(st.payments) > 1 else ZERO,
                                              loan_id=m.debt.loan_id, option=st.option, waive=st.waived.total))
    return short, suggestions


# ---------------------------------------------------------------------------------------
# Stress test
# ---------------------------------------------------------------------------------------


def _fixed(models: Sequence[DebtModel], best: Strategy) -> list[DebtModel]:
    """``models`` restricted to the options ``best`` chose (for the stress test)."""
    chosen = dict(best.choices)
    streams = dict(best.streams)
    out = []
    for m in models:
        lid = m.debt.loan_id
        if lid in streams:
            out.append(replace(m, contract=(), streams=(streams[lid],)))
        else:
            spec = chosen.get(lid)
            out.append(replace(m, contract=tuple(c for c in m.contract if c.option == spec) or m.contract[:1],
                               streams=()))
    return out


def stress(models: Sequence[DebtModel], best: Strategy, finances: Finances, dates: Sequence[date], lump: Decimal,
           objective: str, time_limit: float) -> tuple[StressResult, ...]:
    """Does the plan survive income −20 %, or a ¥5,000 emergency in month 2?

    *Survives* means: keeping the same option with every lender (the agreements asked for), the
    payments can be re-timed so that every debt is still cleared within the horizon — checked by the
    model and replayed through the engine. Otherwise ``short_by`` is the extra money a month needed.
    """
    months = len(dates) - 1
    fixed = _fixed(models, best)
    cut = finances.stressed(STRESS_INCOME_CUT)
    scenarios = [
        ("income-20", [cut.capacity(dates[t]) for t in range(months)]),
        ("emergency-5000", [finances.capacity(dates[t]) - (STRESS_EMERGENCY if t == 1 else ZERO)
                            for t in range(months)]),
    ]
    out = []
    for name, capacity in scenarios:
        cap = [float(c) for c in capacity]
        sol = solve(fixed, cap, float(lump), objective, time_limit=time_limit, gap=1e-4)
        ok = False
        if sol.found:
            ok = replay(fixed, sol, dates, capacity, lump).feasible
        short = ZERO
        if not ok:
            inc = solve(fixed, cap, float(lump), objective, mode="income", time_limit=time_limit, gap=1e-4)
            short = _ceil_yuan(inc.extra_income) if inc.found else ZERO
        first = next((t + 1 for t in range(months) if capacity[t] < 0), None)
        out.append(StressResult(name, ok, first, short))
    return tuple(out)


# ---------------------------------------------------------------------------------------
# The use-case
# ---------------------------------------------------------------------------------------


def make_plan(debts: Sequence[Debt], finances: Finances, start: date, *, months: int = DEFAULT_MONTHS,
              objective: str = "cost", extra_lump: Decimal = ZERO, time_limit: float = 20.0) -> PlanResult:
    """The best plan across ``debts`` from ``start`` over ``months`` months, with baselines and proposals."""
    import time

    if objective not in OBJECTIVES:
        raise ValueError(objective)
    window = reference().settlement_window_months
    dates = month_dates(start, months)
    capacity = tuple(finances.capacity(dates[t]) for t in range(months))
    lump = finances.lump_sum + extra_lump
    models = [m for d in debts if (m := debt_model(d, dates, settlement_window=window)) is not None]
    labels = tuple((m.debt.loan_id, m.debt.label) for m in models)
    owed = sum((m.status.payoff for m in models), ZERO)
    if not models:
        empty = Strategy(name="optimal", feasible=True, total_paid=ZERO, months_to_debt_free=0,
                         overdue_account_months=0, schedule=(), basis="model")
        return PlanResult(start, months, objective, capacity, lump, (empty,), (), ZERO, "nothing-owed", 0.0)
    baselines = [simulate(name, models, dates, capacity, lump) for name in BASELINES]
    cap = [float(c) for c in capacity]
    t0 = time.perf_counter()
    sol = solve(models, cap, float(lump), objective, time_limit=time_limit)
    seconds = time.perf_counter() - t0
    candidates: list[Strategy] = []
    cushion = 0.0
    for _ in range(RETRIES + 1):
        if not sol.found:
            break
        cand = replay(models, sol, dates, capacity, lump)
        candidates.append(cand)
        short = max((-r.set_aside for r in cand.schedule), default=ZERO)
        if cand.feasible or short <= 0:
            break
        # The engine charged more than the model's rates (a flat late fee, a card's minimum fee):
        # solve again keeping that much more in hand from the start.
        cushion += float(short) * 1.1 + 1.0
        sol2 = solve(models, cap, float(lump) - cushion, objective, time_limit=time_limit)
        if not sol2.found:
            break
        sol = sol2
    feasible = [c for c in candidates if c.feasible][:1] + [b for b in baselines if b.feasible]
    shortfall = ZERO
    suggestions: tuple[Suggestion, ...] = ()
    tri: tuple[TriageItem, ...] = ()
    proposals: tuple[Proposal, ...] = ()
    stress_results: tuple[StressResult, ...] = ()
    if feasible:
        best = min(feasible, key=lambda s: s.key(objective))
        if best.basis != "model":
            best = replace(best, name="optimal", basis=best.name)
        proposals = proposals_for(models, best, dates)
        stress_results = stress(models, best, finances, dates, lump, objective, time_limit)
    else:
        short, sugg = _shortfall(models, dates, cap, float(lump), objective, time_limit, window, finances)
        shortfall = short
        suggestions = tuple(sugg)
        tri = triage(models, capacity[0] + lump, dates)
        best = Strategy(name="optimal", feasible=False, total_paid=ZERO, months_to_debt_free=None,
                        overdue_account_months=0, schedule=(), basis="model",
                        reason=candidates[-1].reason if candidates else "plan.reason.no_plan")
    return PlanResult(start=start, months=months, objective=objective, capacity=capacity, lump_sum=lump,
                      strategies=(best, *baselines), proposals=proposals, shortfall=shortfall,
                      solver_status=sol.status, solve_seconds=seconds, suggestions=suggestions, triage=tri,
                      stress=stress_results, labels=labels, owed_now=owed)
