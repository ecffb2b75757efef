"""The documents' data: checklists per hardship type, the paid-agency guide, the legal
references the letters cite, complaint channels and a few settings.

Files: ``rules/data/documents/*.toml``, validated strictly like the rest of the rules data
(every item carries its source, date and confidence). Loaded once per process.
"""

from __future__ import annotations

import tomllib
from decimal import Decimal
from functools import cache
from importlib import resources
from typing import Any, Literal

from pydantic import BaseModel, StrictInt, ValidationError

from xieshang.errors import UserError
from xieshang.rules.schema import LenderType, Sourced, Strict, Text

HardshipType = Literal["illness", "job-loss", "business-failure", "disaster", "family-emergency", "other"]
HARDSHIP_TYPES: tuple[str, ...] = ("illness", "job-loss", "business-failure", "disaster", "family-emergency", "other")
Topic = Literal["refusal", "wrong-amount", "misconduct", "credit-report"]
TOPICS: tuple[str, ...] = ("refusal", "wrong-amount", "misconduct", "credit-report")


class SourcedText(Sourced):
    zh: Text
    en: Text
    where_zh: str = ""
    where_en: str = ""


class Hardship(Strict):
    id: HardshipType
    title_zh: Text
    title_en: Text
    statement_zh: Text
    statement_en: Text
    item: tuple[SourcedText, ...]


class ChecklistFile(Strict):
    schema_version: Literal[1] = 1
    hardship: tuple[Hardship, ...]
    common: tuple[SourcedText, ...]


class AgencyFile(Strict):
    schema_version: Literal[1] = 1
    warning: tuple[SourcedText, ...]
    red_flag: tuple[SourcedText, ...]
    instead: tuple[SourcedText, ...]


class RefItem(Strict):
    zh: Text
    en: Text


class Reference(Sourced):
    id: str
    title_zh: Text
    title_en: Text
    text_zh: Text
    text_en: Text
    products: tuple[Literal["loan", "card"], ...]
    lender_types: tuple[LenderType | Literal["*"], ...]
    value: StrictInt | None = None
    item: tuple[RefItem, ...] = ()

    def applies(self, product: str, lender_type: str | None) -> bool:
        """Only for this product, and for this lender type (an unknown type matches only ``*``)."""
        if product not in self.products:
            return False
        return "*" in self.lender_types or (lender_type is not None and lender_type in self.lender_types)


class ReferenceFile(Strict):
    schema_version: Literal[1] = 1
    reference: tuple[Reference, ...]


class Channel(Sourced):
    id: str
    name_zh: Text
    name_en: Text
    how_zh: Text
    how_en: Text
    lender_types: tuple[LenderType | Literal["*"], ...]
    topics: tuple[Topic, ...]

    def covers(self, lender_type: str | None, topic: str) -> bool:
        if topic not in self.topics:
            return False
        return "*" in self.lender_types or (lender_type is not None and lender_type in self.lender_types)


class ChannelFile(Strict):
    schema_version: Literal[1] = 1
    channel: tuple[Channel, ...]


class Setting(Sourced):
    value: StrictInt


class SettingsFile(Strict):
    schema_version: Literal[1] = 1
    limitation_warn_after_months: Setting
    proposal_start_after_days: Setting
    confirmation_reply_days: Setting


class DocumentsData(BaseModel):
    checklists: ChecklistFile
    agencies: AgencyFile
    references: ReferenceFile
    channels: ChannelFile
    settings: SettingsFile

    def hardship(self, hardship_id: str) -> Hardship:
        for h in self.checklists.hardship:
            if h.id == hardship_id:
                return h
        raise UserError("letter.error.hardship_type", value=hardship_id, choices=", ".join(HARDSHIP_TYPES))

    def reference(self, ref_id: str) -> Reference:
        for r in self.references.reference:
            if r.id == ref_id:
                return r
        raise KeyError(ref_id)

    def references_for(self, product: str, lender_type: str | None) -> list[Reference]:
        return [r for r in self.references.reference if r.applies(product, lender_type)]

    def channels_for(self, lender_type: str | None, topic: str) -> list[Channel]:
        return [c for c in self.channels.channel if c.covers(lender_type, topic)]


_FILES: dict[str, type[BaseModel]] = {
    "checklists": ChecklistFile, "agencies": AgencyFile, "references": ReferenceFile,
    "channels": ChannelFile, "settings": SettingsFile,
}


def _read(name: str) -> dict[str, Any]:
    entry = resources.files("xieshang") / "rules" / "data" / "documents" / f"{name}.toml"
    try:
        return tomllib.loads(entry.read_text(encoding="utf-8"), parse_float=Decimal)
    except tomllib.TOMLDecodeError as exc:
        raise UserError("error.profile.data_file", file=f"documents/{name}.toml", detail=f"TOML: {exc}") from None


@cache
def documents_data() -> DocumentsData:
    """All documents data, validated (a broken file is a clear error, not a crash)."""
    parsed: dict[str, Any] = {}
    for name, model in _FILES.items():
        try:
            parsed[name] = model.model_validate(_read(name))
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"])
            raise UserError("error.profile.data_file", file=f"documents/{name}.toml",
                            detail=f"{where}: {first['msg']}") from None
    return DocumentsData(**parsed)
