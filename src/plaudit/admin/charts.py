"""Charts drawn on the server as SVG (no script), each with its data as a table beside it.

Pure: values in, markup out. Every text is escaped, so a template called ``<script>`` is a
label like any other. An SVG is an image to assistive technology (``role="img"`` with its
``<title>`` and ``<desc>``); the table that follows it in a ``<details>`` gives the numbers.
Sizes are in the SVG's own units: the chart scales to the width of its container.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from markupsafe import Markup

from plaudit.templates.localize import format_date

WIDTH = 480
LINE_HEIGHT = 220
MARGIN_LEFT, MARGIN_RIGHT, MARGIN_TOP, MARGIN_BOTTOM = 48, 16, 14, 40
BAR_WIDTH = 480
BAR_ROW = 40  # label line, bar, gap
BAR_VALUE_ROOM = 56  # room after the longest bar for its value
LABEL_CHARS = 60


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[int]


@dataclass(frozen=True)
class Chart:
    """An SVG and the same numbers as a table; ``str(chart)`` or ``{{ chart }}`` gives both."""

    svg: Markup
    table: Markup
    ident: str  # the SVG's id: its title names the box it scrolls in

    def __html__(self) -> str:
        return str(self)

    def __str__(self) -> str:
        return str(
            Markup(
                # At phone width the chart scrolls sideways: a keyboard must reach it.
                '<figure class="chart-figure"><div class="chart-scroll" tabindex="0"'
                ' role="region" aria-labelledby="{}-title">{}</div>'
                '<details class="chart-data">'
                "<summary>Show the numbers as a table</summary>{}</details></figure>"
            ).format(self.ident, self.svg, self.table)
        )


def nice_ceiling(value: float) -> int:
    """A round axis top: the least of 1, 2 or 5 times a power of ten at or above ``value``."""
    if value <= 1:
        return 1
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 5, 10):
        if step * power >= value:
            return int(step * power)
    return int(10 * power)  # pragma: no cover (the loop always returns)


def short(label: str, limit: int = LABEL_CHARS) -> str:
    return label if len(label) <= limit else label[: limit - 1].rstrip() + "…"


def _num(value: float) -> str:
    """A coordinate with at most two decimals, without trailing zeros."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def _open(ident: str, kind: str, width: int, height: int, title: str, description: str) -> Markup:
    return Markup(
        '<svg xmlns="http://www.w3.org/2000/svg" class="chart chart-{kind}" id="{id}"'
        ' viewBox="0 0 {w} {h}"'
        ' role="img" aria-labelledby="{id}-title {id}-desc" preserveAspectRatio="xMinYMin meet">'
        '<title id="{id}-title">{title}</title><desc id="{id}-desc">{desc}</desc>'
    ).format(id=ident, kind=kind, w=width, h=height, title=title, desc=description)


def _table(caption: str, headers: Sequence[str], rows: Sequence[Sequence[object]]) -> Markup:
    head = Markup("").join(
        Markup('<th scope="col"{}>{}</th>').format(Markup(' class="num"') if i else Markup(""), h)
        for i, h in enumerate(headers)
    )
    body = Markup("").join(
        Markup("<tr>{}</tr>").format(
            Markup("").join(
                Markup('<th scope="row">{}</th>').format(cell)
                if i == 0
                else Markup('<td class="num">{}</td>').format(cell)
                for i, cell in enumerate(row)
            )
        )
        for row in rows
    )
    # The box scrolls (a long period): focusable and named, so a keyboard can scroll it too.
    return Markup(
        '<div class="table-wrap" tabindex="0" role="region" aria-label="{}">'
        "<table><caption>{}</caption><thead><tr>{}</tr></thead>"
        "<tbody>{}</tbody></table></div>"
    ).format(caption, caption, head, body)


def bar_chart(
    items: Sequence[tuple[str, int]],
    *,
    ident: str,
    title: str,
    description: str,
    value_label: str,
    item_label: str = "Item",
) -> Chart:
    """Horizontal bars, one per item in the given order, each bar's length ∝ its value.

    Each row is its label on a line, then the bar with its value after it: long names (a
    template's) stay readable at phone width, where the SVG scales down."""
    height = max(1, len(items)) * BAR_ROW + 8
    parts = [_open(ident, "bars", BAR_WIDTH, height, title, description)]
    top = max((value for _, value in items), default=0)
    room = BAR_WIDTH - BAR_VALUE_ROOM
    if not items or top <= 0:
        parts.append(
            Markup('<text class="empty-text" x="{}" y="{}" text-anchor="middle">{}</text>').format(
                BAR_WIDTH // 2, height // 2 + 4, "No data in this period"
            )
        )
    else:
        for row, (label, value) in enumerate(items):
            y = row * BAR_ROW
            length = room * max(value, 0) / top
            parts.append(
                Markup(
                    '<g class="bar-row"><title>{label}: {value} {unit}</title>'
                    '<text class="label" x="0" y="{ty}">{short}</text>'
                    '<rect class="bar" x="0" y="{by}" width="{w}" height="14" rx="2"'
                    ' data-value="{value}"/>'
                    '<text class="value" x="{vx}" y="{vy}">{value}</text></g>'
                ).format(
                    label=label,
                    value=value,
                    unit=value_label,
                    short=short(label),
                    ty=y + 13,
                    by=y + 18,
                    w=_num(length),
                    vx=_num(length + 6),
                    vy=y + 30,
                )
            )
    parts.append(Markup("</svg>"))
    table = _table(title, [item_label, value_label], [(label, value) for label, value in items])
    return Chart(Markup("").join(parts), table, ident)


def y_ticks(top: int) -> list[int]:
    """Whole-number gridlines from 0 to ``top``: four or five round steps."""
    step = next(
        (top // n for n in (4, 5, 2) if top % n == 0 and nice_ceiling(top // n) == top // n), top
    )
    return list(range(0, top + 1, step))


def _ticks(days: Sequence[date], most: int = 7) -> list[int]:
    """Which days get a label on the x axis: the first, the last, and evenly between."""
    if not days:
        return []
    step = max(1, math.ceil((len(days) - 1) / (most - 1))) if len(days) > 1 else 1
    ticks = list(range(0, len(days), step))
    if ticks[-1] != len(days) - 1:
        if len(ticks) > 1 and len(days) - 1 - ticks[-1] < step:
            ticks[-1] = len(days) - 1  # too close to the last day's label: give way to it
        else:
            ticks.append(len(days) - 1)
    return ticks


def day_label(day: date) -> str:
    """'4 Dec' in the dashboard's English, whatever the server's locale (strftime's %b follows
    LC_TIME)."""
    return format_date(day, "en", form="d MMM")


def line_chart(
    days: Sequence[date],
    series: Sequence[Series],
    *,
    ident: str,
    title: str,
    description: str,
    y_label: str,
    x_label: str = "Day (UTC)",
    area: bool = True,
) -> Chart:
    """One line per series over consecutive days (the first one filled below when ``area``).

    Every point above zero carries a ``<title>`` (a tooltip in browsers); a legend names the
    series when there is more than one."""
    for one in series:
        if len(one.values) != len(days):
            raise ValueError(
                f"series {one.name!r} has {len(one.values)} values for {len(days)} days"
            )
    legend = len(series) > 1
    top_margin = MARGIN_TOP + (18 if legend else 0)
    plot_w = WIDTH - MARGIN_LEFT - MARGIN_RIGHT
    plot_h = LINE_HEIGHT - top_margin - MARGIN_BOTTOM
    bottom = top_margin + plot_h
    peak = max((max(one.values, default=0) for one in series), default=0)
    top = nice_ceiling(peak)

    def x(index: int) -> float:
        return MARGIN_LEFT + (plot_w * index / (len(days) - 1) if len(days) > 1 else plot_w / 2)

    def y(value: float) -> float:
        return bottom - plot_h * value / top

    parts = [_open(ident, "lines", WIDTH, LINE_HEIGHT, title, description)]
    for value in y_ticks(top):
        parts.append(
            Markup(
                '<line class="grid" x1="{x1}" x2="{x2}" y1="{y}" y2="{y}"/>'
                '<text class="tick y-tick" x="{tx}" y="{ty}" text-anchor="end">{v}</text>'
            ).format(
                x1=MARGIN_LEFT,
                x2=WIDTH - MARGIN_RIGHT,
                y=_num(y(value)),
                tx=MARGIN_LEFT - 6,
                ty=_num(y(value) + 4),
                v=int(value),
            )
        )
    parts.append(
        Markup(
            '<line class="axis" x1="{l}" x2="{r}" y1="{b}" y2="{b}"/>'
            '<line class="axis" x1="{l}" x2="{l}" y1="{t}" y2="{b}"/>'
        ).format(l=MARGIN_LEFT, r=WIDTH - MARGIN_RIGHT, t=top_margin, b=bottom)
    )
    ticks = _ticks(days)
    for index in ticks:
        # The last label ends at its day, so that it stays inside the chart.
        anchor = "end" if index == len(days) - 1 and len(ticks) > 1 else "middle"
        parts.append(
            Markup(
                '<text class="tick x-tick" x="{x}" y="{y}" text-anchor="{a}">{label}</text>'
            ).format(x=_num(x(index)), y=bottom + 16, a=anchor, label=day_label(days[index]))
        )
    # Axis labels.
    parts.append(
        Markup(
            '<text class="axis-label" x="{x}" y="{y}" text-anchor="middle">{xl}</text>'
            '<text class="axis-label" transform="translate(12 {my}) rotate(-90)"'
            ' text-anchor="middle">{yl}</text>'
        ).format(
            x=_num(MARGIN_LEFT + plot_w / 2),
            y=LINE_HEIGHT - 4,
            xl=x_label,
            my=_num(top_margin + plot_h / 2),
            yl=y_label,
        )
    )
    if not days or peak <= 0:
        parts.append(
            Markup('<text class="empty-text" x="{}" y="{}" text-anchor="middle">{}</text>').format(
                _num(MARGIN_LEFT + plot_w / 2),
                _num(top_margin + plot_h / 2),
                "No data in this period",
            )
        )
    elif days:
        for number, one in enumerate(series):
            points = [(x(i), y(v)) for i, v in enumerate(one.values)]
            path = " ".join(f"{_num(px)},{_num(py)}" for px, py in points)
            if area and number == 0:
                parts.append(
                    Markup('<polygon class="area s{n}" points="{l},{b} {p} {r},{b}"/>').format(
                        n=number,
                        l=_num(points[0][0]),
                        r=_num(points[-1][0]),
                        b=_num(bottom),
                        p=path,
                    )
                )
            parts.append(
                Markup('<polyline class="line s{n}" points="{p}"/>').format(n=number, p=path)
            )
            dots = [
                Markup(
                    '<circle class="dot s{n}" cx="{cx}" cy="{cy}" r="{r}">'
                    "<title>{day}: {v} {name}</title></circle>"
                ).format(
                    n=number,
                    cx=_num(px),
                    cy=_num(py),
                    r=3 if len(days) <= 31 else 2,
                    day=day_label(days[i]),
                    v=one.values[i],
                    name=one.name,
                )
                for i, (px, py) in enumerate(points)
                if one.values[i]  # a dot on every zero would only clutter the baseline
            ]
            parts.append(Markup('<g class="dots">{}</g>').format(Markup("").join(dots)))
    if legend:
        offset = MARGIN_LEFT
        for number, one in enumerate(series):
            parts.append(
                Markup(
                    '<rect class="key s{n}" x="{x}" y="4" width="12" height="12" rx="2"/>'
                    '<text class="legend" x="{tx}" y="14">{name}</text>'
                ).format(n=number, x=offset, tx=offset + 16, name=one.name)
            )
            offset += 16 + 7 * len(one.name) + 18
    parts.append(Markup("</svg>"))
    rows = [(day.isoformat(), *(one.values[i] for one in series)) for i, day in enumerate(days)]
    table = _table(title, ["Day", *(one.name for one in series)], rows)
    return Chart(Markup("").join(parts), table, ident)
