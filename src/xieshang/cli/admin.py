"""``xieshang admin``: accounts of server mode from the command line (the first admin, invitations).

``create-user`` makes an account (the first admin has to come from here); ``invite`` prints a
one-time sign-up link; ``users`` lists the accounts. All work on the accounts store of the data
dir (``--data-dir`` or ``XIESHANG_DATA_DIR``), or of the PostgreSQL database of ``--db`` /
``XIESHANG_DB`` — the same one ``xieshang serve --server`` uses.
"""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING, Annotated

import typer

from xieshang.i18n import t

if TYPE_CHECKING:
    from xieshang.services.access import Server

app = typer.Typer(help="服务器模式的账户 accounts of server mode (create users, invitations).", no_args_is_help=True)


@app.callback()
def admin_root(
    data_dir: Annotated[str | None, typer.Option(
        "--data-dir", help="服务器数据目录 data dir of server mode (or XIESHANG_DATA_DIR).",
        envvar="XIESHANG_DATA_DIR")] = None,
) -> None:
    """服务器模式的账户 Accounts of server mode."""
    if data_dir:
        os.environ["XIESHANG_DATA_DIR"] = data_dir


def open_server() -> Server:
    """The accounts of the data dir, or of the PostgreSQL database named by ``--db``/``XIESHANG_DB``."""
    from xieshang.services.access import open_server as _open

    return _open()


def _read_password(stdin: bool) -> str:
    if stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return str(typer.prompt(t("accounts.cli.password_prompt"), hide_input=True,
                            confirmation_prompt=t("accounts.cli.password_repeat")))


@app.command("create-user")
def create_user(
    username: Annotated[str, typer.Option("--username", help="用户名 user name.")],
    role: Annotated[str, typer.Option("--role", help="borrower | counsellor | admin")] = "borrower",
    name: Annotated[str, typer.Option("--name", help="显示名称 display name.")] = "",
    password_stdin: Annotated[bool, typer.Option(
        "--password-stdin", help="从标准输入读密码 read the password from stdin (one line).")] = False,
) -> None:
    """创建账户 Create an account (a borrower also gets an empty case)."""
    from xieshang.services.accounts import check_role, create_account
    check_role(role)
    password = _read_password(password_stdin)
    server = open_server()
    try:
        acc = create_account(server.accounts, username, password, role=role, display_name=name)
    finally:
        server.close()
    typer.echo(t("accounts.cli.created", username=acc.username, role=t(f"accounts.role.{acc.role}")))
    if acc.case_id:
        typer.echo(t("accounts.cli.case_made", case_id=acc.case_id))


@app.command("invite")
def invite(
    role: Annotated[str, typer.Option("--role", help="borrower | counsellor | admin")] = "borrower",
    base_url: Annotated[str, typer.Option("--base-url", help="服务器地址 the server's address.")]
    = "http://127.0.0.1:8000",
) -> None:
    """生成一次性邀请链接 Print a one-time sign-up link."""
    from xieshang.services.accounts import create_invitation, limits
    server = open_server()
    try:
        token = create_invitation(server.accounts, role)
    finally:
        server.close()
    typer.echo(t("accounts.cli.invite_link", role=t(f"accounts.role.{role}"), days=limits().invitation_days,
                 url=f"{base_url.rstrip('/')}/invite/{token}"))


@app.command("disable")
def disable(username: Annotated[str, typer.Option("--username", help="用户名 user name.")]) -> None:
    """停用账户 Disable an account: it cannot sign in, its sessions end; its case is kept."""
    from xieshang.services.accounts import disable_account

    server = open_server()
    try:
        acc = disable_account(server.accounts, username)
    finally:
        server.close()
    typer.echo(t("accounts.cli.disabled", username=acc.username))


@app.command("users")
def users(as_json: Annotated[bool, typer.Option("--json", help="JSON 输出 output JSON.")] = False) -> None:
    """列出账户 List the accounts."""
    from xieshang.cli.output import print_json
    from xieshang.services.accounts import list_accounts
    server = open_server()
    try:
        rows = list_accounts(server.accounts)
    finally:
        server.close()
    if as_json:
        print_json([{"id": a.id, "username": a.username, "display_name": a.display_name, "role": a.role,
                     "case_id": a.case_id} for a in rows])
        return
    if not rows:
        typer.echo(t("accounts.cli.no_accounts"))
    for a in rows:
        typer.echo(f"{a.id}\t{a.username}\t{a.role}\t{a.display_name}")
