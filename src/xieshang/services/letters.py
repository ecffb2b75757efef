"""Letters use-case: gather the case's facts for one loan, build a document, render it, write
it and record that it was made — ``xieshang letter …`` and, later, the web app call these.

The proposal in a letter comes from the saved plan (``services.plan.saved_plan``, when that
module exists and a plan is saved), else from the figures the user gives (:class:`ProposalFlags`),
else the letter asks the lender to propose one and says so. One command = one transaction: the
file is written (atomically) inside the transaction that records it, so a failure leaves both
the store and the folder as they were.
"""

from __future__ import annotations

import importlib
import os
import tempfile
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from xieshang import clock
from xieshang.documents import FORMATS, KINDS
from xieshang.documents.build import Missing, build, build_checklist
from xieshang.documents.data import HARDSHIP_TYPES, TOPICS, documents_data
from xieshang.documents.facts import (
    CallInfo,
    ComplaintInfo,
    DisputeInfo,
    HardshipInfo,
    Incident,
    LetterInput,
    LineFact,
    LoanFacts,
    Party,
)
from xieshang.documents.render import render
from xieshang.errors import UserError
from xieshang.money import fmt

if TYPE_CHECKING:
    from xieshang.documents.model import Document
    from xieshang.planner.proposal import Proposal
    from xieshang.services.case import LoanRecord
    from xieshang.store.db import Store

WAIVABLE = ("penalty", "compound", "fees")
INTEREST_CHOICES = ("continues", "stops", "reduced")


def doc_language(raw: str | None) -> str:
    """A document language: zh_CN, zh_TW, zh_HK or en (``None``: the interface language)."""
    from xieshang.i18n import current_language

    if raw is None or not raw.strip():
        return current_language()
    low = raw.strip().lower().replace("-", "_")
    if low.startswith("en"):
        return "en"
    if low in ("zh_tw", "zh_hant", "zh_hant_tw", "tw"):
        return "zh_TW"
    if low in ("zh_hk", "zh_mo", "zh_hant_hk", "hk"):
        return "zh_HK"
    if low in ("zh", "zh_cn", "zh_hans", "zh_sg", "cn") or low.startswith("zh_cn"):
        return "zh_CN"
    raise UserError("letter.error.bad_lang", value=raw)


# ---------------------------------------------------------------------------------------
# Requests
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ProposalFlags:
    """The proposal as given on the command line (``None`` = not given)."""

    down_payment: Decimal | None = None
    monthly: Decimal | None = None
    months: int | None = None
    start: date | None = None
    interest: str | None = None
    reduced_rate: Decimal | None = None
    waive: tuple[str, ...] = ()

    def given(self) -> bool:
        return any(v is not None for v in (self.down_payment, self.monthly, self.months, self.start,
                                           self.interest)) or bool(self.waive)


@dataclass(frozen=True, slots=True)
class LetterRequest:
    kind: str
    loan_id: int
    fmt: str = "md"
    lang: str = "zh_CN"
    as_of: date | None = None
    output: Path | None = None
    flags: ProposalFlags = field(default_factory=ProposalFlags)
    hardship: HardshipInfo | None = None
    call: CallInfo = field(default_factory=CallInfo)
    complaint: ComplaintInfo = field(default_factory=ComplaintInfo)
    dispute: DisputeInfo = field(default_factory=DisputeInfo)
    settled_on: date | None = None


@dataclass
class MadeDocument:
    """A rendered document and what the user must be told about it."""

    record_id: int | None
    kind: str
    loan_id: int | None
    lang: str
    fmt: str
    path: str | None
    content: bytes
    as_of: date
    missing: list[Missing] = field(default_factory=list)
    notices: list[tuple[str, dict[str, Any]]] = field(default_factory=list)  # letter.make.* keys
    document: Document | None = None
    proposal: Proposal | None = None

    def missing_texts(self, lang: str | None = None) -> list[str]:
        from xieshang.i18n import t

        return [t(f"letter.missing.{m.key}", lang=lang, **m.params) for m in self.missing]

    def to_json(self) -> dict[str, object]:
        return {
            "id": self.record_id, "kind": self.kind, "loan_id": self.loan_id, "lang": self.lang,
            "format": self.fmt, "path": self.path, "as_of": self.as_of.isoformat(),
            "bytes": len(self.content),
            "missing": [m.key for m in self.missing],
            "notices": [k for k, _ in self.notices],
            "proposal": None if self.proposal is None else self.proposal.to_json(),
        }


@dataclass(frozen=True, slots=True)
class MadeRecord:
    id: int
    kind: str
    loan_id: int | None
    loan_label: str | None
    lang: str
    fmt: str
    path: str | None
    made_utc: datetime
    as_of: date
    hardship: HardshipInfo | None
    details: dict[str, Any]

    def to_json(self) -> dict[str, object]:
        return {
            "id": self.id, "kind": self.kind, "loan_id": self.loan_id, "loan": self.loan_label,
            "lang": self.lang, "format": self.fmt, "path": self.path,
            "made_utc": self.made_utc.replace(microsecond=0).isoformat() + "Z", "as_of": self.as_of.isoformat(),
            "hardship": None if self.hardship is None else self.hardship.to_json(), "details": self.details,
        }


# ---------------------------------------------------------------------------------------
# The saved plan (another area; optional until it lands)
# ---------------------------------------------------------------------------------------


def _saved_plan(store: Store) -> Any:
    """The saved plan, or ``None`` when there is none or the plan service is not installed."""
    try:
        module = importlib.import_module("xieshang.services.plan")
    except ImportError:
        return None
    getter = getattr(module, "saved_plan", None)
    return None if getter is None else getter(store)


def default_loan_id(store: Store) -> int | None:
    """The loan a letter covers without ``--loan``: the saved plan's first, or the only loan."""
    from xieshang.services.case import list_loans

    plan = _saved_plan(store)
    proposals = list(getattr(plan, "proposals", None) or []) if plan is not None else []
    if proposals:
        return int(proposals[0].loan_id)
    loans = list_loans(store)
    if not loans:
        raise UserError("letter.error.no_loans")
    return loans[0].id if len(loans) == 1 else None


def loan_choices(store: Store) -> str:
    from xieshang.services.case import list_loans

    return ", ".join(f"#{ln.id} {ln.lender}" for ln in list_loans(store))


# ---------------------------------------------------------------------------------------
# Facts
# ---------------------------------------------------------------------------------------


def loan_facts(loan: LoanRecord, as_of: date) -> LoanFacts:
    """Everything a document may print about one loan on ``as_of``, computed by the engine."""
    from xieshang.rules import legal_lines
    from xieshang.services.case import loan_payments, loan_terms, profile_for
    from xieshang.services.overdue import assess
    from xieshang.services.overview import lender_facts

    lender_type, _reports = lender_facts(loan)
    profile = profile_for(loan.profile_id)
    terms = loan_terms(loan)
    if loan.disbursed is not None and as_of < loan.disbursed:
        raise UserError("error.date.before_disbursement", value=as_of.isoformat(), start=loan.disbursed.isoformat())
    result = assess(terms, [p for p in loan_payments(loan) if p.on <= as_of], as_of, profile_id=loan.profile_id,
                    lender_type=lender_type)
    lines: list[LineFact] = []
    if lender_type is not None and loan.disbursed is not None:
        for ln in legal_lines(lender_type, on=loan.disbursed):
            lines.append(LineFact(ln.id, ln.name_zh, ln.name_en, ln.rate, ln.meaning_zh, ln.meaning_en, ln.source,
                                  ln.as_of, str(ln.confidence)))
    max_months = None
    for option in profile.negotiation:
        if option.kind == "instalment" and option.max_months is not None:
            max_months = option.max_months
    assert loan.disbursed is not None and loan.amount is not None
    return LoanFacts(
        id=loan.id, lender=loan.lender, product=loan.product, lender_type=lender_type,
        product_name_zh=profile.name_zh, product_name_en=profile.name_en, amount=loan.amount,
        disbursed=loan.disbursed, term_months=loan.term_months, status=result.status, cost=result.cost,
        lines=tuple(lines), checks=tuple(result.checks), contract_no=loan.contract_no,
        contacts=tuple((c.channel, c.value) for c in loan.contacts),
        payments=tuple((p.on, p.amount) for p in sorted(loan.payments, key=lambda p: (p.on, p.id)) if p.on <= as_of),
        lender_figures=tuple((f.on, f.amount, f.note) for f in loan.lender_figures if f.on <= as_of),
        max_plan_months=max_months,
    )


def proposal_from_flags(flags: ProposalFlags, facts: LoanFacts, as_of: date
                        ) -> tuple[Proposal | None, bool, list[tuple[str, dict[str, Any]]]]:
    """The proposal the user typed, checked; ``(proposal, start_assumed, notices)``."""
    from xieshang.planner.proposal import InterestTreatment, OptionKind, Proposal

    notices: list[tuple[str, dict[str, Any]]] = []
    if not flags.given():
        return None, False, notices
    if (flags.monthly is None) != (flags.months is None) or (
            flags.down_payment is not None and flags.monthly is None):
        missing = [flag for flag, v in (("--monthly", flags.monthly), ("--months", flags.months)) if v is None]
        raise UserError("letter.error.proposal_incomplete", missing=", ".join(missing))
    for name, value in (("--monthly", flags.monthly), ("--down-payment", flags.down_payment)):
        if value is not None and value <= 0:
            raise UserError("letter.error.not_positive", field=name, value=fmt(value))
    if flags.months is not None and not 1 <= flags.months <= 600:
        raise UserError("letter.error.months_range", value=flags.months)
    interest = flags.interest or ("reduced" if flags.reduced_rate is not None else "continues")
    if interest not in INTEREST_CHOICES or (interest == "reduced" and flags.reduced_rate is None):
        raise UserError("letter.error.bad_interest")
    for item in flags.waive:
        if item not in WAIVABLE:
            raise UserError("letter.error.bad_waive", value=item)
    owed = facts.status.owed
    waive = {"penalty": owed.penalty, "compound": owed.compound, "fees": owed.fees}
    start_assumed = flags.start is None
    start = flags.start or as_of + timedelta(days=documents_data().settings.proposal_start_after_days.value)
    if start_assumed and flags.months is not None:
        notices.append(("letter.make.assumed_start", {"date": start.isoformat()}))
    down = flags.down_payment or Decimal("0.00")
    monthly = flags.monthly or Decimal("0.00")
    months = flags.months or 0
    proposal = Proposal(
        loan_id=facts.id, option=OptionKind.INSTALMENT if months else OptionKind.WAIVER, start_date=start,
        down_payment=down, monthly_amount=monthly, months=months, interest=InterestTreatment(interest),
        reduced_annual_rate=flags.reduced_rate if interest == "reduced" else None,
        waive_penalty=waive["penalty"] if "penalty" in flags.waive else Decimal("0.00"),
        waive_compound=waive["compound"] if "compound" in flags.waive else Decimal("0.00"),
        waive_fees=waive["fees"] if "fees" in flags.waive else Decimal("0.00"),
        total_to_pay=down + monthly * months, owed_now=facts.status.payoff,
    )
    needed = facts.status.payoff - proposal.waived_total
    if months and proposal.total_to_pay < needed:
        notices.append(("letter.make.proposal_below", {"total": fmt(proposal.total_to_pay), "needed": fmt(needed)}))
    return proposal, start_assumed, notices


def _proposal_for(store: Store, req: LetterRequest, facts: LoanFacts, as_of: date
                  ) -> tuple[Proposal | None, str | None, date | None, bool, list[tuple[str, dict[str, Any]]]]:
    if req.flags.given():
        proposal, assumed, notices = proposal_from_flags(req.flags, facts, as_of)
        return proposal, "flags", None, assumed, notices
    plan = _saved_plan(store)
    if plan is not None:
        proposal = plan.proposal_for(facts.id)
        if proposal is not None:
            created = getattr(plan, "created_on", None)
            return proposal, "plan", created if isinstance(created, date) else None, False, []
    return None, None, None, False, []


def _check_kind(kind: str) -> None:
    if kind not in KINDS:
        raise UserError("letter.error.unknown_kind", value=kind, choices=", ".join(KINDS))


def _check_format(fmt_: str) -> None:
    if fmt_ not in FORMATS:
        raise UserError("letter.error.bad_format", value=fmt_)


def check_request(req: LetterRequest) -> None:
    """Everything that can be refused without the store."""
    _check_kind(req.kind)
    _check_format(req.fmt)
    if req.hardship is not None and req.hardship.reason not in HARDSHIP_TYPES:
        raise UserError("letter.error.hardship_type", value=req.hardship.reason, choices=", ".join(HARDSHIP_TYPES))
    if req.kind == "hardship" and req.hardship is None:
        raise UserError("letter.error.hardship_needed")
    for issue in req.complaint.issues:
        if issue not in TOPICS:
            raise UserError("letter.error.bad_issue", value=issue)
    if req.complaint.to not in ("lender", "regulator"):
        raise UserError("letter.error.bad_to", value=req.complaint.to)


def dispute_from_credit_report(store: Store, loan_id: int, lang: str, as_of: date) -> DisputeInfo | None:
    """The entry and what is wrong with it, from the latest credit-report check of this loan
    that our records contradict (``xieshang credit``), or ``None`` when there is none."""
    from xieshang.documents.text import Texts
    from xieshang.services.credit import dispute_candidates

    found = [c for c in dispute_candidates(store, today=as_of) if c.loan_id == loan_id]
    if not found:
        return None
    cand, tx = found[-1], Texts(lang)

    def shown(value: str) -> str:  # an amount as money, a status code as it is
        try:
            return tx.money(Decimal(value))
        except ArithmeticError:
            return value

    entry = tx("dispute.auto_entry", checked=tx.day(cand.checked_on), lender=cand.lender,
               account=cand.entry.account, on=tx.day(cand.on), code=cand.entry.status_code,
               overdue=tx.money(cand.entry.overdue))
    wrong = "".join(tx(f"dispute.auto_{d.kind}", reported=shown(d.reported), ours=shown(d.ours), on=tx.day(cand.on))
                    for d in cand.discrepancies)
    return DisputeInfo(entry=entry, wrong=wrong)


def complaint_incidents(store: Store, loan_id: int, lang: str) -> tuple[Incident, ...]:
    """The contact log's flagged entries for this loan, worded for a complaint in ``lang``:
    when, how, who was contacted, what happened, and each flag with the rule it cites."""
    from xieshang.documents.text import base_lang
    from xieshang.i18n import t
    from xieshang.services.records import flagged_entries

    text_lang = base_lang(lang)
    zh = text_lang == "zh_CN"
    out = []
    for item in flagged_entries(store, loan_id):
        c = item.entry.content
        contacted = t(f"records.contacted.{c.contacted}", lang=text_lang)
        if c.contacted_name:
            contacted = f"{contacted}（{c.contacted_name}）" if zh else f"{contacted} ({c.contacted_name})"
        rules = tuple(
            f"{f.title_zh if zh else f.title_en}（{f.rule_title_zh}，{f.citation}）" if zh
            else f"{f.title_en} ({f.rule_title_en}, {f.citation})" for f in item.flags)
        out.append(Incident(
            when=c.occurred.strftime("%Y-%m-%d %H:%M %z").rstrip(),
            channel=t(f"records.channel.{c.channel}", lang=text_lang),
            counterparty=c.counterparty or t(f"records.counterparty.{c.counterparty_kind}", lang=text_lang),
            contacted=contacted, summary=c.summary.strip(), rules=rules))
    return tuple(out)


def prepare(store: Store, req: LetterRequest) -> tuple[LetterInput, list[tuple[str, dict[str, Any]]]]:
    """The facts of one document, ready for :func:`xieshang.documents.build.build`."""
    from xieshang.services.case import get_loan, get_person

    check_request(req)
    person = get_person(store)
    if person is None:
        raise UserError("error.case.no_case", path=store.location)
    loan = get_loan(store, req.loan_id)
    if req.kind == "card-installment" and not loan.is_card:
        raise UserError("letter.error.card_only", id=loan.id)
    as_of = req.as_of or clock.today()
    facts = loan_facts(loan, as_of)
    proposal, source, plan_date, assumed, notices = _proposal_for(store, req, facts, as_of)
    if req.kind == "card-installment" and proposal is not None:
        limit = documents_data().reference("card-art70").value or facts.max_plan_months
        count = proposal.months + (1 if proposal.down_payment > 0 else 0)
        if limit is not None and count > limit:
            raise UserError("letter.error.card_months", max=limit, months=count)
    dispute = req.dispute
    if req.kind == "credit-dispute" and not (dispute.entry or dispute.wrong):
        dispute = dispute_from_credit_report(store, loan.id, req.lang, as_of) or dispute
    complaint = req.complaint
    if req.kind == "complaint" and not complaint.incidents:
        complaint = replace(complaint, incidents=complaint_incidents(store, loan.id, req.lang))
    inp = LetterInput(
        kind=req.kind, lang=req.lang, as_of=as_of,
        person=Party(person.name, person.phone, person.email, person.id_number), loan=facts,
        proposal=proposal, proposal_source=source, plan_date=plan_date, start_assumed=assumed,
        hardship=req.hardship, call=req.call, complaint=complaint, dispute=dispute,
        settled_on=req.settled_on,
    )
    return inp, notices


# ---------------------------------------------------------------------------------------
# Writing and recording
# ---------------------------------------------------------------------------------------


def default_filename(kind: str, loan_id: int | None, lang: str, as_of: date, fmt_: str) -> str:
    loan = f"-{loan_id}" if loan_id is not None else ""
    return f"{kind}{loan}-{lang}-{as_of.isoformat()}.{fmt_}"


def write_bytes_atomic(path: Path, data: bytes) -> None:
    """``data`` to ``path`` via a temporary file in the same folder and ``os.replace``."""
    folder = path.parent if str(path.parent) else Path(".")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    except OSError as exc:
        raise UserError("letter.error.output_dir", path=str(path), detail=exc.strerror or str(exc)) from exc
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise UserError("letter.error.output_dir", path=str(path), detail=exc.strerror or str(exc)) from exc
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _output_path(output: Path | None, fmt_: str, name: str) -> Path | None:
    if output is not None and str(output) != "-":
        return output
    if fmt_ in ("pdf", "docx"):
        if output is not None:  # "-": stdout
            raise UserError("letter.error.binary_stdout", format=fmt_.upper())
        return Path(name)
    return None


def _record(store: Store, made: MadeDocument, *, loan_label: str | None, hardship: HardshipInfo | None,
            details: dict[str, Any], write_to: Path | None) -> None:
    from xieshang.store.models import Person
    from xieshang.store.models_documents import DocumentMade

    with store.transaction() as s:
        person = s.scalars(select(Person).order_by(Person.id).limit(1)).first()
        if person is None:
            raise UserError("error.case.no_case", path=store.location)
        row = DocumentMade(
            person_id=person.id, loan_id=made.loan_id, loan_label=loan_label, kind=made.kind, lang=made.lang,
            format=made.fmt, path=made.path, made_utc=clock.now().replace(tzinfo=None), as_of=made.as_of,
            hardship_reason=None if hardship is None else hardship.reason,
            hardship_text=None if hardship is None else hardship.text,
            hardship_since=None if hardship is None else hardship.since,
            hardship_until=None if hardship is None else hardship.until,
            details=details,
        )
        s.add(row)
        s.flush()
        made.record_id = row.id
        if write_to is not None:  # inside the transaction: a failed write records nothing
            write_bytes_atomic(write_to, made.content)


def preview_document(store: Store, req: LetterRequest) -> MadeDocument:
    """The document rendered as HTML with what is missing, neither written nor recorded (a preview)."""
    inp, notices = prepare(store, req)
    doc, missing = build(inp)
    return MadeDocument(record_id=None, kind=req.kind, loan_id=inp.loan.id, lang=req.lang, fmt="html", path=None,
                        content=render(doc, "html"), as_of=inp.as_of, missing=missing, notices=notices,
                        document=doc, proposal=inp.proposal)


def make_document(store: Store, req: LetterRequest, *, save_file: bool = True) -> MadeDocument:
    """Build, render, write (or return for printing) and record one document. ``save_file=False``
    (the web app's download) records it but writes no file: the content is returned."""
    inp, notices = prepare(store, req)
    doc, missing = build(inp)
    content = render(doc, req.fmt)
    name = default_filename(req.kind, inp.loan.id, req.lang, inp.as_of, req.fmt)
    path = _output_path(req.output, req.fmt, name) if save_file else None
    made = MadeDocument(record_id=None, kind=req.kind, loan_id=inp.loan.id, lang=req.lang, fmt=req.fmt,
                        path=None if path is None else str(path.resolve()), content=content, as_of=inp.as_of,
                        missing=missing, notices=notices, document=doc, proposal=inp.proposal)
    status = inp.loan.status
    details: dict[str, Any] = {
        "payoff": fmt(status.payoff), "dpd": status.dpd, "proposal_source": inp.proposal_source,
        "proposal": None if inp.proposal is None else inp.proposal.to_json(),
        "missing": [m.key for m in missing],
    }
    if req.kind == "confirmation":
        details["call"] = {"date": None if req.call.on is None else req.call.on.isoformat(), "agent": req.call.agent,
                           "agreed": req.call.agreed}
    if req.kind == "complaint":
        details["complaint"] = {"issues": list(req.complaint.issues), "to": req.complaint.to,
                                "details": req.complaint.details, "reference": req.complaint.reference}
    if req.kind == "credit-dispute":
        details["dispute"] = {"entry": req.dispute.entry, "wrong": req.dispute.wrong,
                              "evidence": list(req.dispute.evidence)}
    _record(store, made, loan_label=f"#{inp.loan.id} {inp.loan.lender}", hardship=req.hardship, details=details,
            write_to=path)
    return made


def make_checklist(store: Store | None, hardship: str, *, lang: str, fmt_: str = "md", output: Path | None = None,
                   today: date | None = None, save_file: bool = True) -> MadeDocument:
    """The checklist for one hardship type plus the paid-agency guide; recorded when there is a case.
    ``save_file=False``: no file is written, the content is returned (web download)."""
    _check_format(fmt_)
    if hardship not in HARDSHIP_TYPES:
        raise UserError("letter.error.hardship_type", value=hardship, choices=", ".join(HARDSHIP_TYPES))
    day = today or clock.today()
    doc = build_checklist(hardship, lang)
    content = render(doc, fmt_)
    name = default_filename(f"checklist-{hardship}", None, lang, day, fmt_)
    path = _output_path(output, fmt_, name) if save_file else None
    made = MadeDocument(record_id=None, kind="checklist", loan_id=None, lang=lang, fmt=fmt_,
                        path=None if path is None else str(path.resolve()), content=content, as_of=day, document=doc)
    from xieshang.services.case import has_case

    if store is not None and has_case(store):
        _record(store, made, loan_label=None, hardship=HardshipInfo(hardship), details={"hardship": hardship},
                write_to=path)
    elif path is not None:
        write_bytes_atomic(path, content)
    return made


def preview_checklist(hardship: str, lang: str) -> bytes:
    """The checklist and the paid-agency guide as HTML, neither written nor recorded."""
    if hardship not in HARDSHIP_TYPES:
        raise UserError("letter.error.hardship_type", value=hardship, choices=", ".join(HARDSHIP_TYPES))
    return render(build_checklist(hardship, lang), "html")


def list_made(store: Store) -> list[MadeRecord]:
    """Every document recorded for the case, oldest first."""
    from xieshang.store.models_documents import DocumentMade

    out: list[MadeRecord] = []
    with store.transaction() as s:
        for row in s.scalars(select(DocumentMade).order_by(DocumentMade.made_utc, DocumentMade.id)):
            hardship = None
            if row.hardship_reason is not None:
                hardship = HardshipInfo(row.hardship_reason, row.hardship_text, row.hardship_since, row.hardship_until)
            out.append(MadeRecord(row.id, row.kind, row.loan_id, row.loan_label, row.lang, row.format, row.path,
                                  row.made_utc, row.as_of, hardship, dict(row.details or {})))
    return out
