"""Hardening headers on every answer, and the API docs page served from the package.

:class:`SecurityHeadersMiddleware` adds, to every HTTP answer that does not set its own:

- ``Content-Security-Policy`` (:data:`CSP`): scripts, styles, images, fonts and connections only
  from this origin, no inline script, no ``eval``, no plugin, no ``<base>``, forms post only here,
  and ``frame-ancestors 'none'`` (no other page may frame this one);
- ``X-Frame-Options: DENY`` (the same for browsers that predate ``frame-ancestors``);
- ``X-Content-Type-Options: nosniff``, ``Referrer-Policy: no-referrer`` (a URL with a case's ids
  never leaves in a ``Referer``), ``Cross-Origin-Opener-Policy: same-origin`` and a
  ``Permissions-Policy`` that turns off camera, microphone, location and the like;
- in server mode (which only runs behind TLS: its cookie is ``Secure``),
  ``Strict-Transport-Security: max-age=31536000`` (browsers ignore it over plain HTTP).

An answer that sets its own ``Content-Security-Policy`` keeps it (the attachment route sends a
stricter one with ``sandbox``).

The API docs (``/api/docs``) are Swagger UI from ``static/swagger`` (vendored, see
``static/VENDORED.md``), started by ``static/api-docs.js``: no CDN, no inline script, so the page
works under the same policy as every other.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fastapi import FastAPI
    from starlette.types import ASGIApp, Message, Receive, Scope, Send

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
       "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'")
HSTS = "max-age=31536000"
PERMISSIONS = "camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=()"

BASE_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"content-security-policy", CSP.encode("ascii")),
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"permissions-policy", PERMISSIONS.encode("ascii")),
)


class SecurityHeadersMiddleware:
    """Adds :data:`BASE_HEADERS` (and HSTS when ``hsts``) to every HTTP answer lacking them."""

    def __init__(self, app: ASGIApp, *, hsts: bool = False) -> None:
        self.app = app
        self.headers = BASE_HEADERS + (((b"strict-transport-security", HSTS.encode("ascii")),) if hsts else ())

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = self.headers

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {k.lower() for k, _ in message.get("headers", [])}
                added = [(k, v) for k, v in extra if k not in present]
                if added:
                    message = {**message, "headers": [*message.get("headers", []), *added]}
            await send(message)

        await self.app(scope, receive, with_headers)


DOCS_PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} - API</title>
<link rel="stylesheet" href="/static/swagger/swagger-ui.css">
</head>
<body>
<div id="swagger-ui" data-openapi-url="{openapi_url}"></div>
<script src="/static/swagger/swagger-ui-bundle.js"></script>
<script src="/static/api-docs.js"></script>
</body>
</html>
"""


def install_docs(app: FastAPI, *, path: str = "/api/docs", openapi_url: str = "/api/openapi.json") -> None:
    """``/api/docs``: Swagger UI from the package's own static files (FastAPI's default page loads
    it from a CDN and starts it with an inline script)."""
    from html import escape

    from fastapi.responses import HTMLResponse

    page = DOCS_PAGE.format(title=escape(app.title), openapi_url=escape(openapi_url, quote=True))

    @app.get(path, include_in_schema=False)
    async def api_docs() -> HTMLResponse:
        return HTMLResponse(page)
