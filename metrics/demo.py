"""Demo outages: a past incident, past and coming maintenance (loaded once)."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session
from sqlmodel import col

from kommune_ikt.core.auth.actor import Actor, Role
from kommune_ikt.core.auth.models import User
from kommune_ikt.core.types import utcnow
from metrics import outages
from metrics.models import Outage
from service_catalog.models import Service


def load_metrics_demo(session: Session, users: dict[str, User]) -> None:
    """Outages of the demo's e-mail and network services, dated around today."""
    if session.scalar(sa.select(col(Outage.id)).limit(1)) is not None:
        return
    operator = next((u for email, u in users.items() if email.startswith("operations@")), None)
    if operator is None:
        return
    actor = Actor(operator.id, Role(operator.role), None, operator.email)
    now = utcnow().replace(second=0, microsecond=0)
    day = timedelta(days=1)
    plan = [
        ("EPOST", now - 10 * day, timedelta(hours=2), False, "Exchange answered no logins."),
        ("NETT", now - 6 * day, timedelta(minutes=45), False, "Fibre cut between two sites."),
        ("EPOST", now - 5 * day, timedelta(hours=3), True, "Quarterly patching."),
        ("NETT", now + 3 * day, timedelta(hours=2), True, "Core switch replacement."),
    ]
    for code, start, length, planned, text in plan:
        if session.get(Service, code) is None:
            continue
        outages.create_outage(
            session,
            actor,
            {
                "service_code": code,
                "started_at": start,
                "ended_at": start + length,
                "planned": planned,
                "municipalities": None,
                "description": text,
            },
            now=now,
        )
