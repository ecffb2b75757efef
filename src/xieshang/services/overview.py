"""The overview use-cases: how bad is it, what it becomes, what happens next, why figures differ.

* :func:`overview` — every stored debt on a date (via :func:`~xieshang.services.overdue.assess`):
  payoff, growth per day, DPD, stage, next due date and amount, *flags*, totals, and the single
  most urgent thing to do (:func:`most_urgent`, a small ordered rule set documented there).
* :func:`project` — what every debt and the total become after N days if nothing is paid.
* :func:`loan_timeline` — the consequences timeline of the rules data with this loan's dates.
* :func:`reconcile_loan` — the lender's figure against ours (:mod:`xieshang.engine.reconcile`).

Everything is computed here; the CLI only lays it out. Texts are message keys of the
``overview`` namespace, translated when a face asks for ``text()``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from xieshang import clock
from xieshang.engine.status import LoanStatus, ProjectionPoint, Stage, status_of
from xieshang.engine.terms import CardTerms, LoanTerms
from xieshang.errors import UserError
from xieshang.i18n import current_language, t
from xieshang.money import ZERO, fmt, fmt_display
from xieshang.services.case import LoanRecord, get_loan, list_loans, loan_payments, loan_terms, profile_for

if TYPE_CHECKING:
    from xieshang.engine.reconcile import Change, Reconciliation
    from xieshang.rules.schema import TimelineStep
    from xieshang.services.overdue import Assessment
    from xieshang.store.db import Store

#: A timeline step this close (days) is flagged, and makes "contact the lender" the top action.
MILESTONE_WINDOW_DAYS = 15
#: The 90-day non-performing line is flagged this many days ahead.
NON_PERFORMING_WINDOW_DAYS = 30
#: A current debt's next instalment this close is flagged "due soon".
DUE_SOON_DAYS = 3
#: A lender figure further than this from ours is flagged.
LENDER_TOLERANCE = Decimal("1.00")
#: Timeline steps flagged by a credit-report flag of their own, not again as a milestone.
_COVERED_STEPS = frozenset({"non-performing"})

Params = dict[str, Any]


def _text(key: str, params: Params, texts: dict[str, tuple[str, str]] | None = None) -> str:
    """Translate ``key``; Decimal params are shown as money, ``texts`` are (zh, en) pairs."""
    lang = current_language()
    shown: Params = {}
    for name, value in params.items():
        if isinstance(value, Decimal):
            shown[name] = fmt_display(value)
        elif isinstance(value, date):
            shown[name] = value.isoformat()
        else:
            shown[name] = value
    for name, (zh, en) in (texts or {}).items():
        shown[name] = en if lang == "en" else zh
    return t(key, **shown)


def _json_params(params: Params) -> Params:
    out: Params = {}
    for name, value in params.items():
        if isinstance(value, Decimal):
            out[name] = fmt(value)
        elif isinstance(value, date):
            out[name] = value.isoformat()
        else:
            out[name] = value
    return out


# ---------------------------------------------------------------------------------------
# Flags
# ---------------------------------------------------------------------------------------

FLAG_LEVELS = ("urgent", "warn", "info")


@dataclass(frozen=True)
class Flag:
    """Something about one debt worth knowing now. ``kind`` is one of:

    ``in_grace`` (urgent), ``credit_report_soon``, ``non_performing_soon``, ``milestone_soon``,
    ``above_line``, ``lender_differs`` (warn), ``due_soon``, ``lender_type_unknown`` (info).
    """

    kind: str
    level: str
    params: Params = field(default_factory=dict)
    texts: dict[str, tuple[str, str]] = field(default_factory=dict)  # (zh, en) texts from rules data
    on: date | None = None  # the deadline or milestone date, if any
    source: str | None = None
    confidence: str | None = None

    @property
    def days(self) -> int | None:
        value = self.params.get("days")
        return value if isinstance(value, int) else None

    def text(self) -> str:
        return _text(f"overview.flag.{self.kind}", self.params, self.texts)

    def to_json(self) -> dict[str, object]:
        lang = current_language()
        return {
            "kind": self.kind,
            "level": self.level,
            "date": self.on.isoformat() if self.on else None,
            "text": self.text(),
            "params": {**_json_params(self.params),
                       **{k: (en if lang == "en" else zh) for k, (zh, en) in self.texts.items()}},
            "source": self.source,
            "confidence": self.confidence,
        }


@dataclass(frozen=True)
class LenderCheck:
    """The latest lender-stated figure on or before the overview date, against ours on its date."""

    on: date
    theirs: Decimal
    ours: Decimal

    @property
    def difference(self) -> Decimal:
        return self.theirs - self.ours

    @property
    def differs(self) -> bool:
        return abs(self.difference) > LENDER_TOLERANCE

    def to_json(self) -> dict[str, object]:
        return {"date": self.on.isoformat(), "theirs": fmt(self.theirs), "ours": fmt(self.ours),
                "difference": fmt(self.difference), "differs": self.differs}


@dataclass(frozen=True)
class Problem:
    """Why a debt could not be computed (it is listed, but left out of the totals)."""

    key: str
    params: Params

    def text(self) -> str:
        return t(self.key, **self.params)

    def to_json(self) -> dict[str, object]:
        return {"key": self.key, "text": self.text()}


@dataclass
class DebtOverview:
    loan: LoanRecord
    lender_type: str | None
    reports_to_pboc: bool | None
    assessment: Assessment | None = None
    flags: list[Flag] = field(default_factory=list)
    lender_check: LenderCheck | None = None
    problem: Problem | None = None
    grace_days: int = 0

    @property
    def status(self) -> LoanStatus | None:
        return None if self.assessment is None else self.assessment.status

    @property
    def is_open(self) -> bool:
        s = self.status
        return s is not None and not s.closed

    def flag(self, kind: str) -> Flag | None:
        return next((f for f in self.flags if f.kind == kind), None)

    def to_json(self) -> dict[str, object]:
        loan = self.loan
        data: dict[str, object] = {
            "id": loan.id, "lender": loan.lender, "profile": loan.profile_id, "product": loan.product,
            "lender_type": self.lender_type,
        }
        s = self.status
        if s is None:
            data.update({"payoff": None, "growth_per_day": None, "dpd": None, "stage": None, "overdue_since": None,
                         "overdue_amount": None, "next_due_date": None, "next_due_amount": None, "closed": None})
        else:
            data.update({
                "payoff": fmt(s.payoff), "growth_per_day": fmt(s.growth_per_day), "dpd": s.dpd,
                "stage": s.stage.value, "overdue_since": s.overdue_since.isoformat() if s.overdue_since else None,
                "overdue_amount": fmt(s.overdue_amount),
                "next_due_date": s.next_due_date.isoformat() if s.next_due_date else None,
                "next_due_amount": fmt(s.next_due_amount), "closed": s.closed,
            })
        data["owed"] = None if s is None else s.owed.to_json()
        data["flags"] = [f.to_json() for f in self.flags]
        data["lender_figure"] = None if self.lender_check is None else self.lender_check.to_json()
        data["problem"] = None if self.problem is None else self.problem.to_json()
        return data


@dataclass(frozen=True)
class Totals:
    payoff: Decimal
    overdue_amount: Decimal
    growth_per_day: Decimal
    next_month_due: Decimal  # open debts' next instalments falling due within one month
    debts: int
    overdue_debts: int

    def to_json(self) -> dict[str, object]:
        return {"payoff": fmt(self.payoff), "overdue_amount": fmt(self.overdue_amount),
                "growth_per_day": fmt(self.growth_per_day), "next_month_due": fmt(self.next_month_due),
                "debts": self.debts, "overdue_debts": self.overdue_debts}


@dataclass(frozen=True)
class Action:
    """The single most urgent thing to do, with the rule that chose it."""

    rule: str
    loan_id: int | None = None
    params: Params = field(default_factory=dict)
    also: tuple[tuple[str, Params], ...] = ()
    texts: dict[str, tuple[str, str]] = field(default_factory=dict)

    def text(self) -> str:
        return _text(f"overview.action.{self.rule}", self.params, self.texts)

    def also_texts(self) -> list[str]:
        return [_text(f"overview.also.{key}", params, self.texts) for key, params in self.also]

    def to_json(self) -> dict[str, object]:
        return {"rule": self.rule, "loan_id": self.loan_id, "text": self.text(), "also": self.also_texts(),
                "params": _json_params(self.params)}


@dataclass
class Overview:
    as_of: date
    debts: list[DebtOverview]
    totals: Totals
    action: Action

    def to_json(self) -> dict[str, object]:
        return {"as_of": self.as_of.isoformat(), "debts": [d.to_json() for d in self.debts],
                "totals": self.totals.to_json(), "action": self.action.to_json()}


# ---------------------------------------------------------------------------------------
# One debt
# ---------------------------------------------------------------------------------------


def _grace_days(terms: LoanTerms | CardTerms) -> int:
    return terms.grace_days if isinstance(terms, CardTerms) else terms.overdue.grace_days


def lender_facts(loan: LoanRecord) -> tuple[str | None, bool | None]:
    """The lender type and whether the lender reports to the PBOC credit system, from its profile."""
    profile = profile_for(loan.profile_id)
    lender_type = profile.lender_type.value
    return (None if lender_type is None else str(lender_type)), profile.reports_to_pboc.value


def _status_on(loan: LoanRecord, terms: LoanTerms | CardTerms, on: date) -> LoanStatus:
    # The terms on ``on`` (an agreement may govern one day and not another), whatever was passed.
    return status_of(loan_terms(loan, on), [p for p in loan_payments(loan, on) if p.on <= on], on)


def _contact(loan: LoanRecord) -> str:
    if not loan.contacts:
        return t("overview.no_contact")
    c = loan.contacts[0]
    key = f"overview.channel.{c.channel}"
    label = t(key)
    return f"{label if label != key else c.channel} {c.value}"


def _credit_rule_value(rule_id: str, default: int) -> tuple[int, str | None, str | None]:
    from xieshang.rules import credit_reporting_rules

    for rule in credit_reporting_rules():
        if rule.id == rule_id:
            value = rule.value if isinstance(rule.value, int) else default
            return value, rule.source, rule.confidence
    return default, None, None


def _flags(debt: DebtOverview, terms: LoanTerms | CardTerms, as_of: date) -> list[Flag]:
    s = debt.status
    assert s is not None and debt.assessment is not None
    flags: list[Flag] = []
    if debt.lender_type is None:
        flags.append(Flag("lender_type_unknown", "info", {"profile": debt.loan.profile_id}))
    if s.closed:
        return flags
    reports = debt.reports_to_pboc is not False and debt.lender_type not in (None, "private")
    since = s.overdue_since
    if s.stage is Stage.GRACE and since is not None:
        deadline = since + timedelta(days=debt.grace_days)
        flags.append(Flag("in_grace", "urgent", {"amount": s.overdue_amount, "deadline": deadline,
                                                  "days": (deadline - as_of).days}, on=deadline,
                          source=_credit_rule_value("reporting-timing", 0)[1]))
    elif s.stage is Stage.M1 and since is not None and reports:
        _, source, confidence = _credit_rule_value("reporting-timing", 0)
        worse = since + timedelta(days=31)
        flags.append(Flag("credit_report_soon", "warn", {"dpd": s.dpd, "date": worse, "days": (worse - as_of).days},
                          on=worse, source=source, confidence=confidence))
    if since is not None and debt.lender_type not in (None, "private"):
        np_line, source, confidence = _credit_rule_value("non-performing", 90)
        when = since + timedelta(days=np_line + 1)
        days = (when - as_of).days
        if 0 < days <= NON_PERFORMING_WINDOW_DAYS:
            flags.append(Flag("non_performing_soon", "warn", {"line": np_line, "date": when, "days": days}, on=when,
                              source=source, confidence=confidence))
    if since is not None and s.dpd > 0 and debt.lender_type is not None:
        for step in _steps(debt):
            if step.key in _COVERED_STEPS or step.dpd <= s.dpd:
                continue
            when = since + timedelta(days=step.dpd)
            days = (when - as_of).days
            if days <= MILESTONE_WINDOW_DAYS:
                flags.append(Flag("milestone_soon", "warn", {"dpd": step.dpd, "date": when, "days": days,
                                                              "step": step.key},
                                  texts={"what": (step.text_zh, step.text_en)}, on=when, source=step.source,
                                  confidence=step.confidence))
    # With no lender type, assess() holds the debt against every line (private-lending ones too):
    # that would mislead, so only a known lender type is checked (lender_type_unknown says why).
    exceeded = [(line, max((c for c in debt.assessment.checks if c.line_id == line.id and c.above),
                           key=lambda c: c.value))
                for line in debt.assessment.lines
                if debt.lender_type is not None
                and any(c.line_id == line.id and c.above for c in debt.assessment.checks)]
    if exceeded:
        # One flag per debt: the highest line exceeded leads (the strongest argument), others follow.
        exceeded.sort(key=lambda lc: lc[0].rate, reverse=True)
        line, worst = exceeded[0]
        others = exceeded[1:]
        more = ("", "")
        if others:
            more = (t("overview.also_above", lang="zh_CN", lines="、".join(
                        f"「{ln.name_zh}」{_pct(ln.rate)}" for ln, _ in others)),
                    t("overview.also_above", lang="en", lines=", ".join(
                        f"“{ln.name_en}” {_pct(ln.rate)}" for ln, _ in others)))
        flags.append(Flag("above_line", "warn",
                          {"line_id": line.id, "rate": _pct(line.rate), "value": _pct(worst.value),
                           "figure_id": worst.figure, "lines": [ln.id for ln, _ in exceeded]},
                          texts={"line": (line.name_zh, line.name_en), "more": more,
                                 "figure": (t(f"overview.figure.{worst.figure}", lang="zh_CN"),
                                            t(f"overview.figure.{worst.figure}", lang="en"))},
                          source=line.citation, confidence=line.confidence))
    check = debt.lender_check
    if check is not None and check.differs:
        flags.append(Flag("lender_differs", "warn", {"date": check.on, "theirs": check.theirs, "ours": check.ours,
                                                     "difference": check.difference}, on=check.on))
    if s.dpd == 0 and s.next_due_date is not None:
        days = (s.next_due_date - as_of).days
        if 0 <= days <= DUE_SOON_DAYS:
            flags.append(Flag("due_soon", "info", {"amount": s.next_due_amount, "date": s.next_due_date,
                                                   "days": days}, on=s.next_due_date))
    return flags


def _pct(x: Decimal) -> str:
    return f"{(x * 100):.2f}%"


def _steps(debt: DebtOverview) -> list[TimelineStep]:
    from xieshang.rules import consequences

    if debt.lender_type is None:
        return []
    return consequences(debt.lender_type, debt.loan.product)


def assess_debt(loan: LoanRecord, as_of: date, *, days: tuple[int, ...] = ()) -> DebtOverview:
    """One stored debt on ``as_of``: the assessment, flags and the lender-figure check.

    A debt that cannot be computed (incomplete, not yet disbursed on ``as_of``, a payment larger
    than the debt) is returned with a :class:`Problem` instead of raising.
    """
    from xieshang.services.overdue import assess

    lender_type, reports = lender_facts(loan)
    debt = DebtOverview(loan=loan, lender_type=lender_type, reports_to_pboc=reports)
    first = loan.disbursed
    if first is not None and as_of < first:
        debt.problem = Problem("overview.problem.not_started", {"date": first.isoformat()})
        return debt
    try:
        terms = loan_terms(loan, as_of)
        payments = [p for p in loan_payments(loan, as_of) if p.on <= as_of]
        debt.assessment = assess(terms, payments, as_of, profile_id=loan.profile_id, lender_type=lender_type,
                                 days=days)
        debt.grace_days = _grace_days(terms)
        figures = [f for f in loan.lender_figures if f.on <= as_of]
        if figures:
            latest = max(figures, key=lambda f: (f.on, f.id))
            ours = _status_on(loan, terms, latest.on).payoff
            debt.lender_check = LenderCheck(latest.on, latest.amount, ours)
        debt.flags = _flags(debt, terms, as_of)
    except UserError as exc:
        debt.assessment = None
        debt.flags = []
        debt.problem = Problem(exc.key, exc.params)
    return debt


# ---------------------------------------------------------------------------------------
# The most urgent thing to do
# ---------------------------------------------------------------------------------------

#: The rules of :func:`most_urgent`, in the order they are tried.
URGENCY_RULES = ("pay_in_grace", "milestone_soon", "fastest_growing", "lender_differs", "above_line",
                 "due_soon", "all_current", "no_debts")


def _also(debt: DebtOverview, rule: str) -> tuple[tuple[str, Params], ...]:
    out: list[tuple[str, Params]] = []
    differs = debt.flag("lender_differs")
    if differs is not None and rule != "lender_differs":
        out.append(("itemised", {"loan": debt.loan.id, "difference": abs(differs.params["difference"])}))
    line = debt.flag("above_line")
    if line is not None and rule != "above_line":
        out.append(("cite_line", {"rate": line.params["rate"], "source": line.source or ""}))
    return tuple(out)


def most_urgent(debts: Sequence[DebtOverview], as_of: date) -> Action:
    """The one thing to do first, by the first rule that applies:

    1. ``pay_in_grace`` — a debt in its grace period: pay its overdue amount before the grace ends
       (earliest deadline first): usually no penalty and no credit-report entry.
    2. ``milestone_soon`` — an overdue debt with a timeline step (or the 90-day non-performing
       line) within 15 days: contact that lender before that date (closest first).
    3. ``fastest_growing`` — otherwise the overdue debt that grows the most per day: contact that
       lender to ask for a stop to penalty interest or an instalment plan.
    4. ``lender_differs`` — no debt overdue, but a lender figure differs from ours by more than ¥1:
       ask for an itemised statement (largest difference first).
    5. ``above_line`` — a debt costs more than a legal line: ask for a reduction citing the rule.
    6. ``due_soon`` — an instalment due within 3 days: pay it on time.
    7. ``all_current`` / ``no_debts`` — nothing urgent: the next due date, or nothing at all.

    Ties go to the debt growing faster, then the lower id. The chosen debt's other problems (a
    differing figure, a line exceeded) are added as ``also`` points for the same conversation.
    """
    open_debts = [d for d in debts if d.is_open]

    def growth(d: DebtOverview) -> Decimal:
        return d.status.growth_per_day if d.status is not None else ZERO

    def base(d: DebtOverview) -> Params:
        s = d.status
        assert s is not None
        return {"lender": d.loan.lender, "contact": _contact(d.loan), "loan": d.loan.id, "dpd": s.dpd,
                "growth": s.growth_per_day, "overdue": s.overdue_amount, "payoff": s.payoff}

    grace = [(f, d) for d in open_debts if (f := d.flag("in_grace")) is not None]
    if grace:
        f, d = min(grace, key=lambda fd: (fd[0].on or as_of, -growth(fd[1]), fd[1].loan.id))
        return Action("pay_in_grace", d.loan.id, {**base(d), "amount": f.params["amount"],
                                                   "deadline": f.params["deadline"], "days": f.params["days"]},
                      _also(d, "pay_in_grace"))
    soon: list[tuple[Flag, DebtOverview]] = []
    for d in open_debts:
        for f in d.flags:
            if f.kind in ("milestone_soon", "non_performing_soon") and f.days is not None \
                    and f.days <= MILESTONE_WINDOW_DAYS:
                soon.append((f, d))
    if soon:
        f, d = min(soon, key=lambda fd: (fd[0].days or 0, -growth(fd[1]), fd[1].loan.id))
        zh, en = f.texts.get("what", ("", ""))
        if f.kind == "non_performing_soon":
            zh, en = t("overview.non_performing_what", lang="zh_CN"), t("overview.non_performing_what", lang="en")
        texts = {"what": (zh.rstrip("。. "), en.rstrip("。. "))}
        return Action("milestone_soon", d.loan.id, {**base(d), "date": f.on, "days": f.days,
                                                     "milestone_dpd": f.params.get("dpd", f.params.get("line"))},
                      _also(d, "milestone_soon"), texts)
    overdue = [d for d in open_debts if d.status is not None and d.status.dpd > 0]
    if overdue:
        d = max(overdue, key=lambda x: (growth(x), -x.loan.id))
        return Action("fastest_growing", d.loan.id, base(d), _also(d, "fastest_growing"))
    differs = [(f, d) for d in open_debts if (f := d.flag("lender_differs")) is not None]
    if differs:
        f, d = max(differs, key=lambda fd: (abs(fd[0].params["difference"]), -fd[1].loan.id))
        return Action("lender_differs", d.loan.id, {**base(d), "date": f.params["date"], "theirs": f.params["theirs"],
                                                     "ours": f.params["ours"],
                                                     "difference": abs(f.params["difference"])},
                      _also(d, "lender_differs"))
    lines = [(f, d) for d in open_debts if (f := d.flag("above_line")) is not None]
    if lines:
        f, d = max(lines, key=lambda fd: (fd[1].status.payoff if fd[1].status else ZERO, -fd[1].loan.id))
        return Action("above_line", d.loan.id, {**base(d), "rate": f.params["rate"], "value": f.params["value"],
                                                 "source": f.source or ""},
                      _also(d, "above_line"), dict(f.texts))
    due = [(f, d) for d in open_debts if (f := d.flag("due_soon")) is not None]
    if due:
        f, d = min(due, key=lambda fd: (fd[0].on or as_of, fd[1].loan.id))
        return Action("due_soon", d.loan.id, {**base(d), "amount": f.params["amount"], "date": f.params["date"],
                                               "days": f.params["days"]})
    nexts = [d for d in open_debts if d.status is not None and d.status.next_due_date is not None]
    if nexts:
        d = min(nexts, key=lambda x: (x.status.next_due_date if x.status and x.status.next_due_date else as_of,
                                      x.loan.id))
        assert d.status is not None
        return Action("all_current", d.loan.id, {**base(d), "amount": d.status.next_due_amount,
                                                  "date": d.status.next_due_date})
    return Action("no_debts")


# ---------------------------------------------------------------------------------------
# Use-cases
# ---------------------------------------------------------------------------------------


def _totals(debts: Sequence[DebtOverview], as_of: date) -> Totals:
    from xieshang.engine.schedule import add_months

    horizon = add_months(as_of, 1)
    payoff = overdue = growth = next_month = ZERO
    count = overdue_count = 0
    for d in debts:
        s = d.status
        if s is None:
            continue
        count += 1
        payoff += s.payoff
        overdue += s.overdue_amount
        growth += s.growth_per_day
        if s.dpd > 0:
            overdue_count += 1
        if not s.closed and s.next_due_date is not None and s.next_due_date <= horizon:
            next_month += s.next_due_amount
    return Totals(payoff, overdue, growth, next_month, count, overdue_count)


def overview(store: Store, as_of: date | None = None) -> Overview:
    """``xieshang status``: every debt of the case on ``as_of`` (default today)."""
    day = as_of or clock.today()
    debts = [assess_debt(loan, day) for loan in list_loans(store)]
    return Overview(day, debts, _totals(debts, day), most_urgent(debts, day))


DEFAULT_DAYS = (30, 90, 180, 365)
MAX_DAYS = 3650


def parse_days(text: str | None) -> tuple[int, ...]:
    """``"30,90,180,365"`` → (30, 90, 180, 365); each 1…3650 days, sorted, duplicates dropped."""
    if text is None or not text.strip():
        return DEFAULT_DAYS
    out: set[int] = set()
    for part in text.replace("，", ",").split(","):
        item = part.strip()
        if not item.isdigit() or not 1 <= int(item) <= MAX_DAYS:
            raise UserError("overview.error.bad_days", value=text, max=MAX_DAYS)
        out.add(int(item))
    return tuple(sorted(out))


@dataclass
class DebtProjection:
    debt: DebtOverview
    points: list[ProjectionPoint]

    def to_json(self) -> dict[str, object]:
        s = self.debt.status
        return {"id": self.debt.loan.id, "lender": self.debt.loan.lender,
                "today": None if s is None else fmt(s.payoff),
                "points": [p.to_json() for p in self.points],
                "problem": None if self.debt.problem is None else self.debt.problem.to_json()}


@dataclass
class Projection:
    as_of: date
    days: tuple[int, ...]
    debts: list[DebtProjection]

    @property
    def today_total(self) -> Decimal:
        return sum((d.debt.status.payoff for d in self.debts if d.debt.status is not None), ZERO)

    def totals(self) -> list[tuple[int, date, Decimal]]:
        """(days, date, total of every computable debt) for each horizon."""
        out: list[tuple[int, date, Decimal]] = []
        for i, n in enumerate(self.days):
            total = sum((d.points[i].status.payoff for d in self.debts if d.points), ZERO)
            out.append((n, self.as_of + timedelta(days=n), total))
        return out

    def to_json(self) -> dict[str, object]:
        return {"as_of": self.as_of.isoformat(), "days": list(self.days), "today_total": fmt(self.today_total),
                "debts": [d.to_json() for d in self.debts],
                "totals": [{"days": n, "date": on.isoformat(), "total": fmt(total),
                            "growth": fmt(total - self.today_total)} for n, on, total in self.totals()]}


def project(store: Store, as_of: date | None = None, days: tuple[int, ...] = DEFAULT_DAYS) -> Projection:
    """``xieshang project``: each debt and the total after ``days`` if nothing more is paid."""
    day = as_of or clock.today()
    debts = []
    for loan in list_loans(store):
        debt = assess_debt(loan, day, days=days)
        points = debt.assessment.projection if debt.assessment is not None else []
        debts.append(DebtProjection(debt, points))
    return Projection(day, days, debts)


# ---------------------------------------------------------------------------------------
# Timeline
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TimelineEntry:
    step: TimelineStep
    on: date | None
    passed: bool
    days: int | None  # from the as-of date (negative: in the past)

    def to_json(self) -> dict[str, object]:
        s = self.step
        return {"dpd": s.dpd, "key": s.key, "date": self.on.isoformat() if self.on else None, "passed": self.passed,
                "days_from_now": self.days, "text": s.text(current_language()), "text_zh": s.text_zh,
                "text_en": s.text_en, "source": s.source, "confidence": s.confidence,
                "source_as_of": s.as_of.isoformat(), "note": s.note}


@dataclass
class LoanTimeline:
    loan: LoanRecord
    status: LoanStatus
    lender_type: str
    basis: str  # "overdue": from overdue_since; "if_missed": from the next due date; "closed": no dates
    base_date: date | None
    entries: list[TimelineEntry]

    def to_json(self) -> dict[str, object]:
        s = self.status
        return {"loan": {"id": self.loan.id, "lender": self.loan.lender, "profile": self.loan.profile_id,
                         "product": self.loan.product},
                "lender_type": self.lender_type, "as_of": s.as_of.isoformat(), "dpd": s.dpd, "stage": s.stage.value,
                "overdue_since": s.overdue_since.isoformat() if s.overdue_since else None,
                "basis": self.basis, "base_date": self.base_date.isoformat() if self.base_date else None,
                "steps": [e.to_json() for e in self.entries]}


def loan_timeline(store: Store, loan_id: int, as_of: date | None = None) -> LoanTimeline:
    """``xieshang timeline``: each step's date for this loan = overdue_since + its DPD threshold.

    A current loan's dates count from its next due date ("if you miss it"); a closed loan has none.
    """
    from xieshang.rules import consequences

    day = as_of or clock.today()
    loan = get_loan(store, loan_id)
    lender_type, _ = lender_facts(loan)
    if lender_type is None:
        raise UserError("overview.error.lender_type_unknown", id=loan.id, profile=loan.profile_id)
    first = loan.disbursed
    if first is not None and day < first:
        raise UserError("error.date.before_disbursement", value=day.isoformat(), start=first.isoformat())
    status = _status_on(loan, loan_terms(loan, day), day)
    steps = consequences(lender_type, loan.product)
    base: date | None
    if status.closed:
        basis, base = "closed", None
    elif status.overdue_since is not None and status.dpd > 0:
        basis, base = "overdue", status.overdue_since
    else:
        basis, base = "if_missed", status.next_due_date
    entries: list[TimelineEntry] = []
    for step in steps:
        on = None if base is None else base + timedelta(days=step.dpd)
        passed = basis == "overdue" and step.dpd <= status.dpd
        entries.append(TimelineEntry(step, on, passed, None if on is None else (on - day).days))
    return LoanTimeline(loan, status, lender_type, basis, base, entries)


# ---------------------------------------------------------------------------------------
# Reconciliation
# ---------------------------------------------------------------------------------------

COMPONENTS = ("principal", "interest", "penalty", "compound", "fees", "total")


@dataclass
class LoanReconciliation:
    loan: LoanRecord
    result: Reconciliation
    recorded: bool  # the lender figure came from the store (not --lender-says)
    asks: list[tuple[str, Params]]

    def components(self) -> list[tuple[str, Decimal, Decimal | None]]:
        """(component, ours, the best explanation's) for principal … fees and the total."""
        ours = self.result.ours.owed
        best = self.result.best.owed if self.result.best is not None else None
        out: list[tuple[str, Decimal, Decimal | None]] = []
        for name in COMPONENTS:
            out.append((name, _component(ours, name), None if best is None else _component(best, name)))
        return out

    def ask_texts(self) -> list[str]:
        return [_text(f"overview.ask.{key}", params) for key, params in self.asks]

    def summary(self) -> str:
        r = self.result
        if r.agrees:
            return _text("overview.reconcile.agrees", {"tolerance": r.tolerance})
        if r.best is None:
            return _text("overview.reconcile.unexplained", {"difference": r.difference})
        key = "overview.reconcile.explained" if r.explained else "overview.reconcile.partly"
        return _text(key, {"changes": change_list(r.best.changes), "gap": abs(r.best.remainder)})

    def to_json(self) -> dict[str, object]:
        r = self.result
        return {
            "loan": {"id": self.loan.id, "lender": self.loan.lender, "profile": self.loan.profile_id},
            "date": r.on.isoformat(), "theirs": fmt(r.theirs), "ours": fmt(r.ours.payoff),
            "difference": fmt(r.difference), "agrees": r.agrees, "explained": r.explained,
            "recorded_figure": self.recorded, "tolerance": fmt(r.tolerance), "tried": r.tried,
            "components": [{"component": name, "ours": fmt(o), "best": None if b is None else fmt(b)}
                           for name, o, b in self.components()],
            "explanations": [{**e.to_json(), "text": change_list(e.changes)} for e in r.explanations],
            "remainder": fmt(r.remainder), "summary": self.summary(),
            "ask": self.ask_texts(),
        }


def _component(owed: Any, name: str) -> Decimal:
    value = getattr(owed, name)
    assert isinstance(value, Decimal)
    return value


def _value_text(fld: str, token: str) -> str:
    """A language-neutral token of :mod:`xieshang.engine.reconcile` in words."""
    if fld == "penalty_multiplier":
        if token.startswith("rate:"):
            return t("overview.value.penalty_rate", rate=token[5:])
        return f"×{token}"
    if fld == "late_fee":
        if token == "none":
            return t("overview.value.fee.none")
        kind, value, freq = token.split(":")
        amount = f"{(Decimal(value) * 100).normalize():f}%" if kind == "percent" else f"¥{value}"
        return t(f"overview.value.fee.{kind}", amount=amount, freq=t(f"overview.value.freq.{freq}"))
    if fld == "day_count":
        return t("overview.value.day_count", days=token) if token.isdigit() else t("overview.value.day_count_actual")
    if fld == "interest_from" and token[:1].isdigit():
        return token
    key = f"overview.value.{fld}.{token}"
    text = t(key)
    return token if text == key else text


def change_text(change: Change) -> str:
    return t(f"overview.change.{change.field}", ours=_value_text(change.field, change.ours),
             theirs=_value_text(change.field, change.theirs))


def change_list(changes: Sequence[Change]) -> str:
    return t("overview.and").join(change_text(c) for c in changes)


def _asks(result: Reconciliation) -> list[tuple[str, Params]]:
    if result.agrees:
        return []
    asks: list[tuple[str, Params]] = [("itemised", {})]
    if result.best is not None:
        kind = "confirm" if result.explained else "check"
        for change in result.best.changes:
            asks.append((kind, {"rule": t(f"overview.field.{change.field}"),
                                     "ours": _value_text(change.field, change.ours),
                                     "theirs": _value_text(change.field, change.theirs)}))
    rem = result.remainder
    if rem > result.tolerance:
        asks.append(("unknown_fee", {"amount": rem}))
    elif rem < -result.tolerance:
        asks.append(("missing_credit", {"amount": -rem}))
    return asks


def reconcile_loan(store: Store, loan_id: int, *, lender_says: Decimal | None = None, on: date | None = None,
                   today: date | None = None) -> LoanReconciliation:
    """``xieshang reconcile``: the lender's figure (given, or the latest recorded one) against ours.

    With ``lender_says`` the figure is for ``on`` (default today). Without it, the latest recorded
    lender figure on or before ``on`` (default: any) is used, on its own date.
    """
    from xieshang.engine.reconcile import reconcile

    day_today = today or clock.today()
    loan = get_loan(store, loan_id)
    recorded = lender_says is None
    if lender_says is None:
        figures = [f for f in loan.lender_figures if on is None or f.on <= on]
        if not figures:
            raise UserError("overview.error.no_lender_figure", id=loan.id)
        latest = max(figures, key=lambda f: (f.on, f.id))
        theirs, day = latest.amount, latest.on
    else:
        if lender_says < 0:
            raise UserError("error.money.negative", field="--lender-says", value=fmt(lender_says))
        theirs, day = lender_says, on or day_today
    if day > day_today:
        raise UserError("error.date.in_future", value=day.isoformat(), today=day_today.isoformat())
    first = loan.disbursed
    if first is not None and day < first:
        raise UserError("error.date.before_disbursement", value=day.isoformat(), start=first.isoformat())
    result = reconcile(loan_terms(loan, day), loan_payments(loan, day), day, theirs)
    return LoanReconciliation(loan, result, recorded, _asks(result))


__all__ = [
    "DEFAULT_DAYS",
    "URGENCY_RULES",
    "Action",
    "DebtOverview",
    "Flag",
    "LenderCheck",
    "LoanReconciliation",
    "LoanTimeline",
    "Overview",
    "Projection",
    "Totals",
    "assess_debt",
    "change_text",
    "loan_timeline",
    "most_urgent",
    "overview",
    "parse_days",
    "project",
    "reconcile_loan",
]
