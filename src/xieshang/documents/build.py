"""One builder per document kind: :class:`LetterInput` in, :class:`Document` out.

Rules every builder follows:

* every figure comes from the facts (the engine's status, the proposal); nothing is invented;
* what is missing is left out of the document and reported as a :class:`Missing` note (shown to
  the user before rendering and in the cover note), never printed as a blank or a placeholder;
* a legal reference is printed only when it applies to this loan's product and lender type
  (:meth:`Reference.applies`), always with its source and date;
* the cover note says the document is a draft, not legal advice, and — for every kind that asks
  the lender for something — that acknowledging the debt in writing restarts the limitation
  period (民法典 第195条), strongly when the debt is old.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from xieshang.documents import NEGOTIATION_KINDS
from xieshang.documents.data import DocumentsData, Reference, SourcedText, documents_data
from xieshang.documents.facts import LetterInput
from xieshang.documents.model import Block, Bullets, Callout, Document, Heading, Para, Signature, Table
from xieshang.documents.text import Texts, localize
from xieshang.engine.schedule import add_months


@dataclass(frozen=True, slots=True)
class Missing:
    """Information the document could not include: ``letter.missing.<key>``."""

    key: str
    params: dict[str, Any] = field(default_factory=dict)


@dataclass
class Draft:
    """What a builder accumulates."""

    inp: LetterInput
    tx: Texts
    data: DocumentsData
    body: list[Block] = field(default_factory=list)
    tips: list[str] = field(default_factory=list)
    missing: list[Missing] = field(default_factory=list)

    def add(self, *blocks: Block) -> None:
        self.body.extend(blocks)

    def para(self, text: str, *, indent: bool | None = None) -> None:
        self.body.append(Para(text, indent=self.tx.lang == "zh_CN" if indent is None else indent))

    def heading(self, text: str, level: int = 2) -> None:
        self.body.append(Heading(text, level))

    def miss(self, key: str, **params: Any) -> None:
        self.missing.append(Missing(key, params))


def months_between(start: date, end: date) -> int:
    """Whole months from ``start`` to ``end`` (0 when ``end`` is not after ``start``)."""
    months = (end.year - start.year) * 12 + (end.month - start.month) - (1 if end.day < start.day else 0)
    return max(months, 0)


# ---------------------------------------------------------------------------------------
# Shared parts
# ---------------------------------------------------------------------------------------


def _lender_product(d: Draft) -> str:
    loan = d.inp.loan
    return d.tx.pick(loan.product_name_zh, loan.product_name_en)


def _applicable(d: Draft) -> list[Reference]:
    loan = d.inp.loan
    return d.data.references_for(loan.product, loan.lender_type)


def _ref(d: Draft, ref_id: str) -> Reference | None:
    for ref in _applicable(d):
        if ref.id == ref_id:
            return ref
    return None


def _cite(d: Draft, ref: Reference) -> str:
    tx = d.tx
    return tx("common.citation", title=tx.pick(ref.title_zh, ref.title_en), text=tx.pick(ref.text_zh, ref.text_en),
              source=ref.source, date=tx.day(ref.as_of))


def _addressee(d: Draft) -> None:
    d.add(Para(d.tx("common.to", lender=d.inp.loan.lender)))


def _identity(d: Draft) -> str:
    """'I, NAME (ID …),' with the ID only when the case has it."""
    p = d.inp.person
    if p.id_number:
        return d.tx("common.me_with_id", name=p.name, id_number=p.id_number)
    d.miss("id_number")
    return d.tx("common.me", name=p.name)


def _loan_sentence(d: Draft) -> str:
    loan, tx = d.inp.loan, d.tx
    if loan.is_card:
        text = tx("common.card_loan", lender=loan.lender, amount=tx.money(loan.amount), date=tx.day(loan.disbursed))
    else:
        text = tx("common.loan", lender=loan.lender, product=_lender_product(d), amount=tx.money(loan.amount),
                  date=tx.day(loan.disbursed), months=loan.term_months or 0)
    if loan.contract_no:
        text += tx("common.contract_no", no=loan.contract_no)
    else:
        d.miss("contract_no", id=loan.id)
    return text


def _status_sentence(d: Draft) -> str:
    st, tx = d.inp.loan.status, d.tx
    if st.dpd > 0 and st.overdue_since is not None:
        return tx("common.overdue", as_of=tx.day(d.inp.as_of), since=tx.day(st.overdue_since), dpd=st.dpd,
                  payoff=tx.money(st.payoff))
    return tx("common.not_overdue", as_of=tx.day(d.inp.as_of), payoff=tx.money(st.payoff))


def _intro(d: Draft) -> None:
    d.para(_identity(d) + _loan_sentence(d) + _status_sentence(d))


def _owed_table(d: Draft) -> None:
    st, tx = d.inp.loan.status, d.tx
    owed = st.owed
    rows: list[tuple[str, Decimal]] = [
        (tx("owed.overdue_principal"), owed.overdue_principal),
        (tx("owed.not_due_principal"), owed.not_due_principal),
        (tx("owed.overdue_interest"), owed.overdue_interest),
        (tx("owed.accrued_interest"), owed.accrued_interest),
        (tx("owed.penalty"), owed.penalty),
        (tx("owed.compound"), owed.compound),
        (tx("owed.fees"), owed.fees),
    ]
    body = tuple((label, tx.money(v)) for label, v in rows if v != 0)
    d.add(Table(header=(tx("owed.item"), tx("owed.amount")),
                rows=(*body, (tx("owed.total", as_of=tx.day(d.inp.as_of)), tx.money(st.payoff))),
                numeric=(False, True), total_last=True))
    d.add(Para(tx("owed.note"), indent=False))


def _reason(d: Draft, *, required: bool = False) -> None:
    h, tx = d.inp.hardship, d.tx
    if h is None:
        d.miss("hardship")
        d.para(tx("reason.generic"))
        return
    info = d.data.hardship(h.reason)
    text = tx.pick(info.statement_zh, info.statement_en)
    when = ""
    if h.since is not None and h.until is not None:
        when = tx("reason.between", since=tx.day(h.since), until=tx.day(h.until))
    elif h.since is not None:
        when = tx("reason.since", since=tx.day(h.since))
    if when:  # before the closing full stop
        stop = text[-1] if text and text[-1] in "。." else ""
        text = (text[:-1] if stop else text) + when + stop
    d.para(text)
    if h.text:
        d.para(tx("reason.details", text=h.text.strip()))
    elif required or h.reason == "other":
        d.miss("hardship_text")


def _interest_text(d: Draft) -> str:
    p, tx = d.inp.proposal, d.tx
    assert p is not None
    if p.interest.value == "reduced" and p.reduced_annual_rate is not None:
        return tx("proposal.interest_reduced", rate=tx.pct(p.reduced_annual_rate, 2))
    return tx(f"proposal.interest_{p.interest.value}")


def _proposal_dates(d: Draft) -> tuple[date | None, date | None]:
    """The first and last monthly payment dates."""
    p = d.inp.proposal
    assert p is not None
    if p.months <= 0:
        return None, None
    offset = 1 if p.down_payment > 0 else 0
    return add_months(p.start_date, offset), add_months(p.start_date, offset + p.months - 1)


def _follows_contract(d: Draft) -> bool:
    """A proposal that catches up and then pays as the contract says (the planner's as-contracted or
    waiver-only options): its monthly figure is only an average, so the contract's schedule is cited."""
    p = d.inp.proposal
    return p is not None and p.option.value in ("as-contracted", "waiver") and p.months > 0


def _proposal(d: Draft, *, ask_key: str = "proposal.ask") -> bool:
    """The proposal table, or a request to the lender to propose one; True when figures exist."""
    p, tx = d.inp.proposal, d.tx
    if p is None:
        d.miss("proposal")
        d.para(tx("proposal.none"))
        return False
    d.para(tx(ask_key))
    rows: list[tuple[str, str]] = []
    if p.option.value == "settlement" and p.settlement_amount is not None:
        rows.append((tx("proposal.settlement", date=tx.day(p.start_date)), tx.money(p.settlement_amount)))
    settlement = p.option.value == "settlement" and p.settlement_amount is not None
    if p.down_payment > 0 and not settlement:
        rows.append((tx("proposal.down_payment", date=tx.day(p.start_date)), tx.money(p.down_payment)))
    first, last = _proposal_dates(d)
    if _follows_contract(d):
        rows.append((tx("proposal.rest"), tx("proposal.rest_value")))
    elif p.months > 0 and first is not None and last is not None:
        rows.append((tx("proposal.monthly"), tx.money(p.monthly_amount)))
        rows.append((tx("proposal.months"), tx("proposal.months_value", n=p.months)))
        rows.append((tx("proposal.first_last"), tx("proposal.first_last_value", first=tx.day(first),
                                                    last=tx.day(last))))
    if not settlement:
        rows.append((tx("proposal.interest"), _interest_text(d)))
    if p.waived_total > 0:
        rows.append((tx("proposal.waived"), tx.money(p.waived_total)))
    if p.total_to_pay > 0:
        key = "proposal.total_about" if _follows_contract(d) else "proposal.total"
        rows.append((tx(key), tx.money(p.total_to_pay)))
    d.add(Table(header=(tx("proposal.item"), tx("proposal.value")), rows=tuple(rows)))
    return True


def _waiver_sentence(d: Draft) -> None:
    p, tx = d.inp.proposal, d.tx
    if p is None or p.waived_total <= 0:
        return
    parts = []
    for key, amount in (("owed.penalty", p.waive_penalty), ("owed.compound", p.waive_compound),
                        ("owed.fees", p.waive_fees)):
        if amount > 0:
            parts.append(tx("waiver.part", item=tx(key), amount=tx.money(amount)))
    d.para(tx("waiver.ask", parts=tx("fmt.inline_sep").join(parts), total=tx.money(p.waived_total)))


def _attachments(d: Draft, *, extra: tuple[str, ...] = ()) -> None:
    tx = d.tx
    items: list[str] = [tx.pick(c.zh, c.en) for c in d.data.checklists.common]
    if d.inp.hardship is not None:
        items += [tx.pick(i.zh, i.en) for i in d.data.hardship(d.inp.hardship.reason).item]
    items += list(extra)
    d.heading(tx("common.attachments"), 3)
    d.add(Bullets(tuple(items), ordered=True))


def _contact_line(d: Draft) -> None:
    p, tx = d.inp.person, d.tx
    parts = []
    if p.phone:
        parts.append(tx("common.phone", phone=p.phone))
    else:
        d.miss("phone")
    if p.email:
        parts.append(tx("common.email", email=p.email))
    if parts:
        d.para(tx("fmt.list_sep").join(parts), indent=False)


def _closing(d: Draft, key: str = "common.closing") -> None:
    d.para(d.tx(key))
    _contact_line(d)
    if d.tx.lang == "zh_CN":
        d.add(Para(d.tx("common.salute1"), indent=True), Para(d.tx("common.salute2")))
    else:
        d.add(Para(d.tx("common.salute1")))


def _signature(d: Draft, role_key: str = "common.applicant") -> None:
    tx = d.tx
    d.add(Signature(printed=(tx(role_key, name=d.inp.person.name),),
                    sign_labels=(tx("common.sign"), tx("common.sign_date"))))


def _limitation(d: Draft) -> list[Callout]:
    """The limitation-period warning for kinds that acknowledge the debt."""
    tx, loan, as_of = d.tx, d.inp.loan, d.inp.as_of
    from xieshang.rules import limitation_rules

    rules = {r.id: r for r in limitation_rules()}
    restart = rules["acknowledgement-restarts"]
    lines = [tx("cover.limitation_general", source=restart.source, date=tx.day(restart.as_of))]
    warn_after = d.data.settings.limitation_warn_after_months.value
    months = months_between(loan.last_due, as_of) if loan.last_due <= as_of else 0
    if months >= warn_after:
        period, expiry = rules["period"], rules["after-expiry"]
        lines.append(tx("cover.limitation_old", last_due=tx.day(loan.last_due), months=months,
                        period_source=period.source, expiry_source=expiry.source))
        if months >= 36:
            lines.append(tx("cover.limitation_maybe_expired"))
        return [Callout(tx("cover.limitation_title_old"), tuple(lines), tone="warning")]
    return [Callout(tx("cover.limitation_title"), tuple(lines), tone="info")]


def _cover(d: Draft) -> list[Block]:
    tx, inp = d.tx, d.inp
    blocks: list[Block] = [
        Heading(tx("cover.title"), 2),
        Callout(tx("cover.draft_title"), (tx("cover.draft"), tx("cover.not_advice")), tone="warning"),
        Para(tx("cover.figures", as_of=tx.day(inp.as_of), lender=inp.loan.lender,
                payoff=tx.money(inp.loan.status.payoff))),
    ]
    if inp.proposal is not None and inp.proposal_source == "plan" and inp.plan_date is not None:
        blocks.append(Para(tx("cover.proposal_plan", date=tx.day(inp.plan_date))))
    elif inp.proposal is not None:
        blocks.append(Para(tx("cover.proposal_flags")))
    if inp.kind in NEGOTIATION_KINDS:
        blocks.extend(_limitation(d))
    if d.missing:
        from xieshang.i18n import t

        lines = tuple(t(f"letter.missing.{m.key}", lang=tx.lang, **m.params) for m in d.missing)
        blocks.append(Callout(tx("cover.missing_title"), lines, tone="warning"))
    tips = [tx("cover.tip_send"), tx("cover.tip_keep"), *d.tips, tx("cover.tip_agencies")]
    blocks.append(Heading(tx("cover.tips_title"), 3))
    blocks.append(Bullets(tuple(tips)))
    return blocks


def _finish(d: Draft, title: str) -> Document:
    # the body first (it records what is missing), then the cover that lists it
    body = [Heading(title, 1), *d.body]
    cover = _cover(d)
    doc = Document(kind=d.inp.kind, lang="zh_CN" if d.tx.lang == "zh_CN" else "en", title=title,
                   cover=tuple(cover), body=tuple(body), footer=d.tx("common.footer"),
                   meta={"loan_id": str(d.inp.loan.id), "as_of": d.inp.as_of.isoformat()})
    return localize(doc, d.inp.lang)


# ---------------------------------------------------------------------------------------
# The kinds
# ---------------------------------------------------------------------------------------


def _negotiation(d: Draft) -> str:
    tx = d.tx
    _addressee(d)
    _intro(d)
    d.heading(tx("negotiation.owed"))
    _owed_table(d)
    d.heading(tx("negotiation.reason"))
    _reason(d)
    d.heading(tx("negotiation.request"))
    d.para(tx("negotiation.willing"))
    _proposal(d)
    _waiver_sentence(d)
    if not d.inp.loan.is_card:
        ref = _ref(d, "civil-678")
        if ref is not None:
            d.para(tx("negotiation.extension_basis", citation=_cite(d, ref)))
    else:
        ref = _ref(d, "card-art70")
        if ref is not None:
            d.para(tx("card.basis", citation=_cite(d, ref)))
    d.para(tx("negotiation.keep_paying"))
    _attachments(d)
    _closing(d)
    _signature(d)
    return tx("negotiation.title")


def _waiver(d: Draft) -> str:
    tx, loan = d.tx, d.inp.loan
    st = loan.status
    _addressee(d)
    _intro(d)
    d.heading(tx("waiver.charges"))
    since = st.overdue_since
    period = (tx("waiver.period", since=tx.day(since), as_of=tx.day(d.inp.as_of), dpd=st.dpd)
              if since is not None and st.dpd > 0 else tx("waiver.no_period"))
    rows = []
    for key, owed, charged in (("owed.penalty", st.owed.penalty, st.penalty_charged),
                               ("owed.compound", st.owed.compound, st.compound_charged),
                               ("owed.fees", st.owed.fees, st.fees_charged)):
        if charged != 0 or owed != 0:
            rows.append((tx(key), tx.money(charged), tx.money(owed), period))
    total_owed = st.owed.penalty + st.owed.compound + st.owed.fees
    total_charged = st.penalty_charged + st.compound_charged + st.fees_charged
    rows.append((tx("waiver.total"), tx.money(total_charged), tx.money(total_owed), ""))
    d.add(Table(header=(tx("owed.item"), tx("waiver.charged"), tx("waiver.unpaid"), tx("waiver.period_head")),
                rows=tuple(rows), numeric=(False, True, True, False), total_last=True))
    if st.penalty_daily_rate > 0:
        d.para(tx("waiver.rates", rate=f"{(st.penalty_daily_rate * 100).normalize():f}%"), indent=False)
    # the cost held against the lines that apply to THIS lender type
    above = [c for c in loan.checks if c.above]
    if above:
        d.heading(tx("waiver.lines"))
        seen: set[str] = set()
        for check in above:
            if check.line_id in seen:
                continue
            seen.add(check.line_id)
            line = next((ln for ln in loan.lines if ln.id == check.line_id), None)
            if line is None:
                continue
            worst = max((c.value for c in above if c.line_id == check.line_id), default=check.value)
            d.para(tx("waiver.above", value=tx.pct(worst), name=tx.pick(line.name_zh, line.name_en),
                      rate=tx.pct(line.rate, 0), meaning=tx.pick(line.meaning_zh, line.meaning_en),
                      source=line.source, date=tx.day(line.as_of)))
        d.para(tx("waiver.lines_caveat"))
    if st.owed.fees > 0 or st.fees_charged > 0:
        ref = _ref(d, "civil-585")
        if ref is not None:
            d.para(tx("waiver.fee_basis", citation=_cite(d, ref)))
    if loan.is_card:
        ref = _ref(d, "card-interpretation-2")
        if ref is not None and above:
            d.para(tx("waiver.card_basis", citation=_cite(d, ref)))
    d.heading(tx("negotiation.reason"))
    _reason(d)
    d.heading(tx("negotiation.request"))
    p = d.inp.proposal
    if p is not None and p.waived_total > 0:
        _waiver_sentence(d)
    elif total_owed > 0:
        d.para(tx("waiver.ask_all", total=tx.money(total_owed)))
    else:
        d.para(tx("waiver.nothing_unpaid"))
    if p is not None:
        _proposal(d, ask_key="waiver.with_plan")
    d.para(tx("waiver.confirm"))
    _attachments(d)
    _closing(d)
    _signature(d)
    return tx("waiver.title")


def _hardship(d: Draft) -> str:
    tx = d.tx
    _addressee(d)
    d.para(_identity(d) + _loan_sentence(d) + _status_sentence(d))
    d.heading(tx("hardship.what"))
    _reason(d, required=True)
    d.heading(tx("hardship.effect"))
    d.para(tx("hardship.effect_text"))
    d.heading(tx("hardship.evidence"))
    assert d.inp.hardship is not None
    info = d.data.hardship(d.inp.hardship.reason)
    d.add(Bullets(tuple(tx.pick(i.zh, i.en) for i in info.item), ordered=True))
    d.para(tx("hardship.truthful"))
    d.heading(tx("negotiation.request"))
    if d.inp.proposal is not None:
        _proposal(d)
    else:
        d.miss("proposal")
        d.para(tx("hardship.ask_options"))
    _closing(d)
    _signature(d, "common.declarant")
    return tx("hardship.title")


def _card_installment(d: Draft) -> str:
    tx = d.tx
    ref = _ref(d, "card-art70")
    assert ref is not None  # the service refuses non-card loans before building
    _addressee(d)
    _intro(d)
    d.heading(tx("negotiation.owed"))
    _owed_table(d)
    d.heading(tx("negotiation.reason"))
    _reason(d)
    d.heading(tx("card.basis_title"))
    d.para(tx("card.basis", citation=_cite(d, ref)))
    d.heading(tx("negotiation.request"))
    d.para(tx("card.willing"))
    _proposal(d, ask_key="card.ask")
    _waiver_sentence(d)
    d.para(tx("card.contents"))
    d.add(Bullets(tuple(tx.pick(i.zh, i.en) for i in ref.item), ordered=True))
    d.para(tx("card.stop_collection"))
    d.para(tx("card.promise"))
    _attachments(d)
    _closing(d)
    _signature(d)
    d.tips.append(tx("card.tip_discretionary"))
    return tx("card.title")


def _call_script(d: Draft) -> str:
    tx, loan, inp = d.tx, d.inp.loan, d.inp
    st = loan.status
    d.para(tx("script.intro", lender=loan.lender), indent=False)
    d.heading(tx("script.before"))
    ready = [tx("script.ready_figures", payoff=tx.money(st.payoff), as_of=tx.day(inp.as_of),
                overdue=tx.money(st.overdue_amount)),
             tx("script.ready_notes")]
    if loan.contacts:
        ready.append(tx("script.ready_contacts", contacts=tx("fmt.list_sep").join(v for _, v in loan.contacts)))
    ready.append(tx("script.ready_record"))
    d.add(Bullets(tuple(ready), checkboxes=True))
    d.heading(tx("script.opening"))
    d.add(Para(tx("script.say_opening", name=inp.person.name, lender=loan.lender, product=_lender_product(d))))
    d.heading(tx("script.identity"))
    d.add(Bullets((tx("script.identity_1"), tx("script.identity_2"), tx("script.identity_3"))))
    d.heading(tx("script.reason"))
    if inp.hardship is not None:
        info = d.data.hardship(inp.hardship.reason)
        d.add(Para(tx("script.say_reason", reason=tx.pick(info.statement_zh, info.statement_en))))
        if inp.hardship.text:
            d.add(Para(tx("script.say_details", text=inp.hardship.text.strip())))
    else:
        d.miss("hardship")
        d.add(Para(tx("script.say_reason_generic")))
    d.heading(tx("script.proposal"))
    p = inp.proposal
    if p is not None and _follows_contract(d):
        d.add(Para(tx("script.say_catch_up", down=tx.money(p.down_payment), date=tx.day(p.start_date))))
        if p.waived_total > 0:
            d.add(Para(tx("script.say_waiver", total=tx.money(p.waived_total))))
    elif p is not None and p.months > 0:
        first, _last = _proposal_dates(d)
        assert first is not None
        if p.down_payment > 0:
            text = tx("script.say_down_plan", down=tx.money(p.down_payment), date=tx.day(p.start_date),
                      monthly=tx.money(p.monthly_amount), months=p.months, first=tx.day(first))
        else:
            text = tx("script.say_plan", monthly=tx.money(p.monthly_amount), months=p.months, first=tx.day(first))
        d.add(Para(text))
        if p.waived_total > 0:
            d.add(Para(tx("script.say_waiver", total=tx.money(p.waived_total))))
        d.add(Para(tx("script.say_interest", interest=_interest_text(d))))
    elif p is not None and p.settlement_amount is not None:
        d.add(Para(tx("script.say_settlement", amount=tx.money(p.settlement_amount), date=tx.day(p.start_date))))
    else:
        d.miss("proposal")
        d.add(Para(tx("script.say_ask_options")))
    if loan.is_card:
        ref = _ref(d, "card-art70")
        if ref is not None:
            d.add(Para(tx("script.say_card_rule", title=tx.pick(ref.title_zh, ref.title_en))))
    d.heading(tx("script.pushback"))
    pushback = ["full", "no_negotiation", "threats", "other_account", "new_loan"]
    rows = tuple((tx(f"script.push_{k}"), tx(f"script.answer_{k}")) for k in pushback)
    d.add(Table(header=(tx("script.they_say"), tx("script.you_say")), rows=rows))
    d.heading(tx("script.written"))
    d.add(Para(tx("script.say_written")))
    d.heading(tx("script.closing"))
    d.add(Para(tx("script.say_closing")))
    d.heading(tx("script.dont"))
    d.add(Bullets(tuple(tx(f"script.dont_{i}") for i in range(1, 7))))
    d.heading(tx("script.rights"))
    from xieshang.rules import collection_rules

    rules = [r for r in collection_rules() if r.id in ("quiet-hours", "connected-calls", "third-parties")]
    d.add(Bullets(tuple(tx("script.rule", title=tx.pick(r.title_zh, r.title_en), source=r.source,
                           date=tx.day(r.as_of)) for r in rules)))
    d.heading(tx("script.after"))
    d.add(Bullets((tx("script.after_1"), tx("script.after_2"), tx("script.after_3"))))
    return tx("script.title", lender=loan.lender)


def _confirmation(d: Draft) -> str:
    tx, inp = d.tx, d.inp
    days = d.data.settings.confirmation_reply_days.value
    _addressee(d)
    d.para(_identity(d) + _loan_sentence(d))
    call = inp.call
    if call.on is not None:
        when = tx("confirm.on", date=tx.day(call.on))
    else:
        d.miss("call_date")
        when = tx("confirm.recently")
    if call.agent:
        who = tx("confirm.agent", agent=call.agent)
    else:
        d.miss("call_agent")
        who = tx("confirm.agent_unknown")
    d.para(tx("confirm.context", when=when, who=who))
    d.heading(tx("confirm.agreed"))
    if call.agreed:
        d.para(tx("confirm.agreed_text", text=call.agreed.strip()))
    if inp.proposal is not None:
        _proposal(d, ask_key="confirm.terms")
        _waiver_sentence(d)
    elif not call.agreed:
        d.miss("call_agreed")
        d.para(tx("confirm.no_terms"))
    d.heading(tx("confirm.request"))
    d.add(Bullets((tx("confirm.ask_1", days=days), tx("confirm.ask_2"), tx("confirm.ask_3"), tx("confirm.ask_4"))))
    d.para(tx("confirm.correct"))
    _closing(d)
    _signature(d)
    return tx("confirm.title")


def _settlement_proof(d: Draft) -> str:
    tx, inp = d.tx, d.inp
    st = inp.loan.status
    _addressee(d)
    d.para(_identity(d) + _loan_sentence(d))
    if st.closed or st.payoff == 0:
        settled = inp.settled_on or (inp.loan.payments[-1][0] if inp.loan.payments else None)
        if settled is not None:
            d.para(tx("settle.settled_on", date=tx.day(settled), paid=tx.money(st.paid_total)))
        else:
            d.miss("settled_on")
            d.para(tx("settle.settled", paid=tx.money(st.paid_total)))
    else:
        d.para(tx("settle.will_settle", as_of=tx.day(inp.as_of), payoff=tx.money(st.payoff)))
        d.tips.append(tx("settle.tip_pay_first"))
    d.heading(tx("settle.request"))
    d.add(Bullets((tx("settle.ask_1"), tx("settle.ask_2"), tx("settle.ask_3")), ordered=True))
    d.heading(tx("settle.credit"))
    from xieshang.rules import credit_reporting_rules

    rules = {r.id: r for r in credit_reporting_rules()}
    retention, dispute = rules.get("retention"), rules.get("dispute")
    d.para(tx("settle.credit_ask"))
    if retention is not None:
        d.para(tx("settle.retention", text=tx.pick(retention.text_zh, retention.text_en),
                  source=retention.source, date=tx.day(retention.as_of)))
    if dispute is not None:
        d.tips.append(tx("settle.tip_dispute", source=dispute.source))
    _closing(d)
    _signature(d)
    return tx("settle.title")


def _complaint(d: Draft) -> str:
    tx, inp = d.tx, d.inp
    loan, c = inp.loan, inp.complaint
    issues = list(c.issues)
    if not issues:
        issues = ["wrong-amount"] if _lender_differs(d) else []
        if c.incidents:
            issues.append("misconduct")  # the contact log holds flagged entries for this loan
    if not issues:
        d.miss("complaint_issue")
    regulator = c.to == "regulator"
    if regulator:
        topic_reg = "credit-report" if issues == ["credit-report"] else None
        channels = d.data.channels_for(loan.lender_type, topic_reg or (issues[0] if issues else "refusal"))
        names = [tx.pick(ch.name_zh, ch.name_en) for ch in channels if ch.id in ("12378", "12363")]
        d.add(Para(tx("complaint.to_regulator", regulators=tx("fmt.list_sep").join(names) if names
                      else tx("complaint.regulator_generic"))))
    else:
        _addressee(d)
    d.para(_identity(d) + _loan_sentence(d) + _status_sentence(d))
    if regulator:
        if c.reference:
            d.para(tx("complaint.already", lender=loan.lender, ref=c.reference))
        else:
            d.miss("complaint_reference")
            d.para(tx("complaint.already_noref", lender=loan.lender))
    d.heading(tx("complaint.facts"))
    for issue in issues:
        if issue == "wrong-amount":
            _wrong_amount(d)
        else:
            d.para(tx(f"complaint.issue_{issue.replace('-', '_')}"))
    if c.incidents:
        d.para(tx("complaint.incidents", count=len(c.incidents)), indent=False)
        d.add(Table(header=(tx("complaint.col_when"), tx("complaint.col_how"), tx("complaint.col_contacted"),
                            tx("complaint.col_what"), tx("complaint.col_rules")),
                    rows=tuple((i.when, f"{i.channel} · {i.counterparty}", i.contacted, i.summary,
                                tx("fmt.list_sep").join(i.rules)) for i in c.incidents)))
        d.para(tx("complaint.incidents_evidence"))
    if c.details:
        d.para(tx("complaint.details", text=c.details.strip()))
    elif issues and issues != ["wrong-amount"] and not c.incidents:
        d.miss("complaint_details")
    if "misconduct" in issues:
        from xieshang.rules import collection_rules

        d.heading(tx("complaint.rules"), 3)
        d.add(Bullets(tuple(tx("script.rule", title=tx.pick(r.title_zh, r.title_en), source=r.source,
                                date=tx.day(r.as_of)) for r in collection_rules()
                                if r.applies(loan.lender_type))))
    d.heading(tx("complaint.request"))
    asks = [tx(f"complaint.ask_{issue.replace('-', '_')}") for issue in issues]
    asks.append(tx("complaint.ask_reply"))
    d.add(Bullets(tuple(asks), ordered=True))
    ref = _ref(d, "complaint-handling")
    if ref is not None and not regulator:
        d.para(tx("complaint.deadline", citation=_cite(d, ref)))
    _closing(d)
    _signature(d, "common.complainant")
    # the escalation path, for the borrower (cover)
    topics = issues or ["refusal"]
    seen: set[str] = set()
    for topic in topics:
        for ch in d.data.channels_for(loan.lender_type, topic):
            if ch.id not in seen:
                seen.add(ch.id)
                d.tips.append(tx("complaint.channel", name=tx.pick(ch.name_zh, ch.name_en),
                                 how=tx.pick(ch.how_zh, ch.how_en)))
    return tx("complaint.title_regulator" if regulator else "complaint.title")


def _lender_differs(d: Draft) -> bool:
    return bool(d.inp.loan.lender_figures)


def _wrong_amount(d: Draft) -> None:
    tx, loan = d.tx, d.inp.loan
    if not loan.lender_figures:
        d.para(tx("complaint.issue_wrong_amount"))
        return
    on, amount, _note = loan.lender_figures[-1]
    d.para(tx("complaint.wrong_amount_figures", date=tx.day(on), theirs=tx.money(amount),
              ours=tx.money(loan.status.payoff), as_of=tx.day(d.inp.as_of)))


def _credit_dispute(d: Draft) -> str:
    tx, inp = d.tx, d.inp
    loan, dispute = inp.loan, inp.dispute
    from xieshang.rules import credit_reporting_rules

    rules = {r.id: r for r in credit_reporting_rules()}
    d.add(Para(tx("dispute.to", lender=loan.lender)))
    d.para(_identity(d) + _loan_sentence(d))
    d.heading(tx("dispute.entry"))
    if dispute.entry:
        d.para(tx("dispute.entry_text", text=dispute.entry.strip()))
    else:
        d.miss("dispute_entry")
        d.para(tx("dispute.entry_default", lender=loan.lender))
    d.heading(tx("dispute.wrong"))
    if dispute.wrong:
        d.para(tx("dispute.wrong_text", text=dispute.wrong.strip()))
    else:
        d.miss("dispute_wrong")
        d.para(tx("dispute.wrong_default"))
    d.heading(tx("dispute.evidence"))
    if loan.payments:
        d.para(tx("dispute.payments"), indent=False)
        d.add(Table(header=(tx("dispute.pay_date"), tx("dispute.pay_amount")),
                    rows=tuple((tx.day(on), tx.money(a)) for on, a in loan.payments), numeric=(False, True)))
    items = [*dispute.evidence]
    if not items and not loan.payments:
        d.miss("dispute_evidence")
    if items:
        d.add(Bullets(tuple(items), ordered=True))
    d.heading(tx("dispute.request"))
    rule = rules.get("dispute")
    asks = [tx("dispute.ask_1"), tx("dispute.ask_2")]
    if rule is not None:
        asks.append(tx("dispute.ask_reply", text=tx.pick(rule.text_zh, rule.text_en), source=rule.source,
                       date=tx.day(rule.as_of)))
    d.add(Bullets(tuple(asks), ordered=True))
    _closing(d)
    _signature(d)
    complaint = rules.get("complaint")
    if complaint is not None:
        d.tips.append(tx("dispute.tip_escalate", source=complaint.source))
    return tx("dispute.title")


BUILDERS: dict[str, Callable[[Draft], str]] = {
    "negotiation": _negotiation,
    "waiver": _waiver,
    "hardship": _hardship,
    "card-installment": _card_installment,
    "call-script": _call_script,
    "confirmation": _confirmation,
    "settlement-proof": _settlement_proof,
    "complaint": _complaint,
    "credit-dispute": _credit_dispute,
}


def build(inp: LetterInput) -> tuple[Document, list[Missing]]:
    """The document of ``inp.kind`` in ``inp.lang`` and what had to be left out of it."""
    draft = Draft(inp=inp, tx=Texts(inp.lang), data=documents_data())
    title = BUILDERS[inp.kind](draft)
    unique: list[Missing] = []
    for m in draft.missing:
        if m not in unique:
            unique.append(m)
    draft.missing = unique
    return _finish(draft, title), unique


# ---------------------------------------------------------------------------------------
# Checklists
# ---------------------------------------------------------------------------------------


def _sourced_lines(tx: Texts, items: tuple[SourcedText, ...], *, where: bool) -> tuple[str, ...]:
    out = []
    for item in items:
        text = tx.pick(item.zh, item.en)
        place = tx.pick(item.where_zh, item.where_en)
        if where and place:
            text = tx("checklist.item_where", item=text, where=place)
        out.append(tx("checklist.item_source", item=text, source=item.source, date=tx.day(item.as_of),
                      confidence=tx(f"checklist.confidence_{item.confidence}")))
    return tuple(out)


def build_checklist(hardship_id: str, lang: str) -> Document:
    """The documents that support one hardship type, then the paid-agency guide."""
    tx, data = Texts(lang), documents_data()
    info = data.hardship(hardship_id)
    name = tx.pick(info.title_zh, info.title_en)
    title = tx("checklist.title", name=name)
    body: list[Block] = [Heading(title, 1), Para(tx("checklist.intro"))]
    body += [Heading(tx("checklist.for_type", name=name), 2),
             Bullets(_sourced_lines(tx, info.item, where=True), checkboxes=True),
             Heading(tx("checklist.common"), 2),
             Bullets(_sourced_lines(tx, data.checklists.common, where=True), checkboxes=True),
             Callout(tx("checklist.never_fake_title"), (tx("checklist.never_fake"),), tone="warning")]
    body += agency_guide(tx, data)
    doc = Document(kind="checklist", lang="zh_CN" if tx.lang == "zh_CN" else "en", title=title, cover=(),
                   body=tuple(body), footer=tx("common.footer"), meta={"hardship": hardship_id})
    return localize(doc, lang)


def agency_guide(tx: Texts, data: DocumentsData) -> list[Block]:
    """“Before you pay anyone to negotiate for you”, from the official warnings."""
    return [
        Heading(tx("guide.title"), 2),
        Para(tx("guide.intro")),
        Heading(tx("guide.warnings"), 3),
        Bullets(_sourced_lines(tx, data.agencies.warning, where=False)),
        Heading(tx("guide.red_flags"), 3),
        Bullets(_sourced_lines(tx, data.agencies.red_flag, where=False), checkboxes=True),
        Heading(tx("guide.instead"), 3),
        Bullets(_sourced_lines(tx, data.agencies.instead, where=False)),
    ]
