"""Message catalogs: zh_CN by default, English on request.

Catalogs are TOML files under ``locales/<lang>/``; each file is a namespace (``calc.toml``
holds the keys ``calc.*``), so each part of the program owns its own file. A missing key in
the requested language falls back to zh_CN, then to the key itself, so a gap is visible but
never a crash.

The language is chosen, first match wins: an explicit ``lang`` argument, :func:`language_scope`
(the web app's per-request language, a context variable, so concurrent requests in different
languages do not mix), :func:`set_language` (the CLI's ``--lang``), ``XIESHANG_LANG``, then
``LC_ALL``/``LC_MESSAGES``/``LANG`` (English when they name ``en``), else zh_CN.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache
from importlib import resources
from typing import Any

LANGUAGES = ("zh_CN", "en")
DEFAULT_LANGUAGE = "zh_CN"

_current: str | None = None
_scoped: ContextVar[str | None] = ContextVar("xieshang_language", default=None)


def normalize(lang: str | None) -> str | None:
    """Map ``en``, ``en_US.UTF-8``, ``zh``, ``zh-CN`` … to a supported language, or ``None``."""
    if not lang:
        return None
    low = lang.strip().lower().replace("-", "_")
    if low.startswith("en"):
        return "en"
    if low.startswith("zh"):
        return "zh_CN"
    return None


def set_language(lang: str | None) -> None:
    """Fix the language for this process (``None`` returns to the environment's choice)."""
    global _current
    _current = normalize(lang)


@contextmanager
def language_scope(lang: str | None) -> Iterator[None]:
    """Use ``lang`` in this context (a request, a task) only; ``None`` or unknown: no change."""
    token = _scoped.set(normalize(lang))
    try:
        yield
    finally:
        _scoped.reset(token)


def current_language() -> str:
    scoped = _scoped.get()
    if scoped:
        return scoped
    if _current:
        return _current
    env = normalize(os.environ.get("XIESHANG_LANG"))
    if env:
        return env
    for var in ("LC_ALL", "LC_MESSAGES", "LANG"):
        found = normalize(os.environ.get(var))
        if found:
            return found
    return DEFAULT_LANGUAGE


@cache
def catalog(lang: str) -> dict[str, str]:
    """All messages of one language, flattened to ``"namespace.key": "text"``."""
    out: dict[str, str] = {}
    folder = resources.files("xieshang") / "locales" / lang
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if not entry.name.endswith(".toml"):
            continue
        data = tomllib.loads(entry.read_text(encoding="utf-8"))
        _flatten(entry.name[: -len(".toml")], data, out)
    return out


def _flatten(prefix: str, data: dict[str, Any], out: dict[str, str]) -> None:
    for key, value in data.items():
        full = f"{prefix}.{key}"
        if isinstance(value, dict):
            _flatten(full, value, out)
        else:
            out[full] = str(value)


def t(key: str, *, lang: str | None = None, **params: Any) -> str:
    """Translate ``key`` and fill ``{placeholders}`` from ``params``."""
    language = normalize(lang) or current_language()
    text = catalog(language).get(key)
    if text is None and language != DEFAULT_LANGUAGE:
        text = catalog(DEFAULT_LANGUAGE).get(key)
    if text is None:
        return key + (f" {params}" if params else "")
    try:
        return text.format(**params)
    except (KeyError, IndexError, ValueError):
        return text
