"""The impact × urgency matrix that gives a ticket its priority (1 = highest … 4)."""

from __future__ import annotations

LEVELS = (1, 2, 3)

# (impact, urgency) -> priority; impact and urgency run 1 (high) … 3 (low).
MATRIX: dict[tuple[int, int], int] = {
    (1, 1): 1,
    (1, 2): 2,
    (2, 1): 2,
    (1, 3): 3,
    (2, 2): 3,
    (3, 1): 3,
    (2, 3): 4,
    (3, 2): 4,
    (3, 3): 4,
}


def priority_for(impact: int, urgency: int) -> int:
    """The priority of an impact and an urgency, each 1 … 3."""
    try:
        return MATRIX[(impact, urgency)]
    except KeyError:
        raise ValueError(f"impact and urgency must be 1, 2 or 3, got {impact}, {urgency}") from None
