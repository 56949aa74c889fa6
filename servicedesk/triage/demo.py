"""Triage demo: ten queues, about two thousand resolved tickets of the past year, a model.

The tickets come from corpus.py (seeded, so every demo has the same history)
and are written in bulk (a creation through the services for each would cost
most of the demo's time budget): their rows, a short history each, search
entries, no SLA rows (they were closed long ago). Then a model is trained on
them, so a newcomer sees suggestions at once.
"""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session
from sqlmodel import col

from kommune_ikt.core.auth.actor import SYSTEM
from kommune_ikt.core.auth.models import User
from kommune_ikt.core.config import Settings
from kommune_ikt.core.db import saved_id, table_of
from kommune_ikt.core.types import utcnow
from service_catalog.models import Service
from servicedesk import search
from servicedesk.choices import NUMBER_PREFIX, TicketType
from servicedesk.models import Queue, QueueAgent, Ticket, TicketCounter, TicketHistory
from servicedesk.numbering import OSLO
from servicedesk.priority import priority_for
from servicedesk.triage import corpus, training
from servicedesk.triage.models import TriageModelRow

TICKETS = 2_000
SEED = 20_181_101
# Before the servicedesk demo's 90 days of live tickets.
OLDEST_DAYS, NEWEST_DAYS = 455, 91
REQUESTS = {"Bestilling", "Tilgang", "Spørsmål"}
RULES = [
    # position, name, queue, match: the hand-written keyword rules for the new queues
    (60, "Sak og arkiv", "SAK-ARKIV", {"keywords": ["WebSak", "Elements", "Public 360",
                                                   "SvarUt", "SvarInn", "arkiv"]}),
    (70, "Lønn og økonomi", "OKONOMI-HR", {"keywords": ["Visma Enterprise", "lønn",
                                                      "reiseregning", "faktura"]}),
    (80, "Passord", "TILGANG", {"keywords": ["passord", "låst", "tilgang"]}),
    (90, "Sikkerhet", "SIKKERHET", {"keywords": ["phishing", "virus", "svindel"]}),
    (100, "Telefoni", "TELEFONI", {"keywords": ["sentralbord", "SIM", "abonnement"]}),
]  # fmt: skip


def load_triage_demo(session: Session, users: dict[str, User]) -> None:
    """Queues, a year of resolved tickets and a trained model (once)."""
    from servicedesk.demo import _requesters
    from servicedesk.models import RoutingRule

    agents = [u for e, u in users.items() if e.startswith("agent")]
    for code, name, sector in corpus.QUEUES:
        if session.get(Queue, code) is None:
            session.add(Queue(code=code, name=name, sector=sector, auto_assign=False))
            session.flush()
            for agent in agents:
                session.add(QueueAgent(queue_code=code, user_id=saved_id(agent)))
    session.flush()
    if session.scalar(sa.select(col(TriageModelRow.version)).limit(1)) is not None:
        return
    if (
        session.scalar(
            sa.select(col(RoutingRule.id)).where(col(RoutingRule.position) >= 60).limit(1)
        )
        is None
    ):
        for position, name, queue, match in RULES:
            session.add(RoutingRule(position=position, name=name, queue_code=queue, match=match))
    requesters = [u for group in _requesters(session, users).values() for u in group]
    services_known = set(session.scalars(sa.select(col(Service.code))))
    _history_tickets(session, requesters, agents, services_known)
    rows = training.read_samples(session, Settings().triage_max_samples)
    samples = training.prepare(rows)
    model, measured = training.learn(samples, Settings().triage_target_precision)
    training.store_model(session, model, measured, samples, SYSTEM, utcnow())


def _history_tickets(
    session: Session, requesters: list[User], agents: list[User], services_known: set[str]
) -> None:
    rng = random.Random(SEED)  # reproducible demo data, not a secret  # nosec B311
    now = utcnow()
    span = (OLDEST_DAYS - NEWEST_DAYS) * 86_400
    samples = list(corpus.generate(TICKETS, SEED, ambiguous_share=0.1, label_noise=0.03))
    planned: list[dict[str, Any]] = []
    for sample in samples:
        created = now - timedelta(days=OLDEST_DAYS) + timedelta(seconds=rng.randrange(span))
        kind = TicketType.SERVICE_REQUEST if sample.category in REQUESTS else TicketType.INCIDENT
        impact, urgency = rng.choice((3, 3, 2)), rng.choice((3, 2, 2, 1))
        resolved = created + timedelta(hours=rng.uniform(0.5, 72))
        requester = rng.choice(requesters)
        agent = rng.choice(agents) if agents else None
        planned.append(
            {
                "type": kind.value,
                "title": sample.title or "Sak",
                "description": sample.description or sample.title or "Sak",
                "municipality_number": requester.municipality_number,
                "requester_id": requester.id,
                "service_code": sample.service_code
                if sample.service_code in services_known
                else None,
                "category": sample.category,
                "impact": impact,
                "urgency": urgency,
                "priority": priority_for(impact, urgency),
                "status": "closed",
                "queue_code": sample.queue,
                "assignee_id": agent.id if agent else None,
                "resolution": "Løst.",
                "responded_at": created + timedelta(minutes=rng.uniform(5, 120)),
                "resolved_at": resolved,
                "created_at": created,
                "updated_at": resolved + timedelta(days=7),
                "version": 4,
            }
        )
    planned.sort(key=lambda t: t["created_at"])
    _number(session, planned)
    table = table_of(Ticket)
    ids = session.execute(sa.insert(table).returning(table.c.id), planned).scalars().all()
    history = []
    for ticket_id, t in zip(ids, planned, strict=True):
        requester_id, agent_id = t["requester_id"], t["assignee_id"]
        for at, actor, field, old, new in (
            (t["created_at"], requester_id, "status", None, "new"),
            (t["created_at"], None, "queue", None, t["queue_code"]),
            (t["resolved_at"], agent_id, "status", "in_progress", "resolved"),
            (t["updated_at"], None, "status", "resolved", "closed"),
        ):
            history.append(
                {"ticket_id": ticket_id, "at": at, "actor_id": actor, "field": field,
                 "old": old, "new": new, "internal": False}
            )  # fmt: skip
    session.execute(sa.insert(table_of(TicketHistory)), history)
    first = min(ids)
    if session.get_bind().dialect.name == "postgresql":
        session.execute(
            sa.update(table)
            .where(table.c.id >= first)
            .values(
                {
                    search.SEARCH_DOCUMENT.name: search.document(
                        table.c.number, table.c.title, table.c.description, None
                    )
                }
            )
        )
    else:
        session.execute(
            sa.text(
                "INSERT INTO ticket_fts (rowid, number, title, description, comments) "
                "SELECT id, number, title, description, '' FROM tickets WHERE id >= :first"
            ),
            {"first": first},
        )
    session.flush()


def _number(session: Session, planned: list[dict[str, Any]]) -> None:
    """Take a block of numbers per type and year from the counters (one upsert each)."""
    groups: dict[tuple[str, int], list[dict[str, Any]]] = defaultdict(list)
    for t in planned:
        groups[(t["type"], t["created_at"].astimezone(OSLO).year)].append(t)
    counters = table_of(TicketCounter)
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    for (kind, year), tickets in sorted(groups.items()):
        k = len(tickets)
        last = session.execute(
            insert(counters)
            .values(type=kind, year=year, last=k)
            .on_conflict_do_update(
                index_elements=[counters.c.type, counters.c.year],
                set_={"last": counters.c.last + k},
            )
            .returning(counters.c.last)
        ).scalar_one()
        prefix = NUMBER_PREFIX[TicketType(kind)]
        for n, t in enumerate(tickets, start=last - k + 1):
            t["number"] = f"{prefix}-{year}-{n:06d}"
