"""Areas a later version builds (finances, plan, letters, records, agreements, prevention).

Each has its page already so the navigation is complete, but the page says plainly that the
feature is coming and which CLI command exists, if any: never a fake page. As the services
land (``services/plan.py`` …), these routes move to modules of their own.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from xieshang.web import guide
from xieshang.web.context import render

router = APIRouter(include_in_schema=False)

#: Nav area → the guided-start step it belongs to.
AREAS = {"finances": "finances", "plan": "plan", "letters": "negotiate", "records": "after",
         "agreements": "after", "prevention": "prevent"}


def _coming(request: Request, area: str) -> Response:
    step = guide.step(AREAS[area])
    assert step is not None
    return render(request, "coming.html", {"step": step, "area": area, "key": step.key, "states": None})

