"""``xieshang profiles``: list the lender profiles shipped as rules data."""

from __future__ import annotations

from typing import Annotated

import typer


def profiles_command(
    json_out: Annotated[bool, typer.Option("--json", help="JSON output.")] = False,
) -> None:
    """列出机构模板 List the lender profiles (id, name, lender type, key terms, sources)."""
    raise NotImplementedError("being written: rules loader")
