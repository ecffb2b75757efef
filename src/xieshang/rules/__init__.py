"""Rules as data: lender profiles and legal references, each fact with its source.

``import xieshang.rules`` is light: the loader (and pydantic) are imported on first use.

Profiles::

    from xieshang.rules import get_profile
    terms = get_profile("weilidai").loan_terms(principal="10000", term_months=10, start=date(2025, 1, 5),
                                               rate="0.05%/日", overrides={"grace_days": 3})

Legal references: :func:`legal_lines`, :func:`current_lpr`, :func:`credit_reporting_rules`,
:func:`collection_rules`, :func:`limitation_rules`, :func:`consequences`. See docs/rules.md for
the data files, their sources and how to override them. Nothing here is legal advice.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from xieshang.rules.loader import (
        collection_rules,
        consequences,
        credit_reporting_rules,
        current_lpr,
        get_profile,
        legal_lines,
        limitation_rules,
        load_profiles,
        lpr_history,
        override_dir,
        reload,
    )
    from xieshang.rules.schema import (
        LegalLine,
        NegotiationOption,
        Profile,
        ProfileValue,
        Rule,
        Sourced,
        SourcedValue,
        TimelineStep,
    )

__all__ = [
    "LegalLine",
    "NegotiationOption",
    "Profile",
    "ProfileValue",
    "Rule",
    "Sourced",
    "SourcedValue",
    "TimelineStep",
    "collection_rules",
    "consequences",
    "credit_reporting_rules",
    "current_lpr",
    "get_profile",
    "legal_lines",
    "limitation_rules",
    "load_profiles",
    "lpr_history",
    "override_dir",
    "reload",
]

_SCHEMA_NAMES = frozenset({"LegalLine", "NegotiationOption", "Profile", "ProfileValue", "Rule", "Sourced",
                           "SourcedValue", "TimelineStep"})


def __getattr__(name: str) -> Any:
    if name in _SCHEMA_NAMES:
        from xieshang.rules import schema

        return getattr(schema, name)
    if name in __all__:
        from xieshang.rules import loader

        return getattr(loader, name)
    raise AttributeError(f"module 'xieshang.rules' has no attribute {name!r}")
