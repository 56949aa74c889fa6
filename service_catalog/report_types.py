"""The shapes of a cost report: plain data, money in exact Decimals and øre."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from service_catalog import allocation


@dataclass(frozen=True)
class ReportLine:
    service_code: str
    service_name: str
    tier: str
    rule: str
    month: str | None
    description: str
    quantity: Decimal
    amount: Decimal


@dataclass
class Totals:
    """Sums in øre by tier."""

    basic: int = 0
    optional: int = 0
    special: int = 0

    def add(self, tier: str, amount_ore: int) -> None:
        setattr(self, tier, getattr(self, tier) + amount_ore)

    def merge(self, other: Totals) -> None:
        self.basic += other.basic
        self.optional += other.optional
        self.special += other.special

    @property
    def total(self) -> int:
        return self.basic + self.optional + self.special

    def as_money(self) -> dict[str, Decimal]:
        return {
            "basic": allocation.from_ore(self.basic),
            "optional": allocation.from_ore(self.optional),
            "special": allocation.from_ore(self.special),
            "total": allocation.from_ore(self.total),
        }


@dataclass
class MunicipalityReport:
    year: int
    municipality: str
    name: str
    lines: list[ReportLine]
    totals: dict[str, Decimal]


@dataclass
class CollaborationRow:
    municipality: str
    name: str
    totals: dict[str, Decimal]


@dataclass
class CollaborationReport:
    year: int
    municipalities: list[CollaborationRow]
    totals: dict[str, Decimal]
