"""The demo collaboration: IKT Orkidé's real members, one user per role, and each domain's demo."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session
from sqlmodel import col

from kommune_ikt.core.auth import services as auth_services
from kommune_ikt.core.auth.actor import SYSTEM, Role
from kommune_ikt.core.auth.models import User
from kommune_ikt.core.db import saved_id

DEMO_COLLABORATION = "IKT Orkidé"
HOST_MUNICIPALITY = "1505"  # Kristiansund, vertskommune
OTHER_MUNICIPALITY = "1563"  # Sunndal

DEMO_USERS = [
    ("requester@kristiansund.demo", Role.REQUESTER, HOST_MUNICIPALITY, "Kari Requester"),
    ("orderer@kristiansund.demo", Role.ORDERER, HOST_MUNICIPALITY, "Ola Bestiller"),
    ("requester@sunndal.demo", Role.REQUESTER, OTHER_MUNICIPALITY, "Siri Requester"),
    ("orderer@sunndal.demo", Role.ORDERER, OTHER_MUNICIPALITY, "Sven Bestiller"),
    ("agent@orkide.demo", Role.AGENT, None, "Agnes Agent"),
    ("agent2@orkide.demo", Role.AGENT, None, "Arne Agent"),
    ("catalogue@orkide.demo", Role.CATALOGUE_MANAGER, None, "Kim Katalog"),
    ("operations@orkide.demo", Role.OPERATIONS, None, "Olav Drift"),
    ("admin@orkide.demo", Role.ADMIN, None, "Anne Admin"),
]


def load_demo(session: Session) -> list[tuple[str, str, str]]:
    """Load (or top up) the demo; return ``(email, role, token)`` for each demo user."""
    from service_catalog.demo import load_catalogue_demo

    load_catalogue_demo(session)
    users = _load_users(session)
    for loader in _domain_loaders():
        loader(session, users)
    tokens = []
    for email, role, _municipality, _name in DEMO_USERS:
        issued = auth_services.issue_token(session, SYSTEM, saved_id(users[email]), "demo")
        tokens.append((email, role.value, issued.secret))
    return tokens


def _load_users(session: Session) -> dict[str, User]:
    users: dict[str, User] = {}
    for email, role, municipality, name in DEMO_USERS:
        existing = session.scalar(sa.select(User).where(col(User.email) == email))
        users[email] = existing or auth_services.create_user(
            session, SYSTEM, email=email, role=role, municipality=municipality, name=name
        )
    return users


def _domain_loaders() -> list:
    """Demo loaders of the domains that build on the catalogue (servicedesk, metrics)."""
    from metrics.demo import load_metrics_demo
    from service_catalog.demo import load_catalogue_activity
    from servicedesk.demo import load_servicedesk_demo
    from servicedesk.triage.demo import load_triage_demo

    return [load_catalogue_activity, load_servicedesk_demo, load_triage_demo, load_metrics_demo]
