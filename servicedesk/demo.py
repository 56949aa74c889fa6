"""Servicedesk demo: queues, routing rules and a few hundred tickets across IKT Orkidé's members.

Everything goes through the services (routing, numbering, assignment,
history, search and SLA), with the clock set back, so the demo looks like
three months of real work: old tickets closed, recent ones still open.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session
from sqlmodel import col

from kommune_ikt.core.auth import services as auth_services
from kommune_ikt.core.auth.actor import SYSTEM, Actor, Role
from kommune_ikt.core.auth.models import User
from kommune_ikt.core.db import saved_id
from kommune_ikt.core.types import utcnow
from service_catalog.models import Municipality, Order, Service
from service_catalog.municipalities import is_active
from servicedesk import filing, services
from servicedesk.models import Queue, QueueAgent, RoutingRule, Ticket
from servicedesk.queues import default_queue

TICKETS = 300
DAYS = 90
SEED = 20_181_101  # IKT Orkidé's board decided on one shared servicedesk in 2018.

QUEUES = [
    # code, name, sector, auto-assign, agents (demo e-mails)
    ("ARBEIDSPLASS", "Arbeidsplass: PC, skriver, Office", "felles", True, ["agent@", "agent2@"]),
    ("NETTVERK", "Nettverk og infrastruktur", "felles", True, ["agent@", "agent2@"]),
    ("HELSE", "Helse- og omsorgssystemer", "helse", True, ["agent@"]),
    ("SKOLE", "Skolesystemer", "oppvekst", True, ["agent2@"]),
]
RULES: list[tuple[int, str, str, dict[str, Any]]] = [
    # position, name, queue, match
    (10, "Journal og helsesystemer", "HELSE", {"keywords": [
        "journal", "pasientjournal", "journalsystemet", "EPJ", "Gerica", "Profil", "CosDoc",
        "e-resept", "helsenett", "meldingsutveksling"]}),
    (20, "Skole og oppvekst", "SKOLE", {"keywords": [
        "Feide", "itslearning", "Visma Flyt Skole", "Chromebook", "elev", "elevene", "elevane"]}),
    (30, "Nettverkstjenesten", "NETTVERK", {"service_code": "NETT"}),
    (40, "Nettverk etter nøkkelord", "NETTVERK", {"keywords": [
        "nettverk", "nettet", "wifi", "trådløst", "VPN", "brannmur", "switch", "server",
        "internett"]}),
    (50, "Arbeidsplassen", "ARBEIDSPLASS", {"keywords": [
        "PC", "PC-en", "skriver", "skriveren", "printer", "Outlook", "Teams", "Office",
        "mobil", "mobilen", "skjerm", "tastatur"]}),
]  # fmt: skip

# (title, extra sentence, service code or None, impact, urgency, type)
INC, REQ = "incident", "service_request"
SAMPLES = [
    ("Får ikke åpnet pasientjournal i Gerica", "Utløpt sertifikat.", None, 2, 1, INC),
    ("Profil henger ved innlogging", "Gjelder alle på nattevakt.", None, 2, 2, INC),
    ("E-resept feiler for legekontoret", "Reseptene blir liggende i utboksen.", None, 1, 2, INC),
    ("Ny sykepleier trenger tilgang til journal", "Starter mandag.", None, 3, 2, REQ),
    ("Meldinger til sykehuset stopper i helsenett", "Siden i går.", None, 2, 1, INC),
    ("Elevene får ikke logget inn med Feide", "Hele 7. trinn er berørt.", None, 2, 1, INC),
    ("itslearning viser feil timeplan", "Etter skolestart.", None, 3, 2, INC),
    ("Visma Flyt Skole lagrer ikke fraværet", "Kontaktlærerne får feilmelding.", None, 2, 2, INC),
    ("Chromebook-vogna lader ikke", "Vogna på ungdomsskolen.", None, 3, 3, INC),
    ("Ny lærer trenger tilgang til itslearning", "Vikar fra neste uke.", None, 3, 3, REQ),
    ("Trådløst nett faller ut i møterommet", "Skjer flere ganger om dagen.", "NETT", 2, 2, INC),
    ("VPN kobler ned på hjemmekontor", "Må logge inn på nytt hvert kvarter.", None, 3, 2, INC),
    ("Tregt nett på teknisk etat", "Opplasting av tegninger tar lang tid.", "NETT", 3, 2, INC),
    ("Switch i kjelleren blinker rødt", "Flere kontorer mistet nettet.", None, 1, 1, INC),
    ("Server for sak og arkiv svarer ikke", "Ingen får åpnet dokumenter.", None, 1, 1, INC),
    ("Skriveren i 2. etasje har papirstopp", "Det er ikke papir i den.", None, 3, 3, INC),
    ("Outlook starter ikke etter oppdatering", "Får bare et hvitt vindu.", "EPOST", 3, 2, INC),
    ("Ny PC til nyansatt", "Vedkommende begynner den 1.", None, 3, 3, REQ),
    ("Teams-møter mangler lyd", "Gjelder bærbar PC med dokkingstasjon.", None, 3, 2, INC),
    ("Ny mobil til vakttelefonen", "Den gamle er knust.", None, 3, 2, REQ),
    ("Tilgang til felles mappe for økonomi", "Må godkjennes av leder.", "FIL", 3, 3, REQ),
    ("Slettet fil må hentes tilbake", "Budsjettet, slettet i går.", "BACKUP", 2, 2, REQ),
    ("Mistenkelig e-post med vedlegg", "Flere ansatte har fått den.", "SIKKERHEIT", 2, 1, INC),
    ("Spørsmål om lisens til nytt fagsystem", "Hva koster det per bruker?", None, 3, 3, REQ),
    ("Kontoen er låst etter glemt passord", "Trenger hjelp raskt.", None, 3, 1, INC),
]  # fmt: skip
PLACES = [
    "rådhuset", "sykehjemmet", "hjemmetjenesten", "barneskolen", "ungdomsskolen", "biblioteket",
    "teknisk etat", "legekontoret", "barnehagen", "NAV-kontoret", "helsestasjonen",
]  # fmt: skip
AGENT_REPLIES = [
    "Vi ser på saken og kommer tilbake i løpet av dagen.",
    "Kan du sende et skjermbilde av feilmeldingen?",
    "Vi har startet feilsøking sammen med leverandøren.",
]
INTERNAL_NOTES = [
    "Sjekket loggene: samme feil som i forrige uke, trolig sertifikatet.",
    "Leverandøren har bekreftet feilen; sak hos dem.",
    "Ringt brukeren, fikk ikke svar.",
]
RESOLUTIONS = [
    "Feilen er rettet; sertifikat fornyet.",
    "Tilgang er gitt.",
    "Utstyret er byttet.",
    "Løst etter omstart og oppdatering.",
]


def load_servicedesk_demo(session: Session, users: dict[str, User]) -> None:
    """Queues, routing rules and (once) a few hundred tickets, all dated in the last 90 days."""
    agents = {prefix: _user(users, prefix) for prefix in ("agent@", "agent2@")}
    _queues(session, agents)
    _rules(session)
    # Loaded before when there are tickets besides the orders' fulfilment tickets.
    order_tickets = sa.select(col(Order.ticket_id)).where(col(Order.ticket_id).is_not(None))
    if session.scalar(
        sa.select(col(Ticket.id)).where(col(Ticket.id).not_in(order_tickets)).limit(1)
    ):
        return
    _tickets(session, users, [a for a in agents.values() if a is not None])


def _user(users: dict[str, User], prefix: str) -> User | None:
    return next((u for email, u in users.items() if email.startswith(prefix)), None)


def _queues(session: Session, agents: dict[str, User | None]) -> None:
    first_line = default_queue(session)
    for code, name, sector, auto, members in QUEUES:
        if session.get(Queue, code) is None:
            session.add(Queue(code=code, name=name, sector=sector, auto_assign=auto))
            session.flush()
            for prefix in members:
                member = agents.get(prefix)
                if member is not None:
                    session.add(QueueAgent(queue_code=code, user_id=saved_id(member)))
    staffed = sa.select(col(QueueAgent.user_id)).where(
        col(QueueAgent.queue_code) == first_line.code
    )
    if session.scalar(staffed.limit(1)) is None:
        for agent in agents.values():
            if agent is not None:
                session.add(QueueAgent(queue_code=first_line.code, user_id=saved_id(agent)))
    session.flush()


def _rules(session: Session) -> None:
    if session.scalar(sa.select(col(RoutingRule.id)).limit(1)) is not None:
        return
    for position, name, queue, match in RULES:
        if "service_code" in match and session.get(Service, match["service_code"]) is None:
            continue
        session.add(RoutingRule(position=position, name=name, queue_code=queue, match=match))
    session.flush()


def _requesters(session: Session, users: dict[str, User]) -> dict[str, list[User]]:
    """Who files for each member: the demo users, plus one staff member per other municipality."""
    members = [m for m in session.scalars(sa.select(Municipality)) if is_active(m)]
    out: dict[str, list[User]] = {m.number: [] for m in members}
    for user in users.values():
        if user.municipality_number in out:
            out[user.municipality_number].append(user)
    for member in members:
        if out[member.number]:
            continue
        email = f"servicedesk.{member.number}@{_slug(member.name)}.demo"
        staff = session.scalar(sa.select(User).where(col(User.email) == email))
        if staff is None:
            staff = auth_services.create_user(
                session,
                SYSTEM,
                email=email,
                role=Role.REQUESTER.value,
                municipality=member.number,
                name=f"Kontaktperson {member.name}",
            )
        out[member.number].append(staff)
    return out


def _slug(name: str) -> str:
    table = str.maketrans({"æ": "ae", "ø": "o", "å": "a", " ": "-"})
    return name.lower().translate(table)


def _actor(user: User) -> Actor:
    assert user.id is not None
    return Actor(user.id, Role(user.role), user.municipality_number, user.email)


def _tickets(session: Session, users: dict[str, User], agents: list[User]) -> None:
    rng = random.Random(SEED)  # reproducible demo data, not a secret  # nosec B311
    requesters = _requesters(session, users)
    numbers = sorted(requesters)
    services_known = set(session.scalars(sa.select(col(Service.code))))
    now = utcnow()
    starts = sorted(
        now - timedelta(days=DAYS) + timedelta(seconds=rng.randrange(DAYS * 86_400))
        for _ in range(TICKETS)
    )
    for created in starts:
        # Kristiansund hosts and is the largest member: it files the most.
        number = "1505" if rng.random() < 0.3 and "1505" in requesters else rng.choice(numbers)
        requester = rng.choice(requesters[number])
        title, extra, service, impact, urgency, kind = rng.choice(SAMPLES)
        place = rng.choice(PLACES)
        new = filing.NewTicket(
            title=f"{title} ({place})",
            description=f"{title}. Gjelder {place}. {extra}",
            type=kind,
            impact=impact,
            urgency=urgency,
            service_code=service if service in services_known else None,
        )
        ticket = filing.file_ticket(session, _actor(requester), new, now=created).ticket
        _work(session, rng, ticket, agents, created, now)


def _work(
    session: Session,
    rng: random.Random,
    ticket: Ticket,
    agents: list[User],
    created: datetime,
    now: datetime,
) -> None:
    """Move a ticket along its life cycle as far as its age allows."""
    if not agents:
        return
    age = now - created
    clock = created
    worker = next((a for a in agents if a.id == ticket.assignee_id), agents[0])
    agent = _actor(worker)

    def step(hours: float) -> datetime | None:
        nonlocal clock
        clock = clock + timedelta(hours=hours)
        return clock if clock < now else None

    if age < timedelta(hours=2) or rng.random() < 0.05:
        return
    if rng.random() < 0.04:
        requester = session.get(User, ticket.requester_id)
        assert requester is not None
        cancel = {"status": "cancelled"}
        services.update_ticket(session, _actor(requester), ticket, cancel, now=step(1) or now)
        return
    if ticket.assignee_id is None and (at := step(rng.uniform(0.2, 3))):
        services.update_ticket(session, agent, ticket, {"assignee": agent.user_id}, now=at)
    if at := step(rng.uniform(0.1, 4)):
        services.add_comment(session, agent, ticket, rng.choice(AGENT_REPLIES), now=at)
    else:
        return
    if at := step(rng.uniform(0.1, 2)):
        services.update_ticket(session, agent, ticket, {"status": "in_progress"}, now=at)
    else:
        return
    if rng.random() < 0.4 and (at := step(rng.uniform(0.5, 6))):
        note = rng.choice(INTERNAL_NOTES)
        services.add_comment(session, agent, ticket, note, internal=True, now=at)
    if rng.random() < 0.25:
        if not (at := step(rng.uniform(1, 24))):
            return
        services.update_ticket(session, agent, ticket, {"status": "pending"}, now=at)
        if not (at := step(rng.uniform(4, 72))):
            return
        services.update_ticket(session, agent, ticket, {"status": "in_progress"}, now=at)
    if not (at := step(rng.uniform(1, 96))):
        return
    resolve = {"status": "resolved", "resolution": rng.choice(RESOLUTIONS)}
    services.update_ticket(session, agent, ticket, resolve, now=at)
    if at := step(rng.uniform(72, 24 * 7)):
        services.update_ticket(session, SYSTEM, ticket, {"status": "closed"}, now=at)
