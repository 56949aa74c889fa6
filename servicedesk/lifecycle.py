"""The ticket state machine: which status may follow which, and when a reopen is allowed.

Pure: no database, no clock of its own. The services ask it before they
change a ticket's status; a refusal is a 409 naming the allowed statuses.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from kommune_ikt.core.errors import Conflict
from kommune_ikt.core.messages import N_
from servicedesk.choices import TicketStatus as S

REOPEN_WINDOW = timedelta(days=14)

# new → assigned → in_progress ⇄ pending → resolved → closed; cancelled from
# any open state; resolved → in_progress is the reopen (within REOPEN_WINDOW).
# assigned → new happens when the assignee is taken away.
TRANSITIONS: dict[S, frozenset[S]] = {
    S.NEW: frozenset({S.ASSIGNED, S.IN_PROGRESS, S.CANCELLED}),
    S.ASSIGNED: frozenset({S.NEW, S.IN_PROGRESS, S.CANCELLED}),
    S.IN_PROGRESS: frozenset({S.PENDING, S.RESOLVED, S.CANCELLED}),
    S.PENDING: frozenset({S.IN_PROGRESS, S.RESOLVED, S.CANCELLED}),
    S.RESOLVED: frozenset({S.CLOSED, S.IN_PROGRESS}),
    S.CLOSED: frozenset(),
    S.CANCELLED: frozenset(),
}


class TransitionRefused(Conflict):
    """A status change the state machine does not allow (409)."""

    def __init__(
        self, detail: str, current: S, allowed: list[str], params: dict[str, str] | None = None
    ) -> None:
        super().__init__(
            detail, params=params, current_status=current.value, allowed_transitions=allowed
        )
        self.allowed = allowed


def allowed_transitions(
    current: S | str, *, resolved_at: datetime | None, now: datetime
) -> list[S]:
    """The statuses a ticket in ``current`` may move to at ``now``, in life-cycle order."""
    current = S(current)
    allowed = set(TRANSITIONS[current])
    if current == S.RESOLVED and not can_reopen(resolved_at, now):
        allowed.discard(S.IN_PROGRESS)
    return [s for s in S if s in allowed]


def is_reopen(current: S | str, new: S | str) -> bool:
    return S(current) == S.RESOLVED and S(new) == S.IN_PROGRESS


def can_reopen(resolved_at: datetime | None, now: datetime) -> bool:
    """Reopening is allowed for 14 days after the ticket was resolved."""
    return resolved_at is not None and now - resolved_at <= REOPEN_WINDOW


def check_transition(
    current: S | str, new: S | str, *, resolved_at: datetime | None, now: datetime
) -> None:
    """Raise ``TransitionRefused`` (409) unless ``current`` → ``new`` is allowed at ``now``."""
    current, new = S(current), S(new)
    allowed = allowed_transitions(current, resolved_at=resolved_at, now=now)
    if new in allowed:
        return
    names = [s.value for s in allowed]
    params = {"current": current.value, "new": new.value, "allowed": ", ".join(names)}
    if is_reopen(current, new):
        detail = N_("A resolved ticket can be reopened only within 14 days of being resolved.")
    elif names:
        detail = N_("A %(current)s ticket can move to: %(allowed)s; not %(new)s.")
    else:
        detail = N_("A %(current)s ticket is final; it cannot move to %(new)s.")
    raise TransitionRefused(detail, current, names, params)
