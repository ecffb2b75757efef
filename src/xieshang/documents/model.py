"""The one source of every document: a small structured model the renderers walk.

A :class:`Document` is a cover note for the borrower (never sent) and a body (the letter, the
script or the checklist) made of blocks. Builders (:mod:`xieshang.documents.build`) fill it
from the case; renderers (Markdown, HTML, PDF, DOCX) only lay it out, so the four formats
always say the same thing. Text is final text: no template syntax survives into a block.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Literal

CalloutTone = Literal["info", "warning"]


@dataclass(frozen=True, slots=True)
class Heading:
    text: str
    level: int = 2  # 1 = the document title, 2 = a section, 3 = a sub-section


@dataclass(frozen=True, slots=True)
class Para:
    text: str
    indent: bool = False  # first-line indent of two characters (Chinese letter body)
    align: Literal["left", "right", "center"] = "left"
    strong: bool = False


@dataclass(frozen=True, slots=True)
class Table:
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    numeric: tuple[bool, ...] = ()  # per column: right-aligned figures
    total_last: bool = False  # the last row is a total (bold)


@dataclass(frozen=True, slots=True)
class Bullets:
    items: tuple[str, ...]
    ordered: bool = False
    checkboxes: bool = False  # a checklist: "☐ item"


@dataclass(frozen=True, slots=True)
class Callout:
    title: str
    lines: tuple[str, ...]
    tone: CalloutTone = "info"


@dataclass(frozen=True, slots=True)
class Signature:
    """The signature block: printed lines, then explicit lines to sign and date by hand."""

    printed: tuple[str, ...]
    sign_labels: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class PageBreak:
    pass


Block = Heading | Para | Table | Bullets | Callout | Signature | PageBreak


@dataclass(frozen=True, slots=True)
class Document:
    kind: str
    lang: str  # zh_CN, zh_TW, zh_HK or en
    title: str
    cover: tuple[Block, ...]  # notes for the borrower: not part of what is sent
    body: tuple[Block, ...]
    footer: str = ""  # a short line on every page (draft notice)
    meta: dict[str, str] = field(default_factory=dict)

    @property
    def blocks(self) -> tuple[Block, ...]:
        """Everything in reading order: the cover, a page break, the body."""
        if not self.cover:
            return self.body
        return (*self.cover, PageBreak(), *self.body)

    def texts(self) -> list[str]:
        """Every piece of text, for checks (placeholders, citations) and search."""
        out = [self.title, self.footer]
        for block in self.blocks:
            out.extend(block_texts(block))
        return out


def block_texts(block: Block) -> list[str]:
    if isinstance(block, Heading | Para):
        return [block.text]
    if isinstance(block, Table):
        return [*block.header, *(c for row in block.rows for c in row)]
    if isinstance(block, Bullets):
        return list(block.items)
    if isinstance(block, Callout):
        return [block.title, *block.lines]
    if isinstance(block, Signature):
        return [*block.printed, *block.sign_labels]
    return []


def map_text(doc: Document, fn: Callable[[str], str], *, lang: str) -> Document:
    """The same document with every text passed through ``fn`` (e.g. OpenCC conversion)."""

    def conv(block: Block) -> Block:
        if isinstance(block, Heading):
            return replace(block, text=fn(block.text))
        if isinstance(block, Para):
            return replace(block, text=fn(block.text))
        if isinstance(block, Table):
            return replace(block, header=tuple(fn(h) for h in block.header),
                           rows=tuple(tuple(fn(c) for c in row) for row in block.rows))
        if isinstance(block, Bullets):
            return replace(block, items=tuple(fn(i) for i in block.items))
        if isinstance(block, Callout):
            return replace(block, title=fn(block.title), lines=tuple(fn(x) for x in block.lines))
        if isinstance(block, Signature):
            return replace(block, printed=tuple(fn(x) for x in block.printed),
                           sign_labels=tuple(fn(x) for x in block.sign_labels))
        return block

    return replace(doc, lang=lang, title=fn(doc.title), footer=fn(doc.footer),
                   cover=tuple(conv(b) for b in doc.cover), body=tuple(conv(b) for b in doc.body))
