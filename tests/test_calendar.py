"""`due` and `calendar export`: what is due, and the .ics read back by icalendar AND by an
independent minimal RFC 5545 parser (line unfolding, properties, components) written here."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from xieshang.engine.schedule import add_months
from xieshang.errors import UserError
from xieshang.rates import AnnualRate
from xieshang.services.agreements import AgreementInput, add_agreement
from xieshang.services.case import (
    LoanFields,
    PersonInfo,
    add_loan,
    add_payment,
    get_loan,
    init_case,
    loan_status,
)
from xieshang.services.credit import add_check, add_entry, mark_disputed
from xieshang.services.reminders import FOLLOW_UP_DAYS, add_task, complete_task, due_items, export_calendar
from xieshang.store.db import Store, open_store

D = Decimal
TODAY = date(2026, 3, 1)


@pytest.fixture
def store(store_location: str) -> Store:
    s = open_store(store_location)
    init_case(s, PersonInfo(name="测试"))
    # Loan 1: current, instalments on the 20th. Loan 2: will follow an agreement.
    add_loan(s, LoanFields(profile_id="jiebei", principal=D("6000.00"), rate=AnnualRate(D("0.12")), term_months=6,
                           start=date(2026, 1, 20)), today=TODAY)
    add_loan(s, LoanFields(profile_id="wangshangdai", principal=D("12000.00"), rate=AnnualRate(D("0.12")),
                           term_months=12, start=date(2025, 6, 5)), today=TODAY)
    add_agreement(s, AgreementInput(loan_id=2, months=10, monthly=D(800), start=date(2026, 2, 25),
                                    down_payment=D(500), down_payment_due=date(2026, 3, 5),
                                    first_due=date(2026, 4, 5), status="confirmed-in-writing"), today=TODAY)
    add_agreement(s, AgreementInput(loan_id=1, months=3, balance=D(3000), status="proposed",
                                    start=date(2026, 2, 20)), today=date(2026, 2, 20))
    return s


def test_due_lists_payments_and_tasks(store: Store) -> None:
    items = due_items(store, days=40, today=TODAY)
    uids = [i.uid for i in items]
    # Loan 2 follows its agreement (down payment, then agreed instalments), not the contract.
    assert "agreement-1-0" in uids and "agreement-1-1" in uids
    assert not any(u.startswith("loan-2-") for u in uids)
    down = next(i for i in items if i.uid == "agreement-1-0")
    assert (down.on, down.amount, down.category) == (date(2026, 3, 5), D("500.00"), "down-payment")
    # Loan 1: the contract's instalments on the 20th (February's unpaid: overdue); the proposal gets a
    # follow-up 15 days later.
    contract = [(i.on, i.overdue) for i in items if i.uid.startswith("loan-1-")]
    assert contract == [(date(2026, 2, 20), True), (date(2026, 3, 20), False)]
    follow = next(i for i in items if i.uid == "agreement-2-follow-up")
    assert follow.on == date(2026, 2, 20) + timedelta(days=FOLLOW_UP_DAYS) and not follow.overdue
    assert "credit-check-next" in uids  # no check recorded yet: one is due now
    assert [i.on for i in items] == sorted(i.on for i in items)
    assert all(i.on <= TODAY + timedelta(days=40) for i in items)


def test_tasks_and_disputes_appear_until_done(store: Store) -> None:
    task = add_task(store, "寄出协商申请书", date(2026, 3, 10), kind="letter", loan_id=1)
    check = add_check(store, on=date(2026, 2, 1), channel="app", today=TODAY)
    entry = add_entry(store, check.id, account="借呗", loan_id=1, status_code="1")
    mark_disputed(store, entry.id, on=date(2026, 2, 15), today=TODAY)
    items = {i.uid: i for i in due_items(store, days=30, today=TODAY)}
    assert items[f"task-{task.id}"].on == date(2026, 3, 10) and items[f"task-{task.id}"].kind == "task"
    assert items[f"credit-dispute-{entry.id}"].on == date(2026, 3, 7)  # 20 days after 02-15
    assert "credit-check-next" not in items  # half a year after the last check (1 free left): 08-02
    later = {i.uid: i for i in due_items(store, days=200, today=TODAY)}
    assert later["credit-check-next"].on == date(2026, 8, 2)
    complete_task(store, task.id, on=TODAY)
    assert f"task-{task.id}" not in {i.uid for i in due_items(store, days=30, today=TODAY)}
    with pytest.raises(UserError):
        complete_task(store, task.id)
    with pytest.raises(UserError) as err:
        add_task(store, "x", TODAY, kind="party")
    assert err.value.key == "after.error.task_kind"
    with pytest.raises(UserError) as err:
        due_items(store, days=-1, today=TODAY)
    assert err.value.key == "after.error.days"


# -- an independent reader (RFC 5545 §3.1 unfolding, §3.4–3.6 components) ---------------------


@dataclass
class Comp:
    name: str
    props: dict[str, str] = field(default_factory=dict)
    params: dict[str, list[str]] = field(default_factory=dict)
    children: list[Comp] = field(default_factory=list)


def parse_ics(data: bytes) -> list[Comp]:
    """A minimal RFC 5545 reader: unfold lines, split NAME;PARAMS:VALUE, nest components."""
    text = data.decode("utf-8")
    assert "\r\n" in text and "\n" not in text.replace("\r\n", "")  # CRLF line ends only
    lines: list[str] = []
    for raw in text.split("\r\n"):
        if raw.startswith((" ", "\t")):  # a folded continuation: drop the one whitespace char
            lines[-1] += raw[1:]
        elif raw:
            lines.append(raw)
    root = Comp("ROOT")
    stack = [root]
    for line in lines:
        head, _, value = line.partition(":")
        name, *params = head.split(";")
        if name == "BEGIN":
            comp = Comp(value)
            stack[-1].children.append(comp)
            stack.append(comp)
        elif name == "END":
            assert stack[-1].name == value, f"END:{value} closes {stack[-1].name}"
            stack.pop()
        else:
            stack[-1].props[name] = value
            stack[-1].params[name] = params
    assert stack == [root]
    (cal,) = root.children
    assert cal.name == "VCALENDAR"
    return [c for c in cal.children if c.name == "VEVENT"]


def test_calendar_is_valid_and_has_stable_uids(store: Store, tmp_path: Path) -> None:
    import icalendar

    path = tmp_path / "due.ics"
    items = export_calendar(store, path, days=90, alarm_days=2, today=TODAY)
    assert items and all(i.on >= TODAY for i in items)
    data = path.read_bytes()
    # 1. icalendar
    cal = icalendar.Calendar.from_ical(data)
    assert str(cal["VERSION"]) == "2.0" and "PRODID" in cal
    events = list(cal.walk("VEVENT"))
    assert len(events) == len(items)
    by_uid = {str(e["UID"]): e for e in events}
    assert set(by_uid) == {f"{i.uid}@xieshang.local" for i in items}
    for item in items:
        ev = by_uid[f"{item.uid}@xieshang.local"]
        assert ev.decoded("DTSTART") == item.on and ev.decoded("DTEND") == item.on + timedelta(days=1)
        (alarm,) = ev.walk("VALARM")
        assert str(alarm.get("ACTION")) == "DISPLAY" and alarm.decoded("TRIGGER") == timedelta(days=-2)
        assert str(ev["SUMMARY"]) == item.text()
    down = by_uid["agreement-1-0@xieshang.local"]
    assert "500.00" in str(down["SUMMARY"])
    # 2. the independent reader
    mine = parse_ics(data)
    assert len(mine) == len(items)
    seen: dict[str, dict[str, str]] = {}
    for comp in mine:
        seen[comp.props["UID"]] = comp.props
        assert comp.params["DTSTART"] == ["VALUE=DATE"]
        (valarm,) = comp.children
        assert valarm.name == "VALARM" and valarm.props["TRIGGER"] == "-P2D"
        assert valarm.props["ACTION"] == "DISPLAY"
    assert seen["agreement-1-0@xieshang.local"]["DTSTART"] == "20260305"
    assert seen["agreement-1-1@xieshang.local"]["DTSTART"] == "20260405"
    # 3. a second export (a day later, after a payment) keeps the UIDs of what is still due
    from xieshang.services.case import add_payment

    add_payment(store, 2, D(500), on=date(2026, 3, 2), today=date(2026, 3, 2))
    path2 = tmp_path / "again.ics"
    export_calendar(store, path2, days=90, alarm_days=2, today=date(2026, 3, 2))
    again = {str(e["UID"]) for e in icalendar.Calendar.from_ical(path2.read_bytes()).walk("VEVENT")}
    assert "agreement-1-0@xieshang.local" not in again  # the down payment is paid
    assert set(by_uid) - {"agreement-1-0@xieshang.local"} <= again | {"credit-check-next@xieshang.local"}
    # and the same day twice: byte-identical apart from DTSTAMP
    export_calendar(store, path, days=90, alarm_days=2, today=date(2026, 3, 2))
    strip = [ln for ln in path.read_bytes().split(b"\r\n") if not ln.startswith(b"DTSTAMP")]
    assert strip == [ln for ln in path2.read_bytes().split(b"\r\n") if not ln.startswith(b"DTSTAMP")]


def test_bad_alarm_leaves_no_file(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "x.ics"
    with pytest.raises(UserError) as err:
        export_calendar(store, path, alarm_days=99, today=TODAY)
    assert err.value.key == "after.error.alarm_days" and not path.exists()
    assert list(tmp_path.glob("*.tmp")) == []


@pytest.mark.parametrize("today", [date(2026, 12, 1), date(2027, 1, 31), date(2028, 2, 29), date(2026, 12, 31)])
def test_an_agreement_whose_first_payment_is_a_month_away_still_shows_it(store_location: str, today: date) -> None:
    """An agreement made today pays first a month later, 28 to 31 days away: the due list of the
    next 30 days still shows that payment, marked as beyond the window (issue 18)."""
    s = open_store(store_location)
    init_case(s, PersonInfo(name="测试"))
    add_loan(s, LoanFields(profile_id="weilidai", principal=D("6000.00"), rate=AnnualRate(D("0.12")), term_months=6,
                           start=today - timedelta(days=300)), today=today)
    added = add_agreement(s, AgreementInput(loan_id=1, months=6, monthly=D(700), start=today,
                                            status="confirmed-in-writing"), today=today)
    items = [i for i in due_items(s, days=30, today=today) if i.kind == "payment"]
    first = add_months(today, 1)
    assert [(i.uid, i.on) for i in items] == [(f"agreement-{added.id}-1", first)]
    assert items[0].beyond is ((first - today).days > 30)
    assert items[0].to_json()["beyond"] is items[0].beyond
    # A window that reaches it lists it as any other payment; a longer one lists the rest too.
    assert not any(i.beyond for i in due_items(s, days=31, today=today))
    assert len([i for i in due_items(s, days=200, today=today) if i.kind == "payment"]) == 6


def test_a_closed_loan_shows_no_next_payment(store: Store) -> None:
    add_payment(store, 1, loan_status(get_loan(store, 1), TODAY).payoff, on=TODAY)
    assert not any(i.loan_id == 1 and i.kind == "payment" for i in due_items(store, days=30, today=TODAY))
