"""Words and figures in a document's language.

Document texts live in ``locales/<lang>/letter.toml`` under ``doc``; zh_TW and zh_HK are the
zh_CN text converted by OpenCC (Taiwan and Hong Kong standard characters). Unlike the UI's
:func:`xieshang.i18n.t`, a missing key or parameter here is a bug and raises, so that no
half-filled sentence can reach a letter.
"""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from functools import cache
from typing import TYPE_CHECKING, Any

from xieshang.i18n import catalog
from xieshang.money import fmt_display

if TYPE_CHECKING:
    from xieshang.documents.model import Document

#: The catalog a document language reads from.
SOURCE_LANG = {"zh_CN": "zh_CN", "zh_TW": "zh_CN", "zh_HK": "zh_CN", "en": "en"}
OPENCC_CONFIG = {"zh_TW": "s2tw", "zh_HK": "s2hk"}


def base_lang(lang: str) -> str:
    return SOURCE_LANG[lang]


def is_zh(lang: str) -> bool:
    return base_lang(lang) == "zh_CN"


class Texts:
    """``tx("negotiation.title")`` → the text of ``letter.doc.negotiation.title``, filled."""

    def __init__(self, lang: str) -> None:
        self.lang = base_lang(lang)
        self._cat = catalog(self.lang)

    def __call__(self, key: str, **params: Any) -> str:
        text = self._cat[f"letter.doc.{key}"]
        return text.format(**params)

    def has(self, key: str) -> bool:
        return f"letter.doc.{key}" in self._cat

    def pick(self, zh: str, en: str) -> str:
        """A bilingual data field in this language."""
        return zh if self.lang == "zh_CN" else en

    def money(self, amount: Decimal) -> str:
        return self("fmt.money", amount=fmt_display(amount))

    def day(self, d: date) -> str:
        return self("fmt.date", y=d.year, m=d.month, d=d.day, month=self(f"fmt.month{d.month}"))

    def pct(self, x: Decimal, places: int = 1) -> str:
        q = (x * 100).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
        return f"{q}%"


@cache
def _converter(config: str) -> Any:
    from opencc import OpenCC

    return OpenCC(config)


def convert(text: str, lang: str) -> str:
    """zh_CN text in Taiwan or Hong Kong characters; other languages unchanged."""
    config = OPENCC_CONFIG.get(lang)
    if config is None or not text:
        return text
    return str(_converter(config).convert(text))


def localize(doc: Document, lang: str) -> Document:
    """A zh_CN document converted for zh_TW / zh_HK (a no-op for zh_CN and en)."""
    from xieshang.documents.model import map_text

    if lang not in OPENCC_CONFIG:
        return doc
    return map_text(doc, lambda s: convert(s, lang), lang=lang)
