"""The catalogue's test data: IKT Orkidé's members, a price per tier, the closed year."""

from __future__ import annotations

from decimal import Decimal

# IKT Orkidé's nine current members (kommune_ikt/data, official populations).
ORKIDE = ("1505", "1554", "1557", "1560", "1563", "1566", "1573", "1576", "5061")
# The budget year the books tests close and report on.
CLOSED = 2024

PRICES = {
    "basic": {"annual_cost": Decimal("1200000.00")},
    "optional": {"unit": "licence", "unit_price": Decimal("49000.00"), "period": "year"},
    "special": {"hourly_rate": Decimal("650.00")},
}
