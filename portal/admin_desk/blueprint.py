"""The blueprint of the servicedesk's administration pages (admin)."""

from __future__ import annotations

import re

from flask import Blueprint

# The templates are the portal's own (portal/templates), one level up from this package.
bp = Blueprint(
    "portal_admin_desk",
    "portal.admin_desk",
    url_prefix="/admin/desk",
    template_folder="../templates",
)
# The name of a new SLA policy set or calendar (the API's path segment).
NEW_NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,49}")
