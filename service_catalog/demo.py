"""Catalogue demo data: IKT Orkidé's nine current members with their official populations."""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from kommune_ikt.auth.actor import SYSTEM
from service_catalog.models import Municipality
from service_catalog.municipalities import add_municipality
from service_catalog.reference import collaboration_members

COLLABORATION = "IKT Orkidé"
# Joining dates are not published per member; the collaboration's start of
# the current structure (1 Jan 2019, after Eide, Fræna and Nesset left) is
# used for everyone. Illustrative.
DEMO_JOINED_ON = date(2019, 1, 1)


def load_catalogue_demo(session: Session) -> list[Municipality]:
    """Add the collaboration's current members (skipping ones already there)."""
    added = []
    for member in collaboration_members(COLLABORATION):
        if member.status != "member":
            continue
        if session.get(Municipality, member.number) is not None:
            continue
        added.append(
            add_municipality(
                session, SYSTEM, {"number": member.number, "joined_on": DEMO_JOINED_ON}
            )
        )
    return added
