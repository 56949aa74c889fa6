"""Column types: money in øre, aware datetimes."""

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from kommune_ikt.core.types import Money, UTCDateTime


class Dialect:
    def __init__(self, name: str) -> None:
        self.name = name


def test_money_round_trips_as_ore():
    money = Money()
    assert money.process_bind_param(Decimal("1234.50"), Dialect("sqlite")) == 123450
    assert money.process_result_value(123450, Dialect("sqlite")) == Decimal("1234.50")


def test_money_refuses_fractions_of_an_ore():
    with pytest.raises(ValueError, match="more than two decimals"):
        Money().process_bind_param(Decimal("0.001"), Dialect("sqlite"))


def test_naive_datetimes_are_refused():
    with pytest.raises(ValueError, match="naive"):
        UTCDateTime().process_bind_param(datetime(2026, 1, 1), Dialect("sqlite"))


def test_datetimes_are_stored_in_utc_and_read_back_aware():
    oslo_summer = timezone(timedelta(hours=2))
    stored = UTCDateTime().process_bind_param(
        datetime(2026, 6, 1, 12, tzinfo=oslo_summer), Dialect("sqlite")
    )
    assert stored == datetime(2026, 6, 1, 10)
    assert UTCDateTime().process_result_value(stored, Dialect("sqlite")) == datetime(
        2026, 6, 1, 10, tzinfo=UTC
    )
