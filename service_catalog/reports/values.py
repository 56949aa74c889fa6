"""The shapes of a cost report: plain data, money in exact Decimals and øre."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from decimal import Decimal
from typing import Any

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


@dataclass(frozen=True)
class UnallocatedLine:
    """A month of a basic service's cost that no participating member was there to carry."""

    service_code: str
    service_name: str
    month: str
    description: str
    amount: Decimal


@dataclass
class CollaborationReport:
    year: int
    municipalities: list[CollaborationRow]
    # The collaboration's sums, unallocated basic cost included.
    totals: dict[str, Decimal]
    unallocated: list[UnallocatedLine] = field(default_factory=list)


# --- frozen form (a closed year's reports, stored as JSON) --------------------------------


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def to_json(report: MunicipalityReport | CollaborationReport) -> dict[str, Any]:
    """The report as JSON-safe data (money as exact decimal strings)."""
    return _plain(asdict(report))


def _money(values: dict[str, str]) -> dict[str, Decimal]:
    return {k: Decimal(v) for k, v in values.items()}


def municipality_from_json(body: dict[str, Any]) -> MunicipalityReport:
    lines = [
        ReportLine(**{**ln, "quantity": Decimal(ln["quantity"]), "amount": Decimal(ln["amount"])})
        for ln in body["lines"]
    ]
    return MunicipalityReport(
        body["year"], body["municipality"], body["name"], lines, _money(body["totals"])
    )


def collaboration_from_json(body: dict[str, Any]) -> CollaborationReport:
    rows = [
        CollaborationRow(r["municipality"], r["name"], _money(r["totals"]))
        for r in body["municipalities"]
    ]
    unallocated = [
        UnallocatedLine(**{**u, "amount": Decimal(u["amount"])}) for u in body["unallocated"]
    ]
    return CollaborationReport(body["year"], rows, _money(body["totals"]), unallocated)
