"""Conduct checks against the collection rules data: quiet hours, calls a day, third parties, and
the phrase rules (threats, insults, impersonation, fake documents, fees, borrowing elsewhere,
exposure) with positive and negative cases in Chinese and English. Every flag cites its rule."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from tests.records_helpers import content

from xieshang.records.conduct import check_entries, in_hours, parse_hours, sentences
from xieshang.records.model import Entry, EntryContent, entry_hash
from xieshang.rules.loader import collection_rules, conduct_checks

RULES = {r.id: r for r in collection_rules()}
CHECKS = conduct_checks()


def entries(*contents: EntryContent) -> list[Entry]:
    out = []
    for i, c in enumerate(contents, start=1):
        out.append(Entry(id=i, content=c, recorded=datetime(2025, 12, 1, tzinfo=UTC), prev_hash="0" * 64,
                         entry_hash=entry_hash(c, datetime(2025, 12, 1, tzinfo=UTC), "0" * 64)))
    return out


def flags_of(*contents: EntryContent) -> list[tuple[int, str]]:
    return [(f.entry_id, f.check) for f in check_entries(entries(*contents), CHECKS, RULES)]


def phrase_checks(text: str, **kw: Any) -> set[str]:
    return {check for _id, check in flags_of(content(10, summary=text, **kw))}


def test_every_check_cites_an_existing_rule_with_a_source() -> None:
    assert {c.id for c in CHECKS} >= {"night", "too-many-calls", "too-many-attempts", "third-party", "disclosed",
                                      "threat", "insult", "impersonation", "fake-document", "collection-fee",
                                      "borrow-elsewhere", "public-exposure"}
    for check in CHECKS:
        rule = RULES[check.rule]
        assert rule.source and rule.as_of
        if check.kind == "phrases":
            assert {p.lang for p in check.phrases} == {"zh", "en"}, check.id
    assert RULES["connected-calls"].value == 3 and RULES["unanswered-attempts"].value == 6


def test_flag_carries_the_rule_citation() -> None:
    [flag] = check_entries(entries(content(23, 15)), CHECKS, RULES)
    assert flag.check == "night" and flag.rule == "quiet-hours"
    assert flag.citation == RULES["quiet-hours"].source and "2024" in flag.citation and "2026" in flag.citation
    assert flag.params == {"time": "23:15", "start": "22:00", "end": "08:00"}
    assert flag.to_json()["rule_title_en"] == RULES["quiet-hours"].title_en


# -- quiet hours --------------------------------------------------------------------------------


@pytest.mark.parametrize("hh, mm, flagged", [(21, 59, False), (22, 0, True), (23, 59, True), (0, 30, True),
                                             (7, 59, True), (8, 0, False), (12, 0, False)])
def test_quiet_hours_boundaries(hh: int, mm: int, flagged: bool) -> None:
    assert ("night" in {c for _i, c in flags_of(content(hh, mm))}) is flagged


def test_quiet_hours_use_the_entry_own_offset_and_only_their_contacts() -> None:
    from datetime import timedelta, timezone

    # 15:30 UTC is 23:30 in Beijing: the local time the borrower lived through counts
    late = content(occurred=datetime(2025, 11, 10, 15, 30, tzinfo=timezone(timedelta(hours=8))))
    assert not flags_of(late)
    beijing_night = content(occurred=datetime(2025, 11, 10, 15, 30, tzinfo=UTC).astimezone(
        timezone(timedelta(hours=8))))
    assert flags_of(beijing_night) == [(1, "night")]
    assert flags_of(content(23, 0, direction="outgoing")) == []  # I called them at night: fine
    assert flags_of(content(23, 0, channel="letter", outcome=None)) == []  # letters are not in the channels
    assert flags_of(content(23, 0, counterparty_kind="authority")) == []  # a real court is not collection


def test_hours_parsing() -> None:
    start, end = parse_hours("22:00-08:00")
    assert in_hours(start, start, end) and not in_hours(end, start, end)
    with pytest.raises(ValueError):
        parse_hours("night")


# -- calls a day ------------------------------------------------------------------------------


def test_more_than_three_connected_calls_a_day() -> None:
    calls = [content(9 + i, loan_id=1) for i in range(4)]
    assert flags_of(*calls) == [(4, "too-many-calls")]
    assert flags_of(*calls[:3]) == []
    # the lender and its agency together, same loan
    mixed = [content(9, loan_id=1, counterparty="网商银行", counterparty_kind="lender"),
             *[content(10 + i, loan_id=1) for i in range(3)]]
    assert flags_of(*mixed) == [(4, "too-many-calls")]
    # other days, other loans, unanswered calls and my own calls do not add up
    spread = [content(9, day=10, loan_id=1), content(9, day=11, loan_id=1), content(10, day=11, loan_id=2),
              content(11, day=11, loan_id=1, outcome="unanswered"), content(12, day=11, loan_id=1,
                                                                            direction="outgoing")]
    assert flags_of(*spread) == []


def test_more_than_six_unanswered_attempts_to_one_number() -> None:
    assert flags_of(content(9, outcome="unanswered", count=6)) == []
    assert flags_of(content(9, outcome="unanswered", count=7)) == [(1, "too-many-attempts")]
    split = [content(9, outcome="unanswered", count=4), content(15, outcome="unanswered", count=3)]
    assert flags_of(*split) == [(2, "too-many-attempts")]
    # six to me and six to my mother: two numbers, no attempt flag (but she is a third party)
    two = [content(9, outcome="unanswered", count=6),
           content(10, outcome="unanswered", count=6, contacted="relative", contacted_name="母亲")]
    assert flags_of(*two) == [(2, "third-party")]


# -- third parties ---------------------------------------------------------------------------


def test_third_party_and_disclosure() -> None:
    assert flags_of(content(10, contacted="employer")) == [(1, "third-party")]
    assert flags_of(content(10, contacted="contact-list", disclosed=True)) == [(1, "third-party"), (1, "disclosed")]
    assert flags_of(content(10, contacted="borrower")) == []
    assert flags_of(content(23, 10, contacted="relative", disclosed=True)) == [(1, "night"), (1, "third-party"),
                                                                              (1, "disclosed")]


# -- phrase rules, both languages ---------------------------------------------------------------

POSITIVE = [
    ("threat", "他说再不还钱就派人上门，让你好看。"),
    ("threat", "对方威胁说要去我单位闹。"),
    ("threat", "He said they would break your legs if I don't pay."),
    ("threat", "The caller threatened to come to my home tonight."),
    ("insult", "电话里一直骂我老赖、不要脸。"),
    ("insult", "He called me a deadbeat and worthless."),
    ("impersonation", "对方自称是公安局经侦大队的警察。"),
    ("impersonation", "The caller claimed to be a court officer handling my case."),
    ("fake-document", "微信发来一张法院传票的图片，说明天开庭。"),
    ("fake-document", "They sent an arrest warrant with my name on it."),
    ("collection-fee", "要求先交300元催收服务费。"),
    ("collection-fee", "They asked for a collection fee of 200 yuan before the waiver."),
    ("borrow-elsewhere", "催收员让我去别的平台借钱来还。"),
    ("borrow-elsewhere", "She told me to borrow from another app to pay this off."),
    ("public-exposure", "说今天下午就爆通讯录。"),
    ("public-exposure", "They will message everyone in your contact list."),
]

NEGATIVE = [
    "客服态度很好，同意减免罚息，下周一回电。",
    "对方没有威胁，只是提醒到期时间。",
    "对方说如果协商不成，将依法向法院起诉。",  # a lawful statement, not a threat
    "我问是否有手续费，对方说没有任何费用。",
    "我打算向家人借钱还一部分。",  # my own plan, not pressure
    "提醒我警惕冒充客服的骗子。",
    "The agent was polite and offered a six-month plan.",
    "They did not threaten me; they only asked when I can pay.",
    "No extra fee will be charged for the instalment plan.",
    "They said they may file a lawsuit if we cannot agree.",
    "I said I will not borrow more money.",
]


@pytest.mark.parametrize("check, text", POSITIVE)
def test_phrase_rules_flag(check: str, text: str) -> None:
    assert check in phrase_checks(text)


@pytest.mark.parametrize("text", NEGATIVE)
def test_phrase_rules_do_not_flag(text: str) -> None:
    assert phrase_checks(text) == set()


def test_phrases_also_read_what_they_promised_and_respect_authorities() -> None:
    assert "collection-fee" in phrase_checks("来电。", their_promises="交了外访费就停止上门")
    assert phrase_checks("法院来电核实送达地址，说明传票将由邮政寄出。", counterparty_kind="authority") == set()


def test_sentences_split_both_languages() -> None:
    assert sentences("第一句。第二句！Third one. Fourth?\nFifth") == ["第一句", "第二句", "Third one", "Fourth",
                                                                     "Fifth"]


def test_corrected_entries_are_not_checked() -> None:
    night = content(23, 30)
    fixed = content(20, 30, corrects=1)
    es = entries(night, fixed)
    es[0] = Entry(id=1, content=night, recorded=es[0].recorded, prev_hash=es[0].prev_hash,
                  entry_hash=es[0].entry_hash, corrected_by=(2,))
    assert check_entries(es, CHECKS, RULES) == []
