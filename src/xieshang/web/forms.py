"""Form and JSON text → the services' inputs; a :class:`UserError` → the field it is about.

Only input handling, as in the CLI's option parsing: every rule about what a loan or a payment
may be lives in :mod:`xieshang.services.case`. Each field is parsed on its own so that every
unreadable field gets its own message; the service's checks then run on the whole, and the
error they raise is put next to the field it names (:func:`error_field`) or above the form.
Nothing is written unless everything passed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TypeVar

from xieshang.errors import UserError
from xieshang.i18n import t

if TYPE_CHECKING:
    from xieshang.engine.terms import RepaymentMethod
    from xieshang.rates import Rate
    from xieshang.services.case import Contact, LoanFields, LoanRecord

T = TypeVar("T")

#: The loan form's fields, in page order.
LOAN_FIELDS = ("profile", "lender", "principal", "rate", "months", "start", "method", "received",
               "statement_balance", "statement_date", "due_date", "contract_no", "contacts", "sets", "notes")
LOAN_ONLY = ("principal", "months", "start", "method", "received")
CARD_ONLY = ("statement_balance", "statement_date", "due_date")
#: Form field → the service's name for it (LoanRecord / LoanFields / error params).
SERVICE_NAME = {"months": "term_months", "received": "amount_received", "sets": "overrides",
                "profile": "profile_id"}
#: Fields the edit form clears when left blank (the service's CLEARABLE, by form name).
CLEARABLE = {"rate": "rate", "method": "method", "received": "amount_received", "contract_no": "contract_no",
             "notes": "notes", "contacts": "contacts"}
#: Fields an edit may not leave blank.
REQUIRED = {"loan": ("lender", "principal", "months", "start"),
            "card": ("lender", "statement_balance", "statement_date", "due_date")}


class FormErrors(Exception):
    """Field name → message, plus messages about the form as a whole under ``""``."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(errors)
        self.errors = errors


def message(exc: UserError) -> str:
    """The error in the user's language; a web wording where the CLI's names a flag."""
    params = dict(exc.params)
    fld = params.get("field")
    if isinstance(fld, str) and fld in _FIELD_PARAM:
        params["field"] = label(_FIELD_PARAM[fld])
    short = exc.key.removeprefix("error.")
    web_key = f"web.error.{short}"
    text = t(web_key, **params)
    return t(exc.key, **params) if text.startswith(web_key) else text


def label(name: str) -> str:
    key = f"web.field.{name}"
    text = t(key)
    return name if text == key else text


def _money(name: str) -> Callable[[str], Decimal]:
    from xieshang.money import parse_money

    return lambda s: parse_money(s, field=label(name))


def parse_day(text: str) -> date:
    value = text.strip()
    try:
        if len(value) != 10:
            raise ValueError(value)
        return date.fromisoformat(value)
    except ValueError:
        raise UserError("error.date.unparseable", value=text) from None


def _months(text: str) -> int:
    value = text.strip()
    if not value.isdigit() or not 1 <= int(value) <= 600:
        raise UserError("error.term.months", value=text)
    return int(value)


def _method(text: str) -> RepaymentMethod:
    from xieshang.services.calculators import parse_method

    return parse_method(text)


def _pairs(text: str, key: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for raw in text.replace("；", "\n").replace(";", "\n").splitlines():
        item = raw.strip()
        if not item:
            continue
        name, sep, value = item.replace("＝", "=").partition("=")
        if not sep or not name.strip() or not value.strip():
            raise UserError(key, value=item)
        out.append((name.strip(), value.strip()))
    return out


def _contacts(text: str) -> tuple[Contact, ...]:
    from xieshang.services.case import Contact

    return tuple(Contact(c, v) for c, v in _pairs(text, "error.case.bad_contact"))


class FieldReader:
    """Parses a form's fields one by one, collecting one message per unreadable or missing field.

    Each area's forms subclass it to word errors and name fields in their own catalog
    (:meth:`describe`, :meth:`label`); the reading itself is the same everywhere.
    """

    def __init__(self, data: Mapping[str, Any]) -> None:
        self.data = data
        self.errors: dict[str, str] = {}

    def describe(self, exc: UserError) -> str:
        """The message shown next to a field for ``exc``."""
        return message(exc)

    def label(self, name: str) -> str:
        return label(name)

    def text(self, name: str) -> str:
        """The field's text, stripped; the first value of a repeated field; ``""`` when absent."""
        value = self.data.get(name)
        if isinstance(value, (list, tuple)):
            value = value[0] if value else None
        return "" if value is None else str(value).strip()

    def many(self, name: str) -> list[str]:
        """Every non-blank value of a repeated field (checkboxes, several files)."""
        value = self.data.get(name)
        if value is None:
            return []
        items = value if isinstance(value, (list, tuple)) else [value]
        return [str(v).strip() for v in items if str(v).strip()]

    def get(self, name: str, parse: Callable[[str], T], *, required: bool = False) -> T | None:
        text = self.text(name)
        if not text:
            if required:
                self.required(name)
            return None
        try:
            return parse(text)
        except UserError as exc:
            self.errors[name] = self.describe(exc)
            return None

    def required(self, name: str) -> None:
        if not self.text(name) and name not in self.errors:
            self.errors[name] = t("web.error.required", field=self.label(name))


def loan_fields(data: Mapping[str, str], product: str, *, editing: bool = False) -> LoanFields:
    """The form (or JSON) of a loan as :class:`LoanFields`; :class:`FormErrors` if a field is
    unreadable. On an edit, a blank optional field clears it and a blank required one is an error."""
    from xieshang.rates import Period, parse_rate
    from xieshang.services.case import LoanFields

    r = FieldReader(data)
    period = Period.DAY if product == "card" else Period.YEAR
    own = CARD_ONLY if product == "card" else LOAN_ONLY
    other = LOAN_ONLY if product == "card" else CARD_ONLY
    given = {name: r.get(name, _money(name)) for name in ("principal", "received", "statement_balance")}
    rate: Rate | None = r.get("rate", lambda s: parse_rate(s, period))
    months = r.get("months", _months)
    start = r.get("start", parse_day)
    statement_date = r.get("statement_date", parse_day)
    due_date = r.get("due_date", parse_day)
    method = r.get("method", _method)
    contacts = r.get("contacts", _contacts)
    sets = r.get("sets", lambda s: dict(_pairs(s, "error.case.bad_set")))
    unset: list[str] = []
    if editing:
        for name in REQUIRED[product]:
            r.required(name)
        for name, service_name in CLEARABLE.items():
            if name in other:
                continue
            if not r.text(name) and name not in r.errors:
                unset.append(service_name)
    for name in other:
        if r.text(name):
            r.errors.setdefault(name, t("web.error.not_for_product", field=label(name)))
    if r.errors:
        raise FormErrors(r.errors)
    lender = r.text("lender") or None
    return LoanFields(
        profile_id=r.text("profile") or None, lender=lender,
        principal=given["principal"] if "principal" in own else None,
        rate=rate, term_months=months, start=start, method=method,
        amount_received=given["received"] if "received" in own else None,
        statement_balance=given["statement_balance"] if "statement_balance" in own else None,
        statement_date=statement_date, due_date=due_date, overrides=sets or None,
        contract_no=r.text("contract_no") or None, contacts=contacts, notes=r.text("notes") or None,
        unset=tuple(unset),
    )


def loan_form_values(loan: LoanRecord) -> dict[str, str]:
    """A stored loan as the edit form's initial text."""
    from xieshang.money import fmt

    def m(v: Decimal | None) -> str:
        return "" if v is None else fmt(v)

    def d(v: date | None) -> str:
        return "" if v is None else v.isoformat()

    rate = ""
    if loan.rate is not None:
        rate = loan.rate.describe()
    return {
        "profile": loan.profile_id, "lender": loan.lender, "principal": m(loan.principal), "rate": rate,
        "months": "" if loan.term_months is None else str(loan.term_months), "start": d(loan.start),
        "method": "" if loan.method is None else loan.method.value, "received": m(loan.amount_received),
        "statement_balance": m(loan.statement_balance), "statement_date": d(loan.statement_date),
        "due_date": d(loan.due_date), "contract_no": loan.contract_no or "",
        "contacts": "\n".join(f"{c.channel}={c.value}" for c in loan.contacts),
        "sets": "\n".join(f"{k}={v}" for k, v in sorted(loan.overrides.items())), "notes": loan.notes or "",
    }


_FIELD_PARAM = {
    "principal": "principal", "--principal": "principal", "term_months": "months", "--months": "months",
    "start": "start", "--start": "start", "amount_received": "received", "--received": "received",
    "statement_balance": "statement_balance", "--statement-balance": "statement_balance",
    "statement_date": "statement_date", "--statement-date": "statement_date", "due_date": "due_date",
    "--due-date": "due_date", "lender": "lender", "--lender": "lender", "profile": "profile",
    "--profile": "profile", "amount": "amount", "--lender-says": "lender_says", "name": "name",
}
_KEY_FIELD = {
    "error.rate.unparseable": "rate", "error.rate.negative": "rate", "error.rate.absurd": "rate",
    "error.term.months": "months", "error.term.method": "method", "error.term.received_above_principal": "received",
    "error.case.due_before_statement": "due_date", "error.profile.unknown": "profile",
    "error.case.product_change": "profile", "error.case.bad_contact": "contacts", "error.case.bad_set": "sets",
    "error.case.bad_locale": "locale",
}


def error_field(exc: UserError, data: Mapping[str, str], fields: tuple[str, ...]) -> str:
    """The form field a service's error is about, or ``""`` (the form as a whole)."""
    found = _KEY_FIELD.get(exc.key)
    if found is None:
        param = exc.params.get("field")
        if isinstance(param, str):
            found = _FIELD_PARAM.get(param) or next((f for f in fields if label(f) == param), None)
    if found is None and exc.key.startswith("error.date."):
        value = str(exc.params.get("value", ""))
        found = next((f for f in fields if str(data.get(f, "")).strip() == value), None)
    if found is None and exc.key.startswith(("error.profile.", "error.input.override", "error.term.",
                                             "rules.error.override")):
        found = "sets"
    return found if found in fields else ""


def service_error(exc: UserError, data: Mapping[str, str], fields: tuple[str, ...]) -> FormErrors:
    return FormErrors({error_field(exc, data, fields): message(exc)})


def amount_and_day(data: Mapping[str, str], *, amount_field: str = "amount",
                   day_field: str = "date", allow_zero: bool = False) -> tuple[Decimal, date | None]:
    """A payment's or a lender figure's amount (required) and date (blank: today)."""
    r = FieldReader(data)
    amount = r.get(amount_field, _money(amount_field))
    on = r.get(day_field, parse_day)
    r.required(amount_field)
    if r.errors:
        raise FormErrors(r.errors)
    assert amount is not None
    return amount, on


__all__ = ["CARD_ONLY", "LOAN_FIELDS", "LOAN_ONLY", "FormErrors", "amount_and_day", "error_field", "label",
           "loan_fields", "loan_form_values", "message", "parse_day", "service_error"]
