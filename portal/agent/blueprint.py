"""The blueprint of the agent's pages, their menu entry, and how they show a refusal."""

from __future__ import annotations

from typing import Any

from flask import Blueprint
from flask_babel import gettext as _
from flask_babel import lazy_gettext

from kommune_ikt.core.auth.actor import Role
from kommune_ikt.core.errors import DomainError
from portal import nav

bp = Blueprint("portal_agent", "portal.agent")
nav.register("portal_agent.desk_home", lazy_gettext("Arbeidsflate"), roles={Role.AGENT}, order=20)


def page_problem(exc: DomainError) -> dict[str, Any]:
    """The error's texts in the page's language."""
    return exc.to_problem(_)
