"""``xieshang keys …``: encryption at rest — status, enable, rotate, generate. Thin: parse, call
:mod:`xieshang.services.keys`, present.

Secrets never go on the command line (other users can read it): a key comes from
``XIESHANG_KEY`` / ``XIESHANG_NEW_KEY``, a passphrase from ``XIESHANG_PASSPHRASE`` /
``XIESHANG_NEW_PASSPHRASE`` or a prompt. Importing this module also gives the store its
passphrase prompt when standard input is a terminal.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from xieshang.cli.case import JsonOpt
from xieshang.i18n import t

if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

    from xieshang.services.keys import NewMaster
    from xieshang.services.keys_server import StoreResult
    from xieshang.store.db import Store

app = typer.Typer(help="加密密钥 encryption at rest: status, enable, rotate, generate.", no_args_is_help=True)

NEW_KEY_ENV = "XIESHANG_NEW_KEY"
NEW_PASSPHRASE_ENV = "XIESHANG_NEW_PASSPHRASE"

ServerOpt = Annotated[bool, typer.Option(
    "--server", help="整个服务器 every store of server mode: the accounts store and each case "
                     "(data dir: --data-dir / XIESHANG_DATA_DIR, or the PostgreSQL database of --db).")]
DataDirOpt = Annotated[str | None, typer.Option(
    "--data-dir", help="服务器数据目录 data dir of server mode (with --server).", envvar="XIESHANG_DATA_DIR")]


def _server_dir(data_dir: str | None) -> Path | None:
    return Path(data_dir).expanduser().absolute() if data_dir else None


def _print_each(results: list[StoreResult], json_out: bool, line: Callable[[Any], str]) -> None:
    if json_out:
        from xieshang.cli.output import print_json

        print_json([r.to_json() for r in results])
        return
    for r in results:
        typer.echo(f"{r.name}: " + (t("crypto.already_on") if r.result is None else line(r.result)))


def _new_passphrase(env: str) -> str:
    from xieshang.errors import UserError
    from xieshang.store import crypto

    value = os.environ.get(env)
    if value:
        return value
    prompt = crypto.terminal_prompt()
    if prompt is None:
        raise UserError("crypto.error.need_passphrase", path="-", env=env)
    first = prompt(t("crypto.prompt_new"))
    if len(first) < 8:
        raise UserError("crypto.error.short_passphrase", min=8)
    if prompt(t("crypto.prompt_again")) != first:
        raise UserError("crypto.error.passphrase_mismatch")
    return first


def _store_plain() -> Store:
    """The store, opened even when it is still plaintext although a key is configured."""
    from xieshang.services import open_case_store
    from xieshang.store import crypto

    with crypto.plaintext_allowed():
        return open_case_store(create=False)


@app.command("status")
def status_command(json_out: JsonOpt = False, server: ServerOpt = False, data_dir: DataDirOpt = None) -> None:
    """加密状态 How the store is protected, and what each key still covers."""
    from xieshang.services.keys import status

    if server:
        from xieshang.services.keys_server import status_all

        _print_each(status_all(_server_dir(data_dir)), json_out, lambda r: t(
            f"crypto.status_on_{r.kind}") if r.encrypted else t("crypto.status_plain", values=r.plaintext_values,
                                                                  files=r.plaintext_files))
        return
    report = status(_store_plain())
    if json_out:
        from xieshang.cli.output import print_json

        print_json(report.to_json())
        return
    if not report.encrypted:
        typer.echo(t("crypto.status_plain", values=report.plaintext_values, files=report.plaintext_files))
        return
    typer.echo(t(f"crypto.status_on_{report.kind}"))
    for k in report.keys:
        typer.echo(t("crypto.status_key", kid=k.kid, values=k.values, files=k.files,
                     state=t("crypto.active") if k.active else t("crypto.retired")))
    if report.plaintext_values or report.plaintext_files:
        typer.echo(t("crypto.status_left_plain", values=report.plaintext_values, files=report.plaintext_files))


def _env_master(kind: str) -> NewMaster:
    from xieshang.errors import UserError
    from xieshang.services.keys import NewMaster
    from xieshang.store import crypto

    if kind == "key":
        value = os.environ.get(crypto.KEY_ENV, "").strip()
        if not value:
            raise UserError("crypto.error.need_key", path="-", env=crypto.KEY_ENV)
        return NewMaster("key", value)
    return NewMaster("passphrase", _new_passphrase(crypto.PASSPHRASE_ENV))


@app.command("enable")
def enable_command(
    use_key: Annotated[bool | None, typer.Option(
        "--key/--passphrase", help="主密钥来源 master key from XIESHANG_KEY (default when set) or a passphrase.")
    ] = None,
    json_out: JsonOpt = False,
    server: ServerOpt = False,
    data_dir: DataDirOpt = None,
) -> None:
    """启用加密 Encrypt an existing store: sensitive fields and attachments (one transaction)."""
    from xieshang.services.keys import enable

    if use_key is None:
        from xieshang.store.crypto import KEY_ENV

        use_key = bool(os.environ.get(KEY_ENV))
    master = _env_master("key" if use_key else "passphrase")
    if server:
        from xieshang.services.keys_server import enable_all

        if master.kind == "passphrase":  # the stores open with it as they are encrypted one by one
            from xieshang.store import crypto

            crypto.give_passphrase(master.secret)
        _print_each(enable_all(master, _server_dir(data_dir)), json_out,
                    lambda r: t("crypto.enabled", kid=r.kid, values=r.values, files=r.files))
        return
    report = enable(_store_plain(), master)
    if json_out:
        from xieshang.cli.output import print_json

        print_json(report.to_json())
        return
    typer.echo(t("crypto.enabled", kid=report.kid, values=report.values, files=report.files))


@app.command("rotate")
def rotate_command(
    new_passphrase: Annotated[bool, typer.Option(
        "--new-passphrase", help="同时更换口令 also change the passphrase (XIESHANG_NEW_PASSPHRASE or a prompt).")
    ] = False,
    new_key: Annotated[bool, typer.Option(
        "--new-key", help="同时更换主密钥 also change the master key to XIESHANG_NEW_KEY.")] = False,
    json_out: JsonOpt = False,
    server: ServerOpt = False,
    data_dir: DataDirOpt = None,
) -> None:
    """轮换密钥 Re-encrypt every field and attachment under a new key, atomically."""
    from xieshang.errors import UserError
    from xieshang.services import open_case_store
    from xieshang.services.keys import NewMaster, rotate

    master: NewMaster | None = None
    if new_key and new_passphrase:
        raise UserError("crypto.error.one_master")
    if new_key:
        value = os.environ.get(NEW_KEY_ENV, "").strip()
        if not value:
            raise UserError("crypto.error.need_key", path="-", env=NEW_KEY_ENV)
        master = NewMaster("key", value)
    if server:
        from xieshang.services.keys_server import rotate_all

        if new_passphrase:
            master = NewMaster("passphrase", _new_passphrase(NEW_PASSPHRASE_ENV))
        _print_each(rotate_all(master, _server_dir(data_dir)), json_out, lambda r: t(
            "crypto.rotated", kid=r.kid, values=r.values, files=r.files, removed=", ".join(r.removed_keys) or "-"))
        return
    store = open_case_store(create=False)
    if new_passphrase:
        master = NewMaster("passphrase", _new_passphrase(NEW_PASSPHRASE_ENV))
    report = rotate(store, master)
    if json_out:
        from xieshang.cli.output import print_json

        print_json(report.to_json())
        return
    typer.echo(t("crypto.rotated", kid=report.kid, values=report.values, files=report.files,
                 removed=", ".join(report.removed_keys) or "-"))
    if master is not None:
        typer.echo(t(f"crypto.rotated_master_{master.kind}"))


@app.command("generate")
def generate_command() -> None:
    """生成主密钥 Print a new random master key for XIESHANG_KEY (keep it safe: without it the data is lost)."""
    from xieshang.store import crypto

    typer.echo(crypto.generate_key())
    typer.echo(t("crypto.generated", env=crypto.KEY_ENV), err=True)
