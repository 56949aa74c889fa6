"""Catalogue and order pages: browse services, see this year's price for my municipality,
order an optional service, follow, cancel and (orderers) approve orders, and follow and
change the municipality's subscriptions. One blueprint (``bp``, in ``blueprint.py``)
carries the routes of every module here."""

from __future__ import annotations

from portal.catalog import browse, orders, subscriptions
from portal.catalog.blueprint import bp

__all__ = ["bp", "browse", "orders", "subscriptions"]
