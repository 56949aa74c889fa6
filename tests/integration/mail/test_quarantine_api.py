"""GET /mail/quarantine, accept and reject (agents, admin); municipalities' email_domains."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from kommune_ikt.core.auth.models import User
from servicedesk.mail import decisions, intake
from servicedesk.mail.parse import parse
from servicedesk.models import Ticket
from tests.support.mailserver import DESK, mail

pytestmark = pytest.mark.db


def quarantine(session, message) -> int:
    raw = message.as_bytes()
    parsed = parse(raw)
    record = intake.apply(session, parsed, decisions.decide(session, parsed, desk=DESK), raw)
    session.commit()
    assert record.outcome == "quarantined"
    return record.id


def test_list_accept_and_reject(client, session, create_user, create_municipality):
    create_municipality("1505")
    agent = create_user("agent")
    first = quarantine(session, mail("ola@gmail.example", "Hjelp med PC", "PC-en starter ikke"))
    second = quarantine(session, mail("spam@spam.example", "Kjøp nå", "..."))
    page = client.get("/api/v1/mail/quarantine?limit=1", headers=agent.headers)
    assert page.status_code == 200
    [item] = page.json["items"]
    assert item["id"] == second and "unknown sender" in item["reason"] and item["kept"] is True
    assert "raw" not in item and page.json["next_cursor"]
    rest = client.get(
        f"/api/v1/mail/quarantine?cursor={page.json['next_cursor']}", headers=agent.headers
    )
    assert [i["id"] for i in rest.json["items"]] == [first]
    assert rest.json["items"][0]["preview"] == "PC-en starter ikke"

    accepted = client.post(f"/api/v1/mail/quarantine/{first}/accept", headers=agent.headers,
                           json={"municipality": "1505"})  # fmt: skip
    assert accepted.status_code == 200, accepted.json
    assert accepted.json["outcome"] == "accepted" and accepted.json["decided_by"] == agent.id
    ticket = session.get(Ticket, accepted.json["ticket_id"])
    ola = session.scalar(sa.select(User).where(User.email == "ola@gmail.example"))
    assert (ticket.title, ticket.source, ticket.municipality_number) == (
        "Hjelp med PC", "email", "1505"
    )  # fmt: skip
    assert ticket.requester_id == ola.id and ola.role == "requester"

    again = client.post(f"/api/v1/mail/quarantine/{first}/accept", headers=agent.headers,
                        json={"municipality": "1505"})  # fmt: skip
    assert again.status_code == 409
    rejected = client.post(f"/api/v1/mail/quarantine/{second}/reject", headers=agent.headers)
    assert rejected.status_code == 200 and rejected.json["kept"] is False
    waiting = client.get("/api/v1/mail/quarantine", headers=agent.headers).json["items"]
    assert waiting == []
    done = client.get("/api/v1/mail/quarantine?outcome=rejected", headers=agent.headers)
    assert [i["id"] for i in done.json["items"]] == [second]


def test_accept_needs_a_current_member(client, session, create_user, create_municipality):
    create_municipality("1505")
    agent = create_user("agent")
    mail_id = quarantine(session, mail("ola@gmail.example"))
    for body in ({"municipality": "9999"}, {"municipality": "x"}, {}):
        reply = client.post(f"/api/v1/mail/quarantine/{mail_id}/accept", headers=agent.headers,
                            json=body)  # fmt: skip
        assert reply.status_code == 422, reply.json
        assert "municipality" in reply.json["errors"]
    missing = client.post("/api/v1/mail/quarantine/999999/reject", headers=agent.headers)
    assert missing.status_code == 404
    assert session.scalar(sa.select(sa.func.count()).select_from(Ticket)) == 0


def test_forged_agent_mail_accepted_is_filed_by_the_accepting_agent(
    client, session, create_user, create_municipality
):
    create_municipality("1505")
    agent = create_user("agent")
    forged = create_user("admin")
    mail_id = quarantine(session, mail(forged.email, "Gi meg tilgang", "..."))
    reply = client.post(f"/api/v1/mail/quarantine/{mail_id}/accept", headers=agent.headers,
                        json={"municipality": "1505"})  # fmt: skip
    assert reply.status_code == 200
    assert session.get(Ticket, reply.json["ticket_id"]).requester_id == agent.id


def test_email_domains_on_municipalities(client, create_user, create_municipality):
    create_municipality("1563")
    admin = create_user("admin")
    made = client.post("/api/v1/municipalities", headers=admin.headers,
                       json={"number": "1505", "email_domains": ["Kristiansund.Kommune.NO"]})  # fmt: skip
    assert made.status_code == 201, made.json
    assert made.json["email_domains"] == ["kristiansund.kommune.no"]
    etag = client.get("/api/v1/municipalities/1563", headers=admin.headers).headers["ETag"]
    for bad in (["not a domain"], ["../etc"], ["x"], "sunndal.kommune.no", ["a@b.no"]):
        reply = client.patch("/api/v1/municipalities/1563", json={"email_domains": bad},
                             headers={**admin.headers, "If-Match": etag})  # fmt: skip
        assert reply.status_code == 422, (bad, reply.json)
        assert all(k.startswith("email_domains") for k in reply.json["errors"]), reply.json
    taken = client.patch("/api/v1/municipalities/1563", json={"email_domains": ["kristiansund.kommune.no"]},
                         headers={**admin.headers, "If-Match": etag})  # fmt: skip
    assert taken.status_code == 422 and "1505" in str(taken.json["errors"]["email_domains"])
    ok = client.patch("/api/v1/municipalities/1563", json={"email_domains": ["sunndal.kommune.no"]},
                      headers={**admin.headers, "If-Match": etag})  # fmt: skip
    assert ok.status_code == 200 and ok.json["email_domains"] == ["sunndal.kommune.no"]


def test_accept_scans_the_files_with_no_transaction_open(
    client, session, create_user, create_municipality, monkeypatch
):
    """The virus scanner is network I/O: no transaction may stay open across it."""
    from kommune_ikt.web.edge import db_session
    from servicedesk.mail import api as mail_api

    create_municipality("1505")
    agent = create_user("agent")
    message = mail("ola@gmail.example", "Skjermbilde", "Se vedlegg")
    message.add_attachment(b"PNGDATA", maintype="image", subtype="png", filename="skjerm.png")
    mail_id = quarantine(session, message)
    seen: list[bool] = []
    real = mail_api.default_sink

    def spying_sink(settings):
        sink = real(settings)
        prepare = sink.prepare

        def prepare_outside(file):
            seen.append(db_session().in_transaction())
            return prepare(file)

        sink.prepare = prepare_outside
        return sink

    monkeypatch.setattr(mail_api, "default_sink", spying_sink)
    reply = client.post(
        f"/api/v1/mail/quarantine/{mail_id}/accept",
        headers=agent.headers,
        json={"municipality": "1505"},
    )
    assert reply.status_code == 200, reply.json
    assert seen == [False]
    ticket = session.get(Ticket, reply.json["ticket_id"])
    assert ticket is not None and ticket.source == "email"
