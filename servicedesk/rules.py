"""Routing rules: manage them, and route a (draft) ticket to its queue."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session
from sqlmodel import col

from kommune_ikt.core.auth.actor import IT_ROLES, Actor, Role
from kommune_ikt.core.errors import NotFound
from kommune_ikt.core.messages import N_
from kommune_ikt.core.types import utcnow
from servicedesk import catalogue
from servicedesk.models import RoutingRule
from servicedesk.priority import priority_for
from servicedesk.queues import find_queue
from servicedesk.routing import Draft, first_match
from servicedesk.snapshot import QueueRef, Reference, RuleRef, reference


@dataclass(frozen=True)
class Route:
    """Where a ticket goes and why: the rule that matched, or None for the default queue."""

    queue: QueueRef
    rule: RuleRef | None

    def explain(self) -> dict[str, Any]:
        """The history's record of the decision, so an agent sees why a ticket landed here."""
        if self.rule is None:
            return {"queue": self.queue.code, "rule": None, "reason": "no rule matched: default"}
        return {
            "queue": self.queue.code,
            "rule": self.rule.id,
            "position": self.rule.position,
            "name": self.rule.name,
        }


def ordered_rules(session: Session) -> list[RoutingRule]:
    return list(
        session.scalars(
            sa.select(RoutingRule).order_by(col(RoutingRule.position), col(RoutingRule.id))
        )
    )


def route(ref: Reference, draft: Draft) -> Route:
    """The first rule by position that matches, else the default queue."""
    rule = first_match(ref.rules, draft)
    if rule is None:
        return Route(ref.default_queue(), None)
    # A foreign key keeps the rule's queue alive, so it is in the same snapshot.
    return Route(ref.queues[rule.queue_code], rule)


def test_route(session: Session, actor: Actor, data: dict[str, Any]) -> dict[str, Any]:
    """Where a draft ticket would go (queue, rule, priority), creating nothing."""
    actor.require(*IT_ROLES)
    ref = reference(session)
    if data.get("service_code") is not None:
        ref.check_service(data["service_code"])
    priority = priority_for(data["impact"], data["urgency"])
    draft = Draft(
        type=data["type"],
        title=data["title"],
        description=data.get("description") or "",
        municipality=data["municipality"],
        priority=priority,
        service_code=data.get("service_code"),
        category=data.get("category"),
    )
    decision = route(ref, draft)
    return {"queue": decision.queue.code, "rule": decision.rule, "priority": priority}


def list_rules(session: Session, actor: Actor) -> list[RoutingRule]:
    actor.require(*IT_ROLES)
    return ordered_rules(session)


def get_rule(
    session: Session, actor: Actor, rule_id: int, *, for_update: bool = False
) -> RoutingRule:
    actor.require(*IT_ROLES)
    rule = session.get(RoutingRule, rule_id, with_for_update=for_update)
    if rule is None:
        raise NotFound(N_("Routing rule not found."))
    return rule


def create_rule(session: Session, actor: Actor, data: dict[str, Any]) -> RoutingRule:
    actor.require(Role.ADMIN)
    find_queue(session, data["queue_code"])
    match = _checked_match(session, data.get("match") or {})
    rule = RoutingRule(
        position=data["position"],
        name=data.get("name") or "",
        match=match,
        queue_code=data["queue_code"],
    )
    session.add(rule)
    session.flush()
    return rule


def update_rule(
    session: Session, actor: Actor, rule: RoutingRule, changes: dict[str, Any]
) -> RoutingRule:
    actor.require(Role.ADMIN)
    if "queue_code" in changes:
        rule.queue_code = find_queue(session, changes["queue_code"]).code
    if "match" in changes:
        rule.match = _checked_match(session, changes["match"] or {})
    for key in ("position", "name"):
        if key in changes:
            setattr(rule, key, changes[key] if changes[key] is not None else "")
    rule.updated_at = utcnow()
    session.flush()
    return rule


def delete_rule(session: Session, actor: Actor, rule: RoutingRule) -> None:
    actor.require(Role.ADMIN)
    session.delete(rule)
    session.flush()


def _checked_match(session: Session, match: dict[str, Any]) -> dict[str, Any]:
    """Drop empty criteria; unknown services and municipalities are 422 naming the field."""
    clean = {k: v for k, v in match.items() if v not in (None, [], "")}
    if "service_code" in clean:
        catalogue.check_service(session, clean["service_code"], "match.service_code")
    if "municipality" in clean:
        catalogue.check_municipality(session, clean["municipality"], "match.municipality")
    if "keywords" in clean:
        clean["keywords"] = [" ".join(k.split()) for k in clean["keywords"]]
    return clean
