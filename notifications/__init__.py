"""Notifications: an outbox written with the event, sent over SMTP by a job."""
