"""Shared servicedesk: tickets, comments, history, queues, routing, SLA."""
