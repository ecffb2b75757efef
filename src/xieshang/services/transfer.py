"""Export and import of the whole case as versioned JSON.

The document (format ``xieshang-case``, version 1)::

    {
      "format": "xieshang-case",
      "version": 1,
      "person": {"name": …, "phone": …, "email": …, "id_number": …, "locale": "zh_CN"},
      "loans": [{"lender": …, "profile": …, "product": "loan" | "card", "principal": "20000.00",
                 "rate": "0.0004/daily", …, "payments": [{"date": "2025-03-10", "amount": "800.00",
                 "channel": …, "note": …}], "lender_figures": [{"date": …, "amount": …, "note": …}]}]
    }

Amounts are strings with two decimals, dates ISO ``YYYY-MM-DD``, rates ``value/period``; keys
come in a fixed order and loans/payments in store order, so export → import → export gives
the same bytes. Store ids are not part of the document. Import validates the whole document
(shape with pydantic, then the same rules as ``loan add`` and ``pay add``) before it writes
anything, in one transaction.
"""

from __future__ import annotations

import json
import os
import tempfile
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, StrictInt, ValidationError

from xieshang.engine.terms import RepaymentMethod
from xieshang.errors import UserError
from xieshang.money import fmt
from xieshang.services.case import (
    Contact,
    LenderFigureRecord,
    LoanRecord,
    PaymentRecord,
    PersonInfo,
    check_loan_record,
    read_case,
    write_case,
)
from xieshang.store.codec import is_rate_text, rate_from_text, rate_to_text

if TYPE_CHECKING:
    from xieshang.store.db import Store

FORMAT = "xieshang-case"
VERSION = 1


# ---------------------------------------------------------------------------------------
# Document shape
# ---------------------------------------------------------------------------------------


def _money_text(value: object) -> object:
    if not isinstance(value, str):
        raise ValueError('amounts are strings with at most two decimals, e.g. "1234.50"')
    return value


def _iso_day(value: object) -> object:
    if not isinstance(value, str) or len(value) != 10:
        raise ValueError('dates are strings like "2025-01-15"')
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"not a date: {value!r}") from None


def _rate_text(value: str) -> str:
    if not is_rate_text(value):
        raise ValueError('rates are written like "0.0005/daily", "0.146/annual" or "0.01/monthly"')
    return value


Money = Annotated[str, BeforeValidator(_money_text), Field(pattern=r"^[0-9]{1,13}(\.[0-9]{1,2})?$")]
Day = Annotated[date, BeforeValidator(_iso_day)]
RateText = Annotated[str, AfterValidator(_rate_text)]
ShortText = Annotated[str, Field(max_length=200)]
LongText = Annotated[str, Field(max_length=20000)]


class _Doc(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class PersonDoc(_Doc):
    name: Annotated[str, Field(min_length=1, max_length=200)]
    phone: Annotated[str, Field(max_length=50)] | None = None
    email: ShortText | None = None
    id_number: Annotated[str, Field(max_length=50)] | None = None
    locale: Literal["zh_CN", "en"] = "zh_CN"


class ContactDoc(_Doc):
    channel: Annotated[str, Field(min_length=1, max_length=50)]
    value: Annotated[str, Field(min_length=1, max_length=200)]


class PaymentDoc(_Doc):
    date: Day
    amount: Money
    channel: Annotated[str, Field(max_length=100)] | None = None
    note: LongText | None = None


class LenderFigureDoc(_Doc):
    date: Day
    amount: Money
    note: LongText | None = None


class LoanDoc(_Doc):
    lender: Annotated[str, Field(min_length=1, max_length=200)]
    profile: Annotated[str, Field(min_length=1, max_length=100)]
    product: Literal["loan", "card"]
    principal: Money | None = None
    rate: RateText | None = None
    term_months: StrictInt | None = None
    start: Day | None = None
    method: Literal["equal-installment", "equal-principal", "interest-first", "revolving"] | None = None
    amount_received: Money | None = None
    statement_balance: Money | None = None
    statement_date: Day | None = None
    due_date: Day | None = None
    overrides: dict[Annotated[str, Field(min_length=1, max_length=100)], Annotated[str, Field(max_length=200)]] = {}
    contract_no: Annotated[str, Field(max_length=100)] | None = None
    contacts: list[ContactDoc] = []
    notes: LongText | None = None
    payments: list[PaymentDoc] = []
    lender_figures: list[LenderFigureDoc] = []


class CaseDoc(_Doc):
    format: Literal["xieshang-case"]
    version: Literal[1]
    person: PersonDoc
    loans: list[LoanDoc] = []


# ---------------------------------------------------------------------------------------
# Records ↔ document
# ---------------------------------------------------------------------------------------


def _m(v: Decimal | None) -> str | None:
    return None if v is None else fmt(v)


def _d(v: date | None) -> str | None:
    return None if v is None else v.isoformat()


def loan_document(loan: LoanRecord) -> dict[str, Any]:
    """One loan as it appears in the export (fixed key order)."""
    return {
        "lender": loan.lender,
        "profile": loan.profile_id,
        "product": loan.product,
        "principal": _m(loan.principal),
        "rate": None if loan.rate is None else rate_to_text(loan.rate),
        "term_months": loan.term_months,
        "start": _d(loan.start),
        "method": None if loan.method is None else loan.method.value,
        "amount_received": _m(loan.amount_received),
        "statement_balance": _m(loan.statement_balance),
        "statement_date": _d(loan.statement_date),
        "due_date": _d(loan.due_date),
        "overrides": dict(sorted(loan.overrides.items())),
        "contract_no": loan.contract_no,
        "contacts": [{"channel": c.channel, "value": c.value} for c in loan.contacts],
        "notes": loan.notes,
        "payments": [{"date": p.on.isoformat(), "amount": fmt(p.amount), "channel": p.channel, "note": p.note}
                     for p in sorted(loan.payments, key=lambda p: (p.on, p.id))],
        "lender_figures": [{"date": f.on.isoformat(), "amount": fmt(f.amount), "note": f.note}
                           for f in sorted(loan.lender_figures, key=lambda f: (f.on, f.id))],
    }


def case_document(person: PersonInfo, loans: list[LoanRecord]) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "version": VERSION,
        "person": {"name": person.name, "phone": person.phone, "email": person.email,
                   "id_number": person.id_number, "locale": person.locale},
        "loans": [loan_document(loan) for loan in loans],
    }


def render(document: dict[str, Any]) -> str:
    """The canonical text of a document: UTF-8, two-space indent, trailing newline."""
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"


def export_case(store: Store) -> str:
    person, loans = read_case(store)
    return render(case_document(person, loans))


def _record(i: int, doc: LoanDoc) -> LoanRecord:
    def money(v: str | None) -> Decimal | None:
        return None if v is None else Decimal(v).quantize(Decimal("0.01"))

    return LoanRecord(
        id=i + 1,
        lender=doc.lender,
        profile_id=doc.profile,
        product=doc.product,
        principal=money(doc.principal),
        rate=None if doc.rate is None else rate_from_text(doc.rate),
        term_months=doc.term_months,
        start=doc.start,
        method=None if doc.method is None else RepaymentMethod(doc.method),
        amount_received=money(doc.amount_received),
        statement_balance=money(doc.statement_balance),
        statement_date=doc.statement_date,
        due_date=doc.due_date,
        overrides=dict(doc.overrides),
        contract_no=doc.contract_no,
        contacts=tuple(Contact(c.channel, c.value) for c in doc.contacts),
        notes=doc.notes,
        payments=tuple(PaymentRecord(id=j + 1, loan_id=i + 1, on=p.date, amount=Decimal(p.amount).quantize(
            Decimal("0.01")), channel=p.channel, note=p.note) for j, p in enumerate(doc.payments)),
        lender_figures=tuple(LenderFigureRecord(id=j + 1, loan_id=i + 1, on=f.date, amount=Decimal(
            f.amount).quantize(Decimal("0.01")), note=f.note) for j, f in enumerate(doc.lender_figures)),
    )


def _where(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(document)"


def parse_document(text: str | bytes, *, source: str = "-",
                   today: date | None = None) -> tuple[PersonInfo, list[LoanRecord]]:
    """Validate a whole document; raises :class:`UserError` naming the first problem."""
    try:
        raw = text.decode("utf-8") if isinstance(text, bytes) else text
        data = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise UserError("error.case.import_not_json", path=source, detail=str(exc)) from exc
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise UserError("error.case.import_foreign", path=source, format=FORMAT)
    version = data.get("version")
    if isinstance(version, int) and not isinstance(version, bool) and version > VERSION:
        raise UserError("error.case.import_newer", path=source, version=version, supported=VERSION)
    try:
        doc = CaseDoc.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise UserError("error.case.import_invalid", path=source, where=_where(tuple(first["loc"])),
                        detail=first["msg"]) from exc
    p = doc.person
    person = PersonInfo(name=p.name, phone=p.phone, email=p.email, id_number=p.id_number, locale=p.locale)
    loans = [_record(i, loan) for i, loan in enumerate(doc.loans)]
    for i, loan in enumerate(loans):
        try:
            check_loan_record(loan, today=today)
        except UserError as exc:
            raise UserError("error.case.import_invalid", path=source, where=f"loans[{i}]",
                            detail=exc.message()) from exc
    return person, loans


def import_case(store: Store, text: str | bytes, *, source: str = "-", replace: bool = False,
                today: date | None = None) -> tuple[PersonInfo, list[LoanRecord]]:
    """Validate ``text`` completely, then write the case in one transaction."""
    person, loans = parse_document(text, source=source, today=today)
    write_case(store, person, loans, replace_existing=replace, exists_key="error.case.import_case_exists")
    return person, loans


def read_document(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise UserError("error.case.file_unreadable", path=str(path), detail=exc.strerror or str(exc)) from exc


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` via a temporary file in the same folder and ``os.replace``:
    the file is either the old one or the complete new one, never half written."""
    folder = path.parent if str(path.parent) else Path(".")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    except OSError as exc:
        raise UserError("error.case.file_unwritable", path=str(path), detail=exc.strerror or str(exc)) from exc
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise UserError("error.case.file_unwritable", path=str(path), detail=exc.strerror or str(exc)) from exc
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
