"""The options of the agent's select fields: queues, agents and active services."""

from __future__ import annotations

from wtforms.fields.choices import SelectChoice

from kommune_ikt.web.edge import db_session
from portal.desk.people import list_agents
from portal.views import actor
from service_catalog import queries as catalog_queries
from servicedesk.queues import list_queues


def queue_choices(first: str | None = None) -> list[SelectChoice]:
    rows = [
        SelectChoice(q.code, f"{q.name} ({q.code})") for q in list_queues(db_session(), actor())
    ]
    return ([SelectChoice("", first)] if first else []) + rows


def agent_choices(first: list[SelectChoice]) -> list[SelectChoice]:
    return first + [SelectChoice(str(i), name) for i, name in list_agents(db_session())]


def service_choices(first: str) -> list[SelectChoice]:
    page = catalog_queries.list_services(db_session(), status="active", limit=200)
    return [SelectChoice("", first)] + [SelectChoice(s.code, s.name) for s in page.items]
