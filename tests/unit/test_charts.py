"""Server-made charts: an accessible SVG whose bars match the figures, and escaped texts."""

from __future__ import annotations

import re
from decimal import Decimal

from portal.charts import Chart


def _heights(svg: str) -> list[float]:
    return [float(h) for h in re.findall(r'<rect [^>]*height="([0-9.]+)"', svg)]


def test_bars_are_in_proportion_and_named() -> None:
    chart = Chart(
        title="Kostnad per måned",
        labels=["jan", "feb"],
        series=[("Grunntjenester", [Decimal("100"), Decimal("50")])],
        format_value=lambda v: f"{v} kr",
        summary="Januar 100 kr, februar 50 kr.",
    )
    svg = str(chart.svg("c1"))
    assert 'role="img"' in svg and 'aria-labelledby="c1-title c1-desc"' in svg
    assert '<title id="c1-title">Kostnad per måned</title>' in svg
    first, second = _heights(svg)
    assert abs(first - 2 * second) < 0.2
    assert chart.rows == [("jan", ["100 kr"]), ("feb", ["50 kr"])]


def test_stacked_series_add_up_and_target_line_drawn() -> None:
    chart = Chart(
        title="t",
        labels=["a"],
        series=[("x", [1]), ("y", [3])],
        target=4,
        target_label="Mål",
    )
    svg = str(chart.svg())
    assert sum(_heights(svg)) > 0
    x, y = _heights(svg)
    assert abs(y - 3 * x) < 0.2
    assert "stroke-dasharray" in svg and "<title>Mål</title>" in svg


def test_texts_are_escaped() -> None:
    chart = Chart(title="<script>", labels=["<b>"], series=[("&", [1])])
    svg = str(chart.svg())
    assert "<script>" not in svg and "&lt;script&gt;" in svg and "&lt;b&gt;" in svg
