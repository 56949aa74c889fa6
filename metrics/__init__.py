"""Prometheus exposition, outages, probes, availability and SLO maths."""
