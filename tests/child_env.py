"""The environment of a CLI or server process a test starts."""

from __future__ import annotations

import os

from xieshang import clock

#: Kept even when a test drops the user's xieshang settings: the run's day and zone
#: (:mod:`xieshang.clock`), so the child sees the same "today" as the test.
KEEP = frozenset({clock.TODAY_VAR, clock.ZONE_VAR})


def child_env(drop: tuple[str, ...]) -> dict[str, str]:
    """``os.environ`` without the variables whose names start with one of ``drop``, except :data:`KEEP`."""
    return {k: v for k, v in os.environ.items() if k in KEEP or not k.startswith(drop)}
