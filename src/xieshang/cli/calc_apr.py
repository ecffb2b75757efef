"""``xieshang calc apr``: the annual rate of a loan by IRR, from instalments or dated flows.

Two ways in, exactly one per call::

    xieshang calc apr --received 9000 --payment 916.67 --months 12 [--fee 10] [--json]
    xieshang calc apr --flow 2025-01-01:-10000 --flow 2025-02-01:900 … [--json]

The JSON contract is documented in docs/cli-json-apr.md. Engine modules and Rich are imported
inside the command so the CLI starts fast.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any

import typer

from xieshang.errors import UserError

if TYPE_CHECKING:
    from xieshang.engine.apr import AprResult

# The two reference lines of the plain-language comparison come from the rules data
# (rules/data/legal/interest_lines.toml): the 24 % line for financial loans and the 36 % line.
# Which one applies to a given loan depends on the lender type: `calc overdue` checks that.
REFERENCE_LINE_IDS = ("financial-24", "cash-loan-36")


def reference_lines() -> tuple[Decimal, Decimal]:
    """(low, high) annual rates of the two reference lines, read from the rules data."""
    from xieshang.rules import legal_lines

    rates = {line.id: line.rate for line in legal_lines()}
    low, high = (rates[i] for i in REFERENCE_LINE_IDS)
    return low, high


#: Significant digits of every rate in the JSON output.
JSON_SIGNIFICANT_DIGITS = 12


def rate_json(value: Decimal) -> str:
    """A rate as a plain decimal-fraction string with :data:`JSON_SIGNIFICANT_DIGITS` digits."""
    if value == 0:
        exponent = -JSON_SIGNIFICANT_DIGITS
    else:
        exponent = value.adjusted() - (JSON_SIGNIFICANT_DIGITS - 1)
    return format(value.quantize(Decimal(1).scaleb(exponent)), "f")


def _percent(value: Decimal, places: int = 2) -> str:
    return format((value * 100).quantize(Decimal(1).scaleb(-places)), "f") + "%"


def parse_flow(text: str) -> tuple[date, Decimal]:
    """``2025-01-01:-10000`` → (date, amount). Amounts as :func:`~xieshang.money.parse_money`."""
    from xieshang.i18n import t
    from xieshang.money import parse_money

    head, sep, tail = text.strip().replace("：", ":").partition(":")
    if not sep or not head.strip() or not tail.strip():
        raise UserError("error.flow.malformed", value=text)
    try:
        on = date.fromisoformat(head.strip())
    except ValueError as exc:
        raise UserError("error.flow.malformed", value=text) from exc
    return on, parse_money(tail.strip(), allow_negative=True, field=t("apr.field.flow"))


def _parse_months(text: str) -> int:
    from xieshang.engine.apr import MAX_MONTHS

    try:
        months = int(text.strip())
    except ValueError as exc:
        raise UserError("error.term.months", value=text) from exc
    if not 1 <= months <= MAX_MONTHS:
        raise UserError("error.term.months", value=text)
    return months


def _positive(text: str, field_key: str) -> Decimal:
    from xieshang.i18n import t
    from xieshang.money import parse_money

    field = t(field_key)
    value = parse_money(text, field=field)
    if value <= 0:
        raise UserError("error.money.not_positive", field=field, value=text)
    return value


def compute(
    received: str | None,
    payment: str | None,
    months: str | None,
    fee: str | None,
    flows: list[str] | None,
) -> AprResult:
    """Validate the options of ``calc apr`` and compute; every bad input is a :class:`UserError`."""
    from xieshang.engine.apr import apr_from_flows, apr_from_installments
    from xieshang.i18n import t
    from xieshang.money import parse_money

    installment_opts = {"--received": received, "--payment": payment, "--months": months}
    given = [name for name, value in installment_opts.items() if value is not None]
    if flows and (given or fee is not None):
        raise UserError("apr.both_modes")
    if flows:
        return apr_from_flows([parse_flow(item) for item in flows])
    if not given and fee is None:
        raise UserError("apr.no_mode")
    missing = [name for name, value in installment_opts.items() if value is None]
    if missing:
        raise UserError("apr.missing", options=", ".join(missing))
    assert received is not None and payment is not None and months is not None
    n = _parse_months(months)
    money_received = _positive(received, "apr.field.received")
    money_payment = _positive(payment, "apr.field.payment")
    periodic_fee = Decimal(0) if fee is None else parse_money(fee, field=t("apr.field.fee"))
    return apr_from_installments(money_received, money_payment, n, periodic_fee)


def result_json(result: AprResult) -> dict[str, Any]:
    return {
        "periodic_rate": rate_json(result.periodic_rate),
        "apr": rate_json(result.apr),
        "effective_annual_rate": rate_json(result.effective_annual_rate),
        "periods_per_year": result.periods_per_year,
        "method": result.method,
    }


def comparison_line(apr: Decimal) -> str:
    from xieshang.i18n import t

    low, high = reference_lines()
    key = "apr.below_both" if apr <= low else "apr.between" if apr <= high else "apr.above_both"
    shown = _percent(apr)
    if apr not in (low, high) and shown in {_percent(line) for line in (low, high)}:
        shown = _percent(apr, 4)  # 24.0012%, not a confusing "24.00% is above 24%"
    return t(key, apr=shown)


def apr_command(
    received: Annotated[
        str | None,
        typer.Option("--received", metavar="AMOUNT", help="到手金额 money actually received, e.g. 9000 or 0.9万."),
    ] = None,
    payment: Annotated[
        str | None,
        typer.Option("--payment", metavar="AMOUNT", help="每月还款 level monthly instalment, e.g. 916.67."),
    ] = None,
    months: Annotated[
        str | None,
        typer.Option("--months", metavar="N", help="期数 number of monthly instalments (1-600)."),
    ] = None,
    fee: Annotated[
        str | None,
        typer.Option("--fee", metavar="AMOUNT", help="每期另收的费用 fee charged with every instalment (default 0)."),
    ] = None,
    flow: Annotated[
        list[str] | None,
        typer.Option(
            "--flow",
            metavar="DATE:AMOUNT",
            help="现金流 DATE:AMOUNT, repeatable; borrowed money negative, repayments positive, "
            "e.g. --flow 2025-01-01:-10000 --flow 2025-02-01:900.",
        ),
    ] = None,
    json_out: Annotated[bool, typer.Option("--json", help="JSON output (see docs/cli-json-apr.md).")] = False,
) -> None:
    """按 IRR 计算真实年化利率 APR by IRR, from instalments or from dated cash flows."""
    result = compute(received, payment, months, fee, flow)
    from xieshang.cli.output import print_json

    if json_out:
        print_json(result_json(result))
        return
    _print_table(result)


def _print_table(result: AprResult) -> None:
    from rich.table import Table

    from xieshang.cli.output import console
    from xieshang.i18n import t

    table = Table(title=t("apr.title"))
    table.add_column(t("apr.col_item"))
    table.add_column(t("apr.col_value"), justify="right")
    table.add_row(t("apr.periodic_rate"), _percent(result.periodic_rate, 4))
    table.add_row(t("apr.apr"), _percent(result.apr))
    table.add_row(t("apr.effective_annual_rate"), _percent(result.effective_annual_rate))
    table.add_row(t("apr.method"), t(f"apr.method_{result.method}"))
    out = console()
    out.print(table)
    out.print(comparison_line(result.apr))
    out.print(t("apr.lines_note"))
