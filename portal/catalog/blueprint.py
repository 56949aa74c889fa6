"""The catalogue's blueprint (browse, order, follow orders, approve, subscriptions), its
menu entries, and how its pages show a refusal."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template
from flask_babel import gettext as _
from flask_babel import lazy_gettext

from kommune_ikt.core.auth.actor import Role
from portal import nav
from service_catalog.choices import Tier

# The templates are the portal's own (portal/templates), one level up from this package.
bp = Blueprint("portal_catalog", "portal.catalog", template_folder="../templates")
nav.register("portal_catalog.catalogue", lazy_gettext("Tjenestekatalog"), order=20)
nav.register(
    "portal_catalog.order_list",
    lazy_gettext("Bestillinger"),
    roles={Role.REQUESTER, Role.ORDERER, Role.AGENT},
    order=21,
)
nav.register(
    "portal_catalog.approvals", lazy_gettext("Godkjenninger"), roles={Role.ORDERER}, order=22
)
nav.register(
    "portal_catalog.subscription_list",
    lazy_gettext("Abonnementer"),
    roles={Role.ORDERER, Role.AGENT},
    order=23,
)

# The flash category of these pages: other pages never show (or swallow) these messages.
FLASH = "catalog"
ORDERING_ROLES = (Role.REQUESTER, Role.ORDERER)
TIER_NAMES = {
    Tier.BASIC.value: lazy_gettext("Inkludert for alle"),
    Tier.OPTIONAL.value: lazy_gettext("Kan bestilles"),
    Tier.SPECIAL.value: lazy_gettext("Spesialbestilling"),
}


@bp.app_context_processor
def _catalog_context() -> dict[str, Any]:
    return {"tier_names": TIER_NAMES}


def expired_form() -> Any:
    """The page for a form whose CSRF token no longer holds: nothing changed."""
    return render_template(
        "error.html",
        title=_("Skjemaet var utløpt"),
        detail=_("Ingenting er endret. Last siden på nytt og prøv igjen."),
    ), 400
