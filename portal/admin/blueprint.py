"""The administration's blueprint, its menu entry and index page, and the member
municipalities as options of its forms."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template
from flask_babel import lazy_gettext as _l
from wtforms.fields.choices import SelectChoice

from kommune_ikt.core.auth.actor import Role
from kommune_ikt.web.edge import db_session
from portal import nav
from portal.views import actor, requires
from service_catalog import municipalities

# The templates are the portal's own (portal/templates), one level up from this package.
bp = Blueprint("portal_admin", "portal.admin", url_prefix="/admin", template_folder="../templates")
nav.register("portal_admin.index", _l("Administrasjon"), roles={Role.ADMIN}, order=90)


@bp.get("/")
@requires(Role.ADMIN)
def index() -> Any:
    """The administration's sub-pages."""
    return render_template("admin/index.html")


def municipality_choices(blank: str) -> list[SelectChoice]:
    rows = municipalities.list_municipalities(db_session(), actor())
    return [SelectChoice("", blank)] + [
        SelectChoice(m.number, f"{m.number} {m.name}") for m in rows
    ]
