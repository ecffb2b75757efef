"""Read, merge and validate the rules data; answer questions about it.

Shipped data lives in ``xieshang/rules/data`` (``profiles/<id>.toml``, ``legal/*.toml``). A user
override directory (``$XIESHANG_RULES_DIR``, else the platform's user config dir
``…/xieshang/rules``) with the same layout is merged on top:

* ``profiles/*.toml`` whose ``id`` is a shipped profile change only what they state; a table
  with a ``value`` (a sourced value) replaces the shipped one whole, so it must give its own
  ``source``, ``as_of`` and ``confidence``. A file with a new ``id`` adds a complete profile.
* ``legal/*.toml`` entries replace the shipped entry with the same ``id`` (LPR prints: the same
  ``effective`` date; timelines: the same ``id``) or are added.

Everything is read once per override directory and cached; :func:`reload` forgets it.
Any problem with a file becomes ``UserError("error.profile.data_file", file=…, detail=…)``.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import cache
from importlib import resources
from importlib.abc import Traversable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from xieshang import clock
from xieshang.errors import UserError

if TYPE_CHECKING:
    from pydantic import ValidationError

    from xieshang.rules.schema import (
        ConductCheck,
        LegalFile,
        LegalLine,
        Profile,
        Rule,
        SourcedValue,
        TimelineStep,
    )

ENV_RULES_DIR = "XIESHANG_RULES_DIR"
_SOURCED_KEYS = frozenset({"value", "source", "as_of", "confidence"})
_ENTRY_KINDS = ("line", "lpr", "credit_reporting", "collection", "limitation", "timeline", "conduct")


@dataclass(frozen=True, slots=True)
class _Rules:
    profiles: dict[str, Profile]
    legal: LegalFile


# -- reading files -----------------------------------------------------------------------------


def _read_toml(text: str, label: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text, parse_float=Decimal)
    except tomllib.TOMLDecodeError as exc:
        raise UserError("error.profile.data_file", file=label, detail=f"TOML: {exc}") from None


def _describe(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors()[:4]:
        where = ".".join(str(p) for p in err["loc"]) or "(file)"
        parts.append(f"{where}: {err['msg']}")
    more = len(exc.errors()) - 4
    if more > 0:
        parts.append(f"… (+{more})")
    return "; ".join(parts)


def _shipped_files(kind: str) -> Iterator[tuple[str, str]]:
    folder = resources.files("xieshang") / "rules" / "data" / kind
    entries: list[Traversable] = sorted(folder.iterdir(), key=lambda e: e.name) if folder.is_dir() else []
    for entry in entries:
        if entry.name.endswith(".toml"):
            yield f"{kind}/{entry.name}", entry.read_text(encoding="utf-8")


def _user_files(root: Path | None, kind: str) -> Iterator[tuple[str, str]]:
    if root is None:
        return
    folder = root / kind
    if not folder.is_dir():
        return
    for path in sorted(folder.glob("*.toml")):
        try:
            yield str(path), path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise UserError("error.profile.data_file", file=str(path), detail=str(exc)) from None


def override_dir() -> Path | None:
    """The user override directory in effect, or ``None`` when it does not exist."""
    env = os.environ.get(ENV_RULES_DIR)
    if env:
        return Path(env).expanduser()
    import platformdirs

    path = Path(platformdirs.user_config_dir("xieshang")) / "rules"
    return path if path.is_dir() else None


# -- merging ----------------------------------------------------------------------------------


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    """Deep-merge ``over`` into ``base``; a sourced value (has value/source…) replaces whole."""
    out = dict(base)
    for key, value in over.items():
        old = out.get(key)
        if isinstance(value, dict) and isinstance(old, dict) and not (_SOURCED_KEYS & value.keys()):
            out[key] = _merge(old, value)
        else:
            out[key] = value
    return out


def _entry_key(kind: str, entry: dict[str, Any]) -> object:
    if kind == "lpr":
        return entry.get("effective")
    return entry.get("id")


def _merge_legal(base: dict[str, list[dict[str, Any]]], over: dict[str, Any], label: str) -> None:
    for kind, entries in over.items():
        if kind == "schema_version":
            continue
        if kind not in _ENTRY_KINDS or not isinstance(entries, list):
            raise UserError("error.profile.data_file", file=label,
                            detail=f"unknown section {kind!r}; expected one of {', '.join(_ENTRY_KINDS)}")
        current = base.setdefault(kind, [])
        for entry in entries:
            if not isinstance(entry, dict):
                raise UserError("error.profile.data_file", file=label, detail=f"{kind}: expected tables")
            key = _entry_key(kind, entry)
            for i, old in enumerate(current):
                if key is not None and _entry_key(kind, old) == key:
                    current[i] = entry
                    break
            else:
                current.append(entry)


# -- loading ----------------------------------------------------------------------------------


@cache
def _load(root: str | None) -> _Rules:
    from pydantic import ValidationError

    from xieshang.rules.schema import LegalFile, Profile

    user_root = Path(root) if root else None
    raw_profiles: dict[str, tuple[str, dict[str, Any]]] = {}
    for label, text in _shipped_files("profiles"):
        data = _read_toml(text, label)
        pid = data.get("id")
        if not isinstance(pid, str) or f"profiles/{pid}.toml" != label:
            raise UserError("error.profile.data_file", file=label, detail="id must match the file name")
        raw_profiles[pid] = (label, data)
    for label, text in _user_files(user_root, "profiles"):
        data = _read_toml(text, label)
        pid = data.get("id")
        if not isinstance(pid, str):
            raise UserError("error.profile.data_file", file=label, detail="id: missing")
        if pid in raw_profiles:
            raw_profiles[pid] = (f"{raw_profiles[pid][0]} + {label}", _merge(raw_profiles[pid][1], data))
        else:
            raw_profiles[pid] = (label, data)

    profiles: dict[str, Profile] = {}
    for pid, (label, data) in raw_profiles.items():
        try:
            profiles[pid] = Profile.model_validate(data)
        except ValidationError as exc:
            raise UserError("error.profile.data_file", file=label, detail=_describe(exc)) from None

    merged: dict[str, list[dict[str, Any]]] = {}
    labels: list[str] = []
    for origin in (_shipped_files("legal"), _user_files(user_root, "legal")):
        for label, text in origin:
            data = _read_toml(text, label)
            try:  # validate each file alone first, so an error names its file
                LegalFile.model_validate(data)
            except ValidationError as exc:
                raise UserError("error.profile.data_file", file=label, detail=_describe(exc)) from None
            _merge_legal(merged, data, label)
            labels.append(label)
    try:
        legal = LegalFile.model_validate(merged)
    except ValidationError as exc:  # pragma: no cover - each file validated above
        raise UserError("error.profile.data_file", file=" + ".join(labels), detail=_describe(exc)) from None
    _check_unique(legal, " + ".join(labels))
    return _Rules(profiles=dict(sorted(profiles.items(), key=lambda kv: _order(kv[0]))), legal=legal)


_ORDER = ("wangshangdai", "jiebei", "huabei", "weilidai", "credit-card", "bank-consumer-loan", "consumer-finance")


def _order(pid: str) -> tuple[int, str]:
    """Shipped profiles in a fixed order, then ``custom``, then user-added ones by id."""
    return (_ORDER.index(pid) if pid in _ORDER else len(_ORDER) + (pid != "custom"), pid)


def _check_unique(legal: LegalFile, label: str) -> None:
    for kind in ("line", "credit_reporting", "collection", "limitation", "timeline", "conduct"):
        ids = [entry.id for entry in getattr(legal, kind)]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise UserError("error.profile.data_file", file=label, detail=f"{kind}: duplicate id {dupes[0]}")
    collection = {rule.id: rule for rule in legal.collection}
    for check in legal.conduct:  # every conduct check cites an existing collection rule (and item)
        cited = collection.get(check.rule)
        if cited is None:
            raise UserError("error.profile.data_file", file=label,
                            detail=f"conduct {check.id}: unknown collection rule {check.rule!r}")
        if check.item and check.item not in {item.code for item in cited.items}:
            raise UserError("error.profile.data_file", file=label,
                            detail=f"conduct {check.id}: rule {check.rule} has no item {check.item!r}")
    dates = [p.effective for p in legal.lpr]
    if len(set(dates)) != len(dates):
        raise UserError("error.profile.data_file", file=label, detail="lpr: duplicate effective date")


def _rules() -> _Rules:
    root = override_dir()
    return _load(str(root) if root else None)


def reload() -> None:
    """Forget the cached data (after editing override files in a long-running process)."""
    _load.cache_clear()


# -- public API -------------------------------------------------------------------------------


def load_profiles() -> dict[str, Profile]:
    """All lender profiles by id (shipped + user overrides), in display order. Cached."""
    return dict(_rules().profiles)


def get_profile(profile_id: str) -> Profile:
    """One profile; an unknown id is a :class:`UserError` that lists the choices."""
    profiles = _rules().profiles
    key = profile_id.strip().lower()
    if key not in profiles:
        raise UserError("error.profile.unknown", value=profile_id, choices=", ".join(profiles))
    return profiles[key]


def legal_lines(lender_type: str | None = None, *, on: date | None = None) -> list[LegalLine]:
    """The interest lines (24 %, 36 %, 4 × LPR …), optionally only those applying to ``lender_type``.

    LPR-based lines are resolved with the one-year LPR in force on ``on`` (the contract date;
    default today), or on the line's ``in_force_from`` date if ``on`` is earlier. Lines superseded
    before ``on`` (``in_force_until``) and fixed lines not yet in force on ``on`` are left out. The
    lines are reference points used by courts and regulators, not a ruling on any contract.
    """
    from xieshang.rules.schema import LENDER_TYPES, LegalLine

    if lender_type is not None and lender_type not in LENDER_TYPES:
        raise UserError("rules.error.lender_type", value=lender_type, choices=", ".join(LENDER_TYPES))
    when = on or clock.today()
    out: list[LegalLine] = []
    for line in _rules().legal.line:
        if lender_type is not None and lender_type not in line.applies_to:
            continue
        # A line superseded before the contract was made does not apply to it; nor does a fixed
        # line that only took effect later. (LPR lines reach older contracts from their start date
        # on, per the 2020 interpretation art. 31, so they are kept and priced below.)
        if line.in_force_until is not None and when > line.in_force_until:
            continue
        if line.lpr_multiple is None and line.in_force_from is not None and when < line.in_force_from:
            continue
        data = line.model_dump()
        if line.lpr_multiple is not None:
            # Before the line existed there is no LPR cap for that date; use the LPR on the day it
            # took effect (for older contracts the 2020 rules apply only from then on, art. 31).
            lpr_on = max(when, line.in_force_from) if line.in_force_from else when
            data["annual_rate"] = line.lpr_multiple * current_lpr(lpr_on).value
            data["lpr_date"] = lpr_on
        out.append(LegalLine.model_validate(data))
    return out


def lpr_history() -> list[SourcedValue[Decimal]]:
    """Every known one-year LPR print, oldest first, as sourced values (``as_of`` = effective date)."""
    from xieshang.rules.schema import SourcedValue

    prints = sorted(_rules().legal.lpr, key=lambda p: p.effective)
    return [SourcedValue[Decimal](value=p.one_year, source=p.source, as_of=p.effective,
                                  confidence=p.confidence, note=p.note) for p in prints]


def current_lpr(on: date) -> SourcedValue[Decimal]:
    """The one-year LPR in force on ``on``, with its source.

    ``as_of`` is the date of the print. After the last known print the value is still returned,
    with a note that a later print may exist; before the first known print it is a UserError.
    """
    history = lpr_history()
    known = [p for p in history if p.as_of <= on]
    if not known:
        raise UserError("rules.error.lpr_unknown", on=on.isoformat(), first=history[0].as_of.isoformat())
    found = known[-1]
    if found is history[-1] and (on - found.as_of).days > 31:
        from xieshang.i18n import t

        stale = t("rules.lpr_stale", last=found.as_of.isoformat())
        found = found.model_copy(update={"note": f"{found.note} {stale}".strip()})
    return found


def credit_reporting_rules() -> list[Rule]:
    """征信 rules: advance notice, retention, free reports, disputes, status codes …"""
    return list(_rules().legal.credit_reporting)


def collection_rules() -> list[Rule]:
    """催收 conduct rules: quiet hours, call limits, third parties, prohibited conduct."""
    return list(_rules().legal.collection)


def conduct_checks() -> list[ConductCheck]:
    """The checks of contact-log entries against the collection rules (each cites its rule)."""
    return list(_rules().legal.conduct)


def limitation_rules() -> list[Rule]:
    """诉讼时效: the 3-year limitation period and what restarts it."""
    return list(_rules().legal.limitation)


def consequences(lender_type: str, product: str) -> list[TimelineStep]:
    """What typically happens at which days past due, for a lender type and product, in DPD order.

    Steps of every timeline that names the lender type (or ``"*"``) and the product are merged.
    """
    from xieshang.rules.schema import LENDER_TYPES, PRODUCT_KINDS

    if lender_type not in LENDER_TYPES:
        raise UserError("rules.error.lender_type", value=lender_type, choices=", ".join(LENDER_TYPES))
    if product not in PRODUCT_KINDS:
        raise UserError("rules.error.product", value=product, choices=", ".join(PRODUCT_KINDS))
    steps: list[TimelineStep] = []
    for timeline in _rules().legal.timeline:
        if product in timeline.products and (lender_type in timeline.lender_types or "*" in timeline.lender_types):
            steps.extend(timeline.step)
    return sorted(steps, key=lambda s: s.dpd)
