"""The agent's workspace at ``/desk``: queue views with counts and SLA badges, one ticket's
whole story with the forms to work it, bulk actions, availability and saved views.

One blueprint (``bp``, in ``blueprint.py``) carries the routes of both page modules."""

from __future__ import annotations

from portal.agent import desk, ticket
from portal.agent.blueprint import bp

__all__ = ["bp", "desk", "ticket"]
