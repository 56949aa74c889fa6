"""The ticket state machine, without a database."""

import itertools
from datetime import UTC, datetime, timedelta

import pytest

from servicedesk.choices import TicketStatus as S
from servicedesk.lifecycle import (
    TransitionRefused,
    allowed_transitions,
    can_reopen,
    check_transition,
    is_reopen,
)

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
MAIN_LINE = [S.NEW, S.ASSIGNED, S.IN_PROGRESS, S.PENDING, S.IN_PROGRESS, S.RESOLVED, S.CLOSED]


def test_main_line_is_allowed_step_by_step():
    resolved_at = None
    for old, new in itertools.pairwise(MAIN_LINE):
        check_transition(old, new, resolved_at=resolved_at, now=NOW)
        if new == S.RESOLVED:
            resolved_at = NOW


@pytest.mark.parametrize("status", [S.NEW, S.ASSIGNED, S.IN_PROGRESS, S.PENDING])
def test_every_open_status_can_be_cancelled(status):
    check_transition(status, S.CANCELLED, resolved_at=None, now=NOW)


@pytest.mark.parametrize("status", [S.RESOLVED, S.CLOSED, S.CANCELLED])
def test_cancelling_a_finished_ticket_is_refused(status):
    with pytest.raises(TransitionRefused):
        check_transition(status, S.CANCELLED, resolved_at=NOW, now=NOW)


def test_pending_may_be_resolved_directly():
    check_transition(S.PENDING, S.RESOLVED, resolved_at=None, now=NOW)


@pytest.mark.parametrize(
    ("old", "new"),
    [(S.NEW, S.RESOLVED), (S.NEW, S.PENDING), (S.ASSIGNED, S.CLOSED), (S.IN_PROGRESS, S.CLOSED)],
)
def test_skipping_ahead_is_refused(old, new):
    with pytest.raises(TransitionRefused):
        check_transition(old, new, resolved_at=None, now=NOW)


def test_refusal_is_409_naming_the_allowed_statuses():
    with pytest.raises(TransitionRefused) as refused:
        check_transition(S.NEW, S.RESOLVED, resolved_at=None, now=NOW)
    problem = refused.value.to_problem()
    assert problem["status"] == 409
    assert problem["allowed_transitions"] == ["assigned", "in_progress", "cancelled"]
    assert "assigned, in_progress, cancelled" in problem["detail"]


@pytest.mark.parametrize("final", [S.CLOSED, S.CANCELLED])
def test_final_statuses_allow_nothing(final):
    assert allowed_transitions(final, resolved_at=NOW, now=NOW) == []


def test_reopen_within_fourteen_days_is_allowed():
    resolved_at = NOW - timedelta(days=14)
    assert is_reopen(S.RESOLVED, S.IN_PROGRESS)
    check_transition(S.RESOLVED, S.IN_PROGRESS, resolved_at=resolved_at, now=NOW)


def test_reopen_after_fourteen_days_is_refused():
    resolved_at = NOW - timedelta(days=14, seconds=1)
    assert not can_reopen(resolved_at, NOW)
    with pytest.raises(TransitionRefused) as refused:
        check_transition(S.RESOLVED, S.IN_PROGRESS, resolved_at=resolved_at, now=NOW)
    assert refused.value.allowed == ["closed"]
    assert "14 days" in refused.value.detail


def test_unassigning_returns_an_assigned_ticket_to_new():
    check_transition(S.ASSIGNED, S.NEW, resolved_at=None, now=NOW)


def test_unknown_status_is_a_value_error():
    with pytest.raises(ValueError):
        check_transition("new", "reopened", resolved_at=None, now=NOW)
