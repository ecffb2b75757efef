"""Column encodings shared by the store and the export format.

Amounts are stored as integer fen (``BigInteger``), rates as text with their period
(``"0.0005/daily"``), so nothing depends on a database's decimal or float handling.
"""

from __future__ import annotations

import re
from decimal import Decimal

from xieshang.rates import Period, Rate, make_rate

_RATE_RE = re.compile(r"^(?P<value>[0-9]+(?:\.[0-9]+)?)/(?P<period>annual|monthly|daily)$")


def to_fen(amount: Decimal) -> int:
    """Yuan → integer fen; refuses anything finer than the fen instead of rounding it."""
    scaled = amount.scaleb(2)
    if scaled != scaled.to_integral_value():
        raise ValueError(f"amount {amount} has more than two decimals")
    return int(scaled)


def from_fen(fen: int) -> Decimal:
    """Integer fen → yuan with exactly two decimals."""
    return Decimal(fen).scaleb(-2)


def rate_to_text(rate: Rate) -> str:
    return f"{format(rate.value, 'f')}/{rate.period.value}"


def rate_from_text(text: str) -> Rate:
    m = _RATE_RE.match(text)
    if not m:
        raise ValueError(f"not a stored rate: {text!r}")
    return make_rate(Decimal(m.group("value")), Period(m.group("period")))


def is_rate_text(text: str) -> bool:
    return _RATE_RE.match(text) is not None
