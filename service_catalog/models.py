"""Catalogue tables."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field

from kommune_ikt.core.db import SQLModel
from kommune_ikt.core.types import DecimalText, Money, UTCDateTime, utcnow
from service_catalog.choices import (
    OrderStatus,
    ServiceHours,
    ServiceStatus,
    SpecialRequestStatus,
    Tier,
)


class Municipality(SQLModel, table=True):
    """A member (or former member) of the collaboration; the tenant of every other object."""

    __tablename__ = "municipalities"

    # Official kommunenummer (NO) or kommunkod (SE), kept as text: "0301" has a leading zero.
    number: str = Field(primary_key=True, max_length=4)
    name: str = Field(max_length=100)
    country: str = Field(default="NO", max_length=2)
    county: str | None = Field(default=None, max_length=100)
    population: int = Field(ge=0)
    population_year: int
    joined_on: date
    left_on: date | None = None
    sla_policy_set: str = Field(default="default", max_length=50)
    # Mail from these domains (lower case, e.g. "kristiansund.kommune.no") belongs to it.
    email_domains: list[str] = Field(
        default_factory=list,
        sa_column=sa.Column(sa.JSON, nullable=False, server_default=sa.text("'[]'")),
    )
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=sa.Column(UTCDateTime, nullable=False)
    )
    updated_at: datetime = Field(
        default_factory=utcnow, sa_column=sa.Column(UTCDateTime, nullable=False)
    )

    def is_member_on(self, day: date) -> bool:
        """Member on ``day``: joined on or before it and not yet left."""
        return member_on(self.joined_on, self.left_on, day)


class MunicipalityPopulation(SQLModel, table=True):
    """A municipality's population in one year (1 January, as SSB/SCB publish it)."""

    __tablename__ = "municipality_populations"
    __table_args__ = (sa.UniqueConstraint("municipality_number", "year"),)

    id: int | None = Field(default=None, primary_key=True)
    municipality_number: str = Field(foreign_key="municipalities.number", max_length=4)
    year: int
    population: int = Field(ge=0)
    source: str = Field(default="", max_length=500)
    updated_at: datetime = Field(
        default_factory=utcnow, sa_column=sa.Column(UTCDateTime, nullable=False)
    )


def member_on(joined_on: date, left_on: date | None, day: date) -> bool:
    """Whether a membership from ``joined_on`` until ``left_on`` (exclusive) covers ``day``."""
    return joined_on <= day and (left_on is None or day < left_on)


def _created() -> Any:
    return Field(default_factory=utcnow, sa_column=sa.Column(UTCDateTime, nullable=False))


def _updated() -> Any:
    return Field(default_factory=utcnow, sa_column=sa.Column(UTCDateTime, nullable=False))


def _when() -> Any:
    return Field(default=None, sa_column=sa.Column(UTCDateTime, nullable=True))


def _money() -> Any:
    return Field(default=None, sa_column=sa.Column(Money, nullable=True))


def _exact() -> Any:
    return Field(default=None, sa_column=sa.Column(DecimalText, nullable=True))


def _one_of(column: str, values: type[StrEnum]) -> sa.CheckConstraint:
    allowed = ", ".join(f"'{v.value}'" for v in values)
    return sa.CheckConstraint(f"{column} IN ({allowed})", name=column)


class Service(SQLModel, table=True):
    """A catalogue entry; its price lives in ``service_prices``, one row per budget year."""

    __tablename__ = "services"
    __table_args__ = (
        _one_of("tier", Tier),
        _one_of("status", ServiceStatus),
        _one_of("service_hours", ServiceHours),
    )

    # A short stable key ("M365-LIC") that tickets, outages and reports refer to.
    code: str = Field(primary_key=True, max_length=40)
    name: str = Field(max_length=200)
    description: str = Field(default="", sa_column=sa.Column(sa.Text, nullable=False))
    tier: str = Field(max_length=16, index=True)
    category: str = Field(default="", max_length=100)
    status: str = Field(default=ServiceStatus.PLANNED.value, max_length=16, index=True)
    # A ratio such as 0.995; kept exact so that error budgets do not drift.
    availability_target: Decimal | None = _exact()
    service_hours: str = Field(default=ServiceHours.BUSINESS.value, max_length=16)
    owner_team: str = Field(default="", max_length=100)
    created_at: datetime = _created()
    updated_at: datetime = _updated()


class AllocationKey(SQLModel, table=True):
    """How a basic service's cost is shared: weighted (equal + population) or fixed shares."""

    __tablename__ = "allocation_keys"
    __table_args__ = (
        # At most one default key (exactly one once any key exists: the
        # services keep that invariant).
        sa.Index(
            "uq_allocation_keys_is_default",
            "is_default",
            unique=True,
            postgresql_where=sa.text("is_default"),
            sqlite_where=sa.text("is_default = 1"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(sa_column=sa.Column(sa.String(80), nullable=False, unique=True))
    description: str = Field(default="", max_length=500)
    # Both null for a fixed-shares key; both set (summing to 1) for a weighted one.
    equal_weight: Decimal | None = _exact()
    population_weight: Decimal | None = _exact()
    # Whose population figures a weighted key uses: this year's for every budget
    # year, or (null) the year before the budget year, as SSB/SCB publish them.
    population_year: int | None = None
    is_default: bool = Field(default=False)
    created_at: datetime = _created()
    updated_at: datetime = _updated()

    @property
    def is_fixed(self) -> bool:
        return self.equal_weight is None


class AllocationKeyShare(SQLModel, table=True):
    """One municipality's fixed share in a fixed-shares key."""

    __tablename__ = "allocation_key_shares"
    __table_args__ = (sa.UniqueConstraint("key_id", "municipality_number"),)

    id: int | None = Field(default=None, primary_key=True)
    key_id: int = Field(foreign_key="allocation_keys.id", ondelete="CASCADE")
    municipality_number: str = Field(foreign_key="municipalities.number", max_length=4)
    share: Decimal = Field(sa_column=sa.Column(DecimalText, nullable=False))


class ServicePrice(SQLModel, table=True):
    """A service's price for one budget year; the columns used depend on the tier's model."""

    __tablename__ = "service_prices"
    __table_args__ = (sa.UniqueConstraint("service_code", "year"),)

    id: int | None = Field(default=None, primary_key=True)
    service_code: str = Field(foreign_key="services.code", max_length=40)
    year: int
    model: str = Field(max_length=16)
    # allocation (basic)
    annual_cost: Decimal | None = _money()
    # By name: the key's name is its identity in the API (PUT /allocation-keys/{name}).
    allocation_key: str | None = Field(
        default=None, foreign_key="allocation_keys.name", max_length=80
    )
    # unit (optional)
    unit: str | None = Field(default=None, max_length=16)
    unit_price: Decimal | None = _money()
    period: str | None = Field(default=None, max_length=16)
    setup_fee: Decimal | None = _money()
    # quote (special)
    hourly_rate: Decimal | None = _money()
    updated_at: datetime = _updated()


class Subscription(SQLModel, table=True):
    """A municipality's running use of an optional service; quantity history in changes."""

    __tablename__ = "subscriptions"

    id: int | None = Field(default=None, primary_key=True)
    municipality_number: str = Field(foreign_key="municipalities.number", max_length=4, index=True)
    service_code: str = Field(foreign_key="services.code", max_length=40, index=True)
    # The latest quantity (the last change's); the report uses the history.
    quantity: int
    start_on: date
    # The first day no longer charged (exclusive), like Municipality.left_on.
    end_on: date | None = None
    created_at: datetime = _created()
    updated_at: datetime = _updated()


class SubscriptionChange(SQLModel, table=True):
    """The quantity a subscription has from ``effective_on`` until its next change."""

    __tablename__ = "subscription_changes"
    __table_args__ = (sa.UniqueConstraint("subscription_id", "effective_on"),)

    id: int | None = Field(default=None, primary_key=True)
    subscription_id: int = Field(foreign_key="subscriptions.id")
    effective_on: date
    quantity: int
    order_id: int | None = Field(default=None, foreign_key="orders.id")
    created_at: datetime = _created()


class Order(SQLModel, table=True):
    """A municipality's order of an optional service, from approval to fulfilment."""

    __tablename__ = "orders"
    __table_args__ = (_one_of("status", OrderStatus),)

    id: int | None = Field(default=None, primary_key=True)
    municipality_number: str = Field(foreign_key="municipalities.number", max_length=4, index=True)
    service_code: str = Field(foreign_key="services.code", max_length=40, index=True)
    quantity: int
    note: str = Field(default="", sa_column=sa.Column(sa.Text, nullable=False))
    status: str = Field(default=OrderStatus.PENDING_APPROVAL.value, max_length=24, index=True)
    # The servicedesk's fulfilment ticket. No foreign key: the catalogue must
    # not depend on the servicedesk's tables (it sets this on order_approved).
    ticket_id: int | None = None
    created_by: int = Field(foreign_key="users.id")
    approved_by: int | None = Field(default=None, foreign_key="users.id")
    approved_at: datetime | None = _when()
    rejected_by: int | None = Field(default=None, foreign_key="users.id")
    rejected_at: datetime | None = _when()
    cancelled_by: int | None = Field(default=None, foreign_key="users.id")
    cancelled_at: datetime | None = _when()
    reason: str = Field(default="", max_length=1000)
    fulfilled_by: int | None = Field(default=None, foreign_key="users.id")
    fulfilled_at: datetime | None = _when()
    start_on: date | None = None
    subscription_id: int | None = Field(default=None, foreign_key="subscriptions.id")
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=sa.Column(UTCDateTime, nullable=False, index=True)
    )
    updated_at: datetime = _updated()


class SpecialRequest(SQLModel, table=True):
    """Work outside the catalogue, quoted by the IT unit and ranked in one portfolio."""

    __tablename__ = "special_requests"
    __table_args__ = (_one_of("status", SpecialRequestStatus),)

    id: int | None = Field(default=None, primary_key=True)
    municipality_number: str = Field(foreign_key="municipalities.number", max_length=4, index=True)
    # The special-tier service whose hourly rate prices the work.
    service_code: str = Field(foreign_key="services.code", max_length=40)
    title: str = Field(max_length=200)
    description: str = Field(default="", sa_column=sa.Column(sa.Text, nullable=False))
    desired_by: date | None = None
    status: str = Field(default=SpecialRequestStatus.SUBMITTED.value, max_length=16, index=True)
    # 1 = first in the collaboration's portfolio; null once rejected or delivered.
    priority_rank: int | None = Field(default=None, index=True)
    quote_hours: Decimal | None = _exact()
    quote_hourly_rate: Decimal | None = _money()
    quote_amount: Decimal | None = _money()
    quoted_by: int | None = Field(default=None, foreign_key="users.id")
    quoted_at: datetime | None = _when()
    decided_by: int | None = Field(default=None, foreign_key="users.id")
    accepted_at: datetime | None = _when()
    rejected_at: datetime | None = _when()
    started_at: datetime | None = _when()
    delivered_at: datetime | None = _when()
    actual_hours: Decimal | None = _exact()
    created_by: int = Field(foreign_key="users.id")
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=sa.Column(UTCDateTime, nullable=False, index=True)
    )
    updated_at: datetime = _updated()


class ServiceParticipant(SQLModel, table=True):
    """A municipality sharing a basic service's cost in one budget year (none: every member)."""

    __tablename__ = "service_participants"

    service_code: str = Field(foreign_key="services.code", max_length=40, primary_key=True)
    year: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    municipality_number: str = Field(
        foreign_key="municipalities.number", max_length=4, primary_key=True
    )


class BudgetYear(SQLModel, table=True):
    """A closed budget year: its reports are frozen and what they were made from is kept."""

    __tablename__ = "budget_years"

    year: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    closed_at: datetime = _created()
    closed_by: int | None = Field(default=None, foreign_key="users.id")
    # The allocation keys and population years the frozen figures were made from.
    allocation_keys: list[str] = Field(
        default_factory=list, sa_column=sa.Column(sa.JSON, nullable=False)
    )
    population_years: list[int] = Field(
        default_factory=list, sa_column=sa.Column(sa.JSON, nullable=False)
    )


class FrozenCostReport(SQLModel, table=True):
    """A closed year's report as served at closing: one per municipality, ``*`` for all."""

    __tablename__ = "frozen_cost_reports"

    year: int = Field(foreign_key="budget_years.year", primary_key=True)
    scope: str = Field(max_length=4, primary_key=True)
    body: dict[str, Any] = Field(sa_column=sa.Column(sa.JSON, nullable=False))


class SubscriptionEdit(SQLModel, table=True):
    """One change of a subscription's quantity or end: who, when, old and new."""

    __tablename__ = "subscription_edits"

    id: int | None = Field(default=None, primary_key=True)
    subscription_id: int = Field(foreign_key="subscriptions.id", index=True)
    field: str = Field(max_length=16)
    old_value: str | None = Field(default=None, max_length=40)
    new_value: str | None = Field(default=None, max_length=40)
    # For a quantity: the day the new quantity holds from.
    effective_on: date | None = None
    # What made the change: an order's fulfilment, an edit, the municipality leaving.
    source: str = Field(max_length=16)
    order_id: int | None = Field(default=None, foreign_key="orders.id")
    changed_by: int | None = Field(default=None, foreign_key="users.id")
    changed_at: datetime = _created()
