"""``xieshang backup FILE`` and ``xieshang restore FILE``: thin faces of :mod:`xieshang.services.backup`.

``backup`` writes a consistent copy of the whole store (every table and the contact log's
attachments) while other programs may keep writing; ``restore`` puts one back into an empty
store (``--db`` / ``--database-url``), all or nothing. Both print a summary, or JSON with ``--json``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from xieshang.cli.case import JsonOpt, store
from xieshang.i18n import t


def backup_command(
    file: Annotated[Path, typer.Argument(help="备份文件 the backup file to write (a .zip).")],
    json_out: JsonOpt = False,
) -> None:
    """备份 Back up the whole store (tables and attachments) to one file, while it is in use."""
    from xieshang.cli.output import print_json
    from xieshang.services.backup import backup

    st = store()
    try:
        report = backup(st, file)
    finally:
        st.close()
    if json_out:
        print_json(report.to_json())
        return
    typer.echo(t("backup.done", path=report.path, rows=report.rows, tables=len(report.tables),
                 attachments=report.attachments, sha=report.sha256))


def restore_command(
    file: Annotated[Path, typer.Argument(help="备份文件 a file written by `xieshang backup`.")],
    json_out: JsonOpt = False,
) -> None:
    """恢复 Restore a backup into an empty store (refused if the store holds anything)."""
    from xieshang.cli.output import print_json
    from xieshang.services.backup import read_backup, restore

    read_backup(file)  # a damaged file is refused before the store is even created
    st = store(create=True)
    try:
        report = restore(st, file)
    finally:
        st.close()
    if json_out:
        print_json(report.to_json())
        return
    typer.echo(t("backup.restored", path=report.path, rows=report.rows, attachments=report.attachments))
