"""What filing a ticket reads besides the ticket: one cached snapshot per reference token.

Members, services, queues, routing rules, SLA policy sets and calendars are
loaded together (six small queries) when the reference token changes, and
otherwise taken from the process's copy (kommune_ikt/core/reference_cache.py): a ticket
creation checks its municipality, service and queue, routes, and computes its
SLA targets without reading any of these tables.

The snapshot holds plain frozen values, never ORM objects, so it can be shared
by every request of the process.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from types import MappingProxyType
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session
from sqlmodel import col

from kommune_ikt.core import reference_cache as cache
from kommune_ikt.core.errors import Conflict, ValidationFailed
from kommune_ikt.core.messages import N_
from service_catalog.models import Municipality, Service, member_on
from servicedesk.models import Queue, RoutingRule
from servicedesk.sla.calendars import spec_of
from servicedesk.sla.clock import BusinessClock, clock_for
from servicedesk.sla.models import SlaCalendar, SlaPolicy


@dataclass(frozen=True)
class Member:
    number: str
    joined_on: date
    left_on: date | None
    sla_policy_set: str | None

    def is_member_on(self, day: date) -> bool:
        return member_on(self.joined_on, self.left_on, day)


@dataclass(frozen=True)
class QueueRef:
    code: str
    name: str
    auto_assign: bool
    is_default: bool


@dataclass(frozen=True)
class RuleRef:
    """A routing rule as routing reads it (``match`` is shared: never mutate it)."""

    id: int
    position: int
    name: str
    match: Mapping[str, Any]
    queue_code: str


@dataclass(frozen=True)
class Reference:
    members: Mapping[str, Member]
    service_hours: Mapping[str, str]  # every service's code -> its service hours
    queues: Mapping[str, QueueRef]
    rules: tuple[RuleRef, ...]  # by position, then id
    # set name -> priority ("1".."4") -> {response_minutes, resolution_minutes, calendar}
    policy_sets: Mapping[str, Mapping[str, Mapping[str, Any]]]
    clocks: Mapping[str, BusinessClock]

    def member(self, number: str, field: str = "municipality") -> Member:
        """The municipality, or a 422 naming ``field`` (as catalogue.check_municipality)."""
        if number not in self.members:
            raise ValidationFailed(
                field, N_("Unknown municipality %(number)s."), params={"number": number}
            )
        return self.members[number]

    def check_service(self, code: str, field: str = "service_code") -> None:
        """A 422 naming ``field`` unless the service exists (as catalogue.check_service)."""
        if code not in self.service_hours:
            raise ValidationFailed(field, N_("Unknown service %(code)s."), params={"code": code})

    def queue(self, code: str, field: str = "queue") -> QueueRef:
        """The queue, or a 422 naming ``field`` (as queues.find_queue)."""
        if code not in self.queues:
            raise ValidationFailed(field, N_("Unknown queue %(code)s."), params={"code": code})
        return self.queues[code]

    def default_queue(self) -> QueueRef:
        for queue in self.queues.values():
            if queue.is_default:
                return queue
        raise Conflict(N_("No default queue is configured."))  # pragma: no cover - seeded, kept


def reference(session: Session) -> Reference:
    """The current snapshot (one token lookup; six small queries when it changed)."""
    return cache.cached(session, "servicedesk", _load)


def _load(session: Session) -> Reference:
    members = {
        m.number: Member(m.number, m.joined_on, m.left_on, m.sla_policy_set)
        for m in session.execute(
            sa.select(
                col(Municipality.number),
                col(Municipality.joined_on),
                col(Municipality.left_on),
                col(Municipality.sla_policy_set),
            )
        )
    }
    hours = dict(session.execute(sa.select(col(Service.code), col(Service.service_hours))).all())
    queues = {
        q.code: QueueRef(q.code, q.name, q.auto_assign, q.is_default)
        for q in session.execute(
            sa.select(
                col(Queue.code), col(Queue.name), col(Queue.auto_assign), col(Queue.is_default)
            )
        )
    }
    rules = tuple(
        RuleRef(r.id, r.position, r.name, MappingProxyType(dict(r.match or {})), r.queue_code)
        for r in session.execute(
            sa.select(
                col(RoutingRule.id),
                col(RoutingRule.position),
                col(RoutingRule.name),
                col(RoutingRule.match),
                col(RoutingRule.queue_code),
            ).order_by(col(RoutingRule.position), col(RoutingRule.id))
        )
    )
    sets: dict[str, dict[str, Mapping[str, Any]]] = {}
    for p in session.execute(
        sa.select(
            col(SlaPolicy.set_name),
            col(SlaPolicy.priority),
            col(SlaPolicy.response_minutes),
            col(SlaPolicy.resolution_minutes),
            col(SlaPolicy.calendar),
        )
    ):
        sets.setdefault(p.set_name, {})[str(p.priority)] = MappingProxyType(
            {
                "response_minutes": p.response_minutes,
                "resolution_minutes": p.resolution_minutes,
                "calendar": p.calendar,
            }
        )
    clocks = {
        calendar.name: clock_for(spec_of(calendar.document()))
        for calendar in session.scalars(sa.select(SlaCalendar))
    }
    return Reference(
        members=MappingProxyType(members),
        service_hours=MappingProxyType(hours),
        queues=MappingProxyType(queues),
        rules=rules,
        policy_sets=MappingProxyType({k: MappingProxyType(v) for k, v in sets.items()}),
        clocks=MappingProxyType(clocks),
    )
