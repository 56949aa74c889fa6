"""The one place that scopes queries to the actor's municipality."""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy.sql import Select

from kommune_ikt.core.auth.actor import Actor

# Any select, of any number of columns (a string: Select takes them as a TypeVarTuple).
S = TypeVar("S", bound="Select[*tuple[Any, ...]]")


def scope_to_actor(stmt: S, actor: Actor, municipality_column: Any) -> S:
    """Restrict a select to the actor's municipality when the actor is municipal.

    Applied inside the query, before ordering and pagination, so that a page
    never comes back short because of access rules.
    """
    if actor.is_municipal:
        return stmt.where(municipality_column == actor.municipality)
    return stmt
