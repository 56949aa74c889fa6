"""The catalogue's fixed vocabularies (stored as their string values)."""

from __future__ import annotations

from enum import StrEnum


class Tier(StrEnum):
    """What a municipality gets: basic (everyone, shared by key), optional (ordered), special."""

    BASIC = "basic"
    OPTIONAL = "optional"
    SPECIAL = "special"


class ServiceStatus(StrEnum):
    PLANNED = "planned"
    ACTIVE = "active"
    RETIRED = "retired"


class ServiceHours(StrEnum):
    BUSINESS = "business"
    EXTENDED = "extended"
    H24X7 = "24x7"


class PriceModel(StrEnum):
    """The price shape follows the tier: one model per tier."""

    ALLOCATION = "allocation"
    UNIT = "unit"
    QUOTE = "quote"


PRICE_MODEL_OF_TIER = {
    Tier.BASIC: PriceModel.ALLOCATION,
    Tier.OPTIONAL: PriceModel.UNIT,
    Tier.SPECIAL: PriceModel.QUOTE,
}


class Unit(StrEnum):
    USER = "user"
    LICENCE = "licence"
    DEVICE = "device"
    SITE = "site"
    ITEM = "item"


class Period(StrEnum):
    MONTH = "month"
    YEAR = "year"
    ONCE = "once"


class OrderStatus(StrEnum):
    PENDING_APPROVAL = "pending_approval"
    APPROVED = "approved"
    REJECTED = "rejected"
    FULFILLED = "fulfilled"
    CANCELLED = "cancelled"


class SpecialRequestStatus(StrEnum):
    SUBMITTED = "submitted"
    QUOTED = "quoted"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    IN_PROGRESS = "in_progress"
    DELIVERED = "delivered"


# Special requests that hold a place in the portfolio ranking; the others
# (rejected, delivered) leave it and the ones behind move up.
PORTFOLIO_STATUSES = frozenset(
    {
        SpecialRequestStatus.SUBMITTED,
        SpecialRequestStatus.QUOTED,
        SpecialRequestStatus.ACCEPTED,
        SpecialRequestStatus.IN_PROGRESS,
    }
)


class ChargeRule(StrEnum):
    """Which rule produced a cost report line."""

    BASIC_ALLOCATION = "basic.allocation"
    OPTIONAL_MONTH = "optional.month"
    OPTIONAL_YEAR = "optional.year"
    OPTIONAL_ONCE = "optional.once"
    OPTIONAL_SETUP_FEE = "optional.setup_fee"
    SPECIAL_QUOTE = "special.quote"
    SPECIAL_ACTUAL = "special.actual"
