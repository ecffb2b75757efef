"""The one clock: what "today" and "now" mean everywhere in xieshang.

A borrower's days are the days of her own calendar, not of the computer's: a payment due
"today" at 07:00 in Beijing is due today even on a server whose clock runs on UTC. So:

* :func:`zone` is the borrower's time zone: ``XIESHANG_TZ`` (an IANA name such as
  ``Asia/Shanghai``, or an offset such as ``+08:00``), else ``Asia/Shanghai``;
* :func:`today` is the calendar day in that zone;
* :func:`now` is the current moment (aware, UTC).

``XIESHANG_TODAY=YYYY-MM-DD`` fixes the day: :func:`today` returns it and :func:`now` keeps the
real time of day on that date. The test suite sets it for the whole run (and runs the
date-sensitive tests again under several awkward dates), so no figure depends by accident on the
day a test happens to run. Nothing else in the code may read the system calendar: services take
``today``/``now`` parameters that default to these functions, and faces pass nothing. Security
timestamps (sessions, sign-in limits, keys) use :func:`system_now`, the real clock.
"""

from __future__ import annotations

import os
import re
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from xieshang.errors import UserError

DEFAULT_ZONE = "Asia/Shanghai"
TODAY_VAR = "XIESHANG_TODAY"
ZONE_VAR = "XIESHANG_TZ"

_OFFSET = re.compile(r"(?:UTC|GMT)?([+-])(\d{1,2}):?(\d{2})?", re.IGNORECASE)


def parse_zone(text: str) -> tzinfo:
    """``+08:00``, ``-0500``, ``UTC`` or an IANA name (``Asia/Shanghai``); :class:`UserError` else."""
    value = text.strip()
    m = _OFFSET.fullmatch(value)
    if m:
        minutes = int(m.group(2)) * 60 + int(m.group(3) or 0)
        if minutes > 14 * 60:
            raise UserError("records.error.bad_tz", value=text)
        return timezone(timedelta(minutes=minutes if m.group(1) == "+" else -minutes))
    if value.upper() in ("UTC", "GMT", "Z"):
        return UTC
    try:
        return ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise UserError("records.error.bad_tz", value=text) from None


@cache
def _zone(name: str) -> tzinfo:
    return parse_zone(name)


def zone() -> tzinfo:
    """The borrower's time zone (``XIESHANG_TZ``, default Asia/Shanghai)."""
    return _zone(os.environ.get(ZONE_VAR) or DEFAULT_ZONE)


@cache
def _fixed(text: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise UserError("error.clock.bad_today", value=text) from None


def fixed_day() -> date | None:
    """The day ``XIESHANG_TODAY`` fixes, or ``None`` when the real calendar is used."""
    text = os.environ.get(TODAY_VAR)
    return _fixed(text) if text else None


def today() -> date:
    """Today in the borrower's zone (or the day ``XIESHANG_TODAY`` fixes)."""
    return fixed_day() or datetime.now(UTC).astimezone(zone()).date()


def now() -> datetime:
    """The current moment, aware, in UTC; on the fixed day when ``XIESHANG_TODAY`` is set."""
    real = datetime.now(UTC)
    day = fixed_day()
    if day is None:
        return real
    local = real.astimezone(zone())
    return datetime.combine(day, local.timetz()).astimezone(UTC)


def system_now() -> datetime:
    """The real moment (aware, UTC), never fixed: for what is not a day of the borrower's
    calendar (sign-in sessions and limits, key rotation), which must keep real time."""
    return datetime.now(UTC)


def now_local() -> datetime:
    """:func:`now` in the borrower's zone."""
    return now().astimezone(zone())
