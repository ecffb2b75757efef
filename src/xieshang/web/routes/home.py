"""The start page (empty store: load the demo or start a case), the dashboard and the guided start."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from markupsafe import Markup

from xieshang import clock
from xieshang.errors import UserError
from xieshang.i18n import current_language, t
from xieshang.services.memo import pinned, remember
from xieshang.web import guide
from xieshang.web.charts import Series, line_chart
from xieshang.web.context import money, render, store_of
from xieshang.web.forms import message

router = APIRouter(include_in_schema=False)

#: Horizons of the "if nothing is paid" charts, in days from today.
CHART_DAYS = (30, 60, 90, 180, 270, 365)


def _has_case(request: Request) -> bool:
    from xieshang.services.case import has_case

    st = store_of(request)
    return remember(st, "has_case", (), lambda: has_case(st))


def _see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def projection_chart(request: Request, today: date) -> tuple[Markup, list[tuple[int, date, Decimal]]]:
    """The total of every debt if nothing is paid: the chart and its rows (for the table)."""
    from xieshang.services.overview import project

    st = store_of(request)
    proj = remember(st, "project", (today, CHART_DAYS), lambda: project(st, today, CHART_DAYS))
    rows: list[tuple[int, date, Decimal]] = [(0, today, proj.today_total), *proj.totals()]
    series = Series(t("web.chart.total_if_unpaid"), [(n, total) for n, _, total in rows])
    chart = line_chart([series], title=t("web.chart.total_title"),
                       description=t("web.chart.total_desc", today=money(rows[0][2]), last=money(rows[-1][2]),
                                     days=rows[-1][0]),
                       x_unit=t("web.chart.day_unit"), chart_id="total-chart")
    return chart, rows


@router.get("/")
def dashboard(request: Request) -> Response:
    with pinned(store_of(request)):
        return _dashboard(request)


def _dashboard(request: Request) -> Response:
    from xieshang.services.overview import overview

    if not _has_case(request):
        return _see_other("/start")
    today = clock.today()
    st = store_of(request)
    result = remember(st, "overview", today, lambda: overview(st, today))
    chart, rows = projection_chart(request, today)
    states = guide.progress(request.cookies.get(guide.GUIDE_COOKIE), has_loans=bool(result.debts),
                            have=remember(st, "guide.have_data", (), lambda: frozenset(guide.have_data(st))))
    return render(request, "dashboard.html", {"ov": result, "chart": chart, "rows": rows, "area": "dashboard",
                                              "guide_url": guide.resume_url(states),
                                              "guide_done": all(s.done for s in states if s.step.built)})


@router.get("/start")
def start(request: Request) -> Response:
    if _has_case(request):
        return _see_other("/")
    return render(request, "start.html", {"errors": {}, "values": {}, "area": "start"})


@router.post("/start/demo")
def start_demo(request: Request) -> Response:
    from xieshang.services.demo import load_demo

    if _has_case(request):
        return _see_other("/")
    load_demo(store_of(request))
    return _see_other("/")


@router.post("/start/init")
def start_init(request: Request, name: Annotated[str, Form()] = "") -> Response:
    from xieshang.services.case import PersonInfo, init_case

    if _has_case(request):
        return _see_other("/")
    try:
        init_case(store_of(request), PersonInfo(name=name, locale=current_language()))
    except UserError as exc:
        return render(request, "start.html", {"errors": {"name": message(exc)}, "values": {"name": name},
                                              "area": "start"}, status_code=422)
    return _see_other("/guide/situation")


# ---------------------------------------------------------------------------------------
# Guided start
# ---------------------------------------------------------------------------------------


def _states(request: Request) -> list[guide.StepState]:
    from xieshang.services.case import list_loans

    loans = list_loans(store_of(request))
    return guide.progress(request.cookies.get(guide.GUIDE_COOKIE), has_loans=bool(loans),
                          have=guide.have_data(store_of(request)))


@router.get("/guide")
def guide_index(request: Request) -> Response:
    if not _has_case(request):
        return _see_other("/start")
    states = _states(request)
    return render(request, "guide.html", {"states": states, "resume": guide.resume_url(states), "area": "guide"})


@router.get("/guide/situation")
def guide_situation(request: Request) -> Response:
    from xieshang.services.case import list_loans

    if not _has_case(request):
        return _see_other("/start")
    loans = list_loans(store_of(request))
    return render(request, "guide_situation.html", {"states": _states(request), "loans": loans,
                                                    "key": "situation", "area": "guide"})


@router.get("/guide/overdue")
def guide_overdue(request: Request) -> Response:
    from xieshang.services.overview import overview

    if not _has_case(request):
        return _see_other("/start")
    today = clock.today()
    st = store_of(request)
    result = remember(st, "overview", today, lambda: overview(st, today))
    chart, rows = projection_chart(request, today)
    return render(request, "guide_overdue.html", {"states": _states(request), "ov": result, "chart": chart,
                                                  "rows": rows, "key": "overdue", "area": "guide"})


@router.get("/guide/{key}")
def guide_step(request: Request, key: str) -> Response:
    step = guide.step(key)
    if step is None:
        raise UserError("web.error.not_found")
    if step.url is not None:  # keep ?lang= and the like
        query = request.url.query
        return _see_other(step.url + (("&" if "?" in step.url else "?") + query if query else ""))
    return render(request, "coming.html", {"step": step, "states": _states(request), "key": key,
                                           "area": step.area})


@router.post("/guide/{key}/done")
def guide_done(request: Request, key: str) -> Response:
    step = guide.step(key)
    if step is None:
        raise UserError("web.error.not_found")
    done = guide.marked(request.cookies.get(guide.GUIDE_COOKIE)) | {key}
    nxt = guide.next_step(key)
    response = _see_other(nxt.url or f"/guide/{nxt.key}" if nxt is not None else "/guide")
    response.set_cookie(guide.GUIDE_COOKIE, guide.cookie_value(done), max_age=3600 * 24 * 365, samesite="lax",
                        httponly=True)
    return response


@router.post("/guide/reset")
def guide_reset(request: Request) -> Response:
    response = _see_other("/guide")
    response.delete_cookie(guide.GUIDE_COOKIE)
    return response
