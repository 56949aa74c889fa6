"""The impact × urgency priority matrix."""

import pytest

from servicedesk.priority import MATRIX, priority_for


@pytest.mark.parametrize(
    ("impact", "urgency", "priority"),
    [
        (1, 1, 1),
        (1, 2, 2),
        (2, 1, 2),
        (1, 3, 3),
        (2, 2, 3),
        (3, 1, 3),
        (2, 3, 4),
        (3, 2, 4),
        (3, 3, 4),
    ],
)
def test_matrix_gives_the_published_priority(impact, urgency, priority):
    assert priority_for(impact, urgency) == priority


def test_matrix_is_symmetric():
    assert all(MATRIX[(i, u)] == MATRIX[(u, i)] for i, u in MATRIX)


@pytest.mark.parametrize(("impact", "urgency"), [(0, 1), (4, 1), (1, 0), (2, 4)])
def test_levels_outside_one_to_three_are_refused(impact, urgency):
    with pytest.raises(ValueError):
        priority_for(impact, urgency)
