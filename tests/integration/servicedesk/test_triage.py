"""Triage through the API: training, figures, suggestions, auto-routing, rollback, failures."""

from __future__ import annotations

import dataclasses
import random
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from kommune_ikt.core.scheduler.jobs import JobContext
from kommune_ikt.core.scheduler.models import SchedulerLease
from metrics.instruments import instruments
from servicedesk.models import Ticket
from servicedesk.triage import features, jobs, store, training
from servicedesk.triage.models import TriageModelRow
from tests.support import triage_format1 as format1
from tests.support.desk import HOST
from tests.support.mailserver import DESK, mail
from tests.support.portal import bokmal_client, csrf

pytestmark = pytest.mark.db

WORDS = {
    "HELSE": ["Gerica", "journal", "pasient", "e-resept", "Profil", "nattevakt"],
    "SKOLE": ["Feide", "elevene", "itslearning", "timeplan", "Visma Flyt Skole", "lærer"],
    "NETTVERK": ["wifi", "VPN", "nettverk", "switch", "trådløst", "internett"],
}
START = datetime(2026, 1, 5, 8, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _fresh_cache():
    store.forget()
    yield
    store.forget()


@pytest.fixture
def queues(desk):
    for code in WORDS:
        desk.add_queue(code)
    return desk


def add_resolved(session, requester_id, n, *, queues=tuple(WORDS), seed=1, start=START):
    """``n`` closed tickets whose text names their queue's words (known structure)."""
    rng = random.Random(seed)
    table = Ticket.__table__
    base = session.scalar(sa.select(sa.func.count()).select_from(Ticket)) or 0
    rows = []
    for i in range(n):
        queue = queues[i % len(queues)]
        a, b = rng.sample(WORDS.get(queue, ["ukjent", "annet"]), 2)
        at = start + timedelta(hours=i)
        rows.append(
            {"number": f"INC-2020-{base + i + 1:06d}", "type": "incident",
             "title": f"Problem med {a}", "description": f"Det gjelder {b}. Mvh Ola",
             "municipality_number": HOST, "requester_id": requester_id, "service_code": None,
             "category": f"kat-{queue.lower()}", "impact": 3, "urgency": 3, "priority": 4,
             "status": "closed", "queue_code": queue, "assignee_id": None, "resolution": "ok",
             "responded_at": at, "resolved_at": at + timedelta(hours=1), "created_at": at,
             "updated_at": at + timedelta(hours=2), "version": 3}
        )  # fmt: skip
    session.execute(sa.insert(table), rows)
    session.commit()


def train(desk, admin):
    return desk.client.post("/api/v1/triage/models", headers=admin.headers)


@pytest.fixture
def trained(queues, create_user):
    desk = queues
    admin = create_user("admin")
    requester = create_user("requester", HOST)
    add_resolved(desk.session, requester.id, 90)
    response = train(desk, admin)
    assert response.status_code == 201, response.json
    return desk, admin, requester, response.json


def test_training_reports_figures_measured_on_the_newest_fifth(trained):
    desk, admin, _requester, body = trained
    assert body["version"] == 1 and body["samples"] == 90 and body["active"] is True
    queue = body["fields"]["queue"]
    assert queue["held_out"] == 18
    assert queue["accuracy"] == 1.0 and queue["precision_at_threshold"] == 1.0
    assert queue["coverage_at_threshold"] == 1.0 and 0 < queue["threshold"] <= 1
    assert body["fields"]["category"]["accuracy"] == 1.0
    assert "service_code" not in body["fields"]  # no ticket has one
    assert body["window_from"].startswith("2026-01-05T08:00")
    current = desk.client.get("/api/v1/triage/models/current", headers=admin.headers).json
    assert current["version"] == 1 and current["fields"] == body["fields"]
    listed = desk.client.get("/api/v1/triage/models", headers=admin.headers).json
    assert [m["version"] for m in listed["items"]] == [1] and listed["next_cursor"] is None
    # The lease is given back.
    assert desk.session.get(SchedulerLease, training.LEASE_NAME) is None


def test_suggest_shape(trained, create_user):
    desk, *_ = trained
    agent = create_user("agent")
    response = desk.client.post(
        "/api/v1/triage/suggest",
        headers=agent.headers,
        json={"title": "Får ikke logget inn i Gerica", "description": "Journalen henger."},
    )
    assert response.status_code == 200, response.json
    body = response.json
    assert body["model_version"] == 1
    assert [s["value"] for s in body["queue"]][:1] == ["HELSE"]
    assert len(body["queue"]) == 3 and len(body["category"]) == 3 and body["service_code"] == []
    assert body["queue"][0]["confidence"] > body["queue"][1]["confidence"]


@pytest.mark.parametrize(
    "payload",
    [{}, {"title": "", "description": ""}, {"title": "Принтер", "description": "打印机坏了"}],
)
def test_suggest_takes_empty_and_foreign_text(trained, payload):
    desk, admin, *_ = trained
    response = desk.client.post("/api/v1/triage/suggest", headers=admin.headers, json=payload)
    assert response.status_code == 200


def test_suggest_refuses_an_enormous_text(trained):
    desk, admin, *_ = trained
    response = desk.client.post(
        "/api/v1/triage/suggest", headers=admin.headers, json={"description": "x" * 20_001}
    )
    assert response.status_code == 422
    assert "description" in response.json["errors"]


def test_no_model_means_empty_suggestions(desk, create_user):
    agent = create_user("agent")
    response = desk.client.post(
        "/api/v1/triage/suggest", headers=agent.headers, json={"title": "Gerica"}
    )
    assert response.json == {"model_version": None, "queue": [], "category": [],
                             "service_code": []}  # fmt: skip
    missing = desk.client.get("/api/v1/triage/models/current", headers=agent.headers)
    assert missing.status_code == 404


def test_too_few_samples_is_422_saying_how_many(queues, create_user):
    desk = queues
    admin = create_user("admin")
    requester = create_user("requester", HOST)
    add_resolved(desk.session, requester.id, 20)
    response = train(desk, admin)
    assert response.status_code == 422
    assert "at least 50" in response.json["detail"] and "30 more" in response.json["detail"]
    assert desk.session.scalar(sa.select(sa.func.count()).select_from(TriageModelRow)) == 0


def test_one_queue_is_422(queues, create_user):
    desk = queues
    admin = create_user("admin")
    requester = create_user("requester", HOST)
    add_resolved(desk.session, requester.id, 60, queues=("HELSE",))
    response = train(desk, admin)
    assert response.status_code == 422 and "two queues" in response.json["detail"]


def test_a_training_already_running_is_409(queues, create_user):
    desk = queues
    admin = create_user("admin")
    requester = create_user("requester", HOST)
    add_resolved(desk.session, requester.id, 60)
    now = datetime.now(UTC)
    # Another process (or host) holds the lease.
    desk.session.add(
        SchedulerLease(name=training.LEASE_NAME, holder="other", acquired_at=now,
                       renewed_at=now, expires_at=now + timedelta(minutes=5))
    )  # fmt: skip
    desk.session.commit()
    response = train(desk, admin)
    assert response.status_code == 409
    # An expired lease (its holder died) is taken over.
    lease = desk.session.get(SchedulerLease, training.LEASE_NAME)
    lease.expires_at = now - timedelta(seconds=1)
    desk.session.commit()
    assert train(desk, admin).status_code == 201


def test_only_admins_train(trained, create_user):
    desk, *_ = trained
    agent = create_user("agent")
    assert train(desk, agent).status_code == 403


def _auto_route(app, on=True):
    settings = app.config["SETTINGS"]
    app.config["SETTINGS"] = dataclasses.replace(settings, triage_auto_route=on)
    return settings


@pytest.fixture
def auto_route(app):
    before = _auto_route(app)
    yield
    app.config["SETTINGS"] = before


def test_creation_is_routed_by_a_confident_model_with_history(trained, auto_route):
    desk, admin, requester, _ = trained
    ticket = desk.ticket(requester, title="Gerica henger", description="Pasient journal borte.")
    assert ticket["queue"] == "HELSE"
    routing = next(h for h in desk.history(admin, ticket["id"]) if h["field"] == "routing")
    assert routing["new"]["reason"] == "triage model"
    assert routing["new"]["model_version"] == 1 and routing["new"]["rule"] is None
    assert routing["new"]["confidence"] >= routing["new"]["threshold"]


def test_without_the_setting_the_model_does_not_route(trained):
    desk, _admin, requester, _ = trained
    ticket = desk.ticket(requester, title="Gerica henger", description="Pasient journal borte.")
    assert ticket["queue"] == "SERVICEDESK"


def test_a_matching_rule_still_decides(trained, auto_route):
    desk, admin, requester, _ = trained
    desk.add_rule(1, "SKOLE", keywords=["Gerica"])
    ticket = desk.ticket(requester, title="Gerica henger", description="Pasient journal borte.")
    assert ticket["queue"] == "SKOLE"
    routing = next(h for h in desk.history(admin, ticket["id"]) if h["field"] == "routing")
    assert routing["new"]["rule"] is not None and "model_version" not in routing["new"]


def test_no_model_falls_back_to_the_default_queue(queues, create_user, auto_route):
    desk = queues
    requester = create_user("requester", HOST)
    ticket = desk.ticket(requester, title="Gerica henger", description="Pasient journal borte.")
    assert ticket["queue"] == "SERVICEDESK"


def test_a_broken_model_row_leaves_rules_only(trained, auto_route, client, app):
    desk, admin, requester, _ = trained
    store.forget()
    desk.session.execute(sa.update(TriageModelRow).values(blob=b"not a pickle"))
    desk.session.commit()
    ticket = desk.ticket(requester, title="Gerica henger", description="Pasient journal borte.")
    assert ticket["queue"] == "SERVICEDESK"
    response = desk.client.post(
        "/api/v1/triage/suggest", headers=admin.headers, json={"title": "Gerica"}
    )
    assert response.status_code == 200 and response.json["model_version"] is None
    # /readyz's detail (its ping needs a connection of its own, which the test's
    # transaction does not give on SQLite; e2e tests call /readyz itself).
    from kommune_ikt.app import _triage_status

    with app.app_context():
        detail = _triage_status()
    assert detail["state"] == "failed" and detail["model_version"] == 1
    assert "rules alone" in detail["detail"]
    for collector in app.extensions["kommune_ikt.metrics"].extra:  # forget a cached state
        if hasattr(collector, "_state"):
            collector._state = ("unknown", -1.0)
    metrics = client.get("/metrics").text
    assert 'kommune_ikt_triage_model_loaded{state="failed"} 0.0' in metrics


def _store_format_1(desk):
    """Replace the trained model's row by one pickled in format 1 (scikit-learn objects)."""
    rows = desk.session.execute(
        sa.select(Ticket.title, Ticket.description, Ticket.queue_code, Ticket.category)
    ).all()
    texts = [features.clean(r.title, r.description) for r in rows]
    old = format1.model(
        texts, {"queue": [r.queue_code for r in rows], "category": [r.category for r in rows]}
    )
    blob, digest = store.dumps(old)
    desk.session.execute(sa.update(TriageModelRow).values(blob=blob, sha256=digest))
    desk.session.commit()
    store.forget()
    return old


def test_a_model_row_in_format_1_still_serves_and_routes(trained, auto_route):
    desk, admin, requester, _ = trained
    _store_format_1(desk)
    response = desk.client.post(
        "/api/v1/triage/suggest", headers=admin.headers,
        json={"title": "Gerica henger", "description": "Pasient journal borte."},
    )  # fmt: skip
    assert response.status_code == 200 and response.json["model_version"] == 1
    assert response.json["queue"][0]["value"] == "HELSE"
    assert store.status()["state"] == "loaded"
    ticket = desk.ticket(requester, title="Gerica henger", description="Pasient journal borte.")
    assert ticket["queue"] == "HELSE"


def test_a_format_1_row_that_cannot_be_read_leaves_rules_only(trained, auto_route, app):
    """Say scikit-learn changed what its fitted vectoriser keeps: the row fails to load
    the documented way: rules alone decide, and /readyz's detail says why."""
    desk, _, requester, _ = trained
    old = _store_format_1(desk)
    del old.words.vocabulary_
    blob, digest = store.dumps(old)
    desk.session.execute(sa.update(TriageModelRow).values(blob=blob, sha256=digest))
    desk.session.commit()
    store.forget()
    ticket = desk.ticket(requester, title="Gerica henger", description="Pasient journal borte.")
    assert ticket["queue"] == "SERVICEDESK"
    from kommune_ikt.app import _triage_status

    with app.app_context():
        detail = _triage_status()
    assert detail["state"] == "failed" and "AttributeError" in detail["detail"]
    assert "rules alone" in detail["detail"]


def test_activate_rolls_back(trained):
    desk, admin, requester, _ = trained
    add_resolved(desk.session, requester.id, 30, seed=2, start=START + timedelta(days=30))
    second = train(desk, admin)
    assert second.status_code == 201 and second.json["version"] == 2
    assert second.json["samples"] == 120
    back = desk.client.post("/api/v1/triage/models/1/activate", headers=admin.headers)
    assert back.status_code == 200 and back.json["active"] is True
    current = desk.client.get("/api/v1/triage/models/current", headers=admin.headers).json
    assert current["version"] == 1
    listed = desk.client.get("/api/v1/triage/models", headers=admin.headers).json["items"]
    assert [(m["version"], m["active"]) for m in listed] == [(2, False), (1, True)]
    suggestion = desk.client.post(
        "/api/v1/triage/suggest", headers=admin.headers, json={"title": "Gerica"}
    )
    assert suggestion.json["model_version"] == 1
    missing = desk.client.post("/api/v1/triage/models/9/activate", headers=admin.headers)
    assert missing.status_code == 404


def test_it_roles_see_suggestions_on_a_ticket_requesters_do_not(trained, create_user):
    desk, _admin, requester, _ = trained
    ticket = desk.ticket(requester, title="Feide virker ikke", description="Elevene får ikke.")
    agent = create_user("agent")
    seen = desk.get(agent, ticket["id"]).json
    assert seen["suggestions"]["model_version"] == 1
    assert seen["suggestions"]["queue"][0]["value"] == "SKOLE"
    assert "suggestions" not in desk.get(requester, ticket["id"]).json
    listed = desk.list(agent).json["items"]
    assert all("suggestions" not in t for t in listed)


def _count(field, outcome):
    return instruments().triage_suggestions.labels(field=field, outcome=outcome)._value.get()


def test_accepting_or_overriding_a_suggestion_is_counted(trained, create_user):
    desk, _admin, requester, _ = trained
    agent = create_user("agent")
    accepted, overridden = _count("queue", "accepted"), _count("queue", "overridden")
    first = desk.ticket(requester, title="Feide virker ikke", description="Elevene får ikke.")
    desk.change(agent, first["id"], queue="SKOLE")
    second = desk.ticket(requester, title="Feide virker ikke", description="Elevene får ikke.")
    desk.change(agent, second["id"], queue="NETTVERK")
    assert _count("queue", "accepted") == accepted + 1
    assert _count("queue", "overridden") == overridden + 1


def test_retrain_job_trains_at_night_when_enough_is_new(trained, app):
    desk, _admin, requester, body = trained
    settings = dataclasses.replace(app.config["SETTINGS"], triage_retrain_min_new=20)
    night = datetime(2027, 1, 10, 1, 30, tzinfo=UTC)  # 02:30 in Oslo
    ctx = JobContext(app.extensions["kommune_ikt.db"], settings, "test", now=lambda: night)
    assert jobs.retrain(ctx) == {"new_resolved": 0, "trained": 0}
    # Resolved after the model was trained.
    later = datetime.fromisoformat(body["trained_at"]) + timedelta(hours=1)
    add_resolved(desk.session, requester.id, 24, seed=3, start=later)
    day = JobContext(ctx.database, settings, "test", now=lambda: night.replace(hour=11))
    assert jobs.retrain(day) == {"skipped": "day"}
    assert jobs.retrain(ctx) == {"new_resolved": 24, "trained": 1, "version": 2}
    assert jobs.retrain(ctx)["trained"] == 0


def test_a_ticket_filed_on_the_web_page_is_routed_like_one_filed_by_the_api(
    trained, auto_route, app
):
    """Auto-routing is creation's, whichever door the ticket comes in by."""
    import re

    desk, admin, requester, _ = trained
    before = app.config["SETTINGS"]
    app.config["SETTINGS"] = dataclasses.replace(before, demo_signin=True)
    try:
        browser = bokmal_client(app)
        token = csrf(browser.get("/sign-in/demo").get_data(as_text=True))
        browser.post(f"/sign-in/demo/{requester.id}", data={"csrf_token": token})
        form = browser.get("/tickets/new").get_data(as_text=True)
        response = browser.post(
            "/tickets/new",
            data={
                "csrf_token": csrf(form),
                "title": "Gerica henger",
                "description": "Pasient journal borte.",
                "type": "incident",
                "service_code": "",
                "impact": "2",
                "urgency": "2",
            },
        )
    finally:
        app.config["SETTINGS"] = before
    assert response.status_code == 303, response.get_data(as_text=True)
    ticket_id = int(re.search(r"/tickets/(\d+)", response.headers["Location"]).group(1))
    [routing] = [h for h in desk.history(admin, ticket_id) if h["field"] == "routing"]
    assert routing["new"]["reason"] == "triage model"
    assert desk.get(admin, ticket_id).json["queue"] == "HELSE"


def test_a_mail_from_a_user_is_routed_like_a_ticket_filed_by_the_api(trained, auto_route, app):
    from servicedesk.mail import decisions, intake
    from servicedesk.mail.parse import parse

    desk, admin, requester, _ = trained
    raw = mail(requester.email, "Gerica henger", "Pasient journal borte.").as_bytes()
    parsed = parse(raw)
    decision = decisions.decide(desk.session, parsed, desk=DESK)
    assert decision.action == "new"
    record = intake.apply(
        desk.session,
        parsed,
        decision,
        raw,
        auto_route=store.auto_router(app.config["SETTINGS"]),
    )
    desk.session.commit()
    ticket = desk.get(admin, record.ticket_id).json
    assert ticket["queue"] == "HELSE" and ticket["source"] == "email"


def test_the_agents_ticket_page_shows_the_models_suggestions(trained, app):

    desk, _admin, requester, _ = trained
    ticket = desk.ticket(requester, title="Gerica henger", description="Pasient journal borte.")
    agent = desk.create_user("agent")
    before = app.config["SETTINGS"]
    app.config["SETTINGS"] = dataclasses.replace(before, demo_signin=True)
    try:
        browser = bokmal_client(app)
        token = csrf(browser.get("/sign-in/demo").get_data(as_text=True))
        browser.post(f"/sign-in/demo/{agent.id}", data={"csrf_token": token})
        page = browser.get(f"/desk/tickets/{ticket['id']}").get_data(as_text=True)
    finally:
        app.config["SETTINGS"] = before
    assert "Forslag fra triagemodellen" in page
    section = page.split('id="suggestions-h"', 1)[1].split("</section>", 1)[0]
    assert "HELSE (" in section and "Modell 1." in section


def test_without_a_model_the_agents_page_says_there_are_no_suggestions(queues, create_user, app):
    desk = queues

    requester = create_user("requester", HOST)
    ticket = desk.ticket(requester, title="Skriveren", description="Tom for toner")
    agent = create_user("agent")
    before = app.config["SETTINGS"]
    app.config["SETTINGS"] = dataclasses.replace(before, demo_signin=True)
    try:
        browser = bokmal_client(app)
        token = csrf(browser.get("/sign-in/demo").get_data(as_text=True))
        browser.post(f"/sign-in/demo/{agent.id}", data={"csrf_token": token})
        response = browser.get(f"/desk/tickets/{ticket['id']}")
    finally:
        app.config["SETTINGS"] = before
    assert response.status_code == 200
    assert "Ingen triagemodell er tatt i bruk ennå" in response.get_data(as_text=True)
