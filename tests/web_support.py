"""Helpers the web app's TestClient tests share (the ``client`` and ``demo`` fixtures are in
``tests/conftest.py``; each test module defines the ``store`` they build on)."""

from __future__ import annotations

import re


def field_error(html: str, name: str) -> str | None:
    """The inline error shown for field ``name`` (``<p class="error" id="e-NAME">``), or ``None``."""
    m = re.search(rf'<p class="error" id="e-{re.escape(name)}"[^>]*>(.*?)</p>', html, re.S)
    return None if m is None else re.sub(r"<[^>]+>", "", m.group(1)).replace("⚠", "").strip()
