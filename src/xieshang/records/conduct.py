"""Checking contact-log entries against the collection rules (pure).

The checks and the rules they cite come from the rules data (``[[conduct]]`` and
``[[collection]]`` in ``rules/data/legal/collection.toml``); this module only applies them:

* ``quiet-hours`` — the other side reached out between the rule's hours, in the entry's own
  local time (the offset it was recorded with);
* ``connected-calls`` — connected calls to the borrower by one lender (with its agencies:
  entries with the same loan, else the same counterparty) on one local day, over the rule's value;
* ``unanswered-attempts`` — unanswered calls to one person by one lender on one local day, over
  the rule's value (an entry may stand for several calls: ``count``);
* ``third-party`` / ``disclosure`` — someone other than the borrower was contacted / told about
  the debt;
* ``phrases`` — a sentence of the summary or of what the other side promised matches a pattern
  of the check and none of its exceptions.

Only entries that no correction supersedes are checked, and never those whose counterparty is a
real authority (a court, the police). Every flag carries the rule's id, title and source: it is a
reason to keep the evidence and to ask, not a legal finding.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import time
from functools import lru_cache
from typing import Any, Protocol

from xieshang.records.model import Entry, current


class _Item(Protocol):
    @property
    def code(self) -> str: ...


class RuleLike(Protocol):
    """What a check needs of a ``[[collection]]`` rule (see :class:`xieshang.rules.schema.Rule`)."""

    @property
    def id(self) -> str: ...
    @property
    def value(self) -> object: ...
    @property
    def source(self) -> str: ...
    @property
    def confidence(self) -> str: ...
    @property
    def title_zh(self) -> str: ...
    @property
    def title_en(self) -> str: ...


class PhraseSetLike(Protocol):
    @property
    def lang(self) -> str: ...
    @property
    def patterns(self) -> tuple[str, ...]: ...
    @property
    def unless(self) -> tuple[str, ...]: ...


class CheckLike(Protocol):
    """What is applied of a ``[[conduct]]`` check (see :class:`xieshang.rules.schema.ConductCheck`)."""

    @property
    def id(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def rule(self) -> str: ...
    @property
    def item(self) -> str: ...
    @property
    def title_zh(self) -> str: ...
    @property
    def title_en(self) -> str: ...
    @property
    def channels(self) -> tuple[str, ...]: ...
    @property
    def phrases(self) -> Sequence[PhraseSetLike]: ...


@dataclass(frozen=True, slots=True)
class ConductFlag:
    """One possible breach: which entry, which check, the rule it cites, and what triggered it.

    ``evidence`` is the sentence that matched (phrase checks) or a short description of the
    facts (``"23:40"``, ``"4 connected calls"``); ``params`` holds the figures for messages.
    """

    entry_id: int
    check: str
    rule: str
    item: str
    title_zh: str
    title_en: str
    rule_title_zh: str
    rule_title_en: str
    citation: str
    confidence: str
    evidence: str
    params: dict[str, Any] = field(default_factory=dict)

    def title(self, lang: str) -> str:
        return self.title_en if lang == "en" else self.title_zh

    def rule_title(self, lang: str) -> str:
        return self.rule_title_en if lang == "en" else self.rule_title_zh

    def to_json(self) -> dict[str, Any]:
        return {"entry_id": self.entry_id, "check": self.check, "rule": self.rule, "item": self.item or None,
                "title_zh": self.title_zh, "title_en": self.title_en, "rule_title_zh": self.rule_title_zh,
                "rule_title_en": self.rule_title_en, "citation": self.citation, "confidence": self.confidence,
                "evidence": self.evidence, "params": dict(self.params)}


# -- helpers ------------------------------------------------------------------------------------

_SENTENCE_END = re.compile(r"[。！？!?；;\n]+|\.(?=\s|$)")


def sentences(text: str) -> list[str]:
    """``text`` cut into sentences (Chinese and Western punctuation, line breaks)."""
    return [s.strip() for s in _SENTENCE_END.split(text) if s.strip()]


def parse_hours(value: object) -> tuple[time, time]:
    """``"22:00-08:00"`` → (22:00, 08:00)."""
    text = str(value).replace("–", "-").replace(" ", "")
    start, _, end = text.partition("-")
    try:
        return time.fromisoformat(start), time.fromisoformat(end)
    except ValueError:
        raise ValueError(f"quiet hours must look like 22:00-08:00, not {value!r}") from None


def in_hours(moment: time, start: time, end: time) -> bool:
    """Is ``moment`` within [start, end), the window wrapping past midnight when start > end?"""
    if start <= end:
        return start <= moment < end
    return moment >= start or moment < end


@lru_cache(maxsize=512)
def _regex(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE)


def phrase_match(text: str, phrase_sets: Iterable[PhraseSetLike]) -> str | None:
    """The first sentence of ``text`` that matches a pattern and no exception, or ``None``."""
    sets = list(phrase_sets)
    for sentence in sentences(text):
        for ps in sets:
            if any(_regex(p).search(sentence) for p in ps.patterns) and not any(
                _regex(u).search(sentence) for u in ps.unless
            ):
                return sentence
    return None


def _lender_key(entry: Entry) -> str:
    c = entry.content
    return f"loan:{c.loan_id}" if c.loan_id is not None else "party:" + " ".join(c.counterparty.lower().split())


def _checked(entry: Entry, check: CheckLike) -> bool:
    c = entry.content
    if c.counterparty_kind == "authority":
        return False
    return not check.channels or c.channel in check.channels


def _limit(rule: RuleLike) -> int:
    value = rule.value
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"rule {rule.id} needs a whole-number value")
    return value


# -- the checks ---------------------------------------------------------------------------------


def _flag(entry: Entry, check: CheckLike, rule: RuleLike, evidence: str, **params: Any) -> ConductFlag:
    return ConductFlag(entry_id=entry.id, check=check.id, rule=rule.id, item=check.item, title_zh=check.title_zh,
                       title_en=check.title_en, rule_title_zh=rule.title_zh, rule_title_en=rule.title_en,
                       citation=rule.source, confidence=rule.confidence, evidence=evidence, params=params)


def _quiet_hours(entries: list[Entry], check: CheckLike, rule: RuleLike) -> list[ConductFlag]:
    start, end = parse_hours(rule.value)
    out = []
    for e in entries:
        if e.content.direction != "incoming" or not _checked(e, check):
            continue
        local = e.content.occurred.time().replace(tzinfo=None)
        if in_hours(local, start, end):
            hhmm = local.strftime("%H:%M")
            out.append(_flag(e, check, rule, hhmm, time=hhmm, start=start.strftime("%H:%M"),
                             end=end.strftime("%H:%M")))
    return out


def _daily_count(entries: list[Entry], check: CheckLike, rule: RuleLike, *, outcome: str,
                 per_person: bool) -> list[ConductFlag]:
    limit = _limit(rule)
    totals: dict[tuple[str, ...], int] = {}
    out = []
    for e in sorted(entries, key=lambda x: (x.content.occurred, x.id)):
        c = e.content
        if c.direction != "incoming" or c.channel != "call" or c.outcome != outcome or not _checked(e, check):
            continue
        if not per_person and c.is_third_party:
            continue
        day = c.occurred.date().isoformat()
        key: tuple[str, ...] = (_lender_key(e), day)
        if per_person:
            key += (c.contacted, (c.contacted_name or "").strip().lower())
        totals[key] = totals.get(key, 0) + c.count
        if totals[key] > limit:
            out.append(_flag(e, check, rule, f"{totals[key]} > {limit}", count=totals[key], limit=limit, day=day))
    return out


def _third_party(entries: list[Entry], check: CheckLike, rule: RuleLike, *, disclosed_only: bool) -> list[ConductFlag]:
    out = []
    for e in entries:
        c = e.content
        if c.direction != "incoming" or not c.is_third_party or not _checked(e, check):
            continue
        if disclosed_only and not c.disclosed:
            continue
        who = c.contacted + (f" {c.contacted_name}" if c.contacted_name else "")
        out.append(_flag(e, check, rule, who, contacted=c.contacted, name=c.contacted_name or ""))
    return out


def _phrases(entries: list[Entry], check: CheckLike, rule: RuleLike) -> list[ConductFlag]:
    out = []
    for e in entries:
        if not _checked(e, check):
            continue
        text = "\n".join(t for t in (e.content.summary, e.content.their_promises) if t)
        found = phrase_match(text, check.phrases)
        if found is not None:
            out.append(_flag(e, check, rule, found))
    return out


def check_entries(entries: Sequence[Entry], checks: Sequence[CheckLike],
                  rules: Mapping[str, RuleLike]) -> list[ConductFlag]:
    """Every flag for the current entries, by entry position, then by the checks' order in the data."""
    live = current(list(entries))
    flags: list[ConductFlag] = []
    order = {check.id: i for i, check in enumerate(checks)}
    for check in checks:
        rule = rules[check.rule]
        if check.kind == "quiet-hours":
            flags += _quiet_hours(live, check, rule)
        elif check.kind == "connected-calls":
            flags += _daily_count(live, check, rule, outcome="connected", per_person=False)
        elif check.kind == "unanswered-attempts":
            flags += _daily_count(live, check, rule, outcome="unanswered", per_person=True)
        elif check.kind == "third-party":
            flags += _third_party(live, check, rule, disclosed_only=False)
        elif check.kind == "disclosure":
            flags += _third_party(live, check, rule, disclosed_only=True)
        elif check.kind == "phrases":
            flags += _phrases(live, check, rule)
        else:  # pragma: no cover - the schema allows only the kinds above
            raise ValueError(f"unknown check kind {check.kind!r}")
    return sorted(flags, key=lambda f: (f.entry_id, order[f.check]))
