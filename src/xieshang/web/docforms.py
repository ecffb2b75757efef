"""Form (and API) text → the letters and contact-log services' inputs, with one message per field.

Only input handling, like the CLI's option parsing in ``cli/letter.py`` and ``cli/records.py``:
every rule about what a letter or a contact entry may be lives in ``services/letters.py`` and
``services/records.py``. Each field is parsed on its own so that every unreadable field gets its
own message; an error the service raises afterwards is put next to the field it is about
(:func:`letter_error_field`, :func:`record_error_field`) or above the form.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TypeVar

from xieshang.errors import UserError
from xieshang.i18n import t
from xieshang.web.forms import FieldReader, FormErrors, message, parse_day

if TYPE_CHECKING:
    from xieshang.records.model import Entry, EntryContent
    from xieshang.services.letters import LetterRequest

T = TypeVar("T")

#: The letter form's fields, in page order.
LETTER_FIELDS = ("kind", "loan", "doc_lang", "as_of", "hardship", "hardship_text", "hardship_since", "hardship_until",
                 "down_payment", "monthly", "months", "start", "interest", "reduced_rate", "waive", "call_date",
                 "agent", "agreed", "settled_on", "issue", "details", "to", "reference", "entry", "wrong",
                 "evidence")
#: Which optional groups of fields each kind of document uses.
KIND_GROUPS: dict[str, tuple[str, ...]] = {
    "negotiation": ("hardship", "proposal"), "waiver": ("hardship", "proposal"), "hardship": ("hardship", "proposal"),
    "card-installment": ("hardship", "proposal"), "call-script": ("hardship", "proposal"),
    "confirmation": ("proposal", "call"), "settlement-proof": ("settled",), "complaint": ("complaint",),
    "credit-dispute": ("dispute",),
}
#: The contact-entry form's fields, in page order.
ENTRY_FIELDS = ("when", "tz", "direction", "channel", "outcome", "count", "counterparty", "counterparty_kind",
                "phone", "contacted", "contacted_name", "disclosed", "summary", "their_promises", "my_promises",
                "loan", "attach")
#: Entry form field → the service's name for it (``correct_entry`` changes, error params).
ENTRY_SERVICE_NAME = {"when": "occurred", "phone": "counterparty_phone", "loan": "loan_id"}


def _msg(exc: UserError) -> str:
    """The error in the web's words where the CLI's names a flag (``webdocs.error.*``), else as usual."""
    key = f"webdocs.error.{exc.key.rsplit('.', 1)[-1]}"
    text = t(key, **exc.params)
    return message(exc) if text.startswith(key) else text


class _Reader(FieldReader):
    """The documents and records forms: errors and labels in the ``webdocs`` words."""

    def describe(self, exc: UserError) -> str:
        return _msg(exc)

    def label(self, name: str) -> str:
        return t(f"webdocs.field.{name}")


def _money(name: str) -> Callable[[str], Decimal]:
    from xieshang.money import parse_money

    return lambda s: parse_money(s, field=t(f"webdocs.field.{name}"))


def _id(text: str) -> int:
    value = text.strip().lstrip("#")
    if not value.isdigit() or int(value) <= 0:
        raise UserError("error.case.bad_id", value=text)
    return int(value)


def _int(text: str) -> int:
    value = text.strip()
    if not value.isdigit():
        raise UserError("webdocs.error.not_a_number", value=text)
    return int(value)


def _rate(text: str) -> Decimal:
    from xieshang.rates import parse_rate

    return parse_rate(text).annual().value


# ---------------------------------------------------------------------------------------
# Letters
# ---------------------------------------------------------------------------------------


def letter_request(data: Mapping[str, Any], *, fmt: str = "html") -> LetterRequest:
    """The letter form as a :class:`LetterRequest`; :class:`FormErrors` if a field is unreadable.
    Only the fields of the chosen kind's groups are read (others may be left in the form)."""
    from xieshang.documents import KINDS
    from xieshang.documents.facts import CallInfo, ComplaintInfo, DisputeInfo, HardshipInfo
    from xieshang.services.letters import LetterRequest, ProposalFlags, doc_language

    r = _Reader(data)
    kind = r.text("kind")
    if kind not in KINDS:
        r.errors["kind"] = t("letter.error.unknown_kind", value=kind or "—", choices=", ".join(KINDS))
    groups = KIND_GROUPS.get(kind, ())
    loan = r.get("loan", _id)
    r.required("loan")
    lang = r.get("doc_lang", doc_language) or doc_language(None)
    as_of = r.get("as_of", parse_day)
    hardship = None
    flags = ProposalFlags()
    call = CallInfo()
    complaint = ComplaintInfo()
    dispute = DisputeInfo()
    settled_on = None
    if "hardship" in groups:
        reason = r.text("hardship")
        since = r.get("hardship_since", parse_day)
        until = r.get("hardship_until", parse_day)
        if reason:
            hardship = HardshipInfo(reason, r.text("hardship_text") or None, since, until)
        elif kind == "hardship":
            r.errors["hardship"] = t("webdocs.error.hardship_needed")
    if "proposal" in groups:
        months = r.get("months", _int)
        flags = ProposalFlags(down_payment=r.get("down_payment", _money("down_payment")),
                              monthly=r.get("monthly", _money("monthly")), months=months,
                              start=r.get("start", parse_day), interest=r.text("interest") or None,
                              reduced_rate=r.get("reduced_rate", _rate), waive=tuple(r.many("waive")))
        if flags.interest == "continues" and not flags.given():
            flags = ProposalFlags()
    if "call" in groups:
        call = CallInfo(r.get("call_date", parse_day), r.text("agent") or None, r.text("agreed") or None)
    if "settled" in groups:
        settled_on = r.get("settled_on", parse_day)
    if "complaint" in groups:
        complaint = ComplaintInfo(tuple(r.many("issue")), r.text("details") or None, r.text("to") or "lender",
                                  r.text("reference") or None)
    if "dispute" in groups:
        evidence = tuple(line.strip() for line in r.text("evidence").splitlines() if line.strip())
        dispute = DisputeInfo(r.text("entry") or None, r.text("wrong") or None, evidence)
    if r.errors:
        raise FormErrors(r.errors)
    assert loan is not None
    return LetterRequest(kind=kind, loan_id=loan, fmt=fmt, lang=lang, as_of=as_of, flags=flags, hardship=hardship,
                         call=call, complaint=complaint, dispute=dispute, settled_on=settled_on)


_LETTER_KEY_FIELD = {
    "letter.error.unknown_kind": "kind", "letter.error.bad_lang": "doc_lang", "letter.error.hardship_type": "hardship",
    "letter.error.hardship_needed": "hardship", "letter.error.card_only": "kind", "letter.error.card_months": "months",
    "letter.error.proposal_incomplete": "monthly", "letter.error.bad_interest": "interest",
    "letter.error.bad_waive": "waive", "letter.error.bad_issue": "issue", "letter.error.bad_to": "to",
    "letter.error.months_range": "months", "error.case.unknown_loan": "loan", "error.case.bad_id": "loan",
    "error.date.before_disbursement": "as_of", "letter.error.bad_format": "format",
}


def letter_error_field(exc: UserError) -> str:
    """The letter form's field a service error is about, or ``""``."""
    found = _LETTER_KEY_FIELD.get(exc.key, "")
    if exc.key == "letter.error.not_positive":
        found = str(exc.params.get("field", "")).lstrip("-").replace("-", "_")
    return found if found in LETTER_FIELDS else ""


def letter_form_error(exc: UserError) -> FormErrors:
    return FormErrors({letter_error_field(exc): _msg(exc)})


# ---------------------------------------------------------------------------------------
# The contact log
# ---------------------------------------------------------------------------------------


def _choice(field: str) -> Callable[[str], str]:
    from xieshang.services.records import parse_choice

    return lambda v: parse_choice(field, v)


def entry_content(data: Mapping[str, Any]) -> EntryContent:
    """The contact form as :class:`EntryContent` (not yet checked by the service)."""
    from xieshang.records.model import EntryContent
    from xieshang.services.records import parse_tz, parse_when

    r = _Reader(data)
    for name in ("when", "direction", "channel", "counterparty", "summary"):
        r.required(name)
    tz = r.get("tz", lambda s: (parse_tz(s), s)[1])
    occurred = r.get("when", lambda s: parse_when(s, tz))
    direction = r.get("direction", _choice("direction"))
    channel = r.get("channel", _choice("channel"))
    outcome = r.get("outcome", _choice("outcome")) if channel == "call" else None
    count = r.get("count", _int)
    kind = r.get("counterparty_kind", _choice("counterparty_kind"))
    contacted = r.get("contacted", _choice("contacted"))
    loan = r.get("loan", _id)
    if r.errors:
        raise FormErrors(r.errors)
    assert occurred is not None and direction is not None and channel is not None
    return EntryContent(
        occurred=occurred, direction=direction, channel=channel, counterparty=r.text("counterparty"),
        summary=r.text("summary"), counterparty_kind=kind or "unknown", counterparty_phone=r.text("phone") or None,
        contacted=contacted or "borrower", contacted_name=r.text("contacted_name") or None, outcome=outcome,
        count=1 if count is None else count, disclosed=r.text("disclosed") in ("1", "on", "true", "yes"),
        their_promises=r.text("their_promises") or None, my_promises=r.text("my_promises") or None, loan_id=loan,
    )


def entry_values(entry: Entry) -> dict[str, str]:
    """A stored entry as the form's initial text (for a correction)."""
    from xieshang.records.model import iso_local

    c = entry.content
    local = iso_local(c.occurred)
    return {"when": f"{local[:10]}T{local[11:16]}", "tz": local[19:] or "+00:00", "direction": c.direction,
            "channel": c.channel, "outcome": c.outcome or "", "count": str(c.count), "counterparty": c.counterparty,
            "counterparty_kind": c.counterparty_kind, "phone": c.counterparty_phone or "", "contacted": c.contacted,
            "contacted_name": c.contacted_name or "", "disclosed": "1" if c.disclosed else "",
            "summary": c.summary, "their_promises": c.their_promises or "", "my_promises": c.my_promises or "",
            "loan": "" if c.loan_id is None else str(c.loan_id)}


def changes_between(old: Entry, new: EntryContent) -> dict[str, Any]:
    """The fields a correction changes (the service's names), from the full form."""
    fields = ("occurred", "direction", "channel", "counterparty", "summary", "counterparty_kind", "counterparty_phone",
              "contacted", "contacted_name", "outcome", "count", "disclosed", "their_promises", "my_promises",
              "loan_id")
    out: dict[str, Any] = {}
    for name in fields:
        before, after = getattr(old.content, name), getattr(new, name)
        if name == "occurred":
            assert isinstance(before, datetime) and isinstance(after, datetime)
            if before == after and before.utcoffset() == after.utcoffset():
                continue
        elif before == after:
            continue
        out[name] = after
    return out


_ENTRY_KEY_FIELD = {
    "records.error.bad_time": "when", "records.error.future": "when", "records.error.too_old": "when",
    "records.error.naive_time": "when", "records.error.bad_tz": "tz", "records.error.count": "count",
    "records.error.outcome_not_call": "outcome", "records.error.disclosed_to_borrower": "disclosed",
    "records.error.no_loan": "loan", "records.error.attach_too_big": "attach", "records.error.attach_empty": "attach",
    "records.error.attach_type": "attach", "records.error.attach_store": "attach",
}
_PARAM_FIELD = {"counterparty": "counterparty", "summary": "summary", "phone": "phone",
                "contacted_name": "contacted_name", "their_promises": "their_promises",
                "my_promises": "my_promises", "direction": "direction", "channel": "channel",
                "counterparty_kind": "counterparty_kind", "contacted": "contacted", "outcome": "outcome"}


def record_error_field(exc: UserError) -> str:
    found = _ENTRY_KEY_FIELD.get(exc.key)
    if found is None and exc.key in ("records.error.required", "records.error.too_long", "records.error.choice"):
        found = _PARAM_FIELD.get(str(exc.params.get("field", "")))
    return found if found in ENTRY_FIELDS else ""


def record_form_error(exc: UserError) -> FormErrors:
    params = dict(exc.params)
    fld = params.get("field")
    if isinstance(fld, str) and fld in _PARAM_FIELD:
        params["field"] = t(f"webdocs.field.{_PARAM_FIELD[fld]}")
    text = _msg(UserError(exc.key, **params))
    return FormErrors({record_error_field(exc): text})


def upload_refused(names: Sequence[str]) -> str:
    return t("webdocs.records.nothing_saved", files=", ".join(names))
