"""Form and JSON text → the inputs of the after-the-agreement and prevention services.

Pages (``routes/agreements.py``, ``routes/credit.py``, ``routes/prevention.py``) and the JSON API
(``routes/api_after.py``) both read their input here, like the CLI's option parsing in
``cli/agreement.py``, ``cli/due.py``, ``cli/credit.py`` and ``cli/budget.py``: each field is parsed
on its own so every unreadable field gets its own message (:class:`FormErrors`); the service's
own checks then run on the whole and its :class:`UserError` is put next to the field it is about
(:func:`after_error`). The rules about what an agreement, a task, a credit entry or a budget line
may be live in the services; nothing here decides anything but how text is read.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, TypeVar

from xieshang.errors import UserError
from xieshang.i18n import t
from xieshang.web.forms import FieldReader, FormErrors, parse_day
from xieshang.web.forms import message as base_message

if TYPE_CHECKING:
    from xieshang.rates import Rate
    from xieshang.services.agreements import AgreementInput

T = TypeVar("T")

#: The fields of each form, in page order (also the names the API's bodies use).
AGREEMENT_FIELDS = ("loan", "status", "months", "monthly", "balance", "down_payment", "down_payment_date", "start",
                    "first_due", "rate", "waive_penalty", "waive_compound", "waive_fee", "waive_interest", "note")
WAIVER_FIELDS = {"waive_penalty": "penalty", "waive_compound": "compound", "waive_fee": "fee",
                 "waive_interest": "interest"}
TASK_FIELDS = ("title", "date", "kind", "loan", "note")
CHECK_FIELDS = ("date", "channel", "free", "note")
ENTRY_FIELDS = ("check", "loan", "account", "status_code", "overdue", "overdue_months", "classification", "reported",
                "note")
BUDGET_FIELDS = ("month", "kind", "category", "planned", "actual")
FUND_FIELDS = ("target", "fund_months", "saved")
AFFORD_FIELDS = ("amount", "apr", "months", "income", "debts", "flat", "upfront_fee", "monthly_fee")

#: A CLI flag (or service field name) named in an error → the form field it is.
FLAG_FIELD = {
    "--monthly": "monthly", "--balance": "balance", "--down-payment": "down_payment", "--waive": "",
    "--overdue": "overdue", "planned": "planned", "--actual": "actual", "--target": "target", "--saved": "saved",
    "--amount": "amount", "--income": "income", "fee/debts": "", "--amount − --upfront-fee": "upfront_fee",
    "amount": "amount",
}
#: A service error key → the form field it is about (where its params do not say).
KEY_FIELD = {
    "after.error.status": "status", "error.term.months": "months", "error.date.before_disbursement": "start",
    "after.error.first_due": "first_due", "after.error.down_payment_due_without_amount": "down_payment",
    "after.error.down_payment_due": "down_payment_date", "error.rate.negative": "rate",
    "error.rate.unparseable": "rate", "after.error.monthly_or_balance": "monthly", "after.error.inconsistent": "monthly",
    "after.error.task_title": "title", "after.error.task_kind": "kind", "after.error.channel": "channel",
    "after.error.status_code": "status_code", "after.error.months_negative": "overdue_months",
    "after.error.classification": "classification", "after.error.unknown_check": "check",
    "after.error.account": "account", "after.error.reported_after_check": "reported", "after.error.month": "month",
    "after.error.budget_kind": "kind", "after.error.category": "category", "after.error.budget_nothing": "planned",
    "after.error.target_or_months": "target", "after.error.fund_nothing": "target",
    "after.error.fund_months": "fund_months", "after.error.fund_needs_budget": "fund_months",
    "after.error.need_income": "income", "error.case.unknown_loan": "loan", "error.date.in_future": "date",
    "after.error.dispute_before_check": "date", "after.error.no_budget_line": "category",
    "after.error.waiver_twice": "", "after.error.entry_needs_written": "status",
}


def label(name: str) -> str:
    key = f"web_after.field.{name}"
    text = t(key)
    return name if text == key else text


def message(exc: UserError) -> str:
    """The error in the user's language, in the words of the page (a field's label, not a CLI flag)."""
    params = dict(exc.params)
    for name in ("flag", "field"):
        value = params.get(name)
        if isinstance(value, str) and FLAG_FIELD.get(value):
            params[name] = label(FLAG_FIELD[value])
    web_key = "web_after.error." + exc.key.rsplit(".", 1)[-1]
    if exc.key.startswith("after.error."):
        text = t(web_key, **params)
        if not text.startswith(web_key):
            return text
        return t(exc.key, **params)
    return base_message(UserError(exc.key, **params))


def after_error(exc: UserError, data: Mapping[str, str], fields: tuple[str, ...]) -> FormErrors:
    """A service's error as the message next to the field it is about (``""``: above the form)."""
    found = KEY_FIELD.get(exc.key)
    if found is None:
        for name in ("flag", "field"):
            value = exc.params.get(name)
            if isinstance(value, str) and value in FLAG_FIELD:
                found = FLAG_FIELD[value]
                break
    if found is None and exc.key.startswith("error.date."):
        value = str(exc.params.get("value", ""))
        found = next((f for f in fields if str(data.get(f, "")).strip() == value), None)
    if found == "months" and "months" not in fields and "fund_months" in fields:
        found = "fund_months"
    return FormErrors({found if found in fields else "": message(exc)})


class Reader(FieldReader):
    """The after-the-agreement forms: errors and labels in the ``web_after`` words."""

    def describe(self, exc: UserError) -> str:
        return message(exc)

    def label(self, name: str) -> str:
        return label(name)

    def money(self, name: str, *, required: bool = False) -> Decimal | None:
        from xieshang.money import parse_money

        return self.get(name, lambda s: parse_money(s, field=label(name)), required=required)

    def day(self, name: str, *, required: bool = False) -> date | None:
        return self.get(name, parse_day, required=required)

    def integer(self, name: str, *, required: bool = False, key: str = "web_after.error.whole_number") -> int | None:
        def parse(s: str) -> int:
            if not s.isdigit() or len(s) > 6:
                raise UserError(key, field=label(name), value=s)
            return int(s)

        return self.get(name, parse, required=required)

    def ident(self, name: str, *, required: bool = False) -> int | None:
        return self.integer(name, required=required, key="web_after.error.choose")

    def flag(self, name: str) -> bool:
        return self.text(name).lower() in ("1", "true", "on", "yes")

    def done(self) -> None:
        if self.errors:
            raise FormErrors(self.errors)


# ---------------------------------------------------------------------------------------
# Agreements and tasks
# ---------------------------------------------------------------------------------------


def agreement_input(data: Mapping[str, str]) -> AgreementInput:
    """The agreement form (or body) as :class:`AgreementInput` (``agreement add``)."""
    from xieshang.engine.terms import Component
    from xieshang.money import ZERO
    from xieshang.rates import parse_rate
    from xieshang.services.agreements import AgreementInput, WaiverItem

    r = Reader(data)
    loan_id = r.ident("loan", required=True)
    months = r.get("months", _months, required=True)
    monthly = r.money("monthly")
    balance = r.money("balance")
    down = r.money("down_payment")
    dp_due = r.day("down_payment_date")
    start = r.day("start")
    first_due = r.day("first_due")
    rate: Rate | None = r.get("rate", parse_rate)
    waivers = []
    for name, component in WAIVER_FIELDS.items():
        amount = r.money(name)
        if amount is not None and amount != 0:
            waivers.append(WaiverItem(Component(component), amount))
    r.done()
    assert loan_id is not None and months is not None
    return AgreementInput(loan_id=loan_id, months=months, start=start, monthly=monthly, balance=balance,
                          down_payment=down if down is not None else ZERO, down_payment_due=dp_due,
                          first_due=first_due, rate=rate, waivers=tuple(waivers),
                          status=r.text("status") or "proposed", note=r.text("note") or None)


def _months(text: str) -> int:
    if not text.isdigit():
        raise UserError("error.term.months", value=text)
    return int(text)


@dataclass(frozen=True, slots=True)
class TaskInput:
    title: str
    due: date
    kind: str
    loan_id: int | None
    note: str | None


def task_input(data: Mapping[str, str]) -> TaskInput:
    r = Reader(data)
    due = r.day("date", required=True)
    loan_id = r.ident("loan")
    if not r.text("title"):
        r.errors["title"] = t("web.error.required", field=label("title"))
    r.done()
    assert due is not None
    return TaskInput(r.text("title"), due, r.text("kind") or "other", loan_id, r.text("note") or None)


# ---------------------------------------------------------------------------------------
# Credit report
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CheckInput:
    on: date | None
    channel: str
    free: bool
    note: str | None


def check_input(data: Mapping[str, str]) -> CheckInput:
    r = Reader(data)
    on = r.day("date")
    if not r.text("channel"):
        r.errors["channel"] = t("web.error.required", field=label("channel"))
    r.done()
    return CheckInput(on, r.text("channel"), r.flag("free"), r.text("note") or None)


@dataclass(frozen=True, slots=True)
class EntryInput:
    check_id: int
    loan_id: int | None
    account: str
    status_code: str
    overdue: Decimal
    overdue_months: int | None
    classification: str | None
    reported_on: date | None
    note: str | None


def entry_input(data: Mapping[str, str]) -> EntryInput:
    from xieshang.money import ZERO

    r = Reader(data)
    check_id = r.ident("check", required=True)
    loan_id = r.ident("loan")
    overdue = r.money("overdue")
    months = r.integer("overdue_months")
    reported = r.day("reported")
    if not r.text("status_code"):
        r.errors["status_code"] = t("web.error.required", field=label("status_code"))
    r.done()
    assert check_id is not None
    return EntryInput(check_id, loan_id, r.text("account"), r.text("status_code"),
                      overdue if overdue is not None else ZERO, months, r.text("classification") or None, reported,
                      r.text("note") or None)


# ---------------------------------------------------------------------------------------
# Prevention
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BudgetLineInput:
    month: str
    kind: str
    category: str
    planned: Decimal | None
    actual: Decimal | None


def budget_line_input(data: Mapping[str, str], default_month: str) -> BudgetLineInput:
    from xieshang.services.prevention import parse_month

    r = Reader(data)
    month = r.get("month", parse_month) or default_month
    planned = r.money("planned")
    actual = r.money("actual")
    if not r.text("category"):
        r.errors["category"] = t("web.error.required", field=label("category"))
    if planned is None and actual is None and "planned" not in r.errors and "actual" not in r.errors:
        r.errors["planned"] = message(UserError("after.error.budget_nothing"))
    r.done()
    return BudgetLineInput(month, r.text("kind") or "expense", r.text("category"), planned, actual)


@dataclass(frozen=True, slots=True)
class FundInput:
    target: Decimal | None
    months: int | None
    saved: Decimal | None


def fund_input(data: Mapping[str, str]) -> FundInput:
    r = Reader(data)
    target = r.money("target")
    months = r.integer("fund_months")
    saved = r.money("saved")
    r.done()
    return FundInput(target, months, saved)


@dataclass(frozen=True, slots=True)
class AffordInput:
    amount: Decimal
    annual_rate: Decimal
    months: int
    income: Decimal | None
    existing: Decimal | None
    flat: bool
    upfront_fee: Decimal
    monthly_fee: Decimal


def afford_input(data: Mapping[str, str]) -> AffordInput:
    """``xieshang afford``'s options: a rate in any period is read as its annual equivalent."""
    from xieshang.money import ZERO
    from xieshang.rates import AnnualRate, parse_rate

    def annual(text: str) -> Decimal:
        rate = parse_rate(text)
        return rate.value if isinstance(rate, AnnualRate) else rate.annual().value

    r = Reader(data)
    amount = r.money("amount", required=True)
    apr = r.get("apr", annual, required=True)
    months = r.get("months", _months, required=True)
    income = r.money("income")
    debts = r.money("debts")
    upfront = r.money("upfront_fee")
    monthly_fee = r.money("monthly_fee")
    r.done()
    assert amount is not None and apr is not None and months is not None
    return AffordInput(amount, apr, months, income, debts, r.flag("flat"), upfront or ZERO, monthly_fee or ZERO)
