"""Reminders: what is due when (``xieshang due``) and the same as a calendar file (``calendar export``).

Items, each with a **stable id** (the calendar UID, so re-importing a newer export updates the
events instead of duplicating them):

* **payments** — per loan, the agreed schedule when the loan follows an agreement (in force, or
  agreed and waiting for its start or down payment; ``agreement-<id>-<n>``, n 0 = down payment),
  else the contract's instalments (``loan-<id>-<n>``; for a card, its monthly minimums), each with
  what is still unpaid; past-due ones are marked overdue;
* **tasks** the user (or another area, e.g. letters) added (``task-<id>``);
* **derived tasks**: follow up a proposal :data:`FOLLOW_UP_DAYS` days after it was made; ask for
  written confirmation of a verbal agreement; check the credit report when a free check is
  available (spread over the year) and after a settlement; the 20-day reply deadline of a filed
  credit-report dispute (rules data).

The calendar (RFC 5545, written with ``icalendar``) has one all-day event per item from today on,
each with a display alarm ``alarm_days`` before; the file is written atomically.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from xieshang import clock
from xieshang.errors import UserError
from xieshang.money import fmt, fmt_display
from xieshang.store.models_after import TASK_KINDS, TaskRow

if TYPE_CHECKING:
    from xieshang.services.agreements import AgreementRecord
    from xieshang.services.case import LoanRecord
    from xieshang.store.db import Store

#: "Follow up in 15 days": when a proposal or a verbal agreement gets a reminder (xieshang's default).
FOLLOW_UP_DAYS = 15
#: Days between the two free credit checks of a year when spreading them (about half a year).
CHECK_SPACING_DAYS = 182
UID_DOMAIN = "xieshang.local"
MAX_DAYS = 3660
MAX_ALARM_DAYS = 60


@dataclass(frozen=True, slots=True)
class DueItem:
    uid: str
    kind: str  # "payment" | "task"
    category: str  # payment: agreed | down-payment | contract; task: a TASK_KINDS value or a derived kind
    on: date
    key: str  # message key under after.due.item.*
    params: dict[str, Any] = field(default_factory=dict)
    loan_id: int | None = None
    amount: Decimal | None = None
    overdue: bool = False
    task_id: int | None = None
    source: str | None = None
    #: The loan's next payment although it falls after the window asked for: every loan that
    #: is still being repaid shows its next payment, however far away (a monthly instalment
    #: can be 31 days off while the list looks 30 days ahead).
    beyond: bool = False

    def text(self, lang: str | None = None) -> str:
        from xieshang.i18n import t

        shown = {k: (fmt_display(v) if isinstance(v, Decimal) else v.isoformat() if isinstance(v, date) else v)
                 for k, v in self.params.items()}
        return t(f"after.due.item.{self.key}", lang=lang, **shown)

    def to_json(self) -> dict[str, Any]:
        return {"uid": self.uid, "kind": self.kind, "category": self.category, "date": self.on.isoformat(),
                "text": self.text(), "loan_id": self.loan_id,
                "amount": None if self.amount is None else fmt(self.amount), "overdue": self.overdue,
                "task_id": self.task_id, "source": self.source, "beyond": self.beyond}


# ---------------------------------------------------------------------------------------
# Tasks
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Task:
    id: int
    kind: str
    title: str
    due: date
    loan_id: int | None = None
    done_on: date | None = None
    note: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "kind": self.kind, "title": self.title, "due": self.due.isoformat(),
                "loan_id": self.loan_id, "done_on": None if self.done_on is None else self.done_on.isoformat(),
                "note": self.note}


def _task(row: TaskRow) -> Task:
    return Task(row.id, row.kind, row.title, row.due, row.loan_id, row.done_on, row.note)


def add_task(store: Store, title: str, due: date, *, kind: str = "other", loan_id: int | None = None,
             note: str | None = None) -> Task:
    """Add a task (send a letter, follow up …). Other areas may call this too."""
    from xieshang.services.case import _loan_row, _require_person

    if kind not in TASK_KINDS:
        raise UserError("after.error.task_kind", value=kind, choices=", ".join(TASK_KINDS))
    text = title.strip()
    if not text:
        raise UserError("after.error.task_title")
    with store.transaction() as s:
        person = _require_person(s, store)
        if loan_id is not None:
            _loan_row(s, loan_id)
        row = TaskRow(person_id=person.id, loan_id=loan_id, kind=kind, title=text, due=due,
                      note=None if note is None or not note.strip() else note.strip())
        s.add(row)
        s.flush()
        return _task(row)


def complete_task(store: Store, task_id: int, *, on: date | None = None) -> Task:
    with store.transaction() as s:
        row = s.get(TaskRow, task_id)
        if row is None:
            raise UserError("after.error.unknown_task", id=task_id)
        if row.done_on is not None:
            raise UserError("after.error.task_done", id=task_id, date=row.done_on.isoformat())
        row.done_on = on or clock.today()
        s.flush()
        return _task(row)


def list_tasks(store: Store, *, include_done: bool = False) -> list[Task]:
    from xieshang.services.case import _require_person

    with store.transaction() as s:
        _require_person(s, store)
        query = select(TaskRow).order_by(TaskRow.due, TaskRow.id)
        if not include_done:
            query = query.where(TaskRow.done_on.is_(None))
        return [_task(r) for r in s.scalars(query)]


# ---------------------------------------------------------------------------------------
# What is due
# ---------------------------------------------------------------------------------------


def followed_agreement(loan: LoanRecord, today: date) -> AgreementRecord | None:
    """The agreement whose schedule the borrower follows: in force, else the latest agreed one."""
    from xieshang.services.agreements import in_force

    current = in_force(loan, today)
    if current is not None:
        return current
    agreed = [a for a in loan.agreements if a.takes_over]
    return max(agreed, key=lambda a: (a.start, a.id)) if agreed else None


def _loan_payments(loan: LoanRecord, today: date, until: date) -> list[DueItem]:
    """The loan's unpaid payments due by ``until`` (and past due); when none falls in the window,
    its next payment after it, marked :attr:`DueItem.beyond`."""
    from xieshang.services.agreements import adherence
    from xieshang.services.case import loan_status

    agreement = followed_agreement(loan, today)
    items: list[DueItem] = []
    if agreement is not None:
        for inst in adherence(loan, agreement, today).instalments:
            if inst.state not in ("upcoming", "partial", "missed"):
                continue
            down = inst.n == 0
            items.append(DueItem(
                f"agreement-{agreement.id}-{inst.n}", "payment", "down-payment" if down else "agreed", inst.due,
                "down_payment" if down else "agreed", {"lender": loan.lender, "n": inst.n, "amount": inst.unpaid},
                loan.id, inst.unpaid, inst.due < today))
        return _window(items, until)
    first = loan.disbursed
    if first is None or today < first:
        return items
    try:
        status = loan_status(loan, today)
    except UserError:
        return items
    if status.closed:
        return items
    for part in status.instalments:
        if part.state.value == "paid" or part.unpaid <= 0:
            continue
        items.append(DueItem(f"loan-{loan.id}-{part.n}", "payment", "contract", part.due_date,
                             "card" if loan.is_card else "contract",
                             {"lender": loan.lender, "n": part.n, "amount": part.unpaid}, loan.id, part.unpaid,
                             part.due_date < today))
    return _window(items, until)


def _window(items: list[DueItem], until: date) -> list[DueItem]:
    """``items`` due by ``until``; if there are none, the first one after it, marked ``beyond``."""
    inside = [i for i in items if i.on <= until]
    if inside or not items:
        return inside
    return [replace(min(items, key=lambda i: (i.on, i.uid)), beyond=True)]


def _agreement_tasks(loan: LoanRecord) -> list[DueItem]:
    out: list[DueItem] = []
    for a in loan.agreements:
        if a.status == "proposed":
            out.append(DueItem(f"agreement-{a.id}-follow-up", "task", "follow-up",
                               a.recorded_on + timedelta(days=FOLLOW_UP_DAYS), "follow_up",
                               {"lender": loan.lender, "id": a.id, "since": a.recorded_on}, loan.id))
        elif a.status == "agreed-verbally":
            since = a.agreed_on or a.recorded_on
            out.append(DueItem(f"agreement-{a.id}-confirm", "task", "follow-up",
                               since + timedelta(days=FOLLOW_UP_DAYS), "confirm",
                               {"lender": loan.lender, "id": a.id, "since": since}, loan.id))
    return out


def _credit_tasks(store: Store, loans: list[LoanRecord], today: date) -> list[DueItem]:
    from xieshang.services import credit

    checks = credit.list_checks(store)
    free = credit.free_checks(checks, today)
    out: list[DueItem] = []
    if free.left > 0:
        on = today if free.last_check is None else max(today, free.last_check + timedelta(days=CHECK_SPACING_DAYS))
        if on.year > today.year:
            on = date(today.year + 1, 1, 1)
    else:
        on = free.next_free
    out.append(DueItem("credit-check-next", "task", "credit-check", on, "credit_check",
                       {"left": free.left, "per_year": free.per_year}, source=free.source))
    last = free.last_check
    for exp in credit.expectations(store, today=today):
        if exp.settled_on is None:
            continue
        when = exp.settled_on + timedelta(days=credit.REPORTING_LAG_DAYS)
        if last is not None and last >= when:
            continue  # already checked after the lender had time to report
        out.append(DueItem(f"credit-settled-{exp.loan_id}", "task", "credit-check", max(when, today),
                           "credit_settled", {"lender": exp.lender}, exp.loan_id, source=exp.source))
    for check in checks:
        for entry in check.entries:
            if entry.disputed_on is not None:
                days, rule = credit._int_rule("dispute")
                out.append(DueItem(f"credit-dispute-{entry.id}", "task", "dispute-reply",
                                   entry.disputed_on + timedelta(days=days), "dispute_reply",
                                   {"account": entry.account, "since": entry.disputed_on, "days": days},
                                   entry.loan_id, source=rule.source))
    return out


def due_items(store: Store, *, days: int = 30, today: date | None = None) -> list[DueItem]:
    """Everything due from today to ``days`` ahead, plus what is already past due, by date; and
    for a loan with nothing due in that window, its next payment (marked ``beyond``)."""
    from xieshang.services.case import list_loans

    if not 0 <= days <= MAX_DAYS:
        raise UserError("after.error.days", value=days, max=MAX_DAYS)
    day = today or clock.today()
    until = day + timedelta(days=days)
    loans = list_loans(store)
    items: list[DueItem] = []
    for loan in loans:
        items += _loan_payments(loan, day, until)
        items += [i for i in _agreement_tasks(loan) if i.on <= until]
    for task in list_tasks(store):
        if task.due <= until:
            items.append(DueItem(f"task-{task.id}", "task", task.kind, task.due, "task", {"title": task.title},
                                 task.loan_id, task_id=task.id, overdue=task.due < day))
    items += [i for i in _credit_tasks(store, loans, day) if i.on <= until]
    items = [replace(i, overdue=True) if i.on < day and not i.overdue else i for i in items]
    return sorted(items, key=lambda i: (i.on, 0 if i.kind == "payment" else 1, i.uid))


# ---------------------------------------------------------------------------------------
# Calendar
# ---------------------------------------------------------------------------------------


def calendar_bytes(items: list[DueItem], *, alarm_days: int, now: datetime | None = None) -> bytes:
    """The RFC 5545 calendar of ``items`` (all-day events, one display alarm each)."""
    from icalendar import Alarm, Calendar, Event

    from xieshang.i18n import t

    if not 0 <= alarm_days <= MAX_ALARM_DAYS:
        raise UserError("after.error.alarm_days", value=alarm_days, max=MAX_ALARM_DAYS)
    stamp = (now or clock.now()).replace(microsecond=0)
    cal = Calendar()
    cal.add("prodid", "-//xieshang//xieshang reminders//ZH")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", t("after.calendar.name"))
    for item in items:
        ev = Event()
        ev.add("uid", f"{item.uid}@{UID_DOMAIN}")
        ev.add("dtstamp", stamp)
        ev.add("dtstart", item.on)
        ev.add("dtend", item.on + timedelta(days=1))
        ev.add("summary", item.text())
        desc = [t(f"after.calendar.kind.{item.kind}")]
        if item.amount is not None:
            desc.append(t("after.calendar.amount", amount=fmt_display(item.amount)))
        if item.source:
            desc.append(t("after.calendar.source", source=item.source))
        ev.add("description", "\n".join(desc))
        ev.add("categories", [item.kind, item.category])
        ev.add("transp", "TRANSPARENT")
        alarm = Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("description", item.text())
        alarm.add("trigger", timedelta(days=-alarm_days))
        ev.add_component(alarm)
        cal.add_component(ev)
    data: bytes = cal.to_ical()
    return data


def export_calendar(store: Store, path: Path, *, days: int = 365, alarm_days: int = 3,
                    today: date | None = None) -> list[DueItem]:
    """Write the calendar of everything due from today to ``days`` ahead to ``path`` (atomically)."""
    from xieshang.services.transfer import write_atomic

    day = today or clock.today()
    items = [i for i in due_items(store, days=days, today=day) if i.on >= day]
    data = calendar_bytes(items, alarm_days=alarm_days)
    write_atomic(path, data.decode("utf-8"))
    return items
