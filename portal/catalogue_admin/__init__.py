"""Catalogue managers' pages (catalogue_manager, admin): services, prices per budget year,
participants, allocation keys, budget years (closing with a preview) and special requests.

Thin views over the same service functions as the catalogue's API resources. One blueprint
(``bp``, in ``blueprint.py``) carries the routes of every module here.
"""

from __future__ import annotations

from portal.catalogue_admin import allocation_keys, budget_years, services, special_requests
from portal.catalogue_admin.blueprint import bp

__all__ = ["allocation_keys", "bp", "budget_years", "services", "special_requests"]
