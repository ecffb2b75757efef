"""``xieshang profiles``: list the lender profiles shipped as rules data.

The table shows each profile's key terms with a confidence mark; ``--json`` gives every field
with its source, date and confidence (format: docs/rules.md).
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    from xieshang.rules.schema import LateFeeSpec, Profile, ProfileValue, RateRange, RateSpec


def profiles_command(
    json_out: Annotated[bool, typer.Option("--json", help="JSON output.")] = False,
) -> None:
    """列出机构模板 List the lender profiles (id, name, lender type, key terms, sources)."""
    from xieshang.cli.output import console, print_json
    from xieshang.i18n import current_language, t
    from xieshang.rules import load_profiles

    profiles = load_profiles()
    if json_out:
        print_json(_json(profiles))
        return

    from rich.table import Table

    lang = current_language()
    table = Table(title=t("rules.table.title"), show_lines=False)
    for key in ("id", "name", "lender_type", "product", "rate", "penalty", "grace", "late_fee"):
        table.add_column(t(f"rules.table.{key}"), overflow="fold")
    for profile in profiles.values():
        table.add_row(*_row(profile, lang))
    out = console()
    out.print(table)
    out.print(t("rules.table.footnote"))
    out.print(t("rules.table.sources"))
    out.print(t("rules.disclaimer"))


def _json(profiles: dict[str, Profile]) -> dict[str, Any]:
    from xieshang.i18n import t

    return {
        "schema_version": 1,
        "disclaimer": {"zh_CN": t("rules.disclaimer", lang="zh_CN"), "en": t("rules.disclaimer", lang="en")},
        "confidence_levels": {level: {"zh_CN": t(f"rules.confidence.{level}", lang="zh_CN"),
                                      "en": t(f"rules.confidence.{level}", lang="en")}
                              for level in ("V", "S", "U")},
        "profiles": [p.model_dump(mode="json") for p in profiles.values()],
    }


def _mark(pv: ProfileValue[Any] | None) -> str:
    return f" [{pv.confidence}]" if pv is not None else ""


def _pct(value: Decimal) -> str:
    from xieshang.rates import AnnualRate

    return AnnualRate(value).percent()


def _per(period: str, text: str) -> str:
    from xieshang.i18n import t

    return t({"daily": "rules.fmt.per_day", "monthly": "rules.fmt.per_month"}.get(period, "rules.fmt.per_year"),
             value=text)


def _rate_range(rng: RateRange | None) -> str:
    from xieshang.i18n import t

    if rng is None:
        return t("rules.fmt.unknown")
    text = _pct(rng.low) if rng.low == rng.high else t("rules.fmt.range", low=_pct(rng.low), high=_pct(rng.high))
    return _per(rng.period.value, text)


def _rate(spec: RateSpec | None) -> str:
    from xieshang.i18n import t

    return t("rules.fmt.unknown") if spec is None else _per(spec.period.value, _pct(spec.value))


def _late_fee(spec: LateFeeSpec | None) -> str:
    from xieshang.i18n import t

    if spec is None:
        return t("rules.fmt.unknown")
    if spec.kind.value == "none":
        return t("rules.fmt.late_fee_none")
    if spec.kind.value == "flat":
        text = t("rules.fmt.late_fee_flat", amount=spec.amount)
    else:
        text = t("rules.fmt.late_fee_percent", percent=_pct(spec.percent))
        if spec.minimum:
            text += t("rules.fmt.late_fee_min", minimum=spec.minimum)
    if spec.maximum is not None:
        text += t("rules.fmt.late_fee_max", maximum=spec.maximum)
    return text


def _days(value: int | None) -> str:
    from xieshang.i18n import t

    return t("rules.fmt.unknown") if value is None else t("rules.fmt.days", value=value)


def _row(profile: Profile, lang: str) -> list[str]:
    from xieshang.i18n import t

    lender = profile.lender_type.value
    lender_text = t(f"rules.lender_type.{lender or 'unknown'}")
    product_text = t(f"rules.product.{profile.product.value}")
    rate = _rate_range(profile.typical_rate.value) + _mark(profile.typical_rate)
    if profile.overdue is not None:
        od = profile.overdue
        if od.penalty_rate is not None and od.penalty_rate.value is not None:
            penalty = _rate(od.penalty_rate.value) + _mark(od.penalty_rate)
        elif od.penalty_multiplier.value is not None:
            penalty = t("rules.fmt.multiplier", value=od.penalty_multiplier.value) + _mark(od.penalty_multiplier)
        else:
            penalty = t("rules.fmt.unknown")
        grace = _days(od.grace_days.value) + _mark(od.grace_days)
        fee = _late_fee(od.late_fee.value) + _mark(od.late_fee)
    elif profile.card is not None:
        card = profile.card
        penalty = t("rules.fmt.card_rate", value=_rate(card.daily_rate.value)) + _mark(card.daily_rate)
        grace = _days(card.grace_days.value) + _mark(card.grace_days)
        fee = _late_fee(card.late_fee.value) + _mark(card.late_fee)
    else:  # pragma: no cover - the schema requires one of the sections
        penalty = grace = fee = t("rules.fmt.unknown")
    return [profile.id, profile.name(lang), lender_text, product_text, rate, penalty, grace, fee]
