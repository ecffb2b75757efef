"""Negotiation documents: letters, call scripts and checklists, filled from the case.

- :mod:`~xieshang.documents.model` — the structured document every format renders from;
- :mod:`~xieshang.documents.data` — checklists, the paid-agency guide, legal references,
  complaint channels (``rules/data/documents/*.toml``);
- :mod:`~xieshang.documents.build` — one builder per kind: facts in, :class:`Document` out;
- :mod:`~xieshang.documents.render` — Markdown, HTML, PDF (WeasyPrint) and DOCX (python-docx).

Pure apart from reading the shipped data: the case is read by :mod:`xieshang.services.letters`.
"""

from __future__ import annotations

KINDS: tuple[str, ...] = ("negotiation", "waiver", "hardship", "card-installment", "call-script", "confirmation",
                          "settlement-proof", "complaint", "credit-dispute")
#: Kinds that ask the lender for something and so acknowledge the debt (limitation warning).
NEGOTIATION_KINDS: tuple[str, ...] = ("negotiation", "waiver", "hardship", "card-installment", "call-script",
                                      "confirmation")
FORMATS: tuple[str, ...] = ("md", "html", "pdf", "docx")
LANGS: tuple[str, ...] = ("zh_CN", "en", "zh_TW", "zh_HK")
