"""``xieshang calc …``: stateless calculators (schedule, APR, overdue status). No store needed."""

from __future__ import annotations

import typer

app = typer.Typer(help="计算器（无需建档）stateless calculators: schedule, apr, overdue.", no_args_is_help=True)
