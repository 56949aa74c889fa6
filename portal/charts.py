"""Server-made SVG bar charts, with their text alternative: no chart library, no script.

A chart is an ``<svg role="img">`` whose ``<title>`` names it and whose ``<desc>`` sums it
up; the page shows the same figures as a table next to it (``chart.rows``), which is the
real text alternative (WCAG 1.1.1) and the way to tell the series apart without colour
(1.4.1). Series colours are dark enough to stand out from white by 3:1 (1.4.11).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from markupsafe import Markup, escape

# Designsystemet-like colours with at least 3:1 contrast against white.
COLOURS = ("#1e5a8a", "#b4500f", "#2a7a3a", "#6b3fa0", "#8a1e3c", "#4d4d4d")
Number = Decimal | int | float


@dataclass
class Chart:
    """A bar chart of ``labels`` (x axis) with one bar, or one stacked segment, per series."""

    title: str
    labels: Sequence[str]
    series: Sequence[tuple[str, Sequence[Number]]]
    format_value: Callable[[Number], str] = str
    stacked: bool = True
    target: Number | None = None  # a horizontal line (e.g. an availability target)
    target_label: str = ""
    floor: Number = 0  # the value at the x axis (e.g. 0.99 for availability)
    summary: str = ""
    width: int = 640
    height: int = 260
    _id: str = field(default="chart")

    @property
    def rows(self) -> list[tuple[str, list[str]]]:
        """The figures as table rows: (label, [formatted value per series])."""
        return [
            (label, [self.format_value(values[i]) for _, values in self.series])
            for i, label in enumerate(self.labels)
        ]

    def svg(self, chart_id: str = "chart") -> Markup:
        left, right, top, bottom = 8, 8, 8, 36
        plot_w = self.width - left - right
        plot_h = self.height - top - bottom
        floor = float(self.floor)
        totals = [self._stack_height(i) for i in range(len(self.labels))]
        top_value = max([*totals, float(self.target or 0), floor + 1e-9])
        span = (top_value - floor) or 1.0
        slot = plot_w / max(len(self.labels), 1)
        bar_w = slot * 0.7 / (1 if self.stacked else max(len(self.series), 1))

        def y(value: float) -> float:
            return top + plot_h - (max(value, floor) - floor) / span * plot_h

        parts = [
            f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
            f'viewBox="0 0 {self.width} {self.height}" '
            f'aria-labelledby="{chart_id}-title {chart_id}-desc" '
            'preserveAspectRatio="xMinYMin meet">',
            f'<title id="{chart_id}-title">{escape(self.title)}</title>',
            f'<desc id="{chart_id}-desc">{escape(self.summary)}</desc>',
            f'<line x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" y2="{top + plot_h}" '
            'stroke="#595959" stroke-width="1"/>',
        ]
        for i, label in enumerate(self.labels):
            x0 = left + i * slot + slot * 0.15
            base = floor
            for s, (name, values) in enumerate(self.series):
                value = float(values[i])
                colour = COLOURS[s % len(COLOURS)]
                if self.stacked:
                    y_top, y_bottom, x = y(base + value), y(base), x0
                    base += value
                else:
                    y_top, y_bottom, x = y(value), y(floor), x0 + s * bar_w
                height = max(y_bottom - y_top, 0.0)
                parts.append(
                    f'<rect x="{x:.1f}" y="{y_top:.1f}" width="{bar_w:.1f}" height="{height:.1f}" '
                    f'fill="{colour}"><title>{escape(label)}, {escape(name)}: '
                    f"{escape(self.format_value(values[i]))}</title></rect>"
                )
            parts.append(
                f'<text x="{x0 + slot * 0.35:.1f}" y="{self.height - bottom + 16}" '
                f'text-anchor="middle" font-size="12" fill="#1a1a1a">{escape(label)}</text>'
            )
        if self.target is not None:
            ty = y(float(self.target))
            parts.append(
                f'<line x1="{left}" y1="{ty:.1f}" x2="{left + plot_w}" y2="{ty:.1f}" '
                'stroke="#1a1a1a" stroke-width="1.5" stroke-dasharray="6 4">'
                f"<title>{escape(self.target_label)}</title></line>"
            )
        parts.append("</svg>")
        return Markup("".join(parts))  # noqa: S704 - every text above is escaped

    def legend(self) -> list[tuple[str, str]]:
        """(series name, colour) pairs, for a legend beside the chart."""
        return [(name, COLOURS[s % len(COLOURS)]) for s, (name, _) in enumerate(self.series)]

    def _stack_height(self, i: int) -> float:
        if self.stacked:
            return float(self.floor) + sum(float(values[i]) for _, values in self.series)
        return max((float(values[i]) for _, values in self.series), default=0.0)
