"""Signals the catalogue sends when an order changes state, for other domains to act on.

The catalogue never imports the servicedesk; the servicedesk subscribes here
instead (dependencies point one way: servicedesk → service_catalog).

Every signal is sent *inside* the caller's transaction, after the order has
been flushed (so ``order.id`` is set), with:

- ``sender``: the :class:`service_catalog.models.Order`;
- ``session``: the SQLAlchemy session of the transaction. A receiver may add
  and flush rows and change the order (e.g. set ``order.ticket_id``) but must
  never commit: the edge (request, job, CLI) commits or rolls back everything
  together, so a receiver that raises a ``DomainError`` undoes the change that
  sent the signal;
- ``actor``: the :class:`kommune_ikt.core.auth.actor.Actor` who made the change.

Connect with ``order_approved.connect(fn)`` (``fn(order, *, session, actor)``).
"""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

order_approved = _signals.signal(
    "order-approved",
    doc="""An order became ``approved``: by its municipality's orderer
    (``POST /orders/{id}/approve``) or at creation when the orderer placed it
    (an orderer's own order starts approved). Sent once per order. The
    servicedesk opens the ``service_request`` fulfilment ticket and sets
    ``order.ticket_id``.""",
)

order_fulfilled = _signals.signal(
    "order-fulfilled",
    doc="""An agent fulfilled an approved order (``POST /orders/{id}/fulfil``):
    ``order.status`` is ``fulfilled``, ``order.subscription_id`` and
    ``order.start_on`` are set, and ``order.ticket_id`` is whatever the
    ``order_approved`` receiver set (may be null). The servicedesk resolves
    the fulfilment ticket.""",
)

order_cancelled = _signals.signal(
    "order-cancelled",
    doc="""A pending or approved order was cancelled
    (``POST /orders/{id}/cancel``); ``order.reason`` says why. A fulfilment
    ticket (``order.ticket_id``), if one was opened, is no longer needed.""",
)

__all__ = ["order_approved", "order_cancelled", "order_fulfilled"]
