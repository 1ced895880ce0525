"""The overview's SVG charts: well-formed, proportional, escaped, and readable when empty."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import date, timedelta

import pytest

from plaudit.admin import charts

SVG = "{http://www.w3.org/2000/svg}"
DAYS = [date(2026, 11, 1) + timedelta(days=i) for i in range(30)]


def parsed(chart: charts.Chart) -> ET.Element:
    return ET.fromstring(str(chart.svg))  # noqa: S314 (our own output)


def test_a_bar_chart_is_well_formed_svg_with_a_title_and_a_description() -> None:
    chart = charts.bar_chart(
        [("Safety Champion", 12), ("Quiz Ace", 3)],
        ident="c1",
        title="Credentials issued by template",
        description="Two templates",
        value_label="Issued",
        item_label="Template",
    )
    svg = parsed(chart)
    assert svg.tag == f"{SVG}svg"
    assert svg.get("role") == "img"
    assert svg.get("aria-labelledby") == "c1-title c1-desc"
    assert svg.find(f"{SVG}title").text == "Credentials issued by template"  # type: ignore[union-attr]
    assert svg.find(f"{SVG}desc").text == "Two templates"  # type: ignore[union-attr]
    # Each bar says what it is, for a pointer's tooltip.
    tips = [g.find(f"{SVG}title").text for g in svg.iter(f"{SVG}g")]  # type: ignore[union-attr]
    assert tips == ["Safety Champion: 12 Issued", "Quiz Ace: 3 Issued"]


def test_bars_are_proportional_to_their_values() -> None:
    values = [40, 20, 10, 5, 1]
    chart = charts.bar_chart(
        [(f"t{v}", v) for v in values], ident="c", title="t", description="d", value_label="n"
    )
    widths = [float(rect.get("width", "0")) for rect in parsed(chart).iter(f"{SVG}rect")]
    assert len(widths) == len(values)
    assert widths[0] == charts.BAR_WIDTH - charts.BAR_VALUE_ROOM  # the longest fills the room
    for width, value in zip(widths, values, strict=True):
        assert width / widths[0] == pytest.approx(value / values[0], abs=0.001)


def test_every_text_is_escaped_in_the_svg_and_the_table() -> None:
    nasty = '<script>alert("x")</script> & Co'
    chart = charts.bar_chart(
        [(nasty, 2)], ident="c", title=nasty, description=nasty, value_label="<b>n</b>"
    )
    html = str(chart)
    assert "<script>" not in html and "<b>" not in html
    assert "&lt;script&gt;" in html
    svg = parsed(chart)
    assert svg.find(f"{SVG}title").text == nasty  # type: ignore[union-attr]
    labels = [t.text for t in svg.iter(f"{SVG}text") if t.get("class") == "label"]
    assert labels == [nasty]
    line = charts.line_chart(
        DAYS[:3],
        [charts.Series(nasty, [1, 2, 3])],
        ident="l",
        title=nasty,
        description=nasty,
        y_label=nasty,
    )
    assert "<script>" not in str(line)
    parsed(line)


def test_long_labels_are_shortened_in_the_svg_but_whole_in_the_table() -> None:
    name = "A very long template name " * 5
    chart = charts.bar_chart([(name, 1)], ident="c", title="t", description="d", value_label="n")
    labels = [t.text or "" for t in parsed(chart).iter(f"{SVG}text") if t.get("class") == "label"]
    assert labels[0].endswith("…") and len(labels[0]) <= charts.LABEL_CHARS
    assert name in str(chart.table)


def test_empty_charts_say_so() -> None:
    bars = charts.bar_chart([], ident="c", title="t", description="d", value_label="n")
    assert "No data in this period" in str(bars.svg)
    assert not list(parsed(bars).iter(f"{SVG}rect"))
    lines = charts.line_chart(
        DAYS,
        [charts.Series("issued", [0] * len(DAYS))],
        ident="l",
        title="t",
        description="d",
        y_label="Credentials",
    )
    svg = parsed(lines)
    assert "No data in this period" in str(lines.svg)
    assert not list(svg.iter(f"{SVG}polyline"))
    # The table still lists every day, with its zero.
    assert str(lines.table).count("<tr>") == len(DAYS) + 1


def test_a_line_chart_places_each_day_at_its_value_with_axis_labels() -> None:
    values = [0, 5, 10, 0, 2]
    chart = charts.line_chart(
        DAYS[:5],
        [charts.Series("issued", values)],
        ident="l",
        title="Issued",
        description="d",
        y_label="Credentials",
    )
    svg = parsed(chart)
    # A dot (with its tooltip) on each day above zero, at a height proportional to its value
    # (the top is 10, a round number).
    dots = list(svg.iter(f"{SVG}circle"))
    assert [d.find(f"{SVG}title").text for d in dots] == [  # type: ignore[union-attr]
        "2 Nov: 5 issued",
        "3 Nov: 10 issued",
        "5 Nov: 2 issued",
    ]
    bottom = charts.LINE_HEIGHT - charts.MARGIN_BOTTOM
    heights = [bottom - float(d.get("cy", "0")) for d in dots]
    assert heights[1] == pytest.approx(2 * heights[0])
    assert heights[2] == pytest.approx(heights[1] * 2 / 10)
    xs = [float(d.get("cx", "0")) for d in dots]
    assert xs == sorted(xs) and len(set(xs)) == 3
    # The line goes through every day, zeros included, on the baseline.
    line = svg.find(f"{SVG}polyline")
    assert line is not None
    points = [p.split(",") for p in line.get("points", "").split()]
    assert len(points) == 5 and float(points[0][1]) == float(points[3][1]) == bottom
    texts = [t.text for t in svg.iter(f"{SVG}text")]
    assert "Credentials" in texts and "Day (UTC)" in texts
    x_ticks = [t.text for t in svg.iter(f"{SVG}text") if t.get("class") == "tick x-tick"]
    assert x_ticks == ["1 Nov", "2 Nov", "3 Nov", "4 Nov", "5 Nov"]
    y_ticks = [t.text for t in svg.iter(f"{SVG}text") if t.get("class") == "tick y-tick"]
    assert y_ticks == ["0", "2", "4", "6", "8", "10"]
    # The first series is filled below its line.
    assert len(list(svg.iter(f"{SVG}polygon"))) == 1


def test_several_series_get_a_legend_and_their_own_lines() -> None:
    chart = charts.line_chart(
        DAYS,
        [charts.Series("Views", list(range(30))), charts.Series("Downloads", [1] * 30)],
        ident="l",
        title="Engagement",
        description="d",
        y_label="Actions",
        area=False,
    )
    svg = parsed(chart)
    assert len(list(svg.iter(f"{SVG}polyline"))) == 2
    assert not list(svg.iter(f"{SVG}polygon"))
    legend = [t.text for t in svg.iter(f"{SVG}text") if t.get("class") == "legend"]
    assert legend == ["Views", "Downloads"]
    assert '<th scope="col" class="num">Downloads</th>' in str(chart.table)
    # At most seven day labels on a month, the first and the last day among them.
    ticks = [t.text for t in svg.iter(f"{SVG}text") if t.get("class") == "tick x-tick"]
    assert len(ticks) <= 7 and ticks[0] == "1 Nov" and ticks[-1] == "30 Nov"


def test_series_must_cover_every_day() -> None:
    with pytest.raises(ValueError, match="3 values for 2 days"):
        charts.line_chart(
            DAYS[:2],
            [charts.Series("x", [1, 2, 3])],
            ident="l",
            title="t",
            description="d",
            y_label="n",
        )


@pytest.mark.parametrize(
    ("value", "top"), [(0, 1), (1, 1), (3, 5), (7, 10), (11, 20), (51, 100), (990, 1000)]
)
def test_the_axis_top_is_a_round_number(value: int, top: int) -> None:
    assert charts.nice_ceiling(value) == top
    ticks = charts.y_ticks(top)
    assert ticks[0] == 0 and ticks[-1] == top and len(ticks) <= 6
