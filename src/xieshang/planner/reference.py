"""Planning references from the rules data (``rules/data/planning/*.toml``), each with its source.

The planner's defaults that are outside facts or conventions (the protected living minimum per
person, the emergency reserve, typical 展期 length, settlement terms) are data, never constants in
code. This small loader reads the shipped file once; :func:`reference` returns the validated values.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from importlib import resources
from typing import Annotated, Literal

from pydantic import Field, StrictInt, ValidationError

from xieshang.errors import UserError
from xieshang.rules.schema import Dec, Sourced, Strict

Unit = Literal["yuan-per-person-month", "months", "share"]


class DecFact(Sourced):
    value: Annotated[Dec, Field(ge=0)]
    unit: Unit


class IntFact(Sourced):
    value: Annotated[StrictInt, Field(ge=0, le=600)]
    unit: Unit


class PlanningFile(Strict):
    schema_version: Literal[1] = 1
    living_minimum_per_person: DecFact
    emergency_reserve_months: DecFact
    extension_months: IntFact
    settlement_discount: DecFact
    settlement_window_months: IntFact
    waiver_share: DecFact


@dataclass(frozen=True, slots=True)
class Reference:
    """The planning defaults with their provenance (``facts`` keeps the sourced entries)."""

    living_minimum_per_person: Decimal
    emergency_reserve_months: Decimal
    extension_months: int
    settlement_discount: Decimal
    settlement_window_months: int
    waiver_share: Decimal
    facts: PlanningFile

    def source_of(self, name: str) -> Sourced:
        fact = getattr(self.facts, name)
        assert isinstance(fact, Sourced)
        return fact


@cache
def reference() -> Reference:
    """The shipped planning references (validated; a bad file is a :class:`UserError`)."""
    entry = resources.files("xieshang") / "rules" / "data" / "planning" / "planning.toml"
    label = "planning/planning.toml"
    try:
        data = tomllib.loads(entry.read_text(encoding="utf-8"), parse_float=Decimal)
        facts = PlanningFile.model_validate(data)
    except (tomllib.TOMLDecodeError, ValidationError) as exc:
        raise UserError("error.profile.data_file", file=label, detail=str(exc).splitlines()[0]) from None
    return Reference(
        living_minimum_per_person=facts.living_minimum_per_person.value,
        emergency_reserve_months=facts.emergency_reserve_months.value,
        extension_months=facts.extension_months.value,
        settlement_discount=facts.settlement_discount.value,
        settlement_window_months=max(1, facts.settlement_window_months.value),
        waiver_share=min(Decimal(1), facts.waiver_share.value),
        facts=facts,
    )
