"""The one exception the faces turn into a friendly message.

Code that rejects user input raises :class:`UserError` with a message *key* and parameters,
never a finished sentence: the CLI, the web app and the JSON API translate the key into the
user's language (see :mod:`xieshang.i18n`) and exit or respond without a traceback.
"""

from __future__ import annotations

from typing import Any


class UserError(Exception):
    """Bad input or an impossible request, explained to the user in their language."""

    exit_code = 2

    def __init__(self, key: str, **params: Any) -> None:
        super().__init__(key)
        self.key = key
        self.params = params

    def message(self, lang: str | None = None) -> str:
        from xieshang.i18n import t

        return t(self.key, lang=lang, **self.params)

    def __str__(self) -> str:  # pragma: no cover - debugging aid
        return f"{self.key} {self.params}"
