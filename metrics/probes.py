"""Probe use cases: manage a service's HTTP probes, and the scheduler job that runs due ones.

Hysteresis: ``failure_threshold`` failures in a row open an unplanned outage
(with its P1 incident), dated from the first failure of the streak;
``recovery_threshold`` successes in a row end it (dated from the first
success) and resolve the incident. Anything in between changes nothing, so a
flapping endpoint does not open and close outages on every run.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session
from sqlmodel import col

from kommune_ikt.core.auth.actor import SYSTEM, Actor, Role
from kommune_ikt.core.errors import DomainError, NotFound, ValidationFailed
from kommune_ikt.core.messages import N_
from kommune_ikt.core.pagination import Page, paginate
from kommune_ikt.core.types import utcnow
from metrics import events, outages
from metrics.models import Outage, Probe
from metrics.probing import (
    CheckResult,
    CheckSpec,
    check_many,
    literal_host_refused,
    parse_networks,
)
from service_catalog.models import Service

log = logging.getLogger(__name__)
BATCH = 50
CHANGEABLE = (
    "name",
    "url",
    "interval_seconds",
    "timeout_seconds",
    "expected_status",
    "body_contains",
    "failure_threshold",
    "recovery_threshold",
    "enabled",
)


def get_probe(session: Session, actor: Actor, probe_id: int, for_update: bool = False) -> Probe:
    actor.require(Role.OPERATIONS)
    probe = session.get(Probe, probe_id, with_for_update=for_update)
    if probe is None:
        raise NotFound(N_("Probe not found."))
    return probe


def list_probes(
    session: Session, actor: Actor, *, limit: int, cursor: str | None, service_code: str | None
) -> Page[Probe]:
    actor.require(Role.OPERATIONS)
    stmt = sa.select(Probe)
    if service_code is not None:
        stmt = stmt.where(col(Probe.service_code) == service_code)
    return paginate(session, stmt, [Probe.created_at, Probe.id], limit=limit, cursor=cursor)


def create_probe(
    session: Session,
    actor: Actor,
    data: dict[str, Any],
    *,
    now: datetime | None = None,
    allow_networks: str = "",
) -> Probe:
    """Add a probe to a service; it first runs at the next scheduler tick."""
    actor.require(Role.OPERATIONS)
    now = now or utcnow()
    if session.get(Service, data["service_code"]) is None:
        raise ValidationFailed(
            "service_code", N_("Unknown service %(code)s."), params={"code": data["service_code"]}
        )
    _check_target(data["url"], allow_networks)
    _check_timeout(data.get("timeout_seconds", 5.0), data.get("interval_seconds", 60))
    probe = Probe(
        **{k: v for k, v in data.items() if k in (*CHANGEABLE, "service_code")},
        created_by_id=actor.user_id,
        next_run_at=now,
        created_at=now,
        updated_at=now,
    )
    session.add(probe)
    session.flush()
    return probe


def update_probe(
    session: Session,
    actor: Actor,
    probe: Probe,
    changes: dict[str, Any],
    *,
    now: datetime | None = None,
    allow_networks: str = "",
) -> Probe:
    actor.require(Role.OPERATIONS)
    if not changes:
        raise ValidationFailed("body", N_("Give at least one field to change."))
    if "url" in changes:
        _check_target(changes["url"], allow_networks)
    _check_timeout(
        changes.get("timeout_seconds", probe.timeout_seconds),
        changes.get("interval_seconds", probe.interval_seconds),
    )
    for key in CHANGEABLE:
        if key in changes:
            setattr(probe, key, changes[key])
    probe.updated_at = now or utcnow()
    probe.version += 1
    session.flush()
    return probe


def delete_probe(session: Session, actor: Actor, probe: Probe) -> None:
    """Remove a probe; an outage it opened stays (and must be ended by hand)."""
    actor.require(Role.OPERATIONS)
    session.delete(probe)
    session.flush()


def _check_target(url: str, allow_networks: str) -> None:
    """Refuse, at once, a URL whose written host is never allowed (the rest is judged per run)."""
    refused = literal_host_refused(url, parse_networks(allow_networks))
    if refused is not None:
        raise ValidationFailed("url", refused[0].upper() + refused[1:] + ".")


def _check_timeout(timeout: float, interval: int) -> None:
    if timeout >= interval:
        raise ValidationFailed("timeout_seconds", N_("Must be shorter than interval_seconds."))


# --- the scheduler job -------------------------------------------------------


Transaction = Callable[[], AbstractContextManager[Session]]


def run_due_probes(
    transaction: Transaction, now: datetime | None = None, *, allow_networks: str = ""
) -> dict[str, int]:
    """Run every enabled probe whose time has come, with no transaction open while waiting.

    Three steps: claim the due probes (a short transaction moves their next run
    on, so no other run takes them), check them with no session or transaction
    open (a slow or dead target must not hold a database lock: on SQLite every
    request would wait for it and fail), then record the results in a new short
    transaction. ``transaction()`` opens one transaction and commits it on exit
    (the job's edge).
    """
    now = now or utcnow()
    allow = parse_networks(allow_networks)
    with transaction() as session:
        claimed = claim_due_probes(session, now)
    results = check_many([_spec(p, allow) for p in claimed])
    summary = {"run": 0, "failed": 0, "opened": 0, "ended": 0}
    with transaction() as session:
        for claim, result in zip(claimed, results, strict=True):
            probe = session.get(Probe, claim.id, with_for_update=True)
            if probe is None or probe.url != claim.url:
                continue  # deleted or re-targeted meanwhile: the result is for nothing current
            change = record_result(session, probe, result, now)
            summary["run"] += 1
            summary["failed"] += 0 if result.ok else 1
            if change:
                summary[change] += 1
    return summary


def claim_due_probes(session: Session, now: datetime) -> list[Probe]:
    """The due probes, their next run moved on so that no concurrent run takes them too."""
    stmt = (
        sa.select(Probe)
        .where(
            col(Probe.enabled).is_(True),
            sa.or_(col(Probe.next_run_at).is_(None), col(Probe.next_run_at) <= now),
        )
        .order_by(col(Probe.next_run_at), col(Probe.id))
        .limit(BATCH)
        .with_for_update(skip_locked=True)
    )
    due = list(session.scalars(stmt))
    for probe in due:
        probe.next_run_at = now + timedelta(seconds=probe.interval_seconds)
    session.flush()
    for probe in due:
        session.expunge(probe)
    return due


def _spec(probe: Probe, allow: tuple[Any, ...]) -> CheckSpec:
    return CheckSpec(
        probe.url, probe.timeout_seconds, probe.expected_status, probe.body_contains, allow
    )


def record_result(session: Session, probe: Probe, result: CheckResult, now: datetime) -> str | None:
    """Fold one result into the probe; returns "opened"/"ended" when an outage changed."""
    events.record("probe_run")
    continuing = probe.last_ok is result.ok
    probe.last_run_at = now
    probe.last_ok = result.ok
    probe.last_error = None if result.ok else (result.error or "failed")[:500]
    probe.last_latency_seconds = result.latency_seconds
    probe.runs_total += 1
    probe.next_run_at = now + timedelta(seconds=probe.interval_seconds)
    if not continuing or probe.streak_started_at is None:
        probe.streak_started_at = now
    if result.ok:
        probe.consecutive_successes += 1
        probe.consecutive_failures = 0
    else:
        events.record("probe_failed")
        probe.failures_total += 1
        probe.consecutive_failures += 1
        probe.consecutive_successes = 0
    session.flush()
    held = session.scalar(
        sa.select(Outage)
        .where(col(Outage.probe_id) == probe.id, col(Outage.ended_at).is_(None))
        .limit(1)
    )
    if result.ok and held is not None and probe.consecutive_successes >= probe.recovery_threshold:
        outages.end_outage(
            session,
            SYSTEM,
            held,
            probe.streak_started_at,
            f"Probe {probe.name or probe.id} ({probe.url}) answers again.",
        )
        events.record("outage_ended_by_probe")
        return "ended"
    if not result.ok and held is None and probe.consecutive_failures >= probe.failure_threshold:
        return "opened" if _open_outage(session, probe, now) else None
    return None


def _open_outage(session: Session, probe: Probe, now: datetime) -> bool:
    ongoing = session.scalar(
        sa.select(col(Outage.id))
        .where(col(Outage.service_code) == probe.service_code, col(Outage.ended_at).is_(None))
        .limit(1)
    )
    if ongoing is not None:
        # Already recorded (by hand, another probe, or planned maintenance): nothing to add.
        return False
    data = {
        "service_code": probe.service_code,
        "started_at": probe.streak_started_at or now,
        "planned": False,
        "description": f"Opened by probe {probe.name or probe.id}: {probe.url} "
        f"failed {probe.consecutive_failures} times in a row ({probe.last_error}).",
        "probe_id": probe.id,
        "requester_id": probe.created_by_id,
    }
    try:
        with session.begin_nested():
            outages.create_outage(session, SYSTEM, data, now=now)
    except ValidationFailed:
        # The streak's start overlaps an outage that ended meanwhile: start now.
        try:
            with session.begin_nested():
                outages.create_outage(session, SYSTEM, {**data, "started_at": now}, now=now)
        except DomainError as exc:
            log.error("probe %s could not open an outage: %s", probe.id, exc.detail)
            return False
    events.record("outage_opened_by_probe")
    return True
