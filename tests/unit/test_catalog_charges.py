"""Charges for optional subscriptions and special work, each line checkable by hand."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from kommune_ikt.core.errors import Conflict
from service_catalog.charges import UnitPrice, optional_charges, quantity_spans, special_charge
from service_catalog.choices import ChargeRule, OrderStatus, SpecialRequestStatus
from service_catalog.workflow import (
    ORDER_TRANSITIONS,
    SPECIAL_REQUEST_TRANSITIONS,
    check_transition,
)

# Published IKTNH prices (service_catalogue.csv): SQL licence 49 000 per licence,
# standard server operation 25 000 per server per year.
SQL_LICENCE = UnitPrice("licence", Decimal("49000.00"), "year", Decimal("0.00"))
SERVER_MONTHLY = UnitPrice("device", Decimal("2083.33"), "month", Decimal("1500.00"))
OFFICE_ONCE = UnitPrice("device", Decimal("2200.00"), "once", Decimal("0.00"))


def test_year_price_is_charged_for_the_share_of_days_active():
    # 2 licences from 1 July 2026: 184 of 365 days; 2 × 49 000 × 184/365 = 49 402.739… → 49 402.74
    lines = optional_charges(2026, SQL_LICENCE, date(2026, 7, 1), [(date(2026, 7, 1), 2)], None)
    assert [(ln.rule, ln.amount_ore) for ln in lines] == [(ChargeRule.OPTIONAL_YEAR, 4_940_274)]
    assert "184/365 days" in lines[0].basis


def test_year_price_splits_at_a_quantity_change():
    changes = [(date(2025, 3, 1), 1), (date(2026, 10, 1), 3)]
    lines = optional_charges(2026, SQL_LICENCE, date(2025, 3, 1), changes, None)
    # 1 × 49 000 × 273/365 = 36 649.315… and 3 × 49 000 × 92/365 = 37 052.054…
    assert [ln.amount_ore for ln in lines] == [3_664_932, 3_705_205]


def test_month_price_charges_the_days_of_each_month_and_the_setup_fee_once():
    lines = optional_charges(
        2026, SERVER_MONTHLY, date(2026, 11, 16), [(date(2026, 11, 16), 1)], None
    )
    by_rule = {(ln.rule, ln.month): ln.amount_ore for ln in lines}
    # November: 15 of 30 days → 2083.33 × 15/30 = 1041.665 → 1041.67 (half-up)
    assert by_rule[(ChargeRule.OPTIONAL_MONTH, 11)] == 104_167
    assert by_rule[(ChargeRule.OPTIONAL_MONTH, 12)] == 208_333
    assert by_rule[(ChargeRule.OPTIONAL_SETUP_FEE, 11)] == 150_000
    assert len(lines) == 3


def test_month_price_stops_at_end_on():
    lines = optional_charges(
        2026, SERVER_MONTHLY, date(2025, 1, 1), [(date(2025, 1, 1), 2)], date(2026, 2, 15)
    )
    # January whole, February 14 of 28 days; no setup fee (started 2025).
    assert [(ln.month, ln.amount_ore) for ln in lines] == [(1, 416_666), (2, 208_333)]


def test_once_price_charges_the_start_and_each_increase():
    changes = [(date(2026, 2, 1), 3), (date(2026, 5, 1), 5), (date(2026, 8, 1), 4)]
    lines = optional_charges(2026, OFFICE_ONCE, date(2026, 2, 1), changes, None)
    assert [(ln.month, ln.quantity, ln.amount_ore) for ln in lines] == [
        (2, 3, 660_000),
        (5, 2, 440_000),
    ]


def test_once_price_of_an_earlier_year_is_not_charged_again():
    lines = optional_charges(2026, OFFICE_ONCE, date(2025, 2, 1), [(date(2025, 2, 1), 3)], None)
    assert lines == []


def test_quantity_spans_clip_to_end_and_year():
    spans = quantity_spans([(date(2026, 3, 1), 2)], date(2026, 3, 1), None, 2026)
    assert [(s.start, s.end, s.quantity) for s in spans] == [
        (date(2026, 3, 1), date(2027, 1, 1), 2)
    ]


def test_special_quote_then_actual_hours_when_delivered():
    quoted = special_charge(Decimal("26000.00"), Decimal("40"), Decimal("650.00"), None, False)
    assert (quoted.rule, quoted.amount_ore) == (ChargeRule.SPECIAL_QUOTE, 2_600_000)
    delivered = special_charge(
        Decimal("26000.00"), Decimal("40"), Decimal("650.00"), Decimal("37.5"), True
    )
    assert (delivered.rule, delivered.amount_ore) == (ChargeRule.SPECIAL_ACTUAL, 2_437_500)


def test_fixed_amount_quote_without_a_rate_stays_fixed():
    charge = special_charge(Decimal("12000.00"), None, None, Decimal("30"), True)
    assert (charge.rule, charge.amount_ore) == (ChargeRule.SPECIAL_QUOTE, 1_200_000)


def test_invalid_order_transition_names_the_allowed_ones():
    with pytest.raises(Conflict) as raised:
        check_transition(ORDER_TRANSITIONS, OrderStatus.APPROVED, OrderStatus.APPROVED, "Order 7")
    assert raised.value.extra["allowed_transitions"] == ["cancelled", "fulfilled"]
    assert "cancelled, fulfilled" in raised.value.detail


def test_delivered_special_request_is_final():
    with pytest.raises(Conflict, match="none"):
        check_transition(
            SPECIAL_REQUEST_TRANSITIONS,
            SpecialRequestStatus.DELIVERED,
            SpecialRequestStatus.IN_PROGRESS,
            "Special request 1",
        )
