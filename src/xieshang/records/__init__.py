"""The contact log (联系记录): entries, the hash chain, attachments, conduct checks, evidence bundles.

- :mod:`~xieshang.records.model` — the entry record, its canonical JSON and hash (pure).
- :mod:`~xieshang.records.chain` — verifying a chain of entries and naming what broke (pure).
- :mod:`~xieshang.records.conduct` — checking entries against the collection rules (pure).
- :mod:`~xieshang.records.render` — the bundle's index in HTML and Markdown (pure).
- :mod:`~xieshang.records.attachments` — type detection by content (pure) and the
  content-addressed attachment folder (files).
- :mod:`~xieshang.records.bundle` — writing and verifying an evidence bundle (zip files).

The store and the use-cases live in :mod:`xieshang.services.records`.
"""
