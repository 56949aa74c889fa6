"""Kommune-IKT: service catalogue, shared servicedesk and metrics for IT collaborations."""

__version__ = "0.1.0"
