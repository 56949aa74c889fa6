"""A user made by the ``create_user`` fixture, with the token to call the API as them."""

from __future__ import annotations

from dataclasses import dataclass

from kommune_ikt.core.auth.actor import Actor, Role


@dataclass
class UserWithToken:
    id: int
    email: str
    role: Role
    municipality: str | None
    token: str
    token_id: int

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    @property
    def actor(self) -> Actor:
        return Actor(self.id, self.role, self.municipality, self.email)
