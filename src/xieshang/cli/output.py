"""Shared presentation helpers for CLI commands: JSON output, Rich tables, warnings.

Heavy modules (Rich) are imported inside functions so that ``xieshang --help`` and the
calculators start fast.
"""

from __future__ import annotations

import json
import sys
from datetime import date
from decimal import Decimal
from enum import Enum
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.console import Console


def _default(obj: Any) -> Any:
    if isinstance(obj, Decimal):
        return str(obj)
    if isinstance(obj, date):
        return obj.isoformat()
    if isinstance(obj, Enum):
        return obj.value
    raise TypeError(f"not JSON serialisable: {type(obj).__name__}")


def dumps(data: Any) -> str:
    """Stable JSON: UTF-8 (Chinese stays readable), two-space indent, Decimal as strings."""
    return json.dumps(data, ensure_ascii=False, indent=2, default=_default)


def print_json(data: Any) -> None:
    sys.stdout.write(dumps(data) + "\n")


def console(stderr: bool = False) -> Console:
    from rich.console import Console

    return Console(stderr=stderr, highlight=False, soft_wrap=False)


def warn(message: str) -> None:
    """A warning on stderr (keeps stdout clean for --json)."""
    console(stderr=True).print(f"[yellow]⚠ {message}[/yellow]", markup=True)
