"""The servicedesk through the API: file tickets, change them with the right ETag, count rows."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from servicedesk.models import Queue, QueueAgent, Ticket, TicketComment, TicketHistory

TICKET = {
    "title": "Skriveren på rådhuset skriver ikke ut",
    "description": "Skriveren i andre etasje viser papirstopp, men det er ikke papir i den.",
    "type": "incident",
    "impact": 2,
    "urgency": 2,
}
# Real members of IKT Orkidé (kommune_ikt/data): Kristiansund hosts, Sunndal is another member.
HOST = "1505"
OTHER = "1563"


@dataclass
class Desk:
    client: Any
    session: Session
    create_user: Any
    _admin: Any = None

    def post_ticket(self, user: Any, headers: dict[str, str] | None = None, **body: Any) -> Any:
        payload = {**TICKET, **body}
        if user.municipality is None and "municipality" not in body:
            payload["municipality"] = HOST
        payload = {k: v for k, v in payload.items() if v is not ...}
        return self.client.post(
            "/api/v1/tickets", headers={**user.headers, **(headers or {})}, json=payload
        )

    def ticket(self, user: Any, **body: Any) -> dict[str, Any]:
        response = self.post_ticket(user, **body)
        assert response.status_code == 201, response.json
        return response.json

    def get(self, user: Any, ticket_id: int) -> Any:
        return self.client.get(f"/api/v1/tickets/{ticket_id}", headers=user.headers)

    def etag(self, ticket_id: int) -> str:
        """The current ETag, as an admin reads it (every caller gets the same one)."""
        if self._admin is None:
            self._admin = self.create_user("admin")
        response = self.get(self._admin, ticket_id)
        assert response.status_code == 200, response.json
        return response.headers["ETag"]

    def patch(
        self, user: Any, ticket_id: int, body: dict[str, Any], etag: str | None = None
    ) -> Any:
        headers = {**user.headers, "If-Match": etag or self.etag(ticket_id)}
        return self.client.patch(f"/api/v1/tickets/{ticket_id}", headers=headers, json=body)

    def change(self, user: Any, ticket_id: int, **body: Any) -> dict[str, Any]:
        response = self.patch(user, ticket_id, body)
        assert response.status_code == 200, response.json
        return response.json

    def comment(self, user: Any, ticket_id: int, body: str, internal: bool = False) -> Any:
        return self.client.post(
            f"/api/v1/tickets/{ticket_id}/comments",
            headers=user.headers,
            json={"body": body, "internal": internal},
        )

    def history(self, user: Any, ticket_id: int) -> list[dict[str, Any]]:
        response = self.client.get(
            f"/api/v1/tickets/{ticket_id}/history?limit=200", headers=user.headers
        )
        assert response.status_code == 200, response.json
        return response.json["items"]

    def list(self, user: Any, **query: Any) -> Any:
        return self.client.get("/api/v1/tickets", headers=user.headers, query_string=query)

    def counts(self) -> dict[str, int]:
        """Rows in every servicedesk table: a failed request must leave them all unchanged."""
        self.session.expire_all()
        tables = [Ticket, TicketComment, TicketHistory, Queue, QueueAgent]
        out = {
            t.__tablename__: self.session.scalar(sa.select(sa.func.count()).select_from(t))
            for t in tables
        }
        out["counters"] = self.session.scalar(
            sa.text("SELECT coalesce(sum(last), 0) FROM ticket_counters")
        )
        return out

    def add_queue(
        self, code: str, agents: list[int] | None = None, auto_assign: bool = False, **kw: Any
    ) -> None:
        self.session.add(
            Queue(code=code, name=kw.pop("name", code.title()), auto_assign=auto_assign, **kw)
        )
        self.session.flush()
        for user_id in agents or []:
            self.session.add(QueueAgent(queue_code=code, user_id=user_id))
        self.session.commit()

    def add_rule(self, position: int, queue: str, **match: Any) -> int:
        from servicedesk.models import RoutingRule

        rule = RoutingRule(
            position=position, name=f"rule {position}", match=match, queue_code=queue
        )
        self.session.add(rule)
        self.session.commit()
        assert rule.id is not None
        return rule.id
