"""Training a model from the desk's resolved tickets, measuring it honestly, storing it.

What it learns from: resolved and closed tickets (at most ``triage_max_samples``
of the newest), their title and description, and their *final* queue,
category and service code.

Minimums: at least ``MIN_SAMPLES`` (50) such tickets; within each field, a
value with fewer than ``MIN_PER_CLASS`` (5) tickets is not learned (those
tickets still teach the other fields); the queue needs at least two values
that remain, else 422. A category or service field with fewer than two
values that remain is skipped (no suggestions for it).

Measurement: the newest fifth of the tickets (by creation time) is held out;
a model fitted on the older four fifths predicts them, and figures.py turns
the predictions into accuracy and the threshold for
``triage_target_precision``. The stored model is then fitted on every ticket,
continuing from the trial's solution (fitting.fit_and_measure: the texts are
counted once for both fits).

Memory: the samples are streamed from the database and only their cleaned
text kept; at 100 000 tickets of the benchmark's length, training peaks under
1 GiB (docs/performance.md), which is why ``triage_max_samples`` is 100 000.

Transactions: the samples are read in one short transaction, the fitting runs
with no transaction open, and the new row is written in another short one.
One training at a time per deployment: a lease row in ``scheduler_leases``
(named ``triage-training``, expiring after ``LEASE``), so a second request,
from any process or host, gets 409.
"""

from __future__ import annotations

import logging
import uuid
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, cast

import sqlalchemy as sa
from sqlmodel import col

from kommune_ikt.core.auth.actor import Actor, Role
from kommune_ikt.core.config import Settings
from kommune_ikt.core.db import Database
from kommune_ikt.core.errors import Conflict, NotFound, ValidationFailed
from kommune_ikt.core.messages import N_
from kommune_ikt.core.scheduler.models import SchedulerLease
from kommune_ikt.core.types import utcnow
from servicedesk.choices import TicketStatus
from servicedesk.models import Ticket
from servicedesk.triage import figures, store
from servicedesk.triage.figures import FIELDS
from servicedesk.triage.models import TriageModelRow

if TYPE_CHECKING:
    from servicedesk.triage.features import TriageModel

log = logging.getLogger(__name__)
MIN_SAMPLES = 50
MIN_PER_CLASS = 5
HOLD_OUT = 5  # the newest 1/HOLD_OUT of the tickets is held out
LEASE_NAME = "triage-training"
LEASE = timedelta(minutes=30)
DONE = (TicketStatus.RESOLVED.value, TicketStatus.CLOSED.value)
COLUMNS = {"queue": "queue_code", "category": "category", "service_code": "service_code"}
# The pickled model, left unloaded in lists: SQLModel types the class attribute as bytes,
# the loader option wants the ORM attribute it is.
_BLOB = cast("sa.orm.QueryableAttribute[bytes]", TriageModelRow.blob)


@dataclass(frozen=True)
class Samples:
    """Cleaned texts, oldest first, with their values per field (None: not learned)."""

    texts: list[str]
    labels: dict[str, list[str | None]]
    created: list[datetime]


def prepare(rows: Iterable[Any]) -> Samples:
    """Rows ``(created_at, title, description, queue, category, service_code)`` -> samples,
    with values too rare to learn blanked; 422 when there is too little to learn from.

    ``rows`` may be a stream: each row's text is cleaned (at most ``MAX_CHARS``) as it
    is read, and only that is kept."""
    from servicedesk.triage.features import clean  # numpy and scipy only when training

    kept = sorted(
        ((r[0], clean(r[1], r[2]), r[3] or None, r[4] or None, r[5] or None) for r in rows),
        key=lambda r: r[0],
    )
    if len(kept) < MIN_SAMPLES:
        raise ValidationFailed(
            "samples",
            N_(
                "Training needs at least %(needed)s resolved or closed tickets; "
                "there are %(available)s (%(missing)s more needed)."
            ),
            params={
                "needed": MIN_SAMPLES,
                "available": len(kept),
                "missing": MIN_SAMPLES - len(kept),
            },
            needed=MIN_SAMPLES,
            available=len(kept),
        )
    labels: dict[str, list[str | None]] = {}
    for i, name in enumerate(FIELDS):
        values = [r[2 + i] for r in kept]
        counts = Counter(v for v in values if v is not None)
        labels[name] = [v if v is not None and counts[v] >= MIN_PER_CLASS else None for v in values]
    queues = {v for v in labels["queue"] if v is not None}
    if len(queues) < 2:
        raise ValidationFailed(
            "samples",
            N_(
                "Training needs at least two queues with %(needed)s or more resolved tickets "
                "each; there are %(queues)s."
            )
            if len(queues) != 1
            else N_(
                "Training needs at least two queues with %(needed)s or more resolved tickets "
                "each; there is %(queues)s."
            ),
            params={"needed": MIN_PER_CLASS, "queues": len(queues)},
            needed=MIN_PER_CLASS,
            queues=sorted(queues),
        )
    return Samples([r[1] for r in kept], labels, [r[0] for r in kept])


def learn(samples: Samples, target: float) -> tuple[TriageModel, dict[str, Any]]:
    """Measure on the newest fifth, then fit on everything: ``(model, figures per field)``."""
    from servicedesk.triage.fitting import fit_and_measure

    n = len(samples.texts)
    cut = n - max(1, n // HOLD_OUT)
    final, predicted = fit_and_measure(samples.texts, samples.labels, cut)
    result: dict[str, Any] = {}
    for name in FIELDS:
        truth_all = samples.labels[name][cut:]
        rows = [i for i, t in enumerate(truth_all) if t is not None]
        if name not in predicted or not rows:
            continue
        classes, proba = predicted[name]
        ranked = []
        for i in rows:
            order = proba[i].argsort()[::-1][:3]
            ranked.append([(classes[j], float(proba[i][j])) for j in order])
        truth = [t for t in truth_all if t is not None]
        result[name] = figures.field_figures(truth, ranked, target)
    # A field the final model learned but the trial could not measure never auto-decides.
    for name in final.fields:
        result.setdefault(name, figures.field_figures([], [], target))
    for name in list(result):
        if name not in final.fields:
            del result[name]
    return final, result


def read_samples(session: sa.orm.Session, limit: int) -> Iterator[Any]:
    """The newest ``limit`` resolved or closed tickets, newest first, streamed (a few
    thousand rows in memory at a time; ``prepare`` keeps only their cleaned text)."""
    stmt = (
        sa.select(
            col(Ticket.created_at), col(Ticket.title), col(Ticket.description),
            col(Ticket.queue_code), col(Ticket.category), col(Ticket.service_code),
        )
        .where(col(Ticket.status).in_(DONE))
        .order_by(col(Ticket.created_at).desc(), col(Ticket.id).desc())
        .limit(limit)
        .execution_options(yield_per=2_000)
    )  # fmt: skip
    for r in session.execute(stmt):
        yield tuple(r)


def train(
    database: Database, actor: Actor, settings: Settings, *, now: datetime | None = None
) -> TriageModelRow:
    """Train, measure and store a new model and make it current (admin, or the system)."""
    actor.require(Role.ADMIN)
    holder = f"{uuid.uuid4().hex}"
    if not _acquire(database, holder, now or utcnow()):
        raise Conflict(N_("A triage model is being trained now; try again when it is done."))
    try:
        with database.session() as session, session.begin():
            samples = prepare(read_samples(session, settings.triage_max_samples))
        model, measured = learn(samples, settings.triage_target_precision)
        with database.session() as session, session.begin():
            row = store_model(session, model, measured, samples, actor, now or utcnow())
            session.expunge(row)
        log.info("triage model %s trained on %s tickets", row.version, row.samples)
        return row
    finally:
        _release(database, holder)


def store_model(
    session: sa.orm.Session,
    model: TriageModel,
    measured: dict[str, Any],
    samples: Samples,
    actor: Actor,
    now: datetime,
) -> TriageModelRow:
    """Write a trained model as the next version and make it the active one."""
    blob, digest = store.dumps(model)
    latest = session.scalar(sa.select(sa.func.max(TriageModelRow.version))) or 0
    session.execute(
        sa.update(TriageModelRow).where(col(TriageModelRow.active).is_(True)).values(active=False)
    )
    session.flush()
    row = TriageModelRow(
        version=latest + 1,
        trained_at=now,
        trained_by=actor.user_id,
        samples=len(samples.texts),
        window_from=samples.created[0],
        window_to=samples.created[-1],
        figures=measured,
        active=True,
        sha256=digest,
        blob=blob,
    )
    session.add(row)
    session.flush()
    return row


def _acquire(database: Database, holder: str, now: datetime) -> bool:
    """Take the training lease unless another holder's is still running."""
    values: dict[str, Any] = {
        "holder": holder,
        "acquired_at": now,
        "renewed_at": now,
        "expires_at": now + LEASE,
    }
    try:
        with database.session() as session, session.begin():
            taken = session.execute(
                sa.update(SchedulerLease)
                .where(col(SchedulerLease.name) == LEASE_NAME, col(SchedulerLease.expires_at) < now)
                .values(**values)
            ).rowcount  # type: ignore[attr-defined]  # DML gives a CursorResult
            if taken:
                return True
            if session.get(SchedulerLease, LEASE_NAME) is not None:
                return False
            session.add(SchedulerLease(name=LEASE_NAME, **values))
        return True
    except sa.exc.IntegrityError:  # another process inserted the row first
        return False


def _release(database: Database, holder: str) -> None:
    with database.session() as session, session.begin():
        session.execute(
            sa.delete(SchedulerLease).where(
                col(SchedulerLease.name) == LEASE_NAME, col(SchedulerLease.holder) == holder
            )
        )


def list_models(
    session: sa.orm.Session, actor: Actor, *, limit: int = 50, cursor: str | None = None
) -> tuple[list[TriageModelRow], str | None]:
    """Models newest first, keyset by version."""
    from kommune_ikt.core.pagination import decode_cursor, encode_cursor

    actor.require(Role.AGENT)
    stmt = sa.select(TriageModelRow).order_by(col(TriageModelRow.version).desc())
    if cursor:
        (before,) = decode_cursor(cursor, [int])
        stmt = stmt.where(col(TriageModelRow.version) < before)
    rows = list(session.scalars(stmt.options(sa.orm.defer(_BLOB)).limit(limit + 1)))
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        next_cursor = encode_cursor([rows[-1].version])
    return rows, next_cursor


def get_current(session: sa.orm.Session, actor: Actor) -> TriageModelRow:
    actor.require(Role.AGENT)
    row = session.scalar(
        sa.select(TriageModelRow)
        .options(sa.orm.defer(_BLOB))
        .where(col(TriageModelRow.active).is_(True))
    )
    if row is None:
        raise NotFound(N_("No triage model has been trained yet."))
    return row


def activate(session: sa.orm.Session, actor: Actor, version: int) -> TriageModelRow:
    """Make an earlier (or the current) model current again: rollback."""
    actor.require(Role.ADMIN)
    row = session.scalar(
        sa.select(TriageModelRow)
        .options(sa.orm.defer(_BLOB))
        .where(col(TriageModelRow.version) == version)
        .with_for_update()
    )
    if row is None:
        raise NotFound(N_("Triage model %(version)s not found."), params={"version": version})
    if not row.active:
        session.execute(
            sa.update(TriageModelRow)
            .where(col(TriageModelRow.active).is_(True))
            .values(active=False)
        )
        session.flush()
        row.active = True
        session.flush()
    return row


def new_resolved_since(session: sa.orm.Session, since: datetime | None) -> int:
    stmt = sa.select(sa.func.count()).select_from(Ticket).where(col(Ticket.status).in_(DONE))
    if since is not None:
        stmt = stmt.where(col(Ticket.resolved_at) > since)
    return session.scalar(stmt) or 0
