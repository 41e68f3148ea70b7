"""Small charts drawn on the server as inline SVG: bar charts (grouped or stacked) and line
charts, with axes, tick labels, axis titles, a legend and a ``<title>`` tooltip on every
mark. The pages need no JavaScript to show them, and screen readers get the chart's title
and a one-line description.

    svg = bar_chart("Alerts per day", ["2026-11-01", "2026-11-02"],
                    [Series("us_ofac_sdn", [3, 1])], x_label="day", y_label="alerts")
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape
from itertools import count

# Colours that stay apart for the common kinds of colour blindness, and readable on white.
PALETTE = ("#1f5fa8", "#d1791d", "#2e8b57", "#a2378f", "#6b6b6b", "#b8a21e", "#19869c")
_ids = count(1)


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[float]


@dataclass(frozen=True)
class _Frame:
    width: int
    height: int
    left: int = 56
    right: int = 16
    top: int = 36
    bottom: int = 58

    @property
    def plot_w(self) -> float:
        return float(self.width - self.left - self.right)

    @property
    def plot_h(self) -> float:
        return float(self.height - self.top - self.bottom)


def nice_ticks(top: float, count: int = 5, *, integer: bool = False) -> list[float]:
    """Round tick values from 0 to at least ``top`` (about ``count`` of them); whole numbers
    only with ``integer`` (a count of alerts has no 0.2)."""
    if top <= 0 or not math.isfinite(top):
        return [0.0, 1.0]
    raw = top / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    if integer:
        step = max(1.0, float(math.ceil(step)))
    ticks = [0.0]
    while ticks[-1] < top - 1e-9:
        ticks.append(round(ticks[-1] + step, 10))
    return ticks


def _number(value: float, percent: bool = False) -> str:
    if percent:
        return f"{value * 100:.0f}%" if value * 100 == int(value * 100) else f"{value * 100:.1f}%"
    if value == int(value):
        return f"{int(value):,}"
    return f"{value:,.2f}".rstrip("0").rstrip(".")


def _open(frame: _Frame, title: str, description: str) -> tuple[list[str], str]:
    uid = f"chart{next(_ids)}"
    head = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
        f'viewBox="0 0 {frame.width} {frame.height}" width="{frame.width}" '
        f'height="{frame.height}" aria-labelledby="{uid}-t {uid}-d">',
        f'<title id="{uid}-t">{escape(title)}</title>',
        f'<desc id="{uid}-d">{escape(description)}</desc>',
        f'<text class="chart-title" x="{frame.left}" y="20" font-size="14" '
        f'font-weight="600" fill="#1b1b1b">{escape(title)}</text>',
    ]
    return head, uid


def _empty(title: str, message: str, width: int, height: int) -> str:
    frame = _Frame(width, height)
    parts, _ = _open(frame, title, message)
    parts.append(
        f'<text class="chart-empty" x="{width / 2:.0f}" y="{height / 2:.0f}" '
        f'text-anchor="middle" font-size="13" fill="#555">{escape(message)}</text>'
    )
    parts.append("</svg>")
    return "".join(parts)


def _axes(
    frame: _Frame,
    ticks: list[float],
    labels: Sequence[str],
    centres: Sequence[float],
    x_label: str,
    y_label: str,
    percent: bool,
) -> list[str]:
    out: list[str] = []
    top = ticks[-1] or 1.0
    x0, y0 = frame.left, frame.top + frame.plot_h
    for tick in ticks:
        y = y0 - tick / top * frame.plot_h
        out.append(
            f'<line class="grid" x1="{x0}" x2="{x0 + frame.plot_w:.1f}" y1="{y:.1f}" '
            f'y2="{y:.1f}" stroke="#e3e3e3"/>'
        )
        out.append(
            f'<text class="tick y" x="{x0 - 6}" y="{y + 4:.1f}" text-anchor="end" '
            f'font-size="11" fill="#333">{_number(tick, percent)}</text>'
        )
    out.append(
        f'<line class="axis y" x1="{x0}" x2="{x0}" y1="{frame.top}" y2="{y0:.1f}" stroke="#333"/>'
    )
    out.append(
        f'<line class="axis x" x1="{x0}" x2="{x0 + frame.plot_w:.1f}" y1="{y0:.1f}" '
        f'y2="{y0:.1f}" stroke="#333"/>'
    )
    # Thin the category labels so that they never overlap (about 7 px per character).
    longest = max((len(label) for label in labels), default=1)
    room = frame.plot_w / max(len(labels), 1)
    every = max(1, math.ceil(longest * 6.5 / max(room, 1)))
    for i, (label, x) in enumerate(zip(labels, centres, strict=True)):
        if i % every and i != len(labels) - 1:
            continue
        out.append(
            f'<text class="tick x" x="{x:.1f}" y="{y0 + 16:.1f}" text-anchor="middle" '
            f'font-size="11" fill="#333">{escape(label)}</text>'
        )
    out.append(
        f'<text class="axis-label x" x="{x0 + frame.plot_w / 2:.1f}" '
        f'y="{frame.height - 22}" text-anchor="middle" font-size="12" '
        f'fill="#1b1b1b">{escape(x_label)}</text>'
    )
    out.append(
        f'<text class="axis-label y" x="14" y="{frame.top + frame.plot_h / 2:.1f}" '
        f'text-anchor="middle" font-size="12" fill="#1b1b1b" '
        f'transform="rotate(-90 14 {frame.top + frame.plot_h / 2:.1f})">{escape(y_label)}</text>'
    )
    return out


def _legend(frame: _Frame, series: Sequence[Series]) -> list[str]:
    if len(series) < 2:
        return []
    out = []
    x = float(frame.left)
    y = frame.height - 6
    for i, s in enumerate(series):
        colour = PALETTE[i % len(PALETTE)]
        out.append(
            f'<g class="legend-item"><rect x="{x:.1f}" y="{y - 9}" width="10" height="10" '
            f'fill="{colour}"/><text x="{x + 14:.1f}" y="{y}" font-size="11" '
            f'fill="#1b1b1b">{escape(s.name)}</text></g>'
        )
        x += 24 + 6.5 * len(s.name)
    return out


def _check(labels: Sequence[str], series: Sequence[Series]) -> None:
    for s in series:
        if len(s.values) != len(labels):
            raise ValueError(
                f"series {s.name!r} has {len(s.values)} values for {len(labels)} labels"
            )


def bar_chart(
    title: str,
    labels: Sequence[str],
    series: Sequence[Series],
    *,
    x_label: str,
    y_label: str,
    stacked: bool = False,
    percent: bool = False,
    integer: bool = False,
    width: int = 560,
    height: int = 260,
    empty: str = "No data yet",
) -> str:
    """A bar chart: one bar per (label, series) value, grouped side by side or ``stacked``;
    ``integer`` for counts (whole-number ticks)."""
    _check(labels, series)
    if not labels or not series:
        return _empty(title, empty, width, height)
    frame = _Frame(width, height)
    if stacked:
        top = max(sum(s.values[i] for s in series) for i in range(len(labels)))
    else:
        top = max(max(s.values) for s in series)
    ticks = nice_ticks(1.0) if percent else nice_ticks(top, integer=integer)
    scale = frame.plot_h / (ticks[-1] or 1.0)
    slot = frame.plot_w / len(labels)
    # A few bars on a wide chart stay bars, not walls.
    inner = min(slot * 0.8, 56.0 * (1 if stacked else len(series)))
    bar_w = inner if stacked else inner / len(series)
    centres = [frame.left + slot * (i + 0.5) for i in range(len(labels))]
    description = f"{y_label} by {x_label}" + (
        f", for {', '.join(s.name for s in series)}" if len(series) > 1 else ""
    )
    parts, _ = _open(frame, title, description)
    parts.extend(_axes(frame, ticks, labels, centres, x_label, y_label, percent))
    base = frame.top + frame.plot_h
    for i, label in enumerate(labels):
        stack = 0.0
        for j, s in enumerate(series):
            value = float(s.values[i])
            h = max(value, 0.0) * scale
            x = centres[i] - inner / 2 + (0 if stacked else j * bar_w)
            y = base - stack - h
            if stacked:
                stack += h
            who = f"{s.name}, " if len(series) > 1 else ""
            parts.append(
                f'<rect class="bar" x="{x:.1f}" y="{y:.1f}" width="{max(bar_w - 1, 1):.1f}" '
                f'height="{h:.1f}" fill="{PALETTE[j % len(PALETTE)]}">'
                f"<title>{escape(f'{who}{label}: {_number(value, percent)}')}</title></rect>"
            )
    parts.extend(_legend(frame, series))
    parts.append("</svg>")
    return "".join(parts)


def line_chart(
    title: str,
    labels: Sequence[str],
    series: Sequence[Series],
    *,
    x_label: str,
    y_label: str,
    percent: bool = False,
    width: int = 560,
    height: int = 260,
    empty: str = "No data yet",
) -> str:
    """A line chart: one line per series, a point (with its tooltip) per value; ``None``-free
    values only (leave a gap out of ``labels`` rather than passing one)."""
    _check(labels, series)
    if not labels or not series:
        return _empty(title, empty, width, height)
    frame = _Frame(width, height)
    top = max(max(s.values) for s in series)
    ticks = nice_ticks(1.0) if percent else nice_ticks(top)
    scale = frame.plot_h / (ticks[-1] or 1.0)
    step = frame.plot_w / len(labels)
    centres = [frame.left + step * (i + 0.5) for i in range(len(labels))]
    parts, _ = _open(frame, title, f"{y_label} by {x_label}")
    parts.extend(_axes(frame, ticks, labels, centres, x_label, y_label, percent))
    base = frame.top + frame.plot_h
    for j, s in enumerate(series):
        colour = PALETTE[j % len(PALETTE)]
        points = [(centres[i], base - float(v) * scale) for i, v in enumerate(s.values)]
        if len(points) > 1:
            path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
            parts.append(
                f'<polyline class="line" points="{path}" fill="none" stroke="{colour}" '
                f'stroke-width="2"/>'
            )
        who = f"{s.name}, " if len(series) > 1 else ""
        for (x, y), label, value in zip(points, labels, s.values, strict=True):
            parts.append(
                f'<circle class="point" cx="{x:.1f}" cy="{y:.1f}" r="3.5" fill="{colour}">'
                f"<title>{escape(f'{who}{label}: {_number(float(value), percent)}')}</title>"
                "</circle>"
            )
    parts.extend(_legend(frame, series))
    parts.append("</svg>")
    return "".join(parts)


__all__ = ["PALETTE", "Series", "bar_chart", "line_chart", "nice_ticks"]
