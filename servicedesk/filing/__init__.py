"""Ticket creation: ``file_ticket(session, actor, NewTicket(...)) -> Filed``, for every caller.

The API, the web portal, mail intake, order fulfilment (the catalogue's
``order_approved`` signal) and unplanned outages (metrics' ``outage_started``
signal) all file through it. Inside, three steps: the checks of what the
caller may file (filer.py), the plan of everything decided before writing
(plan.py: queue, priority, SLA, history, e-mails) and the write (write.py:
one statement on PostgreSQL).
"""

from servicedesk.filing.content import Filed, NewTicket
from servicedesk.filing.filer import file_ticket
from servicedesk.filing.plan import AutoRoute

__all__ = ["AutoRoute", "Filed", "NewTicket", "file_ticket"]
