"""Every module that defines tables, imported in one place for Alembic and the app."""

from __future__ import annotations

import importlib

from sqlalchemy import MetaData

from kommune_ikt.core.db import SQLModel

MODEL_MODULES = (
    "kommune_ikt.core.auth.models",
    "kommune_ikt.web.idempotency",
    "kommune_ikt.core.reference_cache",
    "service_catalog.models",
    "servicedesk.models",
    "servicedesk.sla.models",
    "servicedesk.attachments.models",
    "kommune_ikt.core.scheduler.models",
    "notifications.models",
    "metrics.models",
    "servicedesk.mail.models",
    "servicedesk.triage.models",
    "portal.models",
    "portal.desk.models",
)


def load_models() -> MetaData:
    """Import every model module and return the complete metadata."""
    for name in MODEL_MODULES:
        importlib.import_module(name)
    return SQLModel.metadata
