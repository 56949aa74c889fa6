"""The agent's workspace behind the desk pages: saved views, who looked at a ticket, the
queue views with their counts, SLA badges and a ticket's timeline (no Flask here)."""
