"""The main menu: each page module registers its entries, ``base.html`` shows those the
signed-in user's role may open. Keeps ``base.html`` free of a list of every page."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from kommune_ikt.core.auth.actor import Actor, Role


@dataclass(frozen=True)
class NavItem:
    endpoint: str
    label: object  # a lazy gettext string
    roles: frozenset[Role] | None  # None: every signed-in user
    order: int


_ITEMS: list[NavItem] = []


def register(
    endpoint: str, label: object, roles: Iterable[Role] | None = None, order: int = 100
) -> None:
    """Add ``endpoint`` to the menu (once) for ``roles`` (every role when None)."""
    if any(item.endpoint == endpoint for item in _ITEMS):
        return
    _ITEMS.append(NavItem(endpoint, label, frozenset(roles) if roles is not None else None, order))
    _ITEMS.sort(key=lambda item: item.order)


def for_actor(actor: Actor | None) -> list[NavItem]:
    if actor is None:
        return []
    return [
        i for i in _ITEMS if i.roles is None or actor.role in i.roles or actor.role == Role.ADMIN
    ]
