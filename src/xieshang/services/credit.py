"""The credit report (征信报告): checks, entries per account, expectations, free checks, disputes.

* A **check** is one look at the report: date, channel, and whether it was one of the free ones.
* An **entry** is one account as that report showed it: the 2nd-generation 还款状态 code (the
  ``status-codes`` rule of the rules data), the overdue amount, the months overdue, the 五级分类 where
  shown, the date it speaks for.
* **Expectations** (:func:`expectations`) per loan from our own records: an open overdue keeps
  being reported; once the overdue ends (the day our replay shows it current again, or settled)
  the negative record is kept 5 years from that day and then deleted (``retention`` rule, 征信业管理条例
  第16条); a settled account should show ``C`` after the lender's next report.
* **Free checks** (:func:`free_checks`): the ``free-reports`` rule (2 a year, counted per calendar
  year — an assumption: the regulation says "每年"); the next free check is today while some are left,
  else 1 January.
* **Disputes** (:func:`dispute_candidates`): an entry whose code says overdue while our records
  show the account current on its date, whose overdue band differs from ours, whose overdue amount
  differs from ours by more than :data:`AMOUNT_TOLERANCE`, or that does not show settled although
  we settled more than :data:`REPORTING_LAG_DAYS` days earlier. The letters area turns each
  candidate into a credit-dispute letter (异议申请); the lender or bureau must answer within 20 days
  (``dispute`` rule).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from xieshang import clock
from xieshang.errors import UserError
from xieshang.money import ZERO, fmt
from xieshang.store.codec import from_fen, to_fen
from xieshang.store.models_after import CLASSIFICATIONS, CreditCheckRow, CreditEntryRow

if TYPE_CHECKING:
    from xieshang.rules.schema import Rule
    from xieshang.services.case import LoanRecord
    from xieshang.store.db import Store

#: Codes that mean "overdue" and the days-past-due band each stands for (1 = 1–30 … 7 = over 180).
OVERDUE_BANDS: dict[str, tuple[int, int | None]] = {
    "1": (1, 30), "2": (31, 60), "3": (61, 90), "4": (91, 120), "5": (121, 150), "6": (151, 180), "7": (181, None),
}
#: Codes a report shows for a bad end of the account (also negative records).
BAD_CODES = ("B", "G", "D", "Z")
SETTLED_CODE = "C"
#: Chinese names of the five-tier classification accepted on input.
CLASSIFICATION_ZH = {"正常": "normal", "关注": "special-mention", "次级": "substandard", "可疑": "doubtful",
                     "损失": "loss"}
#: An overdue amount on the report within this of ours is not a discrepancy.
AMOUNT_TOLERANCE = Decimal("1.00")
#: Days we give a lender to report a settlement before "not shown settled" is a discrepancy.
#: Lenders report monthly (``reporting-timing`` rule, U); a month and a half covers one cycle.
REPORTING_LAG_DAYS = 45


def _rule(rule_id: str) -> Rule:
    from xieshang.rules import credit_reporting_rules

    for rule in credit_reporting_rules():
        if rule.id == rule_id:
            return rule
    raise UserError("error.profile.data_file", file="legal/credit_reporting.toml", detail=f"no rule {rule_id}")


def _int_rule(rule_id: str) -> tuple[int, Rule]:
    rule = _rule(rule_id)
    if not isinstance(rule.value, int):
        raise UserError("error.profile.data_file", file="legal/credit_reporting.toml", detail=f"{rule_id}: value")
    return rule.value, rule


def status_codes() -> list[tuple[str, str, str]]:
    """(code, zh, en) of every 2nd-generation repayment-status code in the rules data."""
    return [(item.code, item.zh, item.en) for item in _rule("status-codes").items]


def normalize_classification(value: str | None) -> str | None:
    if value is None or not value.strip():
        return None
    v = value.strip()
    v = CLASSIFICATION_ZH.get(v, v).lower()
    if v not in CLASSIFICATIONS:
        raise UserError("after.error.classification", value=value, choices=", ".join(CLASSIFICATIONS))
    return v


# ---------------------------------------------------------------------------------------
# Records
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CreditEntry:
    id: int
    check_id: int
    account: str
    status_code: str
    overdue: Decimal
    loan_id: int | None = None
    overdue_months: int | None = None
    classification: str | None = None
    reported_on: date | None = None
    disputed_on: date | None = None
    note: str | None = None

    @property
    def is_overdue(self) -> bool:
        return self.status_code in OVERDUE_BANDS

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "check_id": self.check_id, "loan_id": self.loan_id, "account": self.account,
                "status_code": self.status_code, "overdue": fmt(self.overdue), "overdue_months": self.overdue_months,
                "classification": self.classification,
                "reported_on": None if self.reported_on is None else self.reported_on.isoformat(),
                "disputed_on": None if self.disputed_on is None else self.disputed_on.isoformat(), "note": self.note}


@dataclass(frozen=True, slots=True)
class CreditCheck:
    id: int
    checked_on: date
    channel: str
    free: bool
    note: str | None = None
    entries: tuple[CreditEntry, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "date": self.checked_on.isoformat(), "channel": self.channel, "free": self.free,
                "note": self.note, "entries": [e.to_json() for e in self.entries]}


def _entry(row: CreditEntryRow) -> CreditEntry:
    return CreditEntry(id=row.id, check_id=row.check_id, account=row.account, status_code=row.status_code,
                       overdue=from_fen(row.overdue_fen), loan_id=row.loan_id, overdue_months=row.overdue_months,
                       classification=row.classification, reported_on=row.reported_on, disputed_on=row.disputed_on,
                       note=row.note)


def _check(row: CreditCheckRow, entries: list[CreditEntryRow]) -> CreditCheck:
    return CreditCheck(id=row.id, checked_on=row.checked_on, channel=row.channel, free=row.free, note=row.note,
                       entries=tuple(_entry(e) for e in entries))


def _clean(text: str | None) -> str | None:
    return None if text is None or not text.strip() else text.strip()


def add_check(store: Store, *, on: date | None = None, channel: str, free: bool = True, note: str | None = None,
              today: date | None = None) -> CreditCheck:
    from xieshang.services.case import _require_person

    day_today = today or clock.today()
    day = on or day_today
    if day > day_today:
        raise UserError("error.date.in_future", value=day.isoformat(), today=day_today.isoformat())
    name = channel.strip()
    if not name:
        raise UserError("after.error.channel")
    with store.transaction() as s:
        person = _require_person(s, store)
        row = CreditCheckRow(person_id=person.id, checked_on=day, channel=name, free=free, note=_clean(note))
        s.add(row)
        s.flush()
        return _check(row, [])


def add_entry(store: Store, check_id: int, *, account: str, status_code: str, overdue: Decimal = ZERO,
              loan_id: int | None = None, overdue_months: int | None = None, classification: str | None = None,
              reported_on: date | None = None, note: str | None = None) -> CreditEntry:
    """Record one account as a check's report showed it (validated against the rules' codes)."""
    from xieshang.services.case import _loan_row

    code = status_code.strip().upper()
    if code not in {c for c, _, _ in status_codes()}:
        raise UserError("after.error.status_code", value=status_code,
                        choices=" ".join(c for c, _, _ in status_codes()))
    if overdue < 0:
        raise UserError("error.money.negative", field="--overdue", value=fmt(overdue))
    try:
        fen = to_fen(overdue)
    except ValueError:
        raise UserError("error.money.too_precise", value=str(overdue), field="--overdue") from None
    if overdue_months is not None and overdue_months < 0:
        raise UserError("after.error.months_negative", value=overdue_months)
    cls = normalize_classification(classification)
    label = account.strip()
    with store.transaction() as s:
        check = s.get(CreditCheckRow, check_id)
        if check is None:
            raise UserError("after.error.unknown_check", id=check_id)
        if loan_id is not None:
            loan = _loan_row(s, loan_id)
            label = label or loan.lender
        if not label:
            raise UserError("after.error.account")
        if reported_on is not None and reported_on > check.checked_on:
            raise UserError("after.error.reported_after_check", value=reported_on.isoformat(),
                            check=check.checked_on.isoformat())
        row = CreditEntryRow(check_id=check_id, loan_id=loan_id, account=label, status_code=code, overdue_fen=fen,
                             overdue_months=overdue_months, classification=cls, reported_on=reported_on,
                             note=_clean(note))
        s.add(row)
        s.flush()
        return _entry(row)


def mark_disputed(store: Store, entry_id: int, *, on: date | None = None, today: date | None = None) -> CreditEntry:
    """Record that a dispute (异议) about an entry was filed on ``on``."""
    day_today = today or clock.today()
    day = on or day_today
    if day > day_today:
        raise UserError("error.date.in_future", value=day.isoformat(), today=day_today.isoformat())
    with store.transaction() as s:
        row = s.get(CreditEntryRow, entry_id)
        if row is None:
            raise UserError("after.error.unknown_entry", id=entry_id)
        check = s.get(CreditCheckRow, row.check_id)
        assert check is not None
        if day < check.checked_on:
            raise UserError("after.error.dispute_before_check", value=day.isoformat(),
                            check=check.checked_on.isoformat())
        row.disputed_on = day
        s.flush()
        return _entry(row)


def list_checks(store: Store) -> list[CreditCheck]:
    from xieshang.services.case import _require_person

    with store.transaction() as s:
        _require_person(s, store)
        checks = list(s.scalars(select(CreditCheckRow).order_by(CreditCheckRow.checked_on, CreditCheckRow.id)))
        entries = list(s.scalars(select(CreditEntryRow).order_by(CreditEntryRow.id)))
        return [_check(c, [e for e in entries if e.check_id == c.id]) for c in checks]


# ---------------------------------------------------------------------------------------
# Free checks
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FreeChecks:
    per_year: int
    used_this_year: int
    next_free: date  # today while some are left this year, else 1 January
    last_check: date | None
    source: str
    confidence: str
    note: str

    @property
    def left(self) -> int:
        return max(self.per_year - self.used_this_year, 0)

    def to_json(self) -> dict[str, Any]:
        return {"per_year": self.per_year, "used_this_year": self.used_this_year, "left_this_year": self.left,
                "next_free": self.next_free.isoformat(),
                "last_check": None if self.last_check is None else self.last_check.isoformat(),
                "source": self.source, "confidence": self.confidence, "note": self.note}


def free_checks(checks: list[CreditCheck], today: date) -> FreeChecks:
    per_year, rule = _int_rule("free-reports")
    used = sum(1 for c in checks if c.free and c.checked_on.year == today.year)
    nxt = today if used < per_year else date(today.year + 1, 1, 1)
    last = max((c.checked_on for c in checks), default=None)
    return FreeChecks(per_year, used, nxt, last, rule.source, rule.confidence, rule.note)


# ---------------------------------------------------------------------------------------
# Expectations
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Expectation:
    """What the report should show for one loan, from our records, with the rule behind it."""

    loan_id: int
    lender: str
    state: str  # "never-overdue" | "overdue" | "agreement" | "overdue-ended" | "settled"
    overdue_ended: date | None  # the day the (last) overdue ended
    delete_after: date | None  # overdue_ended + the retention years
    settled_on: date | None
    should_show: str | None  # the code expected on the next report ("C" when settled)
    retention_years: int
    source: str
    confidence: str

    def to_json(self) -> dict[str, Any]:
        def day(d: date | None) -> str | None:
            return None if d is None else d.isoformat()

        return {"loan_id": self.loan_id, "lender": self.lender, "state": self.state,
                "overdue_ended": day(self.overdue_ended), "delete_after": day(self.delete_after),
                "settled_on": day(self.settled_on), "should_show": self.should_show,
                "retention_years": self.retention_years, "source": self.source, "confidence": self.confidence}


def _add_years(d: date, years: int) -> date:
    try:
        return d.replace(year=d.year + years)
    except ValueError:  # 29 February
        return d.replace(year=d.year + years, day=28)


def overdue_history(loan: LoanRecord, as_of: date) -> tuple[bool, date | None, date | None]:
    """(was ever overdue, the day the last overdue ended, the day the loan was settled) by ``as_of``.

    Replays the loan at each payment day (the only days an overdue can end) and at ``as_of``.
    """
    from xieshang.services.case import loan_status

    days = sorted({p.on for p in loan.payments if p.on <= as_of} | {as_of})
    ever = False
    ended: date | None = None
    settled: date | None = None
    prev_overdue = False
    from xieshang.services.agreements import in_force

    for d in days:
        after = loan_status(loan, d)
        if in_force(loan, d) is not None and not after.closed:
            # Repaying under an agreement: lenders may keep reporting the account as overdue or
            # restructured until it is settled, so the overdue is not taken as ended before that.
            ever = ever or prev_overdue or after.dpd > 0
            continue
        before = loan_status(loan, d - timedelta(days=1)) if d > (loan.disbursed or d) else None
        was = before is not None and before.dpd > 0
        ever = ever or was or after.dpd > 0
        if (was or prev_overdue) and after.dpd == 0:
            ended = d
        prev_overdue = after.dpd > 0
        if after.closed and settled is None:
            settled = d
    return ever, ended, settled


def expectations(store: Store, *, today: date | None = None) -> list[Expectation]:
    from xieshang.services.case import list_loans

    day = today or clock.today()
    years, rule = _int_rule("retention")
    out: list[Expectation] = []
    for loan in list_loans(store):
        first = loan.disbursed
        if first is None or day < first:
            continue
        try:
            ever, ended, settled = overdue_history(loan, day)
            from xieshang.services.case import loan_status

            now = loan_status(loan, day)
        except UserError:
            continue
        from xieshang.services.agreements import in_force

        if now.dpd > 0:
            state = "overdue"
        elif in_force(loan, day) is not None and not now.closed:
            state = "agreement"
        elif settled is not None or now.closed:
            state = "settled"
        elif ever:
            state = "overdue-ended"
        else:
            state = "never-overdue"
        open_overdue = state in ("overdue", "agreement")
        delete = _add_years(ended, years) if ended is not None and not open_overdue else None
        out.append(Expectation(loan.id, loan.lender, state, None if open_overdue else ended, delete,
                               settled, SETTLED_CODE if state == "settled" else None, years, rule.source,
                               rule.confidence))
    return out


# ---------------------------------------------------------------------------------------
# Disputes
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Discrepancy:
    """One way an entry differs from our records. ``kind`` is one of ``reported_overdue_but_current``,
    ``overdue_band_differs``, ``overdue_amount_differs``, ``not_shown_settled``."""

    kind: str
    reported: str  # what the report says (a code or an amount)
    ours: str  # what our records say (a code, a DPD or an amount)

    def to_json(self) -> dict[str, str]:
        return {"kind": self.kind, "reported": self.reported, "ours": self.ours}


@dataclass(frozen=True, slots=True)
class DisputeCandidate:
    """A credit-report entry our records contradict: the input of a credit-dispute letter.

    ``on`` is the date compared (the entry's ``reported_on``, else the check date); ``reply_days``
    is the answer deadline of the ``dispute`` rule (20 days, 征信业管理条例 第25条) with its source;
    ``reply_due`` is set once the dispute was filed (``disputed_on`` + ``reply_days``).
    """

    entry: CreditEntry
    checked_on: date
    on: date
    loan_id: int
    lender: str
    contract_no: str | None
    discrepancies: tuple[Discrepancy, ...]
    our_dpd: int
    our_overdue: Decimal
    reply_days: int
    source: str
    reply_due: date | None

    def to_json(self) -> dict[str, Any]:
        return {"entry": self.entry.to_json(), "checked_on": self.checked_on.isoformat(), "on": self.on.isoformat(),
                "loan_id": self.loan_id, "lender": self.lender, "contract_no": self.contract_no,
                "discrepancies": [d.to_json() for d in self.discrepancies], "our_dpd": self.our_dpd,
                "our_overdue": fmt(self.our_overdue), "reply_days": self.reply_days, "source": self.source,
                "reply_due": None if self.reply_due is None else self.reply_due.isoformat()}


def _band_code(dpd: int) -> str:
    for code, (lo, hi) in OVERDUE_BANDS.items():
        if dpd >= lo and (hi is None or dpd <= hi):
            return code
    return "N"


def dispute_candidates(store: Store, *, today: date | None = None) -> list[DisputeCandidate]:
    """Entries of the latest check per loan that our records contradict (see the module docstring).

    Only entries linked to a loan (``--loan``) can be compared. Returns a list of
    :class:`DisputeCandidate`, oldest check first; each has ``to_json()``.
    """
    from xieshang.services.case import list_loans, loan_status

    day = today or clock.today()
    reply_days, rule = _int_rule("dispute")
    loans = {loan.id: loan for loan in list_loans(store)}
    latest: dict[int, tuple[CreditCheck, CreditEntry]] = {}
    for check in list_checks(store):
        for entry in check.entries:
            if entry.loan_id is not None and entry.loan_id in loans:
                latest[entry.loan_id] = (check, entry)  # checks come oldest first
    out: list[DisputeCandidate] = []
    for loan_id, (check, entry) in sorted(latest.items(), key=lambda kv: (kv[1][0].checked_on, kv[1][1].id)):
        loan = loans[loan_id]
        on = min(entry.reported_on or check.checked_on, day)
        first = loan.disbursed
        if first is None or on < first:
            continue
        try:
            ours = loan_status(loan, on)
            _, _, settled = overdue_history(loan, on)
        except UserError:
            continue
        found: list[Discrepancy] = []
        if entry.is_overdue and ours.dpd == 0:
            found.append(Discrepancy("reported_overdue_but_current", entry.status_code, "N"))
        elif entry.is_overdue and _band_code(ours.dpd) != entry.status_code:
            found.append(Discrepancy("overdue_band_differs", entry.status_code, f"{_band_code(ours.dpd)} ({ours.dpd})"))
        if (entry.overdue > 0 or ours.overdue_amount > 0) and abs(entry.overdue - ours.overdue_amount) > AMOUNT_TOLERANCE:
            found.append(Discrepancy("overdue_amount_differs", fmt(entry.overdue), fmt(ours.overdue_amount)))
        if settled is not None and entry.status_code != SETTLED_CODE \
                and (on - settled).days > REPORTING_LAG_DAYS:
            found.append(Discrepancy("not_shown_settled", entry.status_code, SETTLED_CODE))
        if found:
            due = None if entry.disputed_on is None else entry.disputed_on + timedelta(days=reply_days)
            out.append(DisputeCandidate(entry, check.checked_on, on, loan.id, loan.lender, loan.contract_no,
                                        tuple(found), ours.dpd, ours.overdue_amount, reply_days, rule.source, due))
    return out


@dataclass(frozen=True)
class CreditOverview:
    checks: list[CreditCheck]
    free: FreeChecks
    expectations: list[Expectation]
    disputes: list[DisputeCandidate]
    retention_text: str

    def to_json(self) -> dict[str, Any]:
        return {"checks": [c.to_json() for c in self.checks], "free_checks": self.free.to_json(),
                "expectations": [e.to_json() for e in self.expectations],
                "dispute_candidates": [d.to_json() for d in self.disputes], "retention": self.retention_text}


def credit_overview(store: Store, *, today: date | None = None) -> CreditOverview:
    from xieshang.i18n import current_language

    day = today or clock.today()
    checks = list_checks(store)
    return CreditOverview(checks, free_checks(checks, day), expectations(store, today=day),
                          dispute_candidates(store, today=day), _rule("retention").text(current_language()))
