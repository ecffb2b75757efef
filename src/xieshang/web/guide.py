"""The guided start, in the article's order: 你的情况 → 了解逾期情况 → 评估经济状况 → 还款计划 →
协商 → 协商之后 → 预防.

Each step is either *built* (it has a page) or *coming* (a later version builds it; the page
says so and names the CLI command, if there is one, instead of pretending). Progress is
resumable: a step is done when its data exists (at least one debt; finances entered; a plan
saved; an agreement recorded; a budget or emergency fund set: :func:`have_data`) or when the
user marked it done; the marks live in a cookie, so the store's schema is untouched and the
user can leave at any step and come back to the first one not done.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from xieshang.errors import UserError

if TYPE_CHECKING:
    from xieshang.store.db import Store

GUIDE_COOKIE = "xieshang_guide"


@dataclass(frozen=True)
class Step:
    key: str
    url: str | None  # the step's page, or None while the feature is not built
    cli: str | None = None  # the matching command, if the CLI already has one
    area: str | None = None  # the nav area the step's page belongs to
    also: tuple[tuple[str, str], ...] = ()  # the step's other pages: (nav area, url)

    @property
    def built(self) -> bool:
        return self.url is not None


STEPS: tuple[Step, ...] = (
    Step("situation", "/guide/situation", "xieshang loan add", "loans"),
    Step("overdue", "/guide/overdue", "xieshang status / xieshang project", "dashboard"),
    Step("finances", "/finances?guide=1", "xieshang finances set", "finances"),
    Step("plan", "/plan?guide=1", "xieshang plan", "plan"),
    Step("negotiate", "/letters?guide=1", "xieshang letter make", "letters"),
    Step("after", "/records?guide=1", "xieshang records add", "records",
         also=(("agreements", "/agreements?guide=1"), ("credit", "/credit"))),
    Step("prevent", "/prevention?guide=1", "xieshang budget / xieshang afford", "prevention"),
)
KEYS = tuple(s.key for s in STEPS)


def step(key: str) -> Step | None:
    return next((s for s in STEPS if s.key == key), None)


def marked(cookie: str | None) -> set[str]:
    """The step keys the user marked done (unknown names in the cookie are ignored)."""
    if not cookie:
        return set()
    return {part for part in cookie.split(".") if part in KEYS}


def cookie_value(done: Iterable[str]) -> str:
    return ".".join(k for k in KEYS if k in set(done))


@dataclass(frozen=True)
class StepState:
    step: Step
    number: int
    done: bool
    current: bool


def have_data(store: Store) -> set[str]:
    """The steps whose data exists in the store: finances entered, a plan saved."""
    from xieshang.services.finances import get_finances
    from xieshang.services.plan import saved_plan

    out: set[str] = set()
    try:
        if get_finances(store) is not None:
            out.add("finances")
    except UserError:  # no case yet
        return out
    if saved_plan(store) is not None:
        out.add("plan")
    from xieshang.services.after_progress import after_progress

    after = after_progress(store)
    if "agreement" in after:
        out.add("after")
    if "prevention" in after:
        out.add("prevent")
    return out


def progress(cookie: str | None, *, has_loans: bool, have: Iterable[str] = ()) -> list[StepState]:
    """Every step with whether it is done (marked, or its data exists: ``have``); the first built
    step not done is *current*."""
    done = marked(cookie) | set(have)
    if has_loans:
        done.add("situation")
    else:
        done.discard("situation")
    states: list[StepState] = []
    current_found = False
    for i, s in enumerate(STEPS, 1):
        is_done = s.key in done
        current = not current_found and not is_done and s.built
        current_found = current_found or current
        states.append(StepState(s, i, is_done, current))
    return states


def resume_url(states: list[StepState]) -> str:
    """Where "continue" goes: the current step, else the dashboard (all built steps done)."""
    for st in states:
        if st.current and st.step.url:
            return st.step.url
    return "/"


def next_step(key: str) -> Step | None:
    keys = list(KEYS)
    i = keys.index(key)
    return STEPS[i + 1] if i + 1 < len(STEPS) else None
