"""Time-value-of-money functions in exact decimal arithmetic.

The same functions as a spreadsheet or ``numpy-financial`` (``pmt``, ``ipmt``, ``ppmt``, ``pv``,
``fv``, ``nper``, ``rate``, ``npv``, ``irr``) and the dated ``xnpv`` / ``xirr`` (Actual/365, as in
Excel), but on :class:`~decimal.Decimal` from end to end: no ``float`` ever, not even inside
the solvers.

Conventions follow ``numpy-financial``:

* money paid out is negative, money received positive (``pmt(0.01, 12, 1000)`` is negative);
* ``when`` is ``"end"`` (0, payments at the end of each period) or ``"begin"`` (1);
* :func:`npv` discounts the *first* value at t = 0 (unlike Excel's NPV, which starts at t = 1).

Rate solvers (:func:`rate`, :func:`irr`, :func:`xirr`) use Newton's method safeguarded by
bisection inside a bracket. When Newton alone cannot be trusted (no convergence, or the cash
flows change sign more than once so several rates may solve the equation) the whole domain
``rate > -1`` is scanned for sign changes, every bracket is refined, and the root closest to
``guess`` is returned. They raise :class:`~xieshang.errors.UserError` with
``error.flow.no_sign_change`` when the flows never change sign and ``error.flow.no_solution``
when no rate solves the equation.

Every public function computes with :data:`WORKING_PRECISION` digits and rounds its result to
the caller's decimal context (34 digits once :mod:`xieshang.money` is imported).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from datetime import date
from decimal import Decimal, getcontext, localcontext
from itertools import pairwise
from typing import Literal, ParamSpec

from xieshang.errors import UserError

__all__ = [
    "TOLERANCE",
    "WORKING_PRECISION",
    "When",
    "fv",
    "ipmt",
    "irr",
    "nper",
    "npv",
    "pmt",
    "ppmt",
    "pv",
    "rate",
    "xirr",
    "xnpv",
]

Number = Decimal | int
When = Literal["end", "begin", 0, 1]

#: Digits carried inside these functions (results are rounded to the caller's context).
WORKING_PRECISION = 40
#: Solvers stop when the step is below this relative size (far tighter than the 1e-12 needed).
TOLERANCE = Decimal("1e-30")
#: Newton steps tried from ``guess`` before falling back to the bracket scan.
_NEWTON_STEPS = 60
#: Safeguarded iterations per bracket (bisection alone halves a width of 1e6 to 1e-30 in ~120).
_BRACKET_STEPS = 400

_ZERO = Decimal(0)
_ONE = Decimal(1)
_TWO = Decimal(2)
_DAYS_PER_YEAR = Decimal(365)
_DEFAULT_GUESS = Decimal("0.1")
_POLISH_QUANTUM = Decimal("1e-30")

_P = ParamSpec("_P")


def _exact(fn: Callable[_P, Decimal]) -> Callable[_P, Decimal]:
    """Run ``fn`` with :data:`WORKING_PRECISION` digits; round the result to the caller's context."""

    @functools.wraps(fn)
    def wrapper(*args: _P.args, **kwargs: _P.kwargs) -> Decimal:
        with localcontext() as ctx:
            ctx.prec = max(ctx.prec, WORKING_PRECISION)
            result = fn(*args, **kwargs)
        return +result

    return wrapper


def _dec(value: Number, name: str) -> Decimal:
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"{name} must be finite, got {value}")
        return value
    if isinstance(value, int):
        return Decimal(value)
    raise TypeError(f"{name} must be Decimal or int, not {type(value).__name__}")


def _when(when: When) -> Decimal:
    if when in ("end", 0):
        return _ZERO
    if when in ("begin", 1):
        return _ONE
    raise ValueError(f"when must be 'end' or 'begin', got {when!r}")


def _check_rate(r: Decimal) -> None:
    if r <= -1:
        raise ValueError(f"rate must be greater than -1, got {r}")


# ---------------------------------------------------------------------------------------
# Closed forms
# ---------------------------------------------------------------------------------------


def _annuity_factor(r: Decimal, n: Decimal, w: Decimal) -> Decimal:
    """(1 + r·w)·((1+r)^n − 1)/r, the value at period n of a payment of 1 per period (n at r = 0)."""
    if r == 0:
        return n
    return (_ONE + r * w) * ((_ONE + r) ** n - _ONE) / r


@_exact
def fv(rate: Number, nper: Number, pmt: Number, pv: Number, when: When = "end") -> Decimal:
    """Future value after ``nper`` periods of ``pv`` now and ``pmt`` every period."""
    r, n, p, v = _dec(rate, "rate"), _dec(nper, "nper"), _dec(pmt, "pmt"), _dec(pv, "pv")
    _check_rate(r)
    w = _when(when)
    return -(v * (_ONE + r) ** n + p * _annuity_factor(r, n, w))


@_exact
def pmt(rate: Number, nper: Number, pv: Number, fv: Number = 0, when: When = "end") -> Decimal:
    """The level payment per period that turns ``pv`` into ``fv`` in ``nper`` periods."""
    r, n, v, f = _dec(rate, "rate"), _dec(nper, "nper"), _dec(pv, "pv"), _dec(fv, "fv")
    _check_rate(r)
    if n == 0:
        raise ValueError("nper must not be 0")
    w = _when(when)
    return -(f + v * (_ONE + r) ** n) / _annuity_factor(r, n, w)


@_exact
def pv(rate: Number, nper: Number, pmt: Number, fv: Number = 0, when: When = "end") -> Decimal:
    """Present value of ``pmt`` every period for ``nper`` periods plus ``fv`` at the end."""
    r, n, p, f = _dec(rate, "rate"), _dec(nper, "nper"), _dec(pmt, "pmt"), _dec(fv, "fv")
    _check_rate(r)
    w = _when(when)
    return -(f + p * _annuity_factor(r, n, w)) / (_ONE + r) ** n


@_exact
def nper(rate: Number, pmt: Number, pv: Number, fv: Number = 0, when: When = "end") -> Decimal:
    """Number of periods (not necessarily whole) for ``pmt`` per period to take ``pv`` to ``fv``.

    Raises ``error.flow.no_solution`` when no number of periods does it (e.g. a payment that
    never covers the interest).
    """
    r, p, v, f = _dec(rate, "rate"), _dec(pmt, "pmt"), _dec(pv, "pv"), _dec(fv, "fv")
    _check_rate(r)
    w = _when(when)
    if r == 0:
        if p == 0:
            raise UserError("error.flow.no_solution")
        return -(f + v) / p
    z = p * (_ONE + r * w) / r
    num, den = z - f, v + z
    if den == 0 or num / den <= 0:
        raise UserError("error.flow.no_solution")
    return (num / den).ln() / (_ONE + r).ln()


def _interest_part(r: Decimal, per: Decimal, n: Decimal, v: Decimal, f: Decimal, when: When) -> Decimal:
    w = _when(when)
    if per < 1 or per > n or per != per.to_integral_value():
        raise ValueError(f"per must be a whole period from 1 to nper, got {per}")
    total = pmt(r, n, v, f, when)
    if w == 1 and per == 1:
        return _ZERO
    # Balance after per − 1 payments, times the rate: the interest of period ``per``.
    balance = fv(r, per - 1, total, v, when)
    interest = balance * r
    if w == 1:
        interest /= _ONE + r
    return interest


@_exact
def ipmt(
    rate: Number, per: Number, nper: Number, pv: Number, fv: Number = 0, when: When = "end"
) -> Decimal:
    """Interest part of the level payment in period ``per`` (1-based)."""
    r, k, n, v, f = (_dec(rate, "rate"), _dec(per, "per"), _dec(nper, "nper"), _dec(pv, "pv"),
                     _dec(fv, "fv"))
    _check_rate(r)
    return _interest_part(r, k, n, v, f, when)


@_exact
def ppmt(
    rate: Number, per: Number, nper: Number, pv: Number, fv: Number = 0, when: When = "end"
) -> Decimal:
    """Principal part of the level payment in period ``per`` (1-based)."""
    r, k, n, v, f = (_dec(rate, "rate"), _dec(per, "per"), _dec(nper, "nper"), _dec(pv, "pv"),
                     _dec(fv, "fv"))
    _check_rate(r)
    return pmt(r, n, v, f, when) - _interest_part(r, k, n, v, f, when)


@_exact
def npv(rate: Number, values: Sequence[Number]) -> Decimal:
    """Net present value, the first value at t = 0 (``numpy-financial``'s convention)."""
    r = _dec(rate, "rate")
    _check_rate(r)
    return _poly(r, [_dec(v, "value") for v in values])[0]


@_exact
def xnpv(rate: Number, values: Sequence[Number], dates: Sequence[date]) -> Decimal:
    """Net present value of dated flows, Actual/365 from the first date (as Excel's XNPV)."""
    r = _dec(rate, "rate")
    _check_rate(r)
    amounts, days = _dated(values, dates)
    return _dated_value(r, amounts, days)[0]


# ---------------------------------------------------------------------------------------
# Solvers
# ---------------------------------------------------------------------------------------

ValueAndSlope = Callable[[Decimal], tuple[Decimal, Decimal]]


def _poly(r: Decimal, values: Sequence[Decimal]) -> tuple[Decimal, Decimal]:
    """Σ vₜ(1+r)^−t and its derivative in r, by Horner's rule in x = 1/(1+r)."""
    x = _ONE / (_ONE + r)
    value = _ZERO
    slope_x = _ZERO  # d/dx
    for v in reversed(values):
        slope_x = slope_x * x + value
        value = value * x + v
    return value, -slope_x * x * x


def _dated(values: Sequence[Number], dates: Sequence[date]) -> tuple[list[Decimal], list[int]]:
    """Amounts and whole days from the first date, sorted by day (sums do not depend on order)."""
    if len(values) != len(dates):
        raise ValueError("values and dates must have the same length")
    if not values:
        raise ValueError("no cash flows")
    base = dates[0]
    pairs = sorted(
        ((d - base).days, _dec(v, "value")) for v, d in zip(values, dates, strict=True)
    )
    return [amount for _, amount in pairs], [days for days, _ in pairs]


def _dated_value(r: Decimal, amounts: Sequence[Decimal], days: Sequence[int]) -> tuple[Decimal, Decimal]:
    """Σ vᵢ(1+r)^−(dᵢ/365) and its derivative in r (dᵢ whole days, ascending; Actual/365).

    One ``exp`` per call: the discount factor of each day count is reached from the previous
    one by an integer power of the one-day factor.
    """
    day_factor = (-(_ONE + r).ln() / _DAYS_PER_YEAR).exp()
    factor = day_factor ** days[0]
    value = _ZERO
    weighted = _ZERO  # Σ dᵢ·termᵢ
    previous = days[0]
    for v, d in zip(amounts, days, strict=True):
        if d != previous:
            factor *= day_factor ** (d - previous)
            previous = d
        term = v * factor
        value += term
        weighted += d * term
    return value, -weighted / (_DAYS_PER_YEAR * (_ONE + r))


def _sign_changes(values: Sequence[Decimal]) -> int:
    signs = [v > 0 for v in values if v != 0]
    return sum(1 for a, b in pairwise(signs) if a != b)


def _require_sign_change(values: Sequence[Decimal]) -> None:
    if not (any(v > 0 for v in values) and any(v < 0 for v in values)):
        raise UserError("error.flow.no_sign_change")


def _scan_points() -> list[Decimal]:
    """Where the solvers look for sign changes: ln(1+r) every 0.02 for r in about (−0.99, 10),
    then ever closer to −1 and ever larger, up to 10⁶ (rates per period)."""
    points: list[Decimal] = []
    for k in range(12, 2, -1):
        points.append(-_ONE + Decimal(1).scaleb(-k))  # −1 + 1e−12 … −1 + 1e−3
    step = Decimal("0.02")
    u = Decimal("-4.60")
    while u <= Decimal("2.40"):
        points.append(u.exp() - _ONE)
        u += step
    points.extend(Decimal(10) ** k for k in range(2, 7))
    return points


@functools.cache
def _scan_grid(prec: int) -> tuple[Decimal, ...]:
    with localcontext() as ctx:
        ctx.prec = prec
        return tuple(_scan_points())


def _close_enough(step: Decimal, r: Decimal) -> bool:
    return abs(step) <= TOLERANCE * (_ONE + abs(r))


def _newton(fn: ValueAndSlope, guess: Decimal) -> Decimal | None:
    """Plain Newton from ``guess``; ``None`` when it leaves the domain or does not converge."""
    r = guess
    for _ in range(_NEWTON_STEPS):
        value, slope = fn(r)
        if value == 0:
            return r
        if slope == 0:
            return None
        step = value / slope
        nxt = r - step
        if nxt <= -1:
            return None
        if _close_enough(step, nxt):
            return nxt
        r = nxt
    return None


def _refine(fn: ValueAndSlope, lo: Decimal, f_lo: Decimal, hi: Decimal, f_hi: Decimal) -> Decimal:
    """Newton kept inside the bracket [lo, hi] (f changes sign); bisection whenever Newton
    would leave it or is not shrinking fast enough."""
    if f_lo == 0:
        return lo
    if f_hi == 0:
        return hi
    if f_lo > 0:  # orient so that f(lo) < 0 < f(hi)
        lo, hi = hi, lo
    r = (lo + hi) / _TWO
    step_before = abs(hi - lo)
    step = step_before
    value, slope = fn(r)
    for _ in range(_BRACKET_STEPS):
        newton_ok = (
            slope != 0
            and ((r - hi) * slope - value) * ((r - lo) * slope - value) < 0  # lands inside
            and abs(_TWO * value) < abs(step_before * slope)  # and converges fast enough
        )
        step_before = step
        if newton_ok:
            step = value / slope
            r -= step
        else:
            step = (hi - lo) / _TWO
            r = lo + step
        if _close_enough(step, r) or abs(hi - lo) <= TOLERANCE * (_ONE + abs(r)):
            return r
        value, slope = fn(r)
        if value == 0:
            return r
        if value < 0:
            lo = r
        else:
            hi = r
    return r


def _solve(fn: ValueAndSlope, guess: Decimal, unique: bool) -> Decimal:
    """A rate r > −1 with fn(r) = 0: Newton when the root is known to be unique, else (or when
    Newton fails) every bracket of the scan grid refined, returning the root closest to guess."""
    if unique and guess > -1:
        found = _newton(fn, guess)
        if found is not None:
            return _polish(fn, found)
    roots: list[Decimal] = []
    grid = _scan_grid(getcontext().prec)
    prev_r: Decimal | None = None
    prev_v = _ZERO
    for r in grid:
        value, _slope = fn(r)
        if value == 0:
            roots.append(r)
        elif prev_r is not None and prev_v != 0 and (value > 0) != (prev_v > 0):
            roots.append(_refine(fn, prev_r, prev_v, r, value))
            if unique:
                break
        prev_r, prev_v = r, value
    if not roots:
        raise UserError("error.flow.no_solution")
    return _polish(fn, min(roots, key=lambda root: (abs(root - guess), root)))


def _polish(fn: ValueAndSlope, root: Decimal) -> Decimal:
    """Prefer the root rounded to 30 decimals when it solves the equation at least as well
    (so [−100, 100] gives exactly 0, not −3E−40)."""
    rounded = root.quantize(_POLISH_QUANTUM)
    if rounded == root or rounded <= -1:
        return root
    if abs(fn(rounded)[0]) <= abs(fn(root)[0]):
        return rounded if rounded != 0 else _ZERO
    return root


@_exact
def rate(
    nper: Number,
    pmt: Number,
    pv: Number,
    fv: Number = 0,
    when: When = "end",
    guess: Number | None = None,
) -> Decimal:
    """The rate per period at which ``pmt`` per period for ``nper`` periods takes ``pv`` to ``fv``.

    ``guess`` (default 0.1) picks among several solutions: the closest one is returned.
    """
    n, p, v, f = _dec(nper, "nper"), _dec(pmt, "pmt"), _dec(pv, "pv"), _dec(fv, "fv")
    w = _when(when)
    g0 = _DEFAULT_GUESS if guess is None else _dec(guess, "guess")
    if n <= 0:
        raise ValueError("nper must be positive")
    _require_sign_change([v, p, f])

    def equation(r: Decimal) -> tuple[Decimal, Decimal]:
        # Value at period n: fv + pv·(1+r)^n + pmt·(1+rw)·((1+r)^n − 1)/r, and its derivative.
        if r == 0:
            return f + v + p * n, v * n + p * (w * n + n * (n - _ONE) / _TWO)
        growth = (_ONE + r) ** n
        d_growth = n * growth / (_ONE + r)
        annuity = (growth - _ONE) / r
        d_annuity = (d_growth - annuity) / r
        value = f + v * growth + p * (_ONE + r * w) * annuity
        slope = v * d_growth + p * (w * annuity + (_ONE + r * w) * d_annuity)
        return value, slope

    # Whole-period cash flows are a polynomial: Descartes' rule tells when the root is unique.
    unique = False
    if n == n.to_integral_value() and n <= 10_000:
        periods = int(n)
        flows = [_ZERO] * (periods + 1)
        flows[0] += v
        for t in range(periods):
            flows[t + int(1 - w)] += p
        flows[periods] += f
        unique = _sign_changes(flows) == 1
    return _solve(equation, g0, unique)


@_exact
def irr(values: Sequence[Number], guess: Number | None = None) -> Decimal:
    """Internal rate of return per period of ``values`` (the first at t = 0).

    Raises ``error.flow.no_sign_change`` when the values never change sign (``irr([1, 2, 3])``)
    and ``error.flow.no_solution`` when no rate makes the net present value zero. With several
    solutions, the one closest to ``guess`` (default 0.1) is returned.
    """
    flows = [_dec(v, "value") for v in values]
    _require_sign_change(flows)
    g0 = _DEFAULT_GUESS if guess is None else _dec(guess, "guess")
    return _solve(lambda r: _poly(r, flows), g0, _sign_changes(flows) == 1)


@_exact
def xirr(values: Sequence[Number], dates: Sequence[date], guess: Number | None = None) -> Decimal:
    """Annual internal rate of return of dated flows, Actual/365 (as Excel's XIRR).

    Dates need not be sorted; the result does not depend on their order.
    """
    amounts, days = _dated(values, dates)
    _require_sign_change(amounts)
    g0 = _DEFAULT_GUESS if guess is None else _dec(guess, "guess")
    # Descartes' rule of signs holds for sums of real powers too, ordered by exponent.
    unique = _sign_changes(amounts) == 1
    return _solve(lambda r: _dated_value(r, amounts, days), g0, unique)
