"""Administration of the servicedesk (admin): queues and their agents, SLA policy sets and
calendars (with their recurring closures), over the same service functions as the API.

One blueprint (``bp``, in ``blueprint.py``) carries the routes of every module here.
"""

from __future__ import annotations

from portal.admin_desk import calendars, queues, sla_policies
from portal.admin_desk.blueprint import bp

__all__ = ["bp", "calendars", "queues", "sla_policies"]
