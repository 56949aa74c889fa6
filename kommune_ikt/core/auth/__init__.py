"""Users, roles, bearer tokens and the Actor passed into every service function."""

from kommune_ikt.core.auth.actor import Actor, Role

__all__ = ["Actor", "Role"]
