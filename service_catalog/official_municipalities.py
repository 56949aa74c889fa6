"""Official municipality reference data shipped with the project (kommune_ikt/data)."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from importlib import resources


@dataclass(frozen=True)
class ReferenceMunicipality:
    number: str
    name: str
    country: str
    county: str | None
    population: int
    population_year: int
    source: str


def _rows(filename: str) -> list[dict[str, str]]:
    text = resources.files("kommune_ikt.data").joinpath(filename).read_text(encoding="utf-8")
    return list(csv.DictReader(text.splitlines()))


@cache
def reference_municipalities() -> dict[str, ReferenceMunicipality]:
    """All 357 Norwegian municipalities (SSB, 1 Jan 2024) and IT Hälsingland's six (SCB 2025)."""
    found: dict[str, ReferenceMunicipality] = {}
    for row in _rows("norway_municipalities.csv"):
        found[row["kommunenummer"]] = ReferenceMunicipality(
            number=row["kommunenummer"],
            name=row["name"],
            country="NO",
            county=row["county"] or None,
            population=int(row["population"]),
            population_year=int(row["population_year"]),
            source=row["source"],
        )
    for row in _rows("halsingland_municipalities.csv"):
        found[row["kommunkod"]] = ReferenceMunicipality(
            number=row["kommunkod"],
            name=row["name"],
            country="SE",
            county="Gävleborgs län",
            population=int(row["population"]),
            population_year=int(row["year"]),
            source=row["source"],
        )
    return found


@dataclass(frozen=True)
class CollaborationMember:
    collaboration: str
    name: str
    number: str
    status: str
    note: str


def collaboration_members(collaboration: str) -> list[CollaborationMember]:
    """Members of a real collaboration as published (it_collaborations.csv)."""
    return [
        CollaborationMember(
            collaboration=row["collaboration"],
            name=row["member_municipality"],
            number=row["kommunenummer"],
            status=row["status"],
            note=row["note"],
        )
        for row in _rows("it_collaborations.csv")
        if row["collaboration"] == collaboration
    ]
