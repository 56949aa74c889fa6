"""The state machines of services, orders and special requests (pure, no database)."""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import TypeVar

from kommune_ikt.core.errors import Conflict
from kommune_ikt.core.messages import N_
from service_catalog.choices import OrderStatus, ServiceStatus, SpecialRequestStatus

S = TypeVar("S", bound=StrEnum)

SERVICE_TRANSITIONS: Mapping[ServiceStatus, frozenset[ServiceStatus]] = {
    ServiceStatus.PLANNED: frozenset({ServiceStatus.ACTIVE, ServiceStatus.RETIRED}),
    ServiceStatus.ACTIVE: frozenset({ServiceStatus.RETIRED}),
    # A retired service stays retired: its code remains on old reports and
    # tickets; a successor gets a new code.
    ServiceStatus.RETIRED: frozenset(),
}

ORDER_TRANSITIONS: Mapping[OrderStatus, frozenset[OrderStatus]] = {
    OrderStatus.PENDING_APPROVAL: frozenset(
        {OrderStatus.APPROVED, OrderStatus.REJECTED, OrderStatus.CANCELLED}
    ),
    OrderStatus.APPROVED: frozenset({OrderStatus.FULFILLED, OrderStatus.CANCELLED}),
    OrderStatus.REJECTED: frozenset(),
    OrderStatus.FULFILLED: frozenset(),
    OrderStatus.CANCELLED: frozenset(),
}

SPECIAL_REQUEST_TRANSITIONS: Mapping[SpecialRequestStatus, frozenset[SpecialRequestStatus]] = {
    # A quoted request may be quoted again (a corrected quote) until accepted.
    SpecialRequestStatus.SUBMITTED: frozenset({SpecialRequestStatus.QUOTED}),
    SpecialRequestStatus.QUOTED: frozenset(
        {SpecialRequestStatus.QUOTED, SpecialRequestStatus.ACCEPTED, SpecialRequestStatus.REJECTED}
    ),
    SpecialRequestStatus.ACCEPTED: frozenset({SpecialRequestStatus.IN_PROGRESS}),
    SpecialRequestStatus.IN_PROGRESS: frozenset({SpecialRequestStatus.DELIVERED}),
    SpecialRequestStatus.REJECTED: frozenset(),
    SpecialRequestStatus.DELIVERED: frozenset(),
}


def allowed_from(transitions: Mapping[S, frozenset[S]], current: S) -> list[str]:
    """The states reachable from ``current``, sorted, as strings."""
    return sorted(s.value for s in transitions[current])


def check_transition(
    transitions: Mapping[S, frozenset[S]],
    current: S,
    target: S,
    what: str,
    ident: object = None,
) -> None:
    """409 naming the allowed transitions when ``current`` → ``target`` is not one of them.

    ``what`` is the thing's kind (``N_("Order")``, translated), ``ident`` its id.
    """
    if target in transitions[current]:
        return
    allowed = allowed_from(transitions, current)
    reachable = ", ".join(allowed) if allowed else N_("none (final state)")
    raise Conflict(
        N_(
            "%(what)s is %(current)s; it cannot become %(target)s. "
            "Allowed from %(current)s: %(reachable)s."
        )
        if ident is None
        else N_(
            "%(what)s %(id)s is %(current)s; it cannot become %(target)s. "
            "Allowed from %(current)s: %(reachable)s."
        ),
        errors={"status": [N_("Allowed from %(current)s: %(reachable)s.")]},
        params={
            "what": what,
            "id": ident,
            "current": current.value,
            "target": target.value,
            "reachable": reachable,
        },
        allowed_transitions=allowed,
    )
