"""SLA: calendars, policy sets, the business-hours clock, escalation."""
