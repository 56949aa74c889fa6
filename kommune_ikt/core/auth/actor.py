"""The Actor: who is calling, in which role, for which municipality."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from kommune_ikt.core.errors import Forbidden, NotFound
from kommune_ikt.core.messages import N_


class Role(StrEnum):
    REQUESTER = "requester"
    ORDERER = "orderer"
    AGENT = "agent"
    CATALOGUE_MANAGER = "catalogue_manager"
    OPERATIONS = "operations"
    ADMIN = "admin"


MUNICIPAL_ROLES = frozenset({Role.REQUESTER, Role.ORDERER})
IT_ROLES = frozenset(set(Role) - MUNICIPAL_ROLES)


@dataclass(frozen=True)
class Actor:
    """The caller of a service function: a user, the scheduler or the CLI."""

    user_id: int | None
    role: Role
    municipality: str | None = None
    email: str | None = None
    # The user's language setting (nb, nn, sv, en); None: the request's or the default.
    language: str | None = None

    @property
    def is_municipal(self) -> bool:
        return self.role in MUNICIPAL_ROLES

    @property
    def is_it(self) -> bool:
        return self.role in IT_ROLES

    def has(self, *roles: Role) -> bool:
        return self.role == Role.ADMIN or self.role in roles

    def require(self, *roles: Role) -> None:
        """Raise 403 unless the actor holds one of ``roles`` (admin holds all)."""
        if not self.has(*roles):
            allowed = ", ".join(sorted(r.value for r in roles)) or "admin"
            raise Forbidden(
                N_("This action needs one of the roles: %(roles)s."), params={"roles": allowed}
            )

    def can_see_municipality(self, number: str | None) -> bool:
        return not self.is_municipal or number == self.municipality

    def ensure_visible(self, number: str | None, what: str = "Object") -> None:
        """404 (never a hint that it exists) for another municipality's object."""
        if not self.can_see_municipality(number):
            raise NotFound(N_("%(what)s not found."), params={"what": what})

    def check_municipality_filter(self, number: str | None) -> str | None:
        """The municipality a list may show: 403 when a municipal actor asks for another."""
        if self.is_municipal:
            if number is not None and number != self.municipality:
                raise Forbidden(N_("You may only list objects of your own municipality."))
            return self.municipality
        return number


SYSTEM = Actor(user_id=None, role=Role.ADMIN, email="system")
