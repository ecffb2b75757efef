"""Profile defaults + the borrower's contract figures → the engine's frozen terms.

Order of precedence, last wins: the profile's value, the explicit arguments of
:meth:`Profile.loan_terms` / :meth:`Profile.card_terms`, then ``overrides``. Override values may
be typed (``Decimal``, ``Rate``, enum members, ``date``) or text as a user types it (``"1.5"``,
``"0.05%/日"``, ``"grace-end"``, ``"2025-01-15"``); ``float`` is refused.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import date
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import TYPE_CHECKING, Any, TypeVar

from xieshang.engine.terms import (
    CardInterestMode,
    CardTerms,
    Component,
    CompoundBase,
    FirstPeriod,
    InterestBasis,
    LateFeeFrequency,
    LateFeeKind,
    LateFeeRule,
    LoanTerms,
    OverdueRules,
    PenaltyStart,
    RepaymentMethod,
)
from xieshang.errors import UserError
from xieshang.money import Rounding, parse_money
from xieshang.rates import DayCount, Period, Rate, parse_rate

if TYPE_CHECKING:
    from xieshang.rules.schema import Profile, ProfileValue

E = TypeVar("E", bound=StrEnum)
V = TypeVar("V")

Coercer = Callable[[str, object], Any]


def _bad(field: str, value: object, detail: str) -> UserError:
    return UserError("rules.error.override_value", field=field, value=str(value), detail=detail)


def _decimal(field: str, value: object) -> Decimal:
    if isinstance(value, bool | float):
        raise _bad(field, value, "write decimals as text, e.g. \"1.5\"")
    if isinstance(value, Decimal | int):
        number = Decimal(value)
    elif isinstance(value, str):
        try:
            number = Decimal(value.strip())
        except InvalidOperation:
            raise _bad(field, value, "not a decimal number") from None
    else:
        raise _bad(field, value, "not a decimal number")
    if not number.is_finite() or number < 0:
        raise _bad(field, value, "must be a finite number ≥ 0")
    return number


def _money(field: str, value: object) -> Decimal:
    if isinstance(value, float | bool) or not isinstance(value, Decimal | int | str):
        raise _bad(field, value, "not an amount")
    return parse_money(value, field=field)


def _money_or_none(field: str, value: object) -> Decimal | None:
    return None if value is None else _money(field, value)


def _int(field: str, value: object) -> int:
    if isinstance(value, bool):
        raise _bad(field, value, "not a whole number")
    if isinstance(value, int):
        number = value
    elif isinstance(value, str) and value.strip().isdigit():
        number = int(value.strip())
    else:
        raise _bad(field, value, "not a whole number")
    if number < 0:
        raise _bad(field, value, "must be ≥ 0")
    return number


def _bool(field: str, value: object) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        low = value.strip().lower()
        if low in ("true", "yes", "on", "1", "是"):
            return True
        if low in ("false", "no", "off", "0", "否"):
            return False
    raise _bad(field, value, "expected true or false")


def _date(field: str, value: object) -> date:
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise UserError("error.date.unparseable", value=str(value))


def _date_or_none(field: str, value: object) -> date | None:
    return None if value is None else _date(field, value)


def _rate(field: str, value: object) -> Rate:
    if isinstance(value, Rate):
        return value
    if isinstance(value, str):
        return parse_rate(value)
    raise _bad(field, value, "expected a rate such as 18%, 0.05%/日")


def _daily_rate(field: str, value: object) -> Rate:
    if isinstance(value, str):
        return parse_rate(value, default_period=Period.DAY)
    return _rate(field, value)


def _rate_or_none(field: str, value: object) -> Rate | None:
    return None if value is None else _rate(field, value)


def _enum(kind: type[E]) -> Callable[[str, object], E]:
    def coerce(field: str, value: object) -> E:
        if isinstance(value, kind):
            return value
        try:
            return kind(str(value).strip())
        except ValueError:
            raise UserError("rules.error.override_choice", field=field, value=str(value),
                            choices=", ".join(m.value for m in kind)) from None
    return coerce


def _day_count(field: str, value: object) -> DayCount:
    if isinstance(value, DayCount | str | int) and not isinstance(value, bool):
        return DayCount.parse(value)
    raise _bad(field, value, "360, 365 or actual")


def _allocation(field: str, value: object) -> tuple[Component, ...]:
    parts: list[object]
    if isinstance(value, str):
        parts = [p for p in value.replace("，", ",").split(",") if p.strip()]
    elif isinstance(value, list | tuple):
        parts = list(value)
    else:
        raise _bad(field, value, "a list such as fee,compound,penalty,interest,principal")
    order = tuple(_enum(Component)(field, p) for p in parts)
    if len(set(order)) != len(order) or set(order) != set(Component):
        raise _bad(field, value, "name each of " + ", ".join(c.value for c in Component) + " once")
    return order


def _rounding(field: str, value: object) -> Rounding:
    if isinstance(value, Rounding):
        return value
    if isinstance(value, Mapping):
        unknown = set(value) - {"places", "mode"}
        if unknown:
            raise _bad(field, value, "keys: places, mode")
        places = _int(field, value.get("places", 2))
        mode = str(value.get("mode", "half-up"))
    elif isinstance(value, str) and ":" in value:
        text_places, mode = value.split(":", 1)
        places = _int(field, text_places)
    else:
        raise _bad(field, value, "e.g. {places = 2, mode = \"half-up\"} or \"2:half-up\"")
    try:
        return Rounding(places=places, mode=mode.strip())
    except ValueError as exc:
        raise _bad(field, value, str(exc)) from None


_LATE_FEE_KEYS = ("kind", "amount", "percent", "minimum", "maximum", "frequency")


def _late_fee_on(base: LateFeeRule | None) -> Callable[[str, object], LateFeeRule]:
    """A coercer for a late-fee rule; a partial mapping changes only the keys it names."""

    def coerce(field: str, value: object) -> LateFeeRule:
        if isinstance(value, LateFeeRule):
            return value
        if isinstance(value, str) and value.strip().lower() in ("none", "无"):
            return LateFeeRule()
        if not isinstance(value, Mapping):
            raise _bad(field, value, "a table with kind, amount, percent, minimum, maximum, frequency")
        unknown = set(value) - set(_LATE_FEE_KEYS)
        if unknown:
            raise _bad(field, value, "unknown keys " + ", ".join(sorted(map(str, unknown))))
        rule = base or LateFeeRule()
        changes: dict[str, Any] = {}
        for key, raw in value.items():
            sub = f"{field}.{key}"
            if key == "kind":
                changes[key] = _enum(LateFeeKind)(sub, raw)
            elif key == "frequency":
                changes[key] = _enum(LateFeeFrequency)(sub, raw)
            elif key == "maximum":
                changes[key] = None if raw is None else _decimal(sub, raw)
            else:
                changes[key] = _decimal(sub, raw)
        return replace(rule, **changes)

    return coerce


def _apply(
    target: dict[str, Any], coercers: Mapping[str, Coercer], overrides: Mapping[str, object] | None
) -> None:
    for name, raw in (overrides or {}).items():
        if name not in coercers:
            raise UserError("rules.error.override_unknown", field=name, choices=", ".join(sorted(coercers)))
        target[name] = coercers[name](name, raw)


def _val(pv: ProfileValue[V] | None) -> V | None:
    return None if pv is None else pv.value


def _require(profile_id: str, values: Mapping[str, object]) -> None:
    missing = [name for name, value in values.items() if value is None]
    if missing:
        raise UserError("rules.error.missing_values", profile=profile_id, fields=", ".join(missing))


# -- loans ------------------------------------------------------------------------------------

_LOAN_FIELDS = ("principal", "rate", "term_months", "start", "method", "amount_received", "day_count",
                "interest_basis", "first_due", "first_period", "upfront_fees", "periodic_fee", "rounding")
_OVERDUE_FIELDS = ("penalty_multiplier", "penalty_rate", "penalty_start", "grace_days", "compound",
                   "compound_rate", "compound_base", "late_fee", "allocation", "tolerance")
# Optional engine fields: None is a meaningful value, not "unknown".
_MAY_BE_NONE = frozenset({"amount_received", "first_due", "penalty_rate", "compound_rate"})


def build_loan_terms(
    profile: Profile,
    *,
    principal: Decimal | str | int,
    term_months: int,
    start: date,
    rate: Rate | str | None,
    method: RepaymentMethod | str | None,
    amount_received: Decimal | str | int | None,
    overrides: Mapping[str, object] | None,
) -> LoanTerms:
    loan, overdue = profile.loan, profile.overdue
    if loan is None or overdue is None:
        raise UserError("rules.error.not_loan", profile=profile.id)
    default_rate = _val(loan.default_rate)
    late_fee = _val(overdue.late_fee)
    rounding = _val(profile.rounding)
    penalty_rate = _val(overdue.penalty_rate)
    values: dict[str, Any] = {
        "principal": principal,
        "rate": default_rate.to_rate() if default_rate else None,
        "term_months": term_months,
        "start": start,
        "method": _val(loan.default_method),
        "amount_received": amount_received,
        "day_count": _val(loan.day_count),
        "interest_basis": _val(loan.interest_basis),
        "first_due": None,
        "first_period": _val(loan.first_period),
        "upfront_fees": Decimal(0),
        "periodic_fee": Decimal(0),
        "rounding": rounding.to_rounding() if rounding else None,
        "penalty_multiplier": _val(overdue.penalty_multiplier),
        "penalty_rate": penalty_rate.to_rate() if penalty_rate else None,
        "penalty_start": _val(overdue.penalty_start),
        "grace_days": _val(overdue.grace_days),
        "compound": _val(overdue.compound),
        "compound_rate": None,
        "compound_base": _val(overdue.compound_base),
        "late_fee": late_fee.to_rule() if late_fee else None,
        "allocation": _val(overdue.allocation),
        "tolerance": _val(overdue.tolerance),
    }
    if penalty_rate is not None and overdue.penalty_multiplier.value is None:
        values["penalty_multiplier"] = Decimal(1)  # unused when an explicit rate is set
    coercers: dict[str, Coercer] = {
        "principal": _money, "rate": _rate, "term_months": _int, "start": _date,
        "method": _enum(RepaymentMethod), "amount_received": _money_or_none, "day_count": _day_count,
        "interest_basis": _enum(InterestBasis), "first_due": _date_or_none, "first_period": _enum(FirstPeriod),
        "upfront_fees": _money, "periodic_fee": _money, "rounding": _rounding,
        "penalty_multiplier": _decimal, "penalty_rate": _rate_or_none, "penalty_start": _enum(PenaltyStart),
        "grace_days": _int, "compound": _bool, "compound_rate": _rate_or_none,
        "compound_base": _enum(CompoundBase), "late_fee": _late_fee_on(values["late_fee"]),
        "allocation": _allocation, "tolerance": _money,
    }
    explicit: dict[str, object] = {"principal": principal, "term_months": term_months, "start": start}
    if rate is not None:
        explicit["rate"] = rate
    if method is not None:
        explicit["method"] = method
    if amount_received is not None:
        explicit["amount_received"] = amount_received
    _apply(values, coercers, explicit)
    _apply(values, coercers, overrides)
    # A user who gives a penalty rate needs no multiplier from the profile.
    if values["penalty_rate"] is not None and values["penalty_multiplier"] is None:
        values["penalty_multiplier"] = Decimal(1)
    _require(profile.id, {k: v for k, v in values.items() if k not in _MAY_BE_NONE})
    _check_loan(values)
    overdue_rules = OverdueRules(**{k: values[k] for k in _OVERDUE_FIELDS})
    return LoanTerms(**{k: values[k] for k in _LOAN_FIELDS}, overdue=overdue_rules)


def _check_loan(values: Mapping[str, Any]) -> None:
    principal: Decimal = values["principal"]
    if principal <= 0:
        raise UserError("error.money.not_positive", field="principal", value=str(principal))
    months: int = values["term_months"]
    if not 1 <= months <= 600:
        raise UserError("error.term.months", value=str(months))
    received: Decimal | None = values["amount_received"]
    if received is not None and received > principal:
        raise UserError("error.term.received_above_principal", received=str(received), principal=str(principal))


# -- cards ------------------------------------------------------------------------------------

_CARD_FIELDS = ("statement_balance", "statement_date", "due_date", "daily_rate", "minimum_percent",
                "minimum_floor", "interest_mode", "interest_from", "grace_days", "tolerance", "late_fee",
                "compound_monthly", "allocation", "day_count", "rounding")


def build_card_terms(
    profile: Profile,
    *,
    statement_balance: Decimal | str | int,
    statement_date: date,
    due_date: date,
    overrides: Mapping[str, object] | None,
) -> CardTerms:
    card = profile.card
    if card is None:
        raise UserError("rules.error.not_card", profile=profile.id)
    daily = _val(card.daily_rate)
    late_fee = _val(card.late_fee)
    rounding = _val(profile.rounding)
    values: dict[str, Any] = {
        "statement_balance": statement_balance,
        "statement_date": statement_date,
        "due_date": due_date,
        "daily_rate": daily.to_rate() if daily else None,
        "minimum_percent": _val(card.minimum_percent),
        "minimum_floor": _val(card.minimum_floor),
        "interest_mode": _val(card.interest_mode),
        "interest_from": None,
        "grace_days": _val(card.grace_days),
        "tolerance": _val(card.tolerance),
        "late_fee": late_fee.to_rule() if late_fee else None,
        "compound_monthly": _val(card.compound_monthly),
        "allocation": _val(card.allocation),
        "day_count": _val(card.day_count),
        "rounding": rounding.to_rounding() if rounding else None,
    }
    coercers: dict[str, Coercer] = {
        "statement_balance": _money, "statement_date": _date, "due_date": _date, "daily_rate": _daily_rate,
        "minimum_percent": _decimal, "minimum_floor": _money, "interest_mode": _enum(CardInterestMode),
        "interest_from": _date_or_none, "grace_days": _int, "tolerance": _money,
        "late_fee": _late_fee_on(values["late_fee"]), "compound_monthly": _bool, "allocation": _allocation,
        "day_count": _day_count, "rounding": _rounding,
    }
    _apply(values, coercers, {"statement_balance": statement_balance, "statement_date": statement_date,
                              "due_date": due_date})
    _apply(values, coercers, overrides)
    if values["interest_from"] is None:
        # The profile says from which date interest runs; the user may have given a date instead.
        start_from = _val(card.interest_from)
        if start_from == "due-date":
            values["interest_from"] = values["due_date"]
        elif start_from == "statement-date":
            values["interest_from"] = values["statement_date"]
        else:
            values["interest_from"] = None
            _require(profile.id, {"interest_from": None})
    _require(profile.id, {k: v for k, v in values.items() if k != "interest_from"})
    if values["due_date"] < values["statement_date"]:
        raise UserError("rules.error.due_before_statement", due=values["due_date"].isoformat(),
                        statement=values["statement_date"].isoformat())
    if values["statement_balance"] <= 0:
        raise UserError("error.money.not_positive", field="statement_balance",
                        value=str(values["statement_balance"]))
    return CardTerms(**{k: values[k] for k in _CARD_FIELDS})
