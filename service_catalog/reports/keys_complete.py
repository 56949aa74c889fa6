"""Refusing a change that would leave an open year's basic service unable to split a month."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session
from sqlmodel import col

from kommune_ikt.core.errors import ValidationFailed
from kommune_ikt.core.messages import N_
from service_catalog import allocation, closing
from service_catalog.choices import PriceModel
from service_catalog.keys import load_keys
from service_catalog.models import (
    Municipality,
    ServicePrice,
)
from service_catalog.municipalities import today
from service_catalog.reports.lines import explained
from service_catalog.reports.year_data import participants_of


def check_keys_complete(session: Session) -> None:
    """422 naming the municipality when an open year's basic service cannot split a month.

    Run after every change to keys, prices, participants or memberships, so a
    report never meets a fixed-shares key without a member's share.
    """
    closed = set(closing.closed_years(session))
    rows = session.execute(
        sa.select(
            col(ServicePrice.service_code), col(ServicePrice.year), col(ServicePrice.allocation_key)
        ).where(col(ServicePrice.model) == PriceModel.ALLOCATION.value)
    ).all()
    rows = [r for r in rows if r.year not in closed]
    if not rows:
        return
    keys = load_keys(session)
    municipalities = list(session.scalars(sa.select(Municipality).order_by(Municipality.number)))
    participants = participants_of(session, {r.year for r in rows})
    latest: dict[str, int] = {}
    for code, year, _ in rows:
        latest[code] = max(year, latest.get(code, year))
    now = today()
    for code, year, key_name in rows:
        key = keys.get(key_name or "")
        if not isinstance(key, allocation.FixedKey):
            continue
        taking_part = participants.get((code, year))
        if taking_part is None and year == latest[code]:
            # The key carries the service on: every member now or to come needs a share.
            for m in municipalities:
                if (m.left_on is None or m.left_on > now) and m.number not in key.shares:
                    raise _missing_share(key, m.number)
        members = [
            allocation.Member(m.number, 0, m.joined_on, m.left_on)
            for m in municipalities
            if taking_part is None or m.number in taking_part
        ]
        allocator = allocation.Allocator.for_year(year, members)
        for month in allocation.MONTHS:
            if not allocator.monthly_members[month - 1]:
                continue
            with explained():
                allocator.weights(key, month)


def _missing_share(key: allocation.FixedKey, number: str) -> ValidationFailed:
    message = N_(
        "Allocation key %(key)r shares basic services and has no fixed share for "
        "municipality %(number)s, a member now or from a later date."
    )
    return ValidationFailed(
        errors={f"fixed_shares.{number}": [message]},
        detail=message,
        params={"key": key.name, "number": number},
        municipality=number,
        allocation_key=key.name,
    )
