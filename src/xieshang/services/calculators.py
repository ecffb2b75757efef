"""Stateless calculators: build terms from what the user typed, check it, and compute.

The CLI's ``calc`` commands (and later the web pages) call these; they hold the validation
rules for calculator input (principal, term, rate sanity, dates, payments) so every face
refuses the same things with the same message.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from xieshang.engine.terms import (
    FirstPeriod,
    InterestBasis,
    LoanTerms,
    Payment,
    RepaymentMethod,
)
from xieshang.errors import UserError
from xieshang.money import ZERO, fmt, parse_money
from xieshang.rates import DayCount, Period, Rate, parse_rate

# Sanity thresholds for *input checking* (not legal lines: those live in the rules data).
# Above WARN the calculator warns and points at the legal lines; above REFUSE it assumes a typing
# mistake unless --force. They are about input plausibility, so they live here, not in rules/.
WARN_APR = Decimal("0.36")
REFUSE_APR = Decimal("10")  # 1000 %
MAX_MONTHS = 600


def parse_date(text: str | date, field_name: str = "date") -> date:
    if isinstance(text, date):
        return text
    try:
        return date.fromisoformat(text.strip())
    except ValueError as exc:
        raise UserError("error.date.unparseable", value=text) from exc


def parse_method(text: str | RepaymentMethod) -> RepaymentMethod:
    if isinstance(text, RepaymentMethod):
        return text
    aliases = {
        "等额本息": RepaymentMethod.EQUAL_INSTALLMENT,
        "等额本金": RepaymentMethod.EQUAL_PRINCIPAL,
        "先息后本": RepaymentMethod.INTEREST_FIRST,
        "随借随还": RepaymentMethod.REVOLVING,
    }
    key = text.strip()
    if key in aliases:
        return aliases[key]
    try:
        return RepaymentMethod(key.lower())
    except ValueError as exc:
        raise UserError(
            "error.term.method", value=text, choices=", ".join(m.value for m in RepaymentMethod)
        ) from exc


def pick_rate(*, rate: str | None = None, annual: str | None = None, monthly: str | None = None,
              daily: str | None = None) -> Rate | None:
    """The one rate the user gave, typed by the option it came with (``--daily-rate 0.05%``)."""
    given = [(v, p) for v, p in ((rate, None), (annual, Period.YEAR), (monthly, Period.MONTH),
                                 (daily, Period.DAY)) if v]
    if not given:
        return None
    if len(given) > 1:
        raise UserError("error.input.one_rate")
    value, period = given[0]
    return parse_rate(value, default_period=period or Period.YEAR)


@dataclass
class Checked:
    """Validated input plus the warnings to show (message keys with parameters)."""

    warnings: list[tuple[str, dict[str, Any]]] = field(default_factory=list)


def check_rate(rate: Rate, day_count: DayCount, *, force: bool, checked: Checked) -> None:
    annual = rate.annual(day_count).value
    if annual < 0:
        raise UserError("error.rate.negative", value=rate.percent())
    if annual > REFUSE_APR and not force:
        raise UserError("error.rate.absurd", value=rate.percent(), apr=f"{(annual * 100):.0f}%")
    if annual > WARN_APR:
        checked.warnings.append(("calc.warn_high_rate", {"apr": f"{(annual * 100).normalize():f}%"}))


def parse_payments(items: Sequence[str]) -> list[Payment]:
    """``DATE:AMOUNT`` strings → payments (same-day payments keep their order)."""
    out: list[Payment] = []
    for seq, item in enumerate(items):
        if ":" not in item:
            raise UserError("error.payment.malformed", value=item)
        d, _, amount = item.partition(":")
        try:
            on = date.fromisoformat(d.strip())
        except ValueError as exc:
            raise UserError("error.payment.malformed", value=item) from exc
        value = parse_money(amount, field="--paid")
        if value <= 0:
            raise UserError("error.money.not_positive", field="--paid", value=amount)
        out.append(Payment(on=on, amount=value, seq=seq))
    return out


def loan_terms_from_input(
    *,
    principal: str,
    rate: Rate,
    months: int,
    start: str | date,
    method: str | RepaymentMethod = RepaymentMethod.EQUAL_INSTALLMENT,
    day_count: str | DayCount = DayCount.D360,
    interest_basis: str | InterestBasis = InterestBasis.MONTHLY,
    first_due: str | date | None = None,
    received: str | None = None,
    periodic_fee: str | None = None,
    force: bool = False,
    checked: Checked | None = None,
) -> LoanTerms:
    """Plain terms (no lender profile) for ``calc schedule`` and ``calc apr``-like uses."""
    checked = checked if checked is not None else Checked()
    p = parse_money(principal, field="--principal")
    if p <= 0:
        raise UserError("error.money.not_positive", field="--principal", value=principal)
    if not 1 <= months <= MAX_MONTHS:
        raise UserError("error.term.months", value=months)
    dc = DayCount.parse(day_count)
    check_rate(rate, dc, force=force, checked=checked)
    start_d = parse_date(start)
    first = parse_date(first_due) if first_due else None
    if first is not None and first <= start_d:
        raise UserError("error.date.before_disbursement", value=first.isoformat(), start=start_d.isoformat())
    recv = parse_money(received, field="--received") if received else None
    if recv is not None and recv > p:
        raise UserError("error.term.received_above_principal", received=fmt(recv), principal=fmt(p))
    return LoanTerms(
        principal=p,
        rate=rate,
        term_months=months,
        start=start_d,
        method=parse_method(method),
        amount_received=recv,
        day_count=dc,
        interest_basis=InterestBasis(interest_basis),
        first_due=first,
        first_period=FirstPeriod.ACTUAL_DAYS if first else FirstPeriod.FULL_MONTH,
        periodic_fee=parse_money(periodic_fee, field="--fee") if periodic_fee else ZERO,
    )


def check_payments(payments: Sequence[Payment], start: date, as_of: date) -> None:
    for p in payments:
        if p.on < start:
            raise UserError("error.date.before_disbursement", value=p.on.isoformat(), start=start.isoformat())
        if p.on > as_of:
            raise UserError("error.payment.after_as_of", value=p.on.isoformat(), as_of=as_of.isoformat())
