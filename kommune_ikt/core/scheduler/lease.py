"""The database lock that makes one scheduler active per deployment.

PostgreSQL: a session-level advisory lock held on a connection of its own for
as long as the scheduler is active. If the process dies, the server closes
its session and the lock is free at once; a standby polling
``pg_try_advisory_lock`` takes over within its poll interval.

SQLite (one host, possibly several processes): a row in ``scheduler_leases``
with the holder and an expiry, renewed every few seconds. A standby takes the
row over once the expiry has passed, so a dead scheduler is replaced within
the lease time plus one poll.

Both record who holds the lock in ``scheduler_leases`` for operators.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Protocol

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlmodel import col

from kommune_ikt.core.scheduler.models import SchedulerLease
from kommune_ikt.core.types import utcnow

log = logging.getLogger(__name__)
LEASE_NAME = "scheduler"
# Any number works as long as every scheduler uses the same one (ASCII "KIKS").
ADVISORY_LOCK_ID = 0x4B494B53


class Lease(Protocol):
    holder: str

    def acquire(self) -> bool: ...

    def renew(self) -> bool: ...

    def release(self) -> None: ...


def lease_for(engine: Engine, holder: str, seconds: float) -> Lease:
    if engine.dialect.name == "postgresql":
        return AdvisoryLease(engine, holder, seconds)
    return RowLease(engine, holder, seconds)


class RowLease:
    """A lease row: taken when free or expired, kept by renewing before it expires."""

    def __init__(self, engine: Engine, holder: str, seconds: float) -> None:
        self.engine = engine
        self.holder = holder
        self.seconds = seconds
        self._expires: datetime | None = None

    def acquire(self) -> bool:
        now = utcnow()
        self._expires = None
        with self.engine.begin() as conn:
            row = conn.execute(
                sa.select(col(SchedulerLease.holder), col(SchedulerLease.expires_at)).where(
                    col(SchedulerLease.name) == LEASE_NAME
                )
            ).first()
            if row is None:
                conn.execute(
                    sa.insert(SchedulerLease).values(
                        name=LEASE_NAME,
                        holder=self.holder,
                        acquired_at=now,
                        renewed_at=now,
                        expires_at=self._expiry(now),
                    )
                )
                self._expires = self._expiry(now)
                return True
            if row.holder != self.holder and row.expires_at > now:
                return False
            taken = conn.execute(
                sa.update(SchedulerLease)
                .where(
                    col(SchedulerLease.name) == LEASE_NAME,
                    col(SchedulerLease.holder) == row.holder,
                    col(SchedulerLease.expires_at) == row.expires_at,
                )
                .values(
                    holder=self.holder,
                    acquired_at=now,
                    renewed_at=now,
                    expires_at=self._expiry(now),
                )
            ).rowcount
            if taken and row.holder != self.holder:
                log.info("took the scheduler lease over from %s (expired)", row.holder)
            if taken:
                self._expires = self._expiry(now)
            return bool(taken)

    def renew(self) -> bool:
        now = utcnow()
        try:
            with self.engine.begin() as conn:
                kept = conn.execute(
                    sa.update(SchedulerLease)
                    .where(
                        col(SchedulerLease.name) == LEASE_NAME,
                        col(SchedulerLease.holder) == self.holder,
                        col(SchedulerLease.expires_at) > now,
                    )
                    .values(renewed_at=now, expires_at=self._expiry(now))
                ).rowcount
        except sa.exc.SQLAlchemyError as exc:
            # Busy (a job holds SQLite's write lock): the lease is still ours
            # until it expires, and nobody else can take it before then.
            log.warning("could not renew the scheduler lease: %s", exc)
            margin = timedelta(seconds=self.seconds / 3)
            return self._expires is not None and utcnow() < self._expires - margin
        if kept:
            self._expires = self._expiry(now)
        return bool(kept)

    def release(self) -> None:
        try:
            with self.engine.begin() as conn:
                conn.execute(
                    sa.delete(SchedulerLease).where(
                        col(SchedulerLease.name) == LEASE_NAME,
                        col(SchedulerLease.holder) == self.holder,
                    )
                )
        except sa.exc.SQLAlchemyError as exc:
            log.warning("could not release the scheduler lease: %s", exc)

    def _expiry(self, now: datetime) -> datetime:
        return now + timedelta(seconds=self.seconds)


class AdvisoryLease:
    """A PostgreSQL session advisory lock on a dedicated connection."""

    def __init__(self, engine: Engine, holder: str, seconds: float) -> None:
        self.engine = engine
        self.holder = holder
        self.seconds = seconds
        self._conn: Connection | None = None

    def acquire(self) -> bool:
        try:
            if self._conn is None:
                self._conn = self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
            got = self._conn.execute(
                sa.text("SELECT pg_try_advisory_lock(:id)"), {"id": ADVISORY_LOCK_ID}
            ).scalar()
        except sa.exc.SQLAlchemyError as exc:
            log.warning("could not ask for the scheduler lock: %s", exc)
            self._drop()
            return False
        if got:
            self._show()
        return bool(got)

    def renew(self) -> bool:
        """Still ours while the lock's session lives; checked by asking pg_locks."""
        if self._conn is None:
            return False
        try:
            held = self._conn.execute(
                sa.text(
                    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' "
                    "AND pid = pg_backend_pid() AND objid = :id AND granted"
                ),
                {"id": ADVISORY_LOCK_ID & 0xFFFFFFFF},
            ).scalar()
        except sa.exc.SQLAlchemyError as exc:
            log.warning("lost the scheduler lock's connection: %s", exc)
            self._drop()
            return False
        if held:
            self._show()
        return bool(held)

    def release(self) -> None:
        if self._conn is None:
            return
        try:
            self._conn.execute(sa.text("SELECT pg_advisory_unlock(:id)"), {"id": ADVISORY_LOCK_ID})
            with self.engine.begin() as conn:
                conn.execute(
                    sa.delete(SchedulerLease).where(
                        col(SchedulerLease.name) == LEASE_NAME,
                        col(SchedulerLease.holder) == self.holder,
                    )
                )
        except sa.exc.SQLAlchemyError as exc:
            log.warning("could not release the scheduler lock: %s", exc)
        self._drop()

    def _show(self) -> None:
        """Record the holder for operators (the lock itself is the advisory lock)."""
        now = utcnow()
        values = {
            "holder": self.holder,
            "renewed_at": now,
            "expires_at": now + timedelta(seconds=self.seconds),
        }
        try:
            with self.engine.begin() as conn:
                updated = conn.execute(
                    sa.update(SchedulerLease)
                    .where(col(SchedulerLease.name) == LEASE_NAME)
                    .values(
                        **values,
                        acquired_at=sa.case(
                            (
                                col(SchedulerLease.holder) == self.holder,
                                col(SchedulerLease.acquired_at),
                            ),
                            else_=now,
                        ),
                    )
                ).rowcount
                if not updated:
                    conn.execute(
                        sa.insert(SchedulerLease).values(name=LEASE_NAME, acquired_at=now, **values)
                    )
        except sa.exc.SQLAlchemyError as exc:
            log.warning("could not record the scheduler holder: %s", exc)

    def _drop(self) -> None:
        if self._conn is not None:
            try:
                self._conn.invalidate()
                self._conn.close()
            except sa.exc.SQLAlchemyError:
                pass
            self._conn = None
