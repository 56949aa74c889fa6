"""Administration pages (admin): members, users and their tokens, routing rules with a dry run.

Thin views over the same service functions as the API's resources (kommune_ikt.core.auth,
service_catalog.municipalities, servicedesk.rules); a refusal is shown at its field. One
blueprint (``bp``, in ``blueprint.py``) carries the routes of every module here.
"""

from __future__ import annotations

from portal.admin import members, routing, users
from portal.admin.blueprint import bp

__all__ = ["bp", "members", "routing", "users"]
