"""Shared test set-up: a Hypothesis profile without deadlines (the oracle is slow on purpose).

The property tests in ``test_status_properties.py`` multiply their example counts by the
``XIESHANG_EXAMPLES`` environment variable (default 1), e.g.
``XIESHANG_EXAMPLES=10 python -m pytest tests/test_status_properties.py`` for a deeper run.
"""

from __future__ import annotations

from hypothesis import settings

settings.register_profile("xieshang", deadline=None)
settings.load_profile("xieshang")
