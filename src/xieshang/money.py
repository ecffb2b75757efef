"""Exact money: parsing what people type, rounding that is always explicit.

Amounts are :class:`decimal.Decimal` in yuan. Nothing here ever touches ``float``.
Full precision is kept while interest accrues; :func:`round_money` is called only at
a *posting event* (a payment, a due date, a report), with a :class:`Rounding` policy
that each lender profile can set.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import (
    ROUND_CEILING,
    ROUND_DOWN,
    ROUND_FLOOR,
    ROUND_HALF_EVEN,
    ROUND_HALF_UP,
    ROUND_UP,
    Decimal,
    InvalidOperation,
    getcontext,
)

from xieshang.errors import UserError

# Enough digits for accruals over decades at any rate we accept.
getcontext().prec = 34

ZERO = Decimal(0)
FEN = Decimal("0.01")
#: Larger amounts are typing mistakes (no consumer debt comes near a trillion yuan); refusing them
#: also keeps every amount inside the store's 64-bit integer of fen.
MAX_AMOUNT = Decimal(10) ** 12

ROUNDING_MODES: dict[str, str] = {
    "half-up": ROUND_HALF_UP,
    "half-even": ROUND_HALF_EVEN,
    "down": ROUND_DOWN,
    "up": ROUND_UP,
    "floor": ROUND_FLOOR,
    "ceiling": ROUND_CEILING,
}


@dataclass(frozen=True, slots=True)
class Rounding:
    """How amounts are rounded at a posting event: decimal places and a mode name.

    ``Rounding()`` is the default of the whole project: half-up to the fen.
    """

    places: int = 2
    mode: str = "half-up"
    _quantum: Decimal = field(init=False, repr=False, compare=False, hash=False, default=Decimal(0))
    _decimal_mode: str = field(init=False, repr=False, compare=False, hash=False, default="")

    def __post_init__(self) -> None:
        if self.mode not in ROUNDING_MODES:
            raise ValueError(f"unknown rounding mode {self.mode!r}")
        if not 0 <= self.places <= 8:
            raise ValueError("rounding places must be 0..8")
        object.__setattr__(self, "_quantum", Decimal(1).scaleb(-self.places))
        object.__setattr__(self, "_decimal_mode", ROUNDING_MODES[self.mode])

    @property
    def quantum(self) -> Decimal:
        return self._quantum

    def __call__(self, amount: Decimal) -> Decimal:
        return amount.quantize(self._quantum, rounding=self._decimal_mode)


DEFAULT_ROUNDING = Rounding()


def round_money(amount: Decimal, rounding: Rounding = DEFAULT_ROUNDING) -> Decimal:
    """Round ``amount`` with an explicit policy (default half-up to the fen)."""
    return rounding(amount)


def fmt(amount: Decimal) -> str:
    """The JSON form of an amount: yuan as a string with exactly two decimals."""
    return str(amount.quantize(FEN, rounding=ROUND_HALF_UP))


def fmt_display(amount: Decimal) -> str:
    """A human form with thousands separators, e.g. ``12,345.60``."""
    return f"{amount.quantize(FEN, rounding=ROUND_HALF_UP):,}"


_MONEY_RE = re.compile(
    r"""^\s*
    (?P<sign>[-−])?\s*
    (?:¥|￥|RMB|CNY|人民币)?\s*
    (?P<num>[0-9][0-9,，]*(?:\.[0-9]+)?|\.[0-9]+)\s*
    (?P<unit>万元|万|w|W|k|K|千|元|块|圆)?\s*
    (?:元|块|RMB|CNY)?\s*$""",
    re.VERBOSE,
)

_UNITS: dict[str, Decimal] = {
    "万元": Decimal(10000),
    "万": Decimal(10000),
    "w": Decimal(10000),
    "W": Decimal(10000),
    "k": Decimal(1000),
    "K": Decimal(1000),
    "千": Decimal(1000),
}


def parse_money(text: str | Decimal | int, *, allow_negative: bool = False, field: str = "amount") -> Decimal:
    """Parse an amount as people type it: ``1,234.56``, ``1234.5元``, ``¥1234``, ``1.2万``.

    Returns yuan as a Decimal with at most two decimals (more digits than the fen are refused,
    so nothing is silently rounded). Raises :class:`UserError` with a translatable message.
    """
    if isinstance(text, Decimal):
        value = text
    elif isinstance(text, int):
        value = Decimal(text)
    else:
        m = _MONEY_RE.match(text)
        if not m:
            raise UserError("error.money.unparseable", value=text, field=field)
        num = m.group("num").replace(",", "").replace("，", "")
        try:
            value = Decimal(num)
        except InvalidOperation as exc:  # pragma: no cover - the regex admits only digits
            raise UserError("error.money.unparseable", value=text, field=field) from exc
        unit = m.group("unit")
        if unit in _UNITS:
            value *= _UNITS[unit]
        if m.group("sign"):
            value = -value
    if not value.is_finite():
        raise UserError("error.money.unparseable", value=str(text), field=field)
    if abs(value) > MAX_AMOUNT:
        raise UserError("error.money.too_large", value=str(text), field=field)
    if value != value.quantize(FEN, rounding=ROUND_HALF_UP):
        raise UserError("error.money.too_precise", value=str(text), field=field)
    if value < 0 and not allow_negative:
        raise UserError("error.money.negative", value=str(text), field=field)
    return value.quantize(FEN)
