"""What every page needs: the request's language, the templates and the open store.

The language of a request, first match wins: ``?lang=`` in the URL, the ``xieshang_lang``
cookie (set by the language switch on every page), then the process default of
:func:`xieshang.i18n.current_language` (``XIESHANG_LANG``, the locale, else zh_CN). The app's
middleware puts it in :func:`xieshang.i18n.language_scope`, so the services' own texts (flags,
actions) come out in the same language as the page.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from functools import cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from xieshang.i18n import LANGUAGES, current_language, normalize, t

if TYPE_CHECKING:
    from fastapi import Request
    from fastapi.templating import Jinja2Templates
    from starlette.responses import Response

    from xieshang.store.db import Store

LANG_COOKIE = "xieshang_lang"
LANG_NAMES = {"zh_CN": "中文", "en": "English"}


def request_language(query_lang: str | None, cookie_lang: str | None) -> str | None:
    """The language asked for by the URL or the cookie, or ``None`` for the process default."""
    return normalize(query_lang) or normalize(cookie_lang)


def package_dir(name: str) -> Path:
    return Path(str(resources.files("xieshang.web") / name))


def money(value: Decimal | None) -> str:
    """``¥12,345.60``; ``—`` for nothing."""
    from xieshang.money import fmt_display

    if value is None:
        return "—"
    text = fmt_display(value)
    return f"−¥{text[1:]}" if text.startswith("-") else f"¥{text}"


def pct(value: Decimal | None, places: int = 2) -> str:
    return "—" if value is None else f"{(value * 100):.{places}f}%"


def day(value: date | None) -> str:
    return "—" if value is None else value.isoformat()


@cache
def templates() -> Jinja2Templates:
    from fastapi.templating import Jinja2Templates

    tpl = Jinja2Templates(directory=str(package_dir("templates")))
    env = tpl.env
    from xieshang.web.server import csrf_token, current_session

    env.globals.update(t=t, lang=current_language, LANGUAGES=LANGUAGES, LANG_NAMES=LANG_NAMES, money=money,
                       pct=pct, day=day, quote=quote, signed_in=current_session, csrf_token=csrf_token)
    env.filters.update(money=money, pct=pct, day=day)
    return tpl


def render(request: Request, name: str, context: dict[str, Any] | None = None, *,
           status_code: int = 200) -> Response:
    """Render ``templates/<name>`` with the request, the page's path (for the language switch)."""
    ctx: dict[str, Any] = {"request": request, "path": request.url.path}
    ctx.update(context or {})
    return templates().TemplateResponse(request, name, ctx, status_code=status_code)


def store_of(request: Request) -> Store:
    """The store opened by the app at start-up (one engine for every request); in server mode the
    case the signed-in account may open (:func:`xieshang.web.server.case_store`), else 404."""
    from xieshang.store.db import Store

    if getattr(request.app.state, "server", None) is not None:
        from xieshang.web.server import case_store

        return case_store(request)
    st = request.app.state.store
    assert isinstance(st, Store)
    return st


def is_htmx(request: Request) -> bool:
    return request.headers.get("HX-Request") == "true"
