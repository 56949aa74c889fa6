"""A small collaboration built through the public API, for the role matrix and the fuzzer.

Two real members of IKT Orkidé (Kristiansund ``OWN``, Sunndal ``OTHER``), one user
per role (municipal roles in each municipality), and in each municipality one
object of every kind in every state an endpoint acts on: tickets with comments,
pending and approved orders, a subscription, special requests submitted and
quoted, an outage. The world lives in a database of its own with real commits;
each request of a test then runs inside a transaction that is rolled back
(``World.isolated``), so every request starts from the same world.
"""

from __future__ import annotations

import contextlib
import io
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from kommune_ikt.app import create_app
from kommune_ikt.core.auth import services as auth_services
from kommune_ikt.core.auth.actor import MUNICIPAL_ROLES, SYSTEM, Role
from kommune_ikt.core.db import create_db_engine
from service_catalog.catalogue import budget_year

OWN = "1505"  # Kristiansund, the host municipality
OTHER = "1563"  # Sunndal, another member
MUNICIPALITIES = (OWN, OTHER)
OPTIONAL = "SEC-BACKUP"
SPECIAL = "SEC-INTEGRASJON"
BASIC = "SEC-NETT"


@dataclass
class Caller:
    id: int
    role: Role
    municipality: str | None
    token: str
    token_id: int

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@dataclass
class World:
    app: Flask
    engine: sa.Engine
    #: (role, municipality or None) -> caller; municipal roles exist in both municipalities.
    callers: dict[tuple[Role, str | None], Caller] = field(default_factory=dict)
    #: kind -> municipality -> id (or code)
    objects: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: objects that belong to no municipality: kind -> id (or code)
    shared: dict[str, Any] = field(default_factory=dict)
    #: another requester of OWN, who filed nothing
    colleague: Caller | None = None

    def caller(self, role: Role, municipality: str = OWN) -> Caller:
        """The caller of ``role``; municipal roles are those of ``municipality``."""
        return self.callers[(role, municipality if role in MUNICIPAL_ROLES else None)]

    @property
    def admin(self) -> Caller:
        return self.caller(Role.ADMIN)

    def obj(self, kind: str, municipality: str = OWN) -> Any:
        return self.objects[kind][municipality]

    def client(self) -> FlaskClient:
        return self.app.test_client()

    @contextlib.contextmanager
    def isolated(self) -> Iterator[sa.Connection]:
        """Run requests in one transaction that is rolled back afterwards."""
        maker = self.app.extensions["kommune_ikt.db"].sessionmaker
        with self.engine.connect() as conn:
            outer = conn.begin()
            maker.configure(bind=conn, join_transaction_mode="create_savepoint")
            try:
                yield conn
            finally:
                maker.configure(bind=self.engine, join_transaction_mode="conservative_savepoint")
                if outer.is_active:
                    outer.rollback()

    def etag(self, client: FlaskClient, path: str) -> str:
        response = client.get(path, headers=self.admin.headers)
        assert response.status_code == 200, (path, response.json)
        return response.headers["ETag"]


def make_app(database_url: str, **overrides: Any) -> tuple[Flask, sa.Engine]:
    engine = create_db_engine(database_url)
    settings = {"auth_failures_per_minute": 10_000, **overrides}
    app = create_app(
        {
            "ENGINE": engine,
            "database_url": database_url,
            "secret_key": "test",
            "TESTING": True,
            **settings,
        }
    )
    return app, engine


def build_world(database_url: str) -> World:
    """Build the world in ``database_url`` (a freshly migrated database), committing."""
    # Attachment bytes in the database: nothing left on disk, nothing to close.
    app, engine = make_app(database_url, attachment_store="database")
    world = World(app=app, engine=engine)
    _add_users(world)
    _Builder(world, app.test_client()).build()
    return world


def _add_users(world: World) -> None:
    from service_catalog.models import Municipality
    from service_catalog.municipalities import add_municipality

    maker = world.app.extensions["kommune_ikt.db"].sessionmaker
    with maker() as session:
        for number in MUNICIPALITIES:
            if session.get(Municipality, number) is None:
                add_municipality(
                    session, SYSTEM, {"number": number, "joined_on": datetime(2019, 1, 1).date()}
                )
        session.flush()
        homes: list[tuple[Role, str | None]] = [
            (role, number) for role in MUNICIPAL_ROLES for number in MUNICIPALITIES
        ]
        homes += [(role, None) for role in Role if role not in MUNICIPAL_ROLES]
        for role, number in homes:
            email = f"{role.value}-{number or 'it'}-{uuid.uuid4().hex[:6]}@orkide.example"
            user = auth_services.create_user(
                session, SYSTEM, email=email, role=role, municipality=number
            )
            issued = auth_services.issue_token(session, SYSTEM, user.id, "world")
            world.callers[(role, number)] = Caller(
                user.id, role, number, issued.secret, issued.token.id
            )
        # A second requester of OWN: requesters see only what they filed themselves.
        user = auth_services.create_user(
            session, SYSTEM, email="kollega@orkide.example", role=Role.REQUESTER, municipality=OWN
        )
        issued = auth_services.issue_token(session, SYSTEM, user.id, "world")
        world.colleague = Caller(user.id, Role.REQUESTER, OWN, issued.secret, issued.token.id)
        session.commit()


class _Builder:
    def __init__(self, world: World, client: FlaskClient) -> None:
        self.w = world
        self.c = client

    def call(self, caller: Caller, method: str, path: str, expect: int = 200, **kw: Any) -> Any:
        response = self.c.open(f"/api/v1{path}", method=method, headers=caller.headers, **kw)
        assert response.status_code == expect, (method, path, response.status_code, response.json)
        return response.json

    def put(self, kind: str, municipality: str, value: Any) -> None:
        self.w.objects.setdefault(kind, {})[municipality] = value

    def build(self) -> None:
        w, year = self.w, budget_year()
        manager, admin, agent = (
            w.caller(Role.CATALOGUE_MANAGER),
            w.admin,
            w.caller(Role.AGENT),
        )
        # The catalogue: a default allocation key, one service of each tier, priced.
        self.call(
            manager,
            "POST",
            "/allocation-keys",
            201,
            json={
                # A "/" in the name, as real keys have: it must still be addressable.
                "name": "SEC 1/3 + 2/3",
                "equal_weight": "0.333",
                "population_weight": "0.667",
                "population_year": 2024,  # the shipped SSB figures
                "default": True,
            },
        )
        w.shared["allocation_key"] = "SEC 1/3 + 2/3"
        prices = {
            BASIC: ("basic", {"model": "allocation", "annual_cost": "1200000.00"}),
            OPTIONAL: (
                "optional",
                {"model": "unit", "unit": "licence", "unit_price": "490.00", "period": "year"},
            ),
            SPECIAL: ("special", {"model": "quote", "hourly_rate": "1150.00"}),
        }
        for code, (tier, price) in prices.items():
            body = {"code": code, "name": code.title(), "tier": tier, "status": "active"}
            self.call(manager, "POST", "/services", 201, json=body)
            self.call(manager, "PUT", f"/services/{code}/prices/{year}", json=price)
        w.shared["service"] = OPTIONAL
        w.shared["year"] = year

        # Routing: a second queue and one rule.
        self.call(admin, "POST", "/queues", 201, json={"code": "SEC-NETT", "name": "Nettverk"})
        w.shared["queue"] = "SEC-NETT"
        rule = self.call(
            admin,
            "POST",
            "/routing-rules",
            201,
            json={"position": 10, "match": {"keywords": ["brannmur"]}, "queue": "SEC-NETT"},
        )
        w.shared["routing_rule"] = rule["id"]
        probe = self.call(
            w.caller(Role.OPERATIONS),
            "POST",
            "/probes",
            201,
            json={
                "service_code": BASIC,
                "url": "https://status.example.org/healthz",
                "enabled": False,
            },
        )
        w.shared["probe"] = probe["id"]

        for hours_ago, number in enumerate(MUNICIPALITIES, start=1):
            self._municipal_objects(number, year, hours_ago * 3)

        # A notification exists once a ticket event was queued (IT-only endpoints).
        with w.app.extensions["kommune_ikt.db"].sessionmaker() as session:
            notification = session.execute(sa.text("SELECT min(id) FROM notifications")).scalar()
        w.shared["notification"] = notification
        # A quarantined mail (agents accept or reject it).
        with w.app.extensions["kommune_ikt.db"].sessionmaker() as session, session.begin():
            session.execute(
                sa.text(
                    "INSERT INTO mail_messages (message_id, received_at, sender, subject, "
                    "outcome, reason, raw) VALUES ('<q1@example>', :at, 'x@gmail.example', 'Hei', "
                    "'quarantined', 'unknown sender', :raw)"
                ),
                {
                    "at": datetime.now(UTC),
                    "raw": b"From: x@gmail.example\r\nSubject: Hei\r\n\r\nHei",
                },
            )
            w.shared["quarantined_mail"] = session.execute(
                sa.text("SELECT min(id) FROM mail_messages")
            ).scalar()
        w.shared["user"] = w.caller(Role.REQUESTER).id
        w.shared["token"] = w.caller(Role.REQUESTER, OTHER).token_id
        del agent

    def _municipal_objects(self, number: str, year: int, hours_ago: int) -> None:
        w = self.w
        requester = w.caller(Role.REQUESTER, number)
        orderer = w.caller(Role.ORDERER, number)
        agent, manager = w.caller(Role.AGENT), w.caller(Role.CATALOGUE_MANAGER)
        ticket = self.call(
            requester,
            "POST",
            "/tickets",
            201,
            json={
                "title": "Skriveren på rådhuset skriver ikke ut",
                "description": "Papirstopp i andre etasje.",
                "type": "incident",
                "impact": 2,
                "urgency": 2,
            },
        )
        self.put("ticket", number, ticket["id"])
        comment = {"body": "Vi ser på det.", "internal": False}
        self.call(agent, "POST", f"/tickets/{ticket['id']}/comments", 201, json=comment)
        boundary, data = encode_multipart(
            {
                "file": FileStorage(
                    io.BytesIO(b"\x89PNG skjermbilde"), "skjermbilde.png", "image/png"
                )
            }
        )
        attachment = self.call(
            requester,
            "POST",
            f"/tickets/{ticket['id']}/attachments",
            201,
            data=data,
            content_type=f"multipart/form-data; boundary={boundary}",
        )
        self.put("attachment", number, attachment["id"])

        order = {"service_code": OPTIONAL, "quantity": 5, "note": "Nye ansatte"}
        pending = self.call(requester, "POST", "/orders", 201, json=order)
        self.put("pending_order", number, pending["id"])
        approved = self.call(orderer, "POST", "/orders", 201, json=order)
        self.put("approved_order", number, approved["id"])
        fulfilled = self.call(orderer, "POST", "/orders", 201, json=order)
        done = self.call(
            agent,
            "POST",
            f"/orders/{fulfilled['id']}/fulfil",
            json={"start_on": f"{year}-01-01"},
        )
        self.put("subscription", number, done["subscription_id"])

        desired = (datetime.now(UTC) + timedelta(days=90)).date().isoformat()
        request = {
            "title": "Integrasjon mot sak/arkiv",
            "description": "Eksport av møtebøker.",
            "desired_by": desired,
        }
        submitted = self.call(orderer, "POST", "/special-requests", 201, json=request)
        self.put("special_request", number, submitted["id"])
        quoted = self.call(orderer, "POST", "/special-requests", 201, json=request)
        self.call(
            manager,
            "POST",
            f"/special-requests/{quoted['id']}/quote",
            json={"hours": "40", "service_code": SPECIAL},
        )
        self.put("quoted_request", number, quoted["id"])

        outage = self.call(
            w.caller(Role.OPERATIONS),
            "POST",
            "/outages",
            201,
            json={
                "service_code": BASIC,
                "started_at": (datetime.now(UTC) - timedelta(hours=hours_ago)).isoformat(),
                "ended_at": (datetime.now(UTC) - timedelta(hours=hours_ago - 1)).isoformat(),
                "municipalities": [number],
                "description": f"Linjebrudd i {number}",
                "planned": False,
            },
        )
        self.put("outage", number, outage["id"])
