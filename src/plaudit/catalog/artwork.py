"""Original badge artwork for the template catalog, drawn by code as self-contained SVG."""

from __future__ import annotations

import enum
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape

# The art is drawn once on a 512 canvas and scaled by the renderer, so every coordinate below
# is in these units whatever ``size`` the caller asks for.
_CANVAS = 512
_MAX_LABEL = 18
_HEX = re.compile(r"#[0-9a-f]{6}")

Point = tuple[float, float]


class Glyph(enum.StrEnum):
    """Pictograms drawn with shapes only, so the art never depends on an installed font."""

    BOOK = "book"
    CHECK = "check"
    STAR = "star"
    PATH = "path"
    LAYERS = "layers"
    FLAG = "flag"
    CHAT = "chat"
    BOLT = "bolt"
    MEDAL = "medal"
    MOUNTAIN = "mountain"
    CALENDAR = "calendar"
    SCROLL = "scroll"


class Shape(enum.StrEnum):
    CIRCLE = "circle"
    HEXAGON = "hexagon"
    SHIELD = "shield"
    RIBBON = "ribbon"


@dataclass(frozen=True)
class Palette:
    """Primary and secondary form the body gradient; the accent must stand out against both."""

    primary: str
    secondary: str
    accent: str

    def __post_init__(self) -> None:
        for colour in (self.primary, self.secondary, self.accent):
            if not _HEX.fullmatch(colour):
                raise ValueError(f"palette colours must be lowercase #rrggbb, got {colour!r}")


# Secondaries are kept dark because they double as the ink drawn on the white glyphs.
PALETTES: dict[str, Palette] = {
    "ocean": Palette(primary="#2196f3", secondary="#0d3b66", accent="#ffd166"),
    "forest": Palette(primary="#34a86f", secondary="#14532d", accent="#f4d35e"),
    "sunset": Palette(primary="#ff7a59", secondary="#8e2456", accent="#ffe29a"),
    "royal": Palette(primary="#7c5cff", secondary="#2e1a6b", accent="#ffc857"),
    "ember": Palette(primary="#ef6c3a", secondary="#7a1f12", accent="#ffd23f"),
    "slate": Palette(primary="#64748b", secondary="#1e293b", accent="#7dd3fc"),
    "teal": Palette(primary="#14b8a6", secondary="#0f4c5c", accent="#fde68a"),
    "berry": Palette(primary="#e0457b", secondary="#5a1846", accent="#ffd6e7"),
}


@dataclass(frozen=True)
class _Ink:
    fg: str
    ink: str
    accent: str


@dataclass(frozen=True)
class _Frame:
    """Where a shape puts its glyph, and what it draws around it."""

    body: str
    ring: str
    center: Point
    scale: float
    behind: str = ""


def _n(value: float) -> str:
    text = f"{value:.1f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def _pts(points: Sequence[Point]) -> str:
    return " ".join(f"{_n(x)},{_n(y)}" for x, y in points)


def _poly(points: Sequence[Point]) -> str:
    return f"M{_pts(points)}Z"


def _shade(colour: str, factor: float) -> str:
    """Darken towards black (factor < 1) or lighten towards white (factor > 1)."""
    channels = [int(colour[i : i + 2], 16) for i in (1, 3, 5)]
    if factor <= 1:
        mixed = [round(c * factor) for c in channels]
    else:
        mixed = [round(c + (255 - c) * (factor - 1)) for c in channels]
    return "#" + "".join(f"{min(255, max(0, c)):02x}" for c in mixed)


def _circle_d(cx: float, cy: float, r: float) -> str:
    arc = f"a{_n(r)},{_n(r)} 0 1 0"
    return f"M{_n(cx - r)},{_n(cy)}{arc} {_n(2 * r)},0{arc} {_n(-2 * r)},0Z"


def _rounded_polygon(points: Sequence[Point], radius: float) -> str:
    """Cut each corner back by ``radius`` and bend it with a quadratic curve."""

    def toward(a: Point, b: Point) -> Point:
        length = math.dist(a, b)
        t = radius / length
        return a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t

    count = len(points)
    parts = []
    for i in range(count + 1):
        corner = points[i % count]
        before = toward(corner, points[(i - 1) % count])
        after = toward(corner, points[(i + 1) % count])
        if i == 0:
            parts.append(f"M{_pts([after])}")
        else:
            parts.append(f"L{_pts([before])}Q{_pts([corner, after])}")
    return "".join(parts) + "Z"


def _star_points(cx: float, cy: float, outer: float, inner: float, tips: int = 5) -> list[Point]:
    points = []
    for i in range(tips * 2):
        r = outer if i % 2 == 0 else inner
        angle = -math.pi / 2 + i * math.pi / tips
        points.append((cx + r * math.cos(angle), cy + r * math.sin(angle)))
    return points


def _sparkle(cx: float, cy: float, r: float, fill: str) -> str:
    x, y = _n(cx), _n(cy)
    d = (
        f"M{x},{_n(cy - r)}Q{x},{y} {_n(cx + r)},{y}Q{x},{y} {x},{_n(cy + r)}"
        f"Q{x},{y} {_n(cx - r)},{y}Q{x},{y} {x},{_n(cy - r)}Z"
    )
    return f'<path d="{d}" fill="{fill}"/>'


# Glyphs are drawn in a 200-unit box centred on the origin; the shape's frame scales them.


def _book(c: _Ink) -> str:
    left = "M-6,-50C-32,-68 -68,-70 -94,-58L-94,60C-68,48 -32,50 -6,68Z"
    right = "M6,-50C32,-68 68,-70 94,-58L94,60C68,48 32,50 6,68Z"
    cover = "M-104,-48L-104,72C-70,60 -30,62 0,80C30,62 70,60 104,72L104,-48Z"
    lines = "".join(
        f"M-80,{_n(y)}C-62,{_n(y - 8)} -40,{_n(y - 6)} -22,{_n(y + 4)}"
        f"M22,{_n(y + 4)}C40,{_n(y - 6)} 62,{_n(y - 8)} 80,{_n(y)}"
        for y in (-30, -8, 14, 36)
    )
    return (
        f'<path d="{cover}" fill="{c.accent}"/>'
        f'<path d="{left}" fill="{c.fg}"/><path d="{right}" fill="{c.fg}"/>'
        f'<path d="{lines}" fill="none" stroke="{c.ink}" stroke-width="6" '
        f'stroke-linecap="round" opacity=".3"/>'
        f'<path d="M48,-64L70,-67L70,-16L59,-28L48,-16Z" fill="{c.ink}"/>'
    )


def _check(c: _Ink) -> str:
    return (
        f'<path d="M-66,2L-20,48L70,-50" fill="none" stroke="{c.fg}" stroke-width="34" '
        f'stroke-linecap="round" stroke-linejoin="round"/>'
        + _sparkle(-58, -58, 22, c.accent)
        + _sparkle(64, 52, 16, c.accent)
        + _sparkle(-76, 72, 10, c.fg)
    )


def _star(c: _Ink) -> str:
    points = _star_points(0, 8, 100, 42)
    facets = "".join(_poly([(0, 8), points[i], points[i + 1]]) for i in range(0, 10, 2))
    return (
        f'<path d="{_poly(points)}" fill="{c.fg}" stroke="{c.fg}" stroke-width="12" '
        f'stroke-linejoin="round"/>'
        f'<path d="{facets}" fill="{c.ink}" opacity=".14"/>'
    )


def _bezier(p0: Point, p1: Point, p2: Point, p3: Point, t: float) -> Point:
    u = 1 - t
    return (
        u**3 * p0[0] + 3 * u * u * t * p1[0] + 3 * u * t * t * p2[0] + t**3 * p3[0],
        u**3 * p0[1] + 3 * u * u * t * p1[1] + 3 * u * t * t * p2[1] + t**3 * p3[1],
    )


def _path(c: _Ink) -> str:
    first = ((-70.0, 96.0), (-86.0, 40.0), (70.0, 56.0), (58.0, 8.0))
    second = ((58.0, 8.0), (46.0, -40.0), (-60.0, -14.0), (-44.0, -58.0))
    road = (
        f"M{_pts([first[0]])}C{_pts(first[1:])}C{_pts(second[1:])}"
        f"C{_pts([(-36.0, -78.0), (10.0, -70.0), (24.0, -58.0)])}"
    )
    stops = [_bezier(*first, 0.0), _bezier(*first, 0.55), _bezier(*second, 0.6)]
    dots = "".join(
        f'<circle cx="{_n(x)}" cy="{_n(y)}" r="11" fill="{c.accent}" stroke="{c.ink}" '
        f'stroke-width="5"/>'
        for x, y in stops
    )
    pin = "M0,0C-6,-14 -24,-28 -24,-46A24,24 0 1 1 24,-46C24,-28 6,-14 0,0Z"
    return (
        f'<path d="{road}" fill="none" stroke="{c.fg}" stroke-width="26" '
        f'stroke-linecap="round"/>'
        f'<path d="{road}" fill="none" stroke="{c.ink}" stroke-width="4" '
        f'stroke-dasharray="9 11" opacity=".45"/>'
        + dots
        + f'<g transform="translate(24 -54)"><path d="{pin}" fill="{c.accent}"/>'
        f'<circle cx="0" cy="-46" r="10" fill="{c.ink}"/></g>'
    )


def _layers(c: _Ink) -> str:
    return (
        f'<path d="M-94,40L0,84L94,40" fill="none" stroke="{c.accent}" stroke-width="16" '
        f'stroke-linecap="round" stroke-linejoin="round"/>'
        f'<path d="M-94,2L0,46L94,2" fill="none" stroke="{c.fg}" stroke-width="16" '
        f'stroke-linecap="round" stroke-linejoin="round" opacity=".8"/>'
        f'<path d="M0,-84L94,-40L0,4L-94,-40Z" fill="{c.fg}" stroke="{c.fg}" '
        f'stroke-width="10" stroke-linejoin="round"/>'
        f'<path d="M0,-84L94,-40L0,4Z" fill="{c.ink}" opacity=".12"/>'
    )


def _flag(c: _Ink) -> str:
    cloth = "M-56,-78C-18,-100 22,-54 84,-78L84,12C22,36 -18,-10 -56,10Z"
    star = _poly(_star_points(14, -34, 26, 11))
    return (
        f'<rect x="-74" y="-90" width="14" height="186" rx="7" fill="{c.fg}"/>'
        f'<circle cx="-67" cy="-94" r="12" fill="{c.accent}"/>'
        f'<path d="{cloth}" fill="{c.fg}"/>'
        f'<path d="{star}" fill="{c.ink}"/>'
        f'<path d="M-60,-78C-40,-86 -24,-84 -10,-78L-10,4C-24,-4 -40,-2 -60,8Z" '
        f'fill="{c.ink}" opacity=".1"/>'
    )


def _chat(c: _Ink) -> str:
    back = (
        "M-14,-92H78Q100,-92 100,-70V-22Q100,0 78,0H76L88,30L52,0H-14"
        "Q-36,0 -36,-22V-70Q-36,-92 -14,-92Z"
    )
    front = (
        "M-74,-40H30Q54,-40 54,-16V40Q54,64 30,64H-40L-76,94L-66,64H-74"
        "Q-98,64 -98,40V-16Q-98,-40 -74,-40Z"
    )
    dots = "".join(f'<circle cx="{x}" cy="12" r="11" fill="{c.ink}"/>' for x in (-66, -22, 22))
    return f'<path d="{back}" fill="{c.accent}"/><path d="{front}" fill="{c.fg}"/>' + dots


def _bolt(c: _Ink) -> str:
    bolt = "M20,-100L-62,14L-4,14L-22,100L64,-20L6,-20Z"
    return (
        f'<path d="{bolt}" fill="{c.fg}" stroke="{c.fg}" stroke-width="10" '
        f'stroke-linejoin="round"/>'
        f'<path d="M-4,14L6,-20L64,-20L-22,100Z" fill="{c.ink}" opacity=".14"/>'
        + _sparkle(-60, -58, 20, c.accent)
        + _sparkle(66, 50, 16, c.accent)
    )


def _medal(c: _Ink) -> str:
    return (
        f'<path d="M-66,-100L-28,-100L14,-12L-24,-12Z" fill="{c.accent}"/>'
        f'<path d="M66,-100L28,-100L-14,-12L24,-12Z" fill="{c.fg}"/>'
        f'<path d="M-14,-12L24,-12L14,-32Z" fill="{c.ink}" opacity=".25"/>'
        f'<circle cx="0" cy="36" r="64" fill="{c.fg}"/>'
        f'<circle cx="0" cy="36" r="50" fill="none" stroke="{c.ink}" stroke-width="5" '
        f'opacity=".3"/>'
        f'<path d="{_poly(_star_points(0, 38, 32, 14))}" fill="{c.ink}" stroke="{c.ink}" '
        f'stroke-width="4" stroke-linejoin="round"/>'
    )


def _mountain(c: _Ink) -> str:
    return (
        f'<circle cx="58" cy="-58" r="20" fill="{c.accent}"/>'
        f'<path d="M-4,84L50,-20L104,84Z" fill="{c.accent}" stroke="{c.accent}" '
        f'stroke-width="8" stroke-linejoin="round"/>'
        f'<path d="M-100,84L-22,-62L56,84Z" fill="{c.fg}" stroke="{c.fg}" stroke-width="10" '
        f'stroke-linejoin="round"/>'
        f'<path d="M-22,-62L56,84L4,84L-8,16Z" fill="{c.ink}" opacity=".14"/>'
        f'<path d="M-48,-14L-34,-4L-22,-20L-8,-4L4,-16" fill="none" stroke="{c.ink}" '
        f'stroke-width="6" stroke-linecap="round" stroke-linejoin="round" opacity=".3"/>'
        f'<path d="M-22,-64V-100" stroke="{c.fg}" stroke-width="6" stroke-linecap="round"/>'
        f'<path d="M-20,-102L12,-92L-20,-80Z" fill="{c.accent}" stroke="{c.accent}" '
        f'stroke-width="4" stroke-linejoin="round"/>'
    )


def _calendar(c: _Ink) -> str:
    cells = []
    for row, y in enumerate((-14, 18, 50)):
        for col, x in enumerate((-62, -28, 6, 40)):
            today = (row, col) == (1, 2)
            opacity = "" if today else ' opacity=".22"'
            cells.append(
                f'<rect x="{x}" y="{y}" width="22" height="22" rx="5" fill="{c.ink}"{opacity}/>'
            )
    return (
        f'<rect x="-86" y="-72" width="172" height="160" rx="20" fill="{c.fg}"/>'
        f'<path d="M-86,-34V-52Q-86,-72 -66,-72H66Q86,-72 86,-52V-34Z" fill="{c.accent}"/>'
        f'<rect x="-52" y="-94" width="16" height="40" rx="8" fill="{c.ink}"/>'
        f'<rect x="36" y="-94" width="16" height="40" rx="8" fill="{c.ink}"/>' + "".join(cells)
    )


def _scroll(c: _Ink) -> str:
    lines = "".join(f"M-38,{y}H{38 if y < 20 else 6}" for y in (-38, -18, 2, 22))
    seal = _poly(_star_points(38, 44, 24, 18, tips=12))
    return (
        f'<rect x="-64" y="-76" width="128" height="150" fill="{c.fg}"/>'
        f'<rect x="-64" y="-76" width="128" height="150" fill="{c.ink}" opacity=".06"/>'
        f'<rect x="-82" y="-96" width="164" height="30" rx="15" fill="{c.fg}"/>'
        f'<rect x="-82" y="64" width="164" height="30" rx="15" fill="{c.fg}"/>'
        f'<path d="M-82,-81H82M-82,79H82" stroke="{c.ink}" stroke-width="3" opacity=".12"/>'
        f'<circle cx="-67" cy="-81" r="7" fill="{c.ink}" opacity=".25"/>'
        f'<circle cx="67" cy="79" r="7" fill="{c.ink}" opacity=".25"/>'
        f'<path d="{lines}" stroke="{c.ink}" stroke-width="7" stroke-linecap="round" '
        f'opacity=".35"/>'
        f'<path d="M26,56L18,92L34,84L42,96L46,58Z" fill="{c.ink}"/>'
        f'<path d="{seal}" fill="{c.accent}" stroke="{c.ink}" stroke-width="3" '
        f'stroke-linejoin="round"/>'
    )


_GLYPHS: dict[Glyph, Callable[[_Ink], str]] = {
    Glyph.BOOK: _book,
    Glyph.CHECK: _check,
    Glyph.STAR: _star,
    Glyph.PATH: _path,
    Glyph.LAYERS: _layers,
    Glyph.FLAG: _flag,
    Glyph.CHAT: _chat,
    Glyph.BOLT: _bolt,
    Glyph.MEDAL: _medal,
    Glyph.MOUNTAIN: _mountain,
    Glyph.CALENDAR: _calendar,
    Glyph.SCROLL: _scroll,
}


def _frame(shape: Shape, palette: Palette) -> _Frame:
    mid = _CANVAS / 2
    if shape is Shape.CIRCLE:
        return _Frame(_circle_d(mid, mid, 236), _circle_d(mid, mid, 206), (mid, mid), 1.42)
    if shape is Shape.HEXAGON:

        def hexagon(r: float) -> str:
            corners = [
                (mid + r * math.cos(math.radians(a)), mid + r * math.sin(math.radians(a)))
                for a in range(-90, 270, 60)
            ]
            return _rounded_polygon(corners, r * 0.16)

        return _Frame(hexagon(244), hexagon(210), (mid, mid), 1.32)
    if shape is Shape.SHIELD:

        def shield(k: float) -> str:
            def p(x: float, y: float) -> str:
                return f"{_n(mid + x * k)},{_n(mid + y * k)}"

            return (
                f"M{p(0, -240)}C{p(62, -202)} {p(142, -198)} {p(210, -204)}"
                f"L{p(210, -24)}C{p(210, 116)} {p(118, 200)} {p(0, 244)}"
                f"C{p(-118, 200)} {p(-210, 116)} {p(-210, -24)}"
                f"L{p(-210, -204)}C{p(-142, -198)} {p(-62, -202)} {p(0, -240)}Z"
            )

        return _Frame(shield(1), shield(0.86), (mid, mid - 16), 1.3)
    cx, cy = mid, 210.0
    scallops = 22
    parts = []
    for i in range(scallops + 1):
        angle = 2 * math.pi * i / scallops
        half = angle - math.pi / scallops
        x, y = cx + 184 * math.sin(angle), cy - 184 * math.cos(angle)
        if i == 0:
            parts.append(f"M{_n(x)},{_n(y)}")
        else:
            qx, qy = cx + 208 * math.sin(half), cy - 208 * math.cos(half)
            parts.append(f"Q{_n(qx)},{_n(qy)} {_n(x)},{_n(y)}")
    tail = [(196.0, 300.0), (262.0, 330.0), (196.0, 500.0), (168.0, 466.0), (126.0, 480.0)]
    mirrored = [(_CANVAS - x, y) for x, y in tail]
    behind = (
        f'<path d="{_poly(tail)}" fill="{_shade(palette.secondary, 0.9)}"/>'
        f'<path d="{_poly(mirrored)}" fill="{_shade(palette.secondary, 0.75)}"/>'
    )
    return _Frame("".join(parts) + "Z", _circle_d(cx, cy, 160), (cx, cy), 1.12, behind)


def _fit_label(label: str) -> str:
    label = " ".join(label.split())
    if len(label) <= _MAX_LABEL:
        return label
    return label[: _MAX_LABEL - 1].rstrip() + "\u2026"


def _banner(label: str, palette: Palette) -> str:
    top, bottom, mid_y = 394, 454, 424
    ends = (
        f'<path d="M34,{top + 14}H96V{bottom + 14}H34L54,{mid_y + 14}Z'
        f'M478,{top + 14}H416V{bottom + 14}H478L458,{mid_y + 14}Z" '
        f'fill="{_shade(palette.accent, 0.72)}"/>'
    )
    band = (
        f'<rect x="70" y="{top}" width="372" height="{bottom - top}" rx="6" '
        f'fill="{palette.accent}"/>'
    )
    # Long labels shrink rather than overflow: sans-serif bold averages ~0.6em per character.
    font_size = min(34.0, 340 / (0.6 * max(len(label), 1)))
    text = (
        f'<text x="256" y="{_n(mid_y + font_size * 0.36)}" text-anchor="middle" '
        f'font-family="sans-serif" font-weight="bold" font-size="{_n(font_size)}" '
        f'fill="{palette.secondary}">{escape(label)}</text>'
    )
    return ends + band + text


def badge_svg(
    *, glyph: Glyph, shape: Shape, palette: Palette, size: int = 512, label: str | None = None
) -> str:
    """A square SVG document (width=height=size, viewBox 0 0 512 512), safe to serve inline.

    The document has no scripts, styles, fonts or external references; ``label`` is escaped
    and cut to 18 characters with an ellipsis.
    """
    if size <= 0:
        raise ValueError("size must be positive")
    frame = _frame(shape, palette)
    fitted = _fit_label(label) if label else ""
    cx, cy = frame.center
    scale = frame.scale
    if fitted:
        # The banner covers the lower part of the badge, so the glyph moves up and shrinks.
        cy, scale = cy - 26, scale * 0.84
    draw = _GLYPHS[glyph]
    shadow = draw(_Ink("#000000", "#000000", "#000000"))
    art = draw(_Ink("#ffffff", palette.secondary, palette.accent))
    place = f"translate({_n(cx)} {_n(cy)}) scale({scale:.3f})"
    rim = _shade(palette.secondary, 0.8)
    title = escape(fitted or f"{glyph.value} badge")
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{size}" height="{size}" '
        f'viewBox="0 0 {_CANVAS} {_CANVAS}" role="img"><title>{title}</title><defs>'
        f'<linearGradient id="pl-fill" x1="0" y1="0" x2="1" y2="1">'
        f'<stop offset="0" stop-color="{palette.primary}"/>'
        f'<stop offset="1" stop-color="{palette.secondary}"/></linearGradient>'
        f'<linearGradient id="pl-sheen" x1="0" y1="0" x2="0" y2="1">'
        f'<stop offset="0" stop-color="#ffffff" stop-opacity=".3"/>'
        f'<stop offset=".5" stop-color="#ffffff" stop-opacity="0"/></linearGradient></defs>'
        f"{frame.behind}"
        f'<path d="{frame.body}" fill="url(#pl-fill)" stroke="{rim}" stroke-width="6"/>'
        f'<path d="{frame.body}" fill="url(#pl-sheen)"/>'
        f'<path d="{frame.ring}" fill="none" stroke="{palette.accent}" stroke-width="8"/>'
        f'<g transform="{place}"><g transform="translate(0 7)" opacity=".2">{shadow}</g>'
        f"{art}</g>"
        f"{_banner(fitted, palette) if fitted else ''}</svg>"
    )
