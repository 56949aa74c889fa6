"""The catalogue managers' blueprint, its menu entry and index page."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template
from flask_babel import lazy_gettext as _l

from kommune_ikt.core.auth.actor import Role
from portal import nav
from portal.views import requires

# The templates are the portal's own (portal/templates), one level up from this package.
bp = Blueprint(
    "portal_catalogue_admin",
    "portal.catalogue_admin",
    url_prefix="/catalogue-admin",
    template_folder="../templates",
)
nav.register(
    "portal_catalogue_admin.index",
    _l("Katalogforvaltning"),
    roles={Role.CATALOGUE_MANAGER},
    order=80,
)
MANAGER = Role.CATALOGUE_MANAGER


@bp.get("/")
@requires(MANAGER)
def index() -> Any:
    """The catalogue management's sub-pages."""
    return render_template("catalogue_admin/index.html")
