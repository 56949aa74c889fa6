"""What the servicedesk needs from the catalogue: does a service exist?"""

from __future__ import annotations

from sqlalchemy.orm import Session

from kommune_ikt.core.errors import ValidationFailed
from kommune_ikt.core.messages import N_
from service_catalog.models import Municipality, Service


def check_service(session: Session, code: str, field: str = "service_code") -> Service:
    """The service, or a 422 naming ``field``."""
    service = session.get(Service, code)
    if service is None:
        raise ValidationFailed(field, N_("Unknown service %(code)s."), params={"code": code})
    return service


def check_municipality(session: Session, number: str, field: str = "municipality") -> Municipality:
    municipality = session.get(Municipality, number)
    if municipality is None:
        raise ValidationFailed(
            field, N_("Unknown municipality %(number)s."), params={"number": number}
        )
    return municipality
