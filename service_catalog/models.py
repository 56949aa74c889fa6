"""Catalogue tables."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import Field

from kommune_ikt.db import SQLModel
from kommune_ikt.types import UTCDateTime, utcnow


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
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=sa.Column(UTCDateTime, nullable=False)
    )
    updated_at: datetime = Field(
        default_factory=utcnow, sa_column=sa.Column(UTCDateTime, nullable=False)
    )

    def is_member_on(self, day: date) -> bool:
        """Member on ``day``: joined on or before it and not yet left."""
        return self.joined_on <= day and (self.left_on is None or day < self.left_on)
