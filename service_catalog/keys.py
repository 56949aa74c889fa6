"""Use cases for allocation keys: weighted (equal + population) or fixed shares, one default."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session
from sqlmodel import col

from kommune_ikt.core.auth.actor import Actor, Role
from kommune_ikt.core.db import saved_id
from kommune_ikt.core.errors import Conflict, NotFound, ValidationFailed
from kommune_ikt.core.messages import N_
from kommune_ikt.core.types import utcnow
from service_catalog import allocation, closing
from service_catalog.models import AllocationKey, AllocationKeyShare, Municipality


@dataclass
class KeyView:
    """A key with its fixed shares (``None`` for a weighted key)."""

    key: AllocationKey
    shares: dict[str, Decimal] | None

    @property
    def name(self) -> str:
        return self.key.name

    @property
    def description(self) -> str:
        return self.key.description

    @property
    def kind(self) -> str:
        return "fixed" if self.key.is_fixed else "weighted"

    @property
    def equal_weight(self) -> Decimal | None:
        return self.key.equal_weight

    @property
    def population_weight(self) -> Decimal | None:
        return self.key.population_weight

    @property
    def fixed_shares(self) -> dict[str, Decimal] | None:
        return self.shares

    @property
    def population_year(self) -> int | None:
        return self.key.population_year

    @property
    def is_default(self) -> bool:
        return self.key.is_default

    @property
    def updated_at(self) -> datetime:
        return self.key.updated_at


def list_keys(session: Session, actor: Actor) -> list[KeyView]:
    actor.require(Role.CATALOGUE_MANAGER)
    keys = list(session.scalars(sa.select(AllocationKey).order_by(AllocationKey.name)))
    shares = _shares_by_key(session, [k.id for k in keys if k.is_fixed])
    return [KeyView(k, shares.get(saved_id(k), {}) if k.is_fixed else None) for k in keys]


def get_key(session: Session, actor: Actor, name: str, *, for_update: bool = False) -> KeyView:
    actor.require(Role.CATALOGUE_MANAGER)
    stmt = sa.select(AllocationKey).where(col(AllocationKey.name) == name)
    key = session.scalar(stmt.with_for_update() if for_update else stmt)
    if key is None:
        raise NotFound(N_("Allocation key %(name)r not found."), params={"name": name})
    return _view(session, key)


def create_key(session: Session, actor: Actor, data: dict[str, Any]) -> KeyView:
    """Add a key; the first key, or one sent with ``default: true``, becomes the default."""
    actor.require(Role.CATALOGUE_MANAGER)
    name = data["name"]
    if (
        session.scalar(sa.select(col(AllocationKey.id)).where(col(AllocationKey.name) == name))
        is not None
    ):
        raise Conflict(
            N_("Allocation key %(name)r exists."),
            errors={"name": [N_("Already in use.")]},
            params={"name": name},
        )
    weights, shares = _check_definition(session, data)
    first = session.scalar(sa.select(col(AllocationKey.id)).limit(1)) is None
    make_default = first or bool(data.get("is_default"))
    if make_default:
        _clear_default(session)
    key = AllocationKey(
        name=name,
        description=data.get("description") or "",
        equal_weight=weights[0] if weights else None,
        population_weight=weights[1] if weights else None,
        population_year=data.get("population_year") if weights else None,
        is_default=make_default,
    )
    session.add(key)
    session.flush()
    _write_shares(session, key, shares)
    return _view(session, key)


def replace_key(session: Session, actor: Actor, name: str, data: dict[str, Any]) -> KeyView:
    """Replace a key's definition (PUT); ``default`` left out keeps the current setting."""
    actor.require(Role.CATALOGUE_MANAGER)
    if data.get("name") not in (None, name):
        raise ValidationFailed(
            "name", N_("Must match the name in the path (keys are not renamed).")
        )
    key = get_key(session, actor, name, for_update=True).key
    closing.refuse_key(session, name)
    weights, shares = _check_definition(session, data)
    wanted_default = data.get("is_default")
    if wanted_default is False and key.is_default:
        raise Conflict(
            N_("%(name)r is the default key and one key must be; make another key the default."),
            errors={"default": [N_("The default key cannot be unset; set another as default.")]},
            params={"name": name},
        )
    if wanted_default and not key.is_default:
        _clear_default(session)
        key.is_default = True
    key.description = data.get("description") or ""
    key.equal_weight = weights[0] if weights else None
    key.population_weight = weights[1] if weights else None
    key.population_year = data.get("population_year") if weights else None
    key.updated_at = utcnow()
    session.execute(sa.delete(AllocationKeyShare).where(col(AllocationKeyShare.key_id) == key.id))
    session.flush()
    _write_shares(session, key, shares)
    # The key may already share open years' services: every month must still split.
    from service_catalog.reports.keys_complete import check_keys_complete

    check_keys_complete(session)
    return _view(session, key)


def default_key_name(session: Session) -> str | None:
    return session.scalar(sa.select(col(AllocationKey.name)).where(col(AllocationKey.is_default)))


def load_keys(session: Session) -> dict[str, allocation.Key]:
    """Every key as the pure allocation module sees it (two queries, whatever the size)."""
    keys = list(session.scalars(sa.select(AllocationKey)))
    shares = _shares_by_key(session, [k.id for k in keys if k.is_fixed])
    out: dict[str, allocation.Key] = {}
    for key in keys:
        if key.is_fixed:
            out[key.name] = allocation.FixedKey(key.name, shares.get(saved_id(key), {}))
        else:
            out[key.name] = allocation.WeightedKey(
                key.name,
                key.equal_weight or Decimal(0),
                key.population_weight or Decimal(0),
                key.population_year,
            )
    return out


def _view(session: Session, key: AllocationKey) -> KeyView:
    if not key.is_fixed:
        return KeyView(key, None)
    return KeyView(key, _shares_by_key(session, [key.id]).get(saved_id(key), {}))


def _shares_by_key(session: Session, key_ids: list[int | None]) -> dict[int, dict[str, Decimal]]:
    if not key_ids:
        return {}
    out: dict[int, dict[str, Decimal]] = {}
    rows = session.execute(
        sa.select(
            col(AllocationKeyShare.key_id),
            col(AllocationKeyShare.municipality_number),
            col(AllocationKeyShare.share),
        )
        .where(col(AllocationKeyShare.key_id).in_(key_ids))
        .order_by(col(AllocationKeyShare.municipality_number))
    )
    for key_id, number, share in rows:
        out.setdefault(key_id, {})[number] = share
    return out


def _clear_default(session: Session) -> None:
    # Flushed before the new default is set: the partial unique index allows
    # only one default row at any moment.
    session.execute(
        sa.update(AllocationKey).where(col(AllocationKey.is_default)).values(is_default=False)
    )
    session.flush()


def _write_shares(session: Session, key: AllocationKey, shares: dict[str, Decimal] | None) -> None:
    key_id = saved_id(key)
    for number, share in sorted((shares or {}).items()):
        session.add(AllocationKeyShare(key_id=key_id, municipality_number=number, share=share))
    session.flush()


def _check_definition(
    session: Session, data: dict[str, Any]
) -> tuple[tuple[Decimal, Decimal] | None, dict[str, Decimal] | None]:
    """Weights or fixed shares, each non-negative and summing to exactly 1."""
    equal, population = data.get("equal_weight"), data.get("population_weight")
    shares = data.get("fixed_shares")
    weighted = equal is not None or population is not None
    if weighted and shares is not None:
        raise ValidationFailed(
            "fixed_shares",
            N_("Give either equal_weight and population_weight, or fixed_shares."),
        )
    if not weighted and shares is None:
        message = N_("Give equal_weight and population_weight (summing to 1), or fixed_shares.")
        raise ValidationFailed(
            errors={"equal_weight": [message], "population_weight": [message]},
            detail=message,
        )
    if weighted:
        pairs = (("equal_weight", equal), ("population_weight", population))
        missing = [name for name, value in pairs if value is None]
        if missing:
            raise ValidationFailed(
                errors={n: [N_("Required with the other weight.")] for n in missing},
                detail=N_("A weighted key needs both weights."),
            )
        assert equal is not None and population is not None
        try:
            allocation.check_weights(equal, population)
        except ValueError as exc:
            message = f"equal_weight + population_weight must be exactly 1 ({exc})."
            raise ValidationFailed(
                errors={"equal_weight": [message], "population_weight": [message]},
                detail=message,
            )
        return (equal, population), None
    assert shares is not None
    if not shares:
        raise ValidationFailed("fixed_shares", N_("Give at least one municipality's share."))
    known = set(
        session.scalars(
            sa.select(col(Municipality.number)).where(col(Municipality.number).in_(shares))
        )
    )
    unknown = sorted(set(shares) - known)
    if unknown:
        raise ValidationFailed(
            errors={f"fixed_shares.{n}": [f"Unknown municipality {n}."] for n in unknown},
            detail="fixed_shares names unknown municipalities: " + ", ".join(unknown) + ".",
        )
    if data.get("population_year") is not None:
        raise ValidationFailed("population_year", N_("Only a weighted key uses populations."))
    try:
        allocation.check_shares(shares)
    except ValueError as exc:
        raise ValidationFailed(
            "fixed_shares",
            N_("The shares must sum to exactly 1 (%(reason)s)."),
            params={"reason": str(exc)},
        )
    return None, dict(shares)
