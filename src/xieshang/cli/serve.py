"""``xieshang serve``: the web app on this computer (uvicorn), on the same store as the CLI."""

from __future__ import annotations

from typing import Annotated

import typer

from xieshang.i18n import t

LOOPBACK = ("127.0.0.1", "localhost", "::1", "[::1]")


def is_loopback(host: str) -> bool:
    import ipaddress

    if host.strip().lower() in LOOPBACK:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def serve_command(
    host: Annotated[str, typer.Option("--host", help="监听地址 address to listen on (default loopback only).")]
    = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="端口 port.", min=0, max=65535)] = 8000,
    open_browser: Annotated[bool, typer.Option("--open", help="打开浏览器 open the browser.")] = False,
    demo_if_empty: Annotated[bool, typer.Option(
        "--demo-if-empty", help="数据库为空时载入演示 load the demo case into an empty store.")] = False,
) -> None:
    """网页版 Serve the web app (phone or desktop browser) on this computer."""
    import uvicorn

    from xieshang.cli.case import store
    from xieshang.cli.output import warn
    from xieshang.services.case import has_case
    from xieshang.web.app import create_app

    st = store(create=True)
    if demo_if_empty and not has_case(st):
        from xieshang.services.demo import load_demo

        load_demo(st)
    if not is_loopback(host):
        warn(t("web.serve.not_loopback", host=host))
    shown = f"[{host}]" if ":" in host and not host.startswith("[") else host
    url = f"http://{'127.0.0.1' if host in ('0.0.0.0', '::') else shown}:{port}/"
    typer.echo(t("web.serve.url", url=url, path=st.location))
    if not has_case(st):
        typer.echo(t("web.serve.empty"))
    if open_browser:
        import threading
        import webbrowser

        threading.Timer(1.0, lambda: webbrowser.open(url)).start()
    app = create_app(st)
    uvicorn.run(app, host=host.strip("[]"), port=port, log_level="warning")
