"""Enumerations of the servicedesk: ticket types and statuses."""

from __future__ import annotations

from enum import StrEnum


class TicketType(StrEnum):
    INCIDENT = "incident"
    SERVICE_REQUEST = "service_request"


class TicketStatus(StrEnum):
    NEW = "new"
    ASSIGNED = "assigned"
    IN_PROGRESS = "in_progress"
    PENDING = "pending"
    RESOLVED = "resolved"
    CLOSED = "closed"
    CANCELLED = "cancelled"


# Statuses that still count against an agent's workload and an open SLA.
OPEN_STATUSES = frozenset(
    {TicketStatus.NEW, TicketStatus.ASSIGNED, TicketStatus.IN_PROGRESS, TicketStatus.PENDING}
)
FINAL_STATUSES = frozenset({TicketStatus.CLOSED, TicketStatus.CANCELLED})

NUMBER_PREFIX = {TicketType.INCIDENT: "INC", TicketType.SERVICE_REQUEST: "REQ"}

# History field names that are not ticket columns.
HISTORY_COMMENT = "comment"
HISTORY_ROUTING = "routing"
HISTORY_CREATED = "created"
