"""Documents: the data files, the builders' honesty rules (no placeholders, references only
where they apply, missing information listed, the limitation warning), proposals from flags
and from a saved plan, and OpenCC conversion."""

from __future__ import annotations

import re
import sys
import types
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from xieshang.documents import KINDS, LANGS
from xieshang.documents.build import build, build_checklist, months_between
from xieshang.documents.data import HARDSHIP_TYPES, documents_data
from xieshang.documents.facts import ComplaintInfo, HardshipInfo
from xieshang.documents.render import to_markdown
from xieshang.documents.text import convert
from xieshang.errors import UserError
from xieshang.money import fmt_display
from xieshang.services.case import LoanRecord, get_loan, loan_status, write_case
from xieshang.services.demo import load_demo
from xieshang.services.letters import (
    LetterRequest,
    ProposalFlags,
    default_loan_id,
    doc_language,
    loan_facts,
    make_document,
    prepare,
    proposal_from_flags,
)
from xieshang.store.db import Store, open_store

TODAY = date(2026, 3, 16)
CARD_ONLY = ("第七十条", "第七十條", "art. 70", "信用卡业务监督管理办法", "信用卡業務監督管理辦法",
             "Credit Card Business", "法释〔2021〕10号", "法釋〔2021〕10號", "bank-card civil disputes")
PLACEHOLDER = re.compile(r"\{|\}|TODO|XXX|\bNone\b|\bnull\b|\bnan\b")
SIGN_LINE = re.compile(r"^(签名|簽名|日期|Signature|Date)[:：] ?_+ *$")


@pytest.fixture(scope="module")
def demo_store(module_store_location: str) -> Store:
    st = open_store(module_store_location)
    load_demo(st, today=TODAY)
    return st


def _flags(**kw: Any) -> ProposalFlags:
    return ProposalFlags(monthly=Decimal("1500.00"), months=12, **kw)


def _req(kind: str, loan_id: int = 1, lang: str = "zh_CN", **kw: Any) -> LetterRequest:
    return LetterRequest(kind=kind, loan_id=loan_id, lang=lang, as_of=TODAY, **kw)


def assert_no_placeholder(text: str) -> None:
    for line in text.splitlines():
        if "____" in line:
            assert SIGN_LINE.match(line.strip()), f"blank line outside the signature block: {line!r}"
    hit = PLACEHOLDER.search(text)
    assert hit is None, f"placeholder {hit.group(0)!r} in: …{text[max(0, hit.start() - 60):hit.end() + 60]}…"


# ---------------------------------------------------------------------------------------
# Data
# ---------------------------------------------------------------------------------------


def test_every_hardship_type_has_sourced_items() -> None:
    data = documents_data()
    assert {h.id for h in data.checklists.hardship} == set(HARDSHIP_TYPES)
    for h in data.checklists.hardship:
        assert h.item, h.id
        for item in h.item:
            assert item.source and item.confidence in ("V", "S", "U") and item.as_of <= date(2027, 1, 1)
    assert data.agencies.warning and data.agencies.red_flag and data.agencies.instead


def test_card_rule_applies_only_to_cards() -> None:
    data = documents_data()
    art70 = data.reference("card-art70")
    assert art70.applies("card", "credit-card")
    for lender_type in ("internet-bank", "consumer-finance", "bank", "microloan", None):
        assert not art70.applies("loan", lender_type)
    assert "card-art70" not in {r.id for r in data.references_for("loan", "internet-bank")}


def test_channels_by_lender_type() -> None:
    data = documents_data()
    assert "12378" in {c.id for c in data.channels_for("consumer-finance", "refusal")}
    assert "12363" in {c.id for c in data.channels_for("internet-bank", "credit-report")}
    assert "12378" not in {c.id for c in data.channels_for("microloan", "refusal")}


@pytest.mark.parametrize(("raw", "want"), [(None, "zh_CN"), ("zh-CN", "zh_CN"), ("zh_TW", "zh_TW"),
                                           ("zh-hk", "zh_HK"), ("en_US.UTF-8", "en"), ("zh", "zh_CN")])
def test_doc_language(raw: str | None, want: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("XIESHANG_LANG", raising=False)
    for var in ("LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(var, raising=False)
    assert doc_language(raw) == want


def test_doc_language_refuses_unknown() -> None:
    with pytest.raises(UserError) as exc:
        doc_language("fr")
    assert exc.value.key == "letter.error.bad_lang"


def test_months_between() -> None:
    assert months_between(date(2021, 1, 10), date(2023, 1, 10)) == 24
    assert months_between(date(2021, 1, 10), date(2023, 1, 9)) == 23
    assert months_between(date(2023, 1, 10), date(2021, 1, 10)) == 0


# ---------------------------------------------------------------------------------------
# Builders
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("kind", KINDS)
def test_no_placeholders_and_no_card_rule_for_online_loans(demo_store: Store, kind: str, lang: str) -> None:
    loans = [2] if kind == "card-installment" else [1, 4]
    for loan_id in loans:
        inp, _ = prepare(demo_store, _req(kind, loan_id, lang, flags=_flags(waive=("penalty",)),
                                          hardship=HardshipInfo("illness", "住院两周")))
        doc, _missing = build(inp)
        text = to_markdown(doc)
        assert_no_placeholder(text)
        if loan_id != 2:
            for needle in CARD_ONLY:
                assert needle not in text, (kind, lang, needle)


def test_negotiation_has_real_figures(demo_store: Store) -> None:
    inp, _ = prepare(demo_store, _req("negotiation", flags=_flags(down_payment=Decimal("500"))))
    text = to_markdown(build(inp)[0])
    payoff = loan_status(get_loan(demo_store, 1), TODAY).payoff
    assert fmt_display(payoff) in text
    assert "1,500.00元" in text and "500.00元" in text
    assert "12期" in text
    # down payment on the start date, then 12 monthly payments from a month later
    start = TODAY + timedelta(days=documents_data().settings.proposal_start_after_days.value)
    assert f"{start.year}年{start.month}月{start.day}日" in text


def test_card_installment_cites_article_70_with_source(demo_store: Store) -> None:
    inp, _ = prepare(demo_store, _req("card-installment", 2, flags=_flags()))
    text = to_markdown(build(inp)[0])
    ref = documents_data().reference("card-art70")
    assert "第七十条" in text and ref.source in text and "2011年1月13日" in text


def test_card_installment_refused_for_a_loan(demo_store: Store) -> None:
    with pytest.raises(UserError) as exc:
        prepare(demo_store, _req("card-installment", 1))
    assert exc.value.key == "letter.error.card_only"


def test_card_installment_longer_than_five_years_refused(demo_store: Store) -> None:
    with pytest.raises(UserError) as exc:
        prepare(demo_store, _req("card-installment", 2, flags=ProposalFlags(monthly=Decimal("200"), months=61)))
    assert exc.value.key == "letter.error.card_months"


def test_waiver_cites_line_above_for_card_only_when_above(demo_store: Store) -> None:
    facts = loan_facts(get_loan(demo_store, 2), TODAY)
    above = {c.line_id for c in facts.checks if c.above}
    inp, _ = prepare(demo_store, _req("waiver", 2))
    text = to_markdown(build(inp)[0])
    for line in facts.lines:
        assert (line.name_zh in text) == (line.id in above), line.id
        if line.id in above:
            assert line.source in text
    # the online loan's cost is below every line: no line is cited
    facts1 = loan_facts(get_loan(demo_store, 1), TODAY)
    assert not any(c.above for c in facts1.checks)
    text1 = to_markdown(build(prepare(demo_store, _req("waiver", 1))[0])[0])
    assert all(line.name_zh not in text1 for line in facts1.lines)


def test_missing_information_is_listed_not_printed(demo_store: Store) -> None:
    inp, _ = prepare(demo_store, _req("negotiation", 2))
    doc, missing = build(inp)
    keys = {m.key for m in missing}
    assert {"id_number", "phone", "contract_no", "hardship", "proposal"} <= keys
    body = "\n".join(t for b in doc.body for t in [to_markdown(replace(doc, cover=(), body=(b,)))])
    assert "身份证号" not in body and "合同编号" not in body and "联系电话" not in body
    cover = to_markdown(replace(doc, body=()))
    assert "身份证号" in cover  # the user is told, on the page that is not sent


def test_every_negotiation_kind_warns_about_the_limitation_period(demo_store: Store) -> None:
    for kind in ("negotiation", "waiver", "hardship", "call-script", "confirmation"):
        inp, _ = prepare(demo_store, _req(kind, hardship=HardshipInfo("other", "收入下降")))
        text = to_markdown(build(inp)[0])
        assert "第195条" in text, kind
        assert "重要：诉讼时效" not in text  # the demo debts are young


def test_old_debt_gets_the_strong_limitation_warning(tmp_path: Path) -> None:
    st = open_store(str(tmp_path / "old.sqlite"))
    from xieshang.services.case import PersonInfo

    old = LoanRecord(id=1, lender="某消费金融", profile_id="consumer-finance", product="loan",
                     principal=Decimal("8000.00"), term_months=12, start=date(2020, 1, 10))
    write_case(st, PersonInfo(name="李四"), [old], replace_existing=False)
    inp, _ = prepare(st, LetterRequest(kind="negotiation", loan_id=1, lang="en", as_of=date(2024, 6, 1)))
    text = to_markdown(build(inp)[0])
    assert "Important: limitation period" in text
    assert "10 January 2021" in text  # the last instalment's due date
    assert "may already have expired" in text
    st.close()


def test_complaint_uses_the_lender_figure_and_channels(demo_store: Store) -> None:
    inp, _ = prepare(demo_store, _req("complaint", complaint=ComplaintInfo(issues=("wrong-amount",))))
    doc, _ = build(inp)
    text = to_markdown(doc)
    loan = get_loan(demo_store, 1)
    assert fmt_display(loan.lender_figures[-1].amount) in text
    assert "12378" in text  # escalation path in the cover
    reg, _ = prepare(demo_store, _req("complaint", complaint=ComplaintInfo(issues=("credit-report",),
                                                                         to="regulator")))
    assert "12363" in to_markdown(build(reg)[0])


def test_opencc_converts_but_keeps_figures(demo_store: Store) -> None:
    cn = to_markdown(build(prepare(demo_store, _req("negotiation", flags=_flags()))[0])[0])
    tw = to_markdown(build(prepare(demo_store, _req("negotiation", lang="zh_TW", flags=_flags()))[0])[0])
    hk = to_markdown(build(prepare(demo_store, _req("negotiation", lang="zh_HK", flags=_flags()))[0])[0])
    assert "协商还款申请书" in cn and "協商還款申請書" in tw and "協商還款申請書" in hk
    assert re.findall(r"[\d,]+\.\d\d", cn) == re.findall(r"[\d,]+\.\d\d", tw) == re.findall(r"[\d,]+\.\d\d", hk)


@pytest.mark.parametrize("hardship", HARDSHIP_TYPES)
@pytest.mark.parametrize("lang", LANGS)
def test_checklists(hardship: str, lang: str) -> None:
    text = to_markdown(build_checklist(hardship, lang))
    info = documents_data().hardship(hardship)
    first = info.item[0]
    assert (first.en if lang == "en" else "") in text
    assert convert(first.source, lang) in text
    assert ("Before you pay anyone" in text) if lang == "en" else ("付钱给别人" in text or "付錢給別人" in text)
    assert not re.search(r"\{|\}|TODO|XXX", text)


# ---------------------------------------------------------------------------------------
# Proposals
# ---------------------------------------------------------------------------------------


def test_proposal_from_flags(demo_store: Store) -> None:
    facts = loan_facts(get_loan(demo_store, 1), TODAY)
    p, assumed, notices = proposal_from_flags(
        ProposalFlags(down_payment=Decimal("1000"), monthly=Decimal("1300"), months=12, start=date(2026, 4, 1),
                      interest="stops", waive=("penalty", "compound")), facts, TODAY)
    assert p is not None and not assumed
    assert p.waive_penalty == facts.status.owed.penalty and p.waive_compound == facts.status.owed.compound
    assert p.waive_fees == 0
    assert p.total_to_pay == Decimal("1000") + Decimal("1300") * 12
    assert p.owed_now == facts.status.payoff
    assert not notices  # 16,600 covers what is owed after the waiver
    low, _, notes = proposal_from_flags(ProposalFlags(monthly=Decimal("100"), months=3), facts, TODAY)
    assert low is not None and {k for k, _ in notes} == {"letter.make.assumed_start", "letter.make.proposal_below"}


@pytest.mark.parametrize("flags", [ProposalFlags(monthly=Decimal("100")), ProposalFlags(months=3),
                                   ProposalFlags(down_payment=Decimal("100"))])
def test_incomplete_proposal_refused(demo_store: Store, flags: ProposalFlags) -> None:
    facts = loan_facts(get_loan(demo_store, 1), TODAY)
    with pytest.raises(UserError) as exc:
        proposal_from_flags(flags, facts, TODAY)
    assert exc.value.key == "letter.error.proposal_incomplete"


def test_saved_plan_is_used_when_present(demo_store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    from xieshang.planner.proposal import InterestTreatment, OptionKind, Proposal

    proposal = Proposal(loan_id=4, option=OptionKind.INSTALMENT, start_date=date(2026, 4, 5),
                        monthly_amount=Decimal("444.44"), months=12, interest=InterestTreatment.STOPS,
                        total_to_pay=Decimal("5333.28"), owed_now=Decimal("5100.00"))

    class Plan:
        proposals = (proposal,)
        created_on = date(2026, 3, 10)
        objective = "min-cost"
        monthly_capacity = Decimal("2000")

        def proposal_for(self, loan_id: int) -> Proposal | None:
            return proposal if loan_id == 4 else None

    fake = types.ModuleType("xieshang.services.plan")
    fake.saved_plan = lambda store: Plan()  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "xieshang.services.plan", fake)
    assert default_loan_id(demo_store) == 4
    inp, _ = prepare(demo_store, _req("negotiation", 4))
    assert inp.proposal == proposal and inp.proposal_source == "plan"
    text = to_markdown(build(inp)[0])
    assert "444.44元" in text and "2026年3月10日" in text and "停止计息" in text
    # flags win over the plan
    inp2, _ = prepare(demo_store, _req("negotiation", 4, flags=_flags()))
    assert inp2.proposal_source == "flags" and inp2.proposal is not None
    assert inp2.proposal.monthly_amount == Decimal("1500.00")


def test_make_document_records_and_writes(tmp_path: Path) -> None:
    st = open_store(str(tmp_path / "rec.sqlite"))
    load_demo(st, today=TODAY)
    out = tmp_path / "letter.md"
    made = make_document(st, _req("hardship", 1, output=out, hardship=HardshipInfo(
        "disaster", "房屋被淹", date(2026, 1, 2), date(2026, 2, 1))))
    assert out.read_bytes() == made.content
    from xieshang.services.letters import list_made

    rows = list_made(st)
    assert len(rows) == 1 and rows[0].kind == "hardship" and rows[0].path == str(out.resolve())
    assert rows[0].hardship == HardshipInfo("disaster", "房屋被淹", date(2026, 1, 2), date(2026, 2, 1))
    assert rows[0].details["payoff"] == str(loan_status(get_loan(st, 1), TODAY).payoff)
    # a refused request records nothing and writes nothing
    with pytest.raises(UserError):
        make_document(st, _req("card-installment", 1, output=tmp_path / "no.md"))
    assert len(list_made(st)) == 1 and not (tmp_path / "no.md").exists()
    st.close()


@pytest.mark.parametrize(("lang", "relative", "night"), [("zh_CN", "亲属", "夜间催收"), ("en", "relative", "22:00")])
def test_complaint_cites_the_flagged_contacts_of_its_loan(demo_store: Store, lang: str, relative: str,
                                                          night: str) -> None:
    from xieshang.services.records import flagged_entries

    flagged = flagged_entries(demo_store, 1)
    assert flagged, "the demo's contact log has flagged entries for loan 1"
    inp, _ = prepare(demo_store, _req("complaint", 1, lang))
    assert len(inp.complaint.incidents) == len(flagged)
    text = to_markdown(build(inp)[0])
    for item in flagged:
        assert item.entry.content.summary.strip() in text
        for flag in item.flags:
            assert flag.citation in text
    assert relative in text and night in text
    assert_no_placeholder(text)
    for needle in CARD_ONLY:
        assert needle not in text, needle
    other = [loan for loan in (2, 3, 4) if not flagged_entries(demo_store, loan)]
    assert other, "some demo loan has no flagged contact"
    inp_other, _ = prepare(demo_store, _req("complaint", other[0], lang))
    assert inp_other.complaint.incidents == ()


@pytest.mark.parametrize("lang", ["zh_CN", "en"])
def test_credit_dispute_is_filled_from_a_contradicted_report_entry(tmp_path: Path, lang: str) -> None:
    from xieshang.services.credit import add_check, add_entry

    st = open_store(str(tmp_path / "s.sqlite"))
    load_demo(st, today=TODAY)
    ours = loan_status(get_loan(st, 4), TODAY)  # the demo's 微粒贷, 10 days overdue: band "1"
    assert ours.dpd == 10
    check = add_check(st, on=TODAY, channel="app", today=TODAY)
    add_entry(st, check.id, account="微粒贷", loan_id=4, status_code="3", overdue=ours.overdue_amount + 1000)
    inp, _ = prepare(st, _req("credit-dispute", 4, lang))
    assert inp.dispute.entry and inp.dispute.wrong
    text = to_markdown(build(inp)[0])
    assert fmt_display(ours.overdue_amount) in text and fmt_display(ours.overdue_amount + 1000) in text
    assert "3" in inp.dispute.wrong and "1" in inp.dispute.wrong
    assert_no_placeholder(text)
    # a loan whose report matches our records keeps the general wording
    inp_other, _ = prepare(st, _req("credit-dispute", 1, lang))
    assert inp_other.dispute.entry is None
