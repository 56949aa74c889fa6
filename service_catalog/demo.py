"""Catalogue demo data: IKT Orkidé's nine members, a catalogue from published entries, activity.

Every figure says where it comes from. Prices published by IKT Nordhordland
(kommune_ikt/data/service_catalogue.csv, 2018 and undated pages) are used as
this and last year's prices; the basic services' annual costs and some
periods are not published anywhere we know of and are marked
``illustrative=True`` (their descriptions say so too).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session
from sqlmodel import col

from kommune_ikt.core.auth.actor import SYSTEM, Actor, Role
from kommune_ikt.core.auth.models import User
from kommune_ikt.core.db import saved_id
from service_catalog import catalogue, keys, orders, special_requests
from service_catalog.catalogue import budget_year
from service_catalog.models import AllocationKey, Municipality, Order, Service, SpecialRequest
from service_catalog.municipalities import add_municipality
from service_catalog.official_municipalities import collaboration_members

COLLABORATION = "IKT Orkidé"
# The demo users' mail domains (kommune_ikt/demo.py): mail from them becomes their
# municipality's tickets, and an unknown sender of these domains gets a requester account.
DEMO_EMAIL_DOMAINS = {"1505": "kristiansund.demo", "1563": "sunndal.demo"}
# Joining dates are not published per member; the collaboration's start of
# the current structure (1 Jan 2019, after Eide, Fræna and Nesset left) is
# used for everyone. Illustrative.
DEMO_JOINED_ON = date(2019, 1, 1)

IKTNH = "https://iktnh.no/03-to-tenestekategoriar-basistenester-og-plusstenester/"
IKTNH_PC = "https://iktnh.no/nettbrett-og-arbeidsstasjonar/2/"
DIKT = "D-IKT tjenesteleveranseavtale (service_catalogue.csv)"
ROR = "https://www.ror-ikt.no/tjenester-og-prosjekter/ror-ikts-tjenester/inkluderte-basistjenester/kundeservice/"

# IKT Nordhordland's published key: 33.3 % (1/3) equal, 66.7 % (2/3) by
# population (cost_allocation.csv). IKT Orkidé does not publish its key.
DEFAULT_KEY = {
    "name": "1/3 likt + 2/3 innbyggjartal",
    "description": "IKT Nordhordland's published split of basic services: 33.3 % equally, "
    "66.7 % by population (SSB 2024). Used here for IKT Orkidé, whose key is not published.",
    "equal_weight": Decimal("0.333"),
    "population_weight": Decimal("0.667"),
    # The shipped figures are SSB's of 1 January 2024; every demo year uses them.
    "population_year": 2024,
    "is_default": True,
}


@dataclass(frozen=True)
class DemoService:
    code: str
    name: str
    tier: str
    category: str
    description: str
    price: dict[str, Any]
    source: str
    # True when the price (or part of it, e.g. the period) is not published.
    illustrative: bool
    service_hours: str = "business"
    availability_target: Decimal | None = None


SERVICES = [
    # Basic services: every member has them, shared by the key. The services
    # are published (ROR-IKT, D-IKT); their annual costs are not: illustrative.
    DemoService("SD", "Servicedesk", "basic", "Brukarstøtte",
                "Eitt kontaktpunkt for feil og bestillingar, 08:00-15:30 på arbeidsdagar.",
                {"annual_cost": Decimal("3600000.00")}, ROR, True, "business", Decimal("0.98")),
    DemoService("NETT", "Nettverk og internett", "basic", "Infrastruktur",
                "Kabla og trådlaust nett, datakommunikasjon og internettilgang.",
                {"annual_cost": Decimal("2400000.00")}, DIKT, True, "24x7", Decimal("0.995")),
    DemoService("EPOST", "E-post og kalender", "basic", "Samhandling",
                "Elektronisk e-post- og kalendersystem for alle tilsette.",
                {"annual_cost": Decimal("1800000.00")}, DIKT, True, "extended", Decimal("0.995")),
    DemoService("FIL", "Sentral fillagring", "basic", "Infrastruktur",
                "Felles fillagring med lagringsgrenser.",
                {"annual_cost": Decimal("900000.00")}, DIKT, True, "business", Decimal("0.995")),
    DemoService("BACKUP", "Sikkerheitskopiering", "basic", "Infrastruktur",
                "Sikkerheitskopiering og tilbakeføring av data.",
                {"annual_cost": Decimal("600000.00")}, DIKT, True, "business", Decimal("0.995")),
    DemoService("SIKKERHEIT", "Informasjonstryggleik", "basic", "Tryggleik",
                "Sikkerheitskontroll, tilgangsstyring og overvaking.",
                {"annual_cost": Decimal("1200000.00")}, DIKT, True, "24x7", Decimal("0.995")),
    # Optional services at IKT Nordhordland's published prices.
    DemoService("SERVER-STD", "Drift av standard servar", "optional", "Drift",
                "Drift av standard servar (2 GB RAM, 100 GB lagring).",
                {"unit": "device", "unit_price": Decimal("25000.00"), "period": "year"},
                IKTNH, False, "24x7", Decimal("0.995")),
    # Published "per licence (unit not stated)": the yearly period is illustrative.
    DemoService("LIS-MS-SERVER", "Lisens Microsoft servar", "optional", "Lisensar",
                "Serverlisens til leverandørpris, utan påslag.",
                {"unit": "licence", "unit_price": Decimal("7200.00"), "period": "year"},
                IKTNH, True),
    DemoService("LIS-SQL", "Lisens SQL-database", "optional", "Lisensar",
                "Databaselisens til leverandørpris, utan påslag.",
                {"unit": "licence", "unit_price": Decimal("49000.00"), "period": "year"},
                IKTNH, True),
    DemoService("OWA", "Outlook Web Access", "optional", "Lisensar",
                "Tilgang til e-post i nettlesaren.",
                {"unit": "user", "unit_price": Decimal("500.00"), "period": "year"},
                IKTNH_PC, False),
    DemoService("TS-TILGANG", "Terminalservertilgang", "optional", "Lisensar",
                "Tilgang til terminalserver, per brukar.",
                {"unit": "user", "unit_price": Decimal("500.00"), "period": "once"},
                IKTNH_PC, False),
    DemoService("MS-OFFICE", "MS Office til ny arbeidsstasjon", "optional", "Lisensar",
                "Office-lisens til ei ny arbeidsstasjon.",
                {"unit": "device", "unit_price": Decimal("2200.00"), "period": "once"},
                IKTNH_PC, False),
    # Special work: the consultant hour in ordinary working hours.
    DemoService("KONSULENT", "Konsulenttime", "special", "Prosjekt",
                "Konsulenttimar 08:00-15:30 på vanlege arbeidsdagar; andre satsar utanom.",
                {"hourly_rate": Decimal("650.00")}, IKTNH, False),
]  # fmt: skip


def _description(service: DemoService) -> str:
    origin = (
        "Illustrative figure: not published."
        if service.illustrative
        else "Price as published by IKT Nordhordland."
    )
    return f"{service.description} {origin} Source: {service.source}"


def load_catalogue_demo(session: Session) -> list[Municipality]:
    """Add the members, the default key, the catalogue and its prices (skipping what exists)."""
    added = []
    for member in collaboration_members(COLLABORATION):
        if member.status != "member":
            continue
        if session.get(Municipality, member.number) is not None:
            continue
        values: dict[str, object] = {"number": member.number, "joined_on": DEMO_JOINED_ON}
        if member.number in DEMO_EMAIL_DOMAINS:
            values["email_domains"] = [DEMO_EMAIL_DOMAINS[member.number]]
        added.append(add_municipality(session, SYSTEM, values))
    if session.scalar(sa.select(col(AllocationKey.id)).limit(1)) is None:
        keys.create_key(session, SYSTEM, dict(DEFAULT_KEY))
    year = budget_year()
    for item in SERVICES:
        if session.get(Service, item.code) is None:
            catalogue.create_service(
                session,
                SYSTEM,
                {
                    "code": item.code,
                    "name": item.name,
                    "tier": item.tier,
                    "category": item.category,
                    "description": _description(item),
                    "status": "active",
                    "service_hours": item.service_hours,
                    "availability_target": item.availability_target,
                    "owner_team": "IKT Orkidé",
                },
            )
        for price_year in (year - 1, year):
            if catalogue.price_for(session, item.code, price_year) is None:
                catalogue.set_price(session, SYSTEM, item.code, price_year, dict(item.price))
    return added


def _actor(user: User) -> Actor:
    return Actor(user.id, Role(user.role), user.municipality_number, user.email)


def load_catalogue_activity(session: Session, users: dict[str, User]) -> None:
    """A few orders, subscriptions and special requests by the demo users (once)."""
    ids = [u.id for u in users.values()]
    already = session.scalar(
        sa.select(col(Order.id)).where(col(Order.created_by).in_(ids)).limit(1)
    )
    if already is not None or session.scalar(sa.select(col(SpecialRequest.id)).limit(1)):
        return
    year = budget_year()
    kristiansund = _actor(users["orderer@kristiansund.demo"])
    sunndal = _actor(users["orderer@sunndal.demo"])
    sunndal_requester = _actor(users["requester@sunndal.demo"])
    agent = _actor(users["agent@orkide.demo"])
    manager = _actor(users["catalogue@orkide.demo"])

    # Kristiansund's orderer orders (approved at once); an agent delivers.
    for code, quantity, start in (
        ("LIS-SQL", 2, date(year, 2, 1)),
        ("SERVER-STD", 3, date(year, 1, 1)),
    ):
        order = orders.place_order(
            session, kristiansund, {"service_code": code, "quantity": quantity, "note": "Fagsystem"}
        )
        orders.fulfil_order(session, agent, saved_id(order), start)
    # Sunndal: one order waiting for its orderer, one approved waiting for an agent.
    orders.place_order(
        session,
        sunndal_requester,
        {"service_code": "OWA", "quantity": 10, "note": "Heimekontor for helsetenesta"},
    )
    orders.place_order(session, sunndal, {"service_code": "TS-TILGANG", "quantity": 5})

    # Special requests: one quoted and accepted, one waiting for a quote.
    integration = special_requests.submit_request(
        session,
        kristiansund,
        {
            "title": "Integrasjon mellom sak/arkiv og byggesaksystemet",
            "description": "Automatisk arkivering av byggesaker.",
        },
    )
    integration_id = saved_id(integration)
    special_requests.quote_request(session, manager, integration_id, {"hours": Decimal("40")})
    special_requests.accept_request(session, kristiansund, integration_id)
    special_requests.submit_request(
        session,
        sunndal,
        {"title": "Ny nettside for kulturkontoret", "desired_by": date(year + 1, 3, 1)},
    )
