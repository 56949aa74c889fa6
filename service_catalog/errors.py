"""Catalogue errors (all DomainErrors, rendered as problem+json at the edge)."""

from kommune_ikt.core.errors import Conflict, NotFound, ValidationFailed

__all__ = ["Conflict", "NotFound", "ValidationFailed"]
