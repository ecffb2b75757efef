"""The optimizer: hand-checked regression cases and properties over generated cases.

Properties (hypothesis, small sizes): every plan is feasible when replayed through the engine
independently of the planner's own replay; the optimal total paid is ≤ every feasible baseline's;
an infeasible case reports a shortfall and never a plan; a refused option never appears.
"""

from __future__ import annotations

import os
from datetime import date, timedelta
from decimal import Decimal as D

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from xieshang.engine.schedule import add_months
from xieshang.engine.status import status_of
from xieshang.engine.terms import LoanTerms, Payment
from xieshang.planner.debts import Debt, check_stream, debt_model, month_dates
from xieshang.planner.finances import Finances, IncomeSource
from xieshang.planner.options import OptionSpec, ProfileOption, loan_options, refuse, typical_options
from xieshang.planner.plan import PlanResult, _order, make_plan
from xieshang.planner.proposal import InterestTreatment, OptionKind
from xieshang.rates import AnnualRate, DailyRate
from xieshang.rules import get_profile

START = date(2026, 3, 10)
CONTRACT = OptionSpec(kind="contract", typical=False, source="contract", confidence="V")


def _fin(capacity: D, lump: D = D(0)) -> Finances:
    """Finances whose capacity is exactly ``capacity`` a month and whose lump sum is ``lump``."""
    return Finances(incomes=(IncomeSource("x", capacity + 1000),), protected_minimum=D(1000),
                    savings=lump, emergency_reserve=D(0))


def _profile_options(pid: str) -> list[OptionSpec]:
    prof = get_profile(pid)
    po = [ProfileOption(n.kind, n.max_months, n.source, n.confidence) for n in prof.negotiation]
    return typical_options(po, matured=False)


def _loan(loan_id: int, principal: str, rate: D, months: int, start: date, paid: int = 0,
          options: tuple[OptionSpec, ...] = (CONTRACT,), pid: str = "wangshangdai") -> Debt:
    terms = get_profile(pid).loan_terms(principal=D(principal), term_months=months, start=start,
                                        rate=DailyRate(rate))
    from xieshang.engine.schedule import build_schedule

    pays = tuple(Payment(p.due_date, p.payment + p.fee) for p in build_schedule(terms).periods[:paid])
    return Debt(loan_id, f"#{loan_id}", terms, pays, options)


def _zero_loan(loan_id: int, principal: str, months: int) -> Debt:
    terms = LoanTerms(principal=D(principal), rate=AnnualRate(D(0)), term_months=months, start=START)
    return Debt(loan_id, f"#{loan_id}", terms, (), (CONTRACT,))


def _card(loan_id: int, balance: str, days_late: int, options: tuple[OptionSpec, ...] | None = None) -> Debt:
    prof = get_profile("credit-card")
    due = START - timedelta(days=days_late)
    terms = prof.card_terms(statement_balance=D(balance), statement_date=due - timedelta(days=20), due_date=due)
    return Debt(loan_id, f"#{loan_id}", terms, (), tuple(options if options is not None else
                                                         _profile_options("credit-card")))


# ---------------------------------------------------------------------------------------
# An independent check of a plan through the engine
# ---------------------------------------------------------------------------------------


def assert_replays(result: PlanResult, debts: list[Debt], fin: Finances) -> None:
    """Every strategy marked feasible: money in hand never negative, each debt closed, terms met."""
    dates = month_dates(result.start, result.months)
    by_id = {d.loan_id: d for d in debts}
    for strat in result.strategies:
        if not strat.feasible:
            continue
        cash = D(0)
        for t, row in enumerate(strat.schedule):
            cash += fin.capacity(dates[t]) + (result.lump_sum if t == 0 else D(0)) - row.total
            assert cash >= 0, (strat.name, t)
        streams = dict(strat.streams)
        for lid, debt in by_id.items():
            if lid in streams:
                m = debt_model(debt, dates, settlement_window=3)
                assert m is not None
                assert check_stream(debt, m.status, streams[lid], dates).ok, (strat.name, lid)
                continue
            pays = list(debt.payments)
            for t, row in enumerate(strat.schedule):
                for l2, amount in row.payments:
                    if l2 == lid:
                        pays.append(Payment(dates[t], amount, seq=1000 + t))
            spec = dict(strat.choices).get(lid)
            waivers = []
            if spec is not None and spec.waiver_share > 0:
                m = debt_model(debt, dates, settlement_window=3)
                assert m is not None
                waivers = m.contract[0].waived.waivers()
            end = dates[result.months]
            final = status_of(debt.terms, pays, end, waivers)
            assert final.payoff == 0 and final.excess == 0, (strat.name, lid, final.payoff)


def _total(result: PlanResult) -> D:
    best = result.optimal
    assert best is not None
    return best.total_paid


# ---------------------------------------------------------------------------------------
# Regression cases (hand-checked)
# ---------------------------------------------------------------------------------------


def test_interest_free_loan_costs_its_principal() -> None:
    debts = [_zero_loan(1, "1200.00", 12)]
    fin = _fin(D(100))
    res = make_plan(debts, fin, START, months=24)
    assert res.feasible
    assert _total(res) == D("1200.00")  # no interest, nothing overdue: exactly the principal
    assert all(s.total_paid == D("1200.00") for s in res.strategies)
    assert res.optimal is not None and res.optimal.overdue_account_months == 0
    assert_replays(res, debts, fin)


def test_shortfall_hand_checked() -> None:
    # 10,000 at 0 % due over 12 months; 100 a month over a 12-month horizon: 12 × (100 + x) ≥ 10,000
    debts = [_zero_loan(1, "10000.00", 12)]
    res = make_plan(debts, _fin(D(100)), START, months=12)
    assert not res.feasible
    assert res.shortfall == D(734)  # 10000/12 − 100 = 733.33 → 734 yuan
    assert res.proposals == ()
    assert res.optimal is not None and res.optimal.schedule == ()
    lump = next(s for s in res.suggestions if s.kind == "lump-sum")
    assert lump.amount == D(8800)  # 10,000 − 12 × 100
    assert res.triage and res.triage[0].loan_id == 1


def test_overdue_card_takes_the_interest_freeze_and_meets_its_terms() -> None:
    debts = [_card(1, "12000.00", 90)]
    fin = _fin(D(600))
    res = make_plan(debts, fin, START, months=60)
    assert res.feasible
    (prop,) = res.proposals
    assert prop.option is OptionKind.INSTALMENT and prop.interest is InterestTreatment.STOPS
    owed = status_of(debts[0].terms, (), START).payoff
    # interest stopped: the instalments add up to exactly what is owed now
    assert prop.total_to_pay == owed == prop.owed_now
    assert prop.monthly_amount * prop.months - owed < prop.months * D("0.01") + D("0.01")
    assert_replays(res, debts, fin)


def test_refused_freeze_is_never_planned() -> None:
    opts = refuse(_profile_options("credit-card"), ["interest-freeze", "waiver"])
    assert all(o.kind != "interest-freeze" and o.waiver_share == 0 for o in opts if o.kind != "settlement")
    card = _card(1, "12000.00", 90, tuple(opts))
    debts = [Debt(1, "#1", card.terms, (), tuple(opts), refused=frozenset({"interest-freeze", "waiver"}))]
    res = make_plan(debts, _fin(D(600)), START, months=60)
    assert res.optimal is not None and res.optimal.choices
    for _, spec in res.optimal.choices:
        assert spec.kind != "interest-freeze" and spec.waiver_share == 0
    for p in res.proposals:
        assert p.option is OptionKind.SETTLEMENT or (p.interest is not InterestTreatment.STOPS and p.waived_total == 0)


def test_offer_replaces_typical_and_refusal_removes_kind() -> None:
    from xieshang.planner.options import Offer

    typical = _profile_options("credit-card")
    offered = loan_options(typical, [Offer(kind="instalment", months=24, down_payment=D("500"))])
    inst = [o for o in offered if o.kind == "instalment"]
    assert len(inst) == 1 and inst[0].months == 24 and not inst[0].typical and inst[0].down_payment == D("500")
    assert not [o for o in loan_options(typical, [Offer(kind="settlement", refused=True)]) if o.kind == "settlement"]


def test_avalanche_snowball_collector_orders() -> None:
    dates = month_dates(START, 12)
    cheap_big = _loan(1, "20000.00", D("0.0002"), 12, add_months(START, -2), paid=2)
    dear_small = _loan(2, "3000.00", D("0.0006"), 12, add_months(START, -2), paid=2)
    late = _loan(3, "8000.00", D("0.0003"), 12, add_months(START, -4), paid=1)
    models = [m for d in (cheap_big, dear_small, late) if (m := debt_model(d, dates, settlement_window=3))]
    assert _order("avalanche", models)[0] == 1  # the dearest daily cost first
    assert _order("snowball", models)[0] == 1  # the smallest balance first
    assert _order("collector", models)[0] == 2  # the most days past due first


def test_optimal_never_worse_than_baselines_on_a_mixed_case() -> None:
    debts = [_loan(1, "20000.00", D("0.0004"), 12, add_months(START, -4), paid=2,
                   options=tuple(_profile_options("wangshangdai"))),
             _card(2, "15000.00", 100),
             _loan(3, "5000.00", D("0.0005"), 10, add_months(START, -1), options=tuple(_profile_options("weilidai")),
                   pid="weilidai")]
    fin = _fin(D(4000))
    res = make_plan(debts, fin, START, months=36)
    assert res.feasible and res.proposals
    for s in res.strategies[1:]:
        if s.feasible:
            assert _total(res) <= s.total_paid
    assert_replays(res, debts, fin)
    assert {p.loan_id for p in res.proposals} == {1, 2, 3}


def test_objectives_change_the_plan() -> None:
    debts = [_card(1, "12000.00", 60), _loan(2, "6000.00", D("0.0005"), 12, add_months(START, -3), paid=3,
                                             options=tuple(_profile_options("weilidai")), pid="weilidai")]
    fin = _fin(D(1500))
    by_cost = make_plan(debts, fin, START, months=48, objective="cost")
    by_time = make_plan(debts, fin, START, months=48, objective="time")
    by_month = make_plan(debts, fin, START, months=48, objective="monthly")
    assert by_cost.feasible and by_time.feasible and by_month.feasible
    assert by_time.optimal.months_to_debt_free <= by_cost.optimal.months_to_debt_free  # type: ignore[union-attr]
    assert by_month.optimal.max_month <= by_cost.optimal.max_month  # type: ignore[union-attr]
    assert by_cost.optimal.total_paid <= by_time.optimal.total_paid  # type: ignore[union-attr]


# ---------------------------------------------------------------------------------------
# Properties
# ---------------------------------------------------------------------------------------

PROFILES = ("wangshangdai", "jiebei", "weilidai", "bank-consumer-loan", "consumer-finance")


@st.composite
def cases(draw: st.DrawFn) -> tuple[list[Debt], Finances, int, set[tuple[int, str]]]:
    n = draw(st.integers(1, 3))
    debts: list[Debt] = []
    refusals: set[tuple[int, str]] = set()
    for i in range(1, n + 1):
        refused_kinds = set(draw(st.lists(st.sampled_from(["instalment", "interest-freeze", "waiver", "settlement",
                                                            "extension"]), max_size=2)))
        if draw(st.booleans()):
            base = _card(i, f"{draw(st.integers(20, 300)) * 100}.00", draw(st.integers(0, 200)))
        else:
            pid = draw(st.sampled_from(PROFILES))
            months = draw(st.sampled_from([6, 12, 24]))
            back = draw(st.integers(1, 8))
            paid = draw(st.integers(0, min(back, months) - 1)) if back > 1 else 0
            base = _loan(i, f"{draw(st.integers(10, 300)) * 100}.00", D(draw(st.sampled_from(["0.0002", "0.0004",
                                                                                              "0.0006"]))),
                         months, add_months(START, -back), paid=paid, options=tuple(_profile_options(pid)), pid=pid)
        opts = refuse(base.options, refused_kinds)
        debts.append(Debt(base.loan_id, base.label, base.terms, base.payments, tuple(opts), refused=frozenset(refused_kinds)))
        refusals |= {(i, k) for k in refused_kinds}
    capacity = D(draw(st.integers(1, 60)) * 100)
    lump = D(draw(st.sampled_from([0, 0, 2000])))
    horizon = draw(st.sampled_from([12, 24, 36]))
    return debts, _fin(capacity, lump), horizon, refusals


@settings(max_examples=12 * int(os.environ.get("XIESHANG_EXAMPLES", "1")), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases())
def test_plans_replay_beat_baselines_and_respect_refusals(case: tuple[list[Debt], Finances, int,
                                                                      set[tuple[int, str]]]) -> None:
    debts, fin, horizon, refusals = case
    res = make_plan(debts, fin, START, months=horizon, time_limit=10)
    best = res.optimal
    assert best is not None
    if res.feasible:
        assert res.shortfall == 0
        assert_replays(res, debts, fin)
        for s in res.strategies[1:]:
            if s.feasible:
                assert best.total_paid <= s.total_paid
        for lid, spec in best.choices:
            assert (lid, spec.kind) not in refusals
            if spec.waiver_share > 0 and spec.kind != "settlement":
                assert (lid, "waiver") not in refusals
        assert len(res.proposals) == len(best.choices)
    else:
        assert res.proposals == () and best.schedule == ()
        assert res.shortfall > 0 or res.suggestions
        for s in res.strategies:
            assert not s.feasible
        for sug in res.suggestions:
            if sug.option is not None:
                assert (sug.loan_id, sug.option.kind) not in refusals
                if sug.waive > 0:
                    assert (sug.loan_id, "waiver") not in refusals
