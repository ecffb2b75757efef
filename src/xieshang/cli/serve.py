"""``xieshang serve``: the web app on this computer (uvicorn), on the same store as the CLI.

The listening socket is bound here, before uvicorn starts, so the URL printed is the one that
really answers: without ``--port`` the app takes 8000 and, when 8000 is taken, any free port
(said so); a ``--port`` the user chose that is taken is an error in their language. Any
address but loopback warns that the single-user app has no login. ``--open`` opens a browser
only where one can be shown (a desktop), never a text browser that would take the terminal.
"""

from __future__ import annotations

import os
import socket
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from xieshang.errors import UserError
from xieshang.i18n import t

if TYPE_CHECKING:
    from xieshang.services.access import Server

LOOPBACK = ("127.0.0.1", "localhost", "::1", "[::1]")
DEFAULT_PORT = 8000


def is_loopback(host: str) -> bool:
    import ipaddress

    if host.strip().lower() in LOOPBACK:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _bind(host: str, port: int) -> socket.socket:
    """A listening TCP socket on ``host:port`` (``OSError`` when it cannot be had)."""
    family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(128)
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


def listen(host: str, port: int | None) -> tuple[socket.socket, bool]:
    """The socket to serve on, and whether it is another port than the default asked for.

    ``port=None`` means 8000, else any free port; an explicit port that cannot be bound is a
    :class:`UserError` (``web.serve.port_in_use``).
    """
    try:
        return _bind(host, DEFAULT_PORT if port is None else port), False
    except OSError as exc:
        if port is not None:
            raise UserError("web.serve.port_in_use", host=host, port=port, reason=exc.strerror or str(exc)) from None
    try:
        return _bind(host, 0), True
    except OSError as exc:
        raise UserError("web.serve.port_in_use", host=host, port=0, reason=exc.strerror or str(exc)) from None


def url_for(host: str, port: int) -> str:
    """The URL to open for a server bound to ``host:port`` (a wildcard address → loopback)."""
    bare = host.strip("[]")
    if bare in ("0.0.0.0", ""):
        bare = "127.0.0.1"
    elif bare == "::":
        bare = "::1"
    shown = f"[{bare}]" if ":" in bare else bare
    return f"http://{shown}:{port}/"


def can_open_browser() -> bool:
    """True where a graphical browser can be shown (not over SSH or in a bare terminal)."""
    if sys.platform in ("darwin", "win32"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def serve_command(
    host: Annotated[str, typer.Option("--host", help="监听地址 address to listen on (default loopback only).")]
    = "127.0.0.1",
    port: Annotated[int | None, typer.Option(
        "--port", help="端口 port (default 8000, or a free one when 8000 is taken).", min=0, max=65535,
        show_default=False)] = None,
    open_browser: Annotated[bool, typer.Option("--open", help="打开浏览器 open the browser.")] = False,
    demo_if_empty: Annotated[bool, typer.Option(
        "--demo-if-empty", help="数据库为空时载入演示 load the demo case into an empty store.")] = False,
    server_mode: Annotated[bool, typer.Option(
        "--server", help="多用户服务器模式 multi-user server mode: accounts, one case per borrower "
                         "(or XIESHANG_MODE=server).")] = False,
    data_dir: Annotated[str | None, typer.Option(
        "--data-dir", help="服务器数据目录 data dir of server mode (or XIESHANG_DATA_DIR).",
        envvar="XIESHANG_DATA_DIR")] = None,
    workers: Annotated[int, typer.Option(
        "--workers", help="工作进程数 worker processes of server mode (docs/server.md).", min=1, max=64)] = 1,
) -> None:
    """网页版 Serve the web app (phone or desktop browser) on this computer."""
    import uvicorn

    if server_mode or os.environ.get("XIESHANG_MODE", "").strip().lower() == "server":
        _serve_server(host, port, data_dir, workers)
        return
    if workers > 1:
        raise UserError("web.serve.workers_server_only")
    from rich.markup import escape

    from xieshang.cli.case import store
    from xieshang.cli.output import warn
    from xieshang.services.case import has_case
    from xieshang.web.app import create_app

    st = store(create=True)
    if demo_if_empty and not has_case(st):
        from xieshang.services.demo import load_demo

        load_demo(st)
    if not is_loopback(host):
        warn(escape(t("web.serve.not_loopback", host=host)))
    app = create_app(st)  # before the URL is printed: the URL is only shown for a working app
    sock, moved = listen(host, port)
    bound = int(sock.getsockname()[1])
    url = url_for(host, bound)
    if moved:
        typer.echo(t("web.serve.port_moved", wanted=DEFAULT_PORT, port=bound))
    typer.echo(t("web.serve.url", url=url, path=st.location), nl=True)
    if not has_case(st):
        typer.echo(t("web.serve.empty"))
    if open_browser:
        if can_open_browser():
            import threading
            import webbrowser

            threading.Timer(1.0, lambda: webbrowser.open(url)).start()
        else:
            typer.echo(t("web.serve.no_browser", url=url))
    sys.stdout.flush()
    config = uvicorn.Config(app, host=host.strip("[]"), port=bound, log_level="warning")
    try:
        uvicorn.Server(config).run(sockets=[sock])
    finally:
        sock.close()


def _open_asking_once(folder: Path | None) -> tuple[Server, str | None]:
    """The server's stores, and the passphrase typed to open its accounts store (``None``: none was
    asked, e.g. ``XIESHANG_KEY`` is set or nothing is encrypted). From then on nothing prompts: the
    case stores opened by requests use the same passphrase, handed over in memory."""
    from xieshang.services.access import open_server
    from xieshang.store import crypto
    from xieshang.web.workers import _never

    typed: list[str] = []
    prompt = crypto.terminal_prompt()
    if prompt is not None:
        def capture(message: str) -> str:
            typed.append(prompt(message))
            return typed[-1]

        crypto.passphrase_prompt = capture
    try:
        server = open_server(folder)
    finally:
        crypto.passphrase_prompt = _never
    passphrase = typed[-1] if typed else None
    crypto.give_passphrase(passphrase)
    return server, passphrase


def _serve_server(host: str, port: int | None, data_dir: str | None, workers: int = 1) -> None:
    """Server mode: accounts store and case stores under the data dir (see docs/server.md)."""
    import uvicorn

    from xieshang.cli.output import warn
    from xieshang.services.accounts import list_accounts
    from xieshang.web.app import create_app

    folder = Path(data_dir).expanduser().absolute() if data_dir else None
    server, passphrase = _open_asking_once(folder)
    try:
        if not any(a.role == "admin" for a in list_accounts(server.accounts)):
            warn(t("accounts.cli.no_admin"))
        sock, _ = listen(host, port)
        bound = int(sock.getsockname()[1])
        typer.echo(t("accounts.cli.server_url", url=url_for(host, bound), path=server.data_dir))
        if workers > 1:
            from xieshang.web.workers import WorkerApp, run_workers

            typer.echo(t("web.serve.workers", workers=workers))
            sys.stdout.flush()
            server.close()  # each worker opens the stores itself
            try:
                run_workers(WorkerApp(None if folder is None else str(folder), passphrase), sock,
                            workers=workers, host=host.strip("[]"), port=bound)
            finally:
                sock.close()
            return
        app = create_app(server=server)
        sys.stdout.flush()
        config = uvicorn.Config(app, host=host.strip("[]"), port=bound, log_level="warning", proxy_headers=True)
        try:
            uvicorn.Server(config).run(sockets=[sock])
        finally:
            sock.close()
    finally:
        server.close()
