"""GET|PUT /sla-policies: the default set, new sets, recorded changes, re-applying, 422s."""

from __future__ import annotations

import pytest

from tests.support.desk import HOST
from tests.support.sla import oslo

DEFAULT = [
    {"priority": 1, "response_minutes": 15, "resolution_minutes": 120, "calendar": "business"},
    {"priority": 2, "response_minutes": 60, "resolution_minutes": 240, "calendar": "business"},
    {"priority": 3, "response_minutes": 225, "resolution_minutes": 900, "calendar": "business"},
    {"priority": 4, "response_minutes": 450, "resolution_minutes": 2250, "calendar": "business"},
]


def put(client, user, name, policies):
    return client.put(
        f"/api/v1/sla-policies/{name}", headers=user.headers, json={"policies": policies}
    )


def test_default_set_has_ror_ikt_targets_for_p1_and_p2(client, create_user):
    response = client.get("/api/v1/sla-policies/default", headers=create_user("agent").headers)
    assert response.status_code == 200
    assert response.json["policies"] == DEFAULT


def test_list_of_sets(client, create_user):
    admin = create_user("admin")
    put(client, admin, "ambisiøs", DEFAULT)  # refused: not a valid name
    assert put(client, admin, "ambisios", DEFAULT).status_code == 201
    response = client.get("/api/v1/sla-policies", headers=create_user("requester", HOST).headers)
    assert [s["name"] for s in response.json["items"]] == ["ambisios", "default"]


def test_put_replaces_and_records_the_change(client, create_user):
    admin = create_user("admin")
    faster = [{**p, "response_minutes": p["response_minutes"] // 2} for p in DEFAULT]
    response = put(client, admin, "default", faster)
    assert response.status_code == 200
    assert response.json["policies"][0]["response_minutes"] == 7
    assert response.json["version"] == 2
    changes = client.get("/api/v1/sla-policies/default/changes", headers=admin.headers).json[
        "items"
    ]
    assert changes[0]["action"] == "updated"
    assert changes[0]["old"][0]["response_minutes"] == 15
    assert changes[0]["new"][0]["response_minutes"] == 7
    assert changes[0]["actor_id"] == admin.id


@pytest.mark.parametrize(
    ("policies", "field"),
    [
        (DEFAULT[:3], "policies"),
        ([{**DEFAULT[0], "response_minutes": 0}, *DEFAULT[1:]], "policies.0.response_minutes"),
        ([*DEFAULT[:3], {**DEFAULT[3], "resolution_minutes": -5}], "policies.3.resolution_minutes"),
        ([{**DEFAULT[0], "calendar": "nope"}, *DEFAULT[1:]], "policies.0.calendar"),
        ([{**DEFAULT[0], "priority": 5}, *DEFAULT[1:]], "policies.0.priority"),
        ([DEFAULT[0], DEFAULT[0], *DEFAULT[2:]], "policies.1.priority"),
        ([{**DEFAULT[0], "response_minutes": "15"}, *DEFAULT[1:]], "policies.0.response_minutes"),
        # More than a year of minutes: every new ticket failed its clock (a 500).
        (
            [{**DEFAULT[0], "response_minutes": 525_601}, *DEFAULT[1:]],
            "policies.0.response_minutes",
        ),
    ],
)
def test_bad_policy_set_is_422_naming_the_field(client, create_user, policies, field):
    response = put(client, create_user("admin"), "default", policies)
    assert response.status_code == 422, response.json
    assert field in response.json["errors"], response.json


def test_a_target_the_calendar_cannot_reach_in_ten_years_is_422(client, create_user):
    # Found by the security helper: with such a target every new ticket was a 500.
    admin = create_user("admin")
    sparse = {"hours": {"mon": [["08:00", "09:00"]]}, "holiday_country": None}
    assert (
        client.put("/api/v1/calendars/sparse", headers=admin.headers, json=sparse).status_code
        == 201
    )
    year = [{**p, "calendar": "sparse", "resolution_minutes": 525_600} for p in DEFAULT]
    response = put(client, admin, "default", year)
    assert response.status_code == 422, response.json
    assert sorted(response.json["errors"]) == [f"policies.{i}.resolution_minutes" for i in range(4)]
    assert (
        put(client, admin, "default", [{**p, "calendar": "sparse"} for p in DEFAULT]).status_code
        == 200
    )


def test_a_calendar_edit_that_strands_a_policy_is_422(client, create_user):
    admin = create_user("admin")
    weekdays = {d: [["08:00", "15:30"]] for d in ("mon", "tue", "wed", "thu", "fri")}
    calendar = {"hours": weekdays, "holiday_country": None}
    assert (
        client.put("/api/v1/calendars/drift", headers=admin.headers, json=calendar).status_code
        == 201
    )
    slow = [{**p, "calendar": "drift", "resolution_minutes": 100_000} for p in DEFAULT]
    assert put(client, admin, "default", slow).status_code == 200
    sparse = {"hours": {"mon": [["08:00", "09:00"]]}, "holiday_country": None}
    response = client.put("/api/v1/calendars/drift", headers=admin.headers, json=sparse)
    assert response.status_code == 422, response.json
    assert list(response.json["errors"]) == ["hours"]


def test_bad_set_name_is_422(client, create_user):
    response = put(client, create_user("admin"), "Med Mellomrom", DEFAULT)
    assert response.status_code == 422
    assert "name" in response.json["errors"]


def test_only_admin_changes_policies(client, create_user):
    assert put(client, create_user("agent"), "default", DEFAULT).status_code == 403
    assert put(client, create_user("orderer", HOST), "default", DEFAULT).status_code == 403


def test_municipality_picks_its_set(client, create_user, clockwork, session):
    admin = create_user("admin")
    slow = [{**p, "response_minutes": p["response_minutes"] * 2} for p in DEFAULT]
    put(client, admin, "rolig", slow)
    etag = client.get(f"/api/v1/municipalities/{HOST}", headers=admin.headers).headers["ETag"]
    response = client.patch(
        f"/api/v1/municipalities/{HOST}",
        headers={**admin.headers, "If-Match": etag},
        json={"sla_policy_set": "rolig"},
    )
    assert response.status_code == 200, response.json
    session.expire_all()
    # Priority 2 filed Monday 09:00: 120 minutes to respond in this set.
    ticket = clockwork.file(oslo(2026, 3, 9, 9, 0))
    assert clockwork.sla(ticket, oslo(2026, 3, 9, 9, 5))["response_due"] == oslo(2026, 3, 9, 11, 0)


def test_unknown_set_on_a_municipality_is_422(client, create_user):
    admin = create_user("admin")
    create_user("requester", HOST)
    etag = client.get(f"/api/v1/municipalities/{HOST}", headers=admin.headers).headers["ETag"]
    response = client.patch(
        f"/api/v1/municipalities/{HOST}",
        headers={**admin.headers, "If-Match": etag},
        json={"sla_policy_set": "finnes-ikke"},
    )
    assert response.status_code == 422
    assert "sla_policy_set" in response.json["errors"]


def test_open_tickets_keep_their_targets_until_reapplied(client, create_user, clockwork, session):
    admin = create_user("admin")
    ticket = clockwork.file(oslo(2026, 3, 9, 9, 0))
    before = clockwork.sla(ticket, oslo(2026, 3, 9, 9, 5))
    assert before["response_due"] == oslo(2026, 3, 9, 10, 0)
    slower = [{**p, "response_minutes": 120} for p in DEFAULT]
    assert put(client, admin, "default", slower).status_code == 200
    session.expire_all()
    assert clockwork.sla(ticket, oslo(2026, 3, 9, 9, 5)) == before
    new_ticket = clockwork.file(oslo(2026, 3, 9, 9, 0))
    assert clockwork.sla(new_ticket, oslo(2026, 3, 9, 9, 5))["response_due"] == oslo(
        2026, 3, 9, 11, 0
    )

    response = client.post("/api/v1/sla-policies/default/reapply", headers=admin.headers)
    assert response.status_code == 200
    assert response.json == {"set": "default", "tickets_reapplied": 2}
    session.expire_all()
    assert clockwork.sla(ticket, oslo(2026, 3, 9, 9, 5))["response_due"] == oslo(2026, 3, 9, 11, 0)
    changes = client.get("/api/v1/sla-policies/default/changes", headers=admin.headers).json[
        "items"
    ]
    assert changes[0]["action"] == "reapplied" and changes[0]["tickets_affected"] == 2


def test_reapply_is_admin_only(client, create_user):
    response = client.post(
        "/api/v1/sla-policies/default/reapply", headers=create_user("agent").headers
    )
    assert response.status_code == 403
