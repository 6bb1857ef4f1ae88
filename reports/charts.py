"""Charts drawn on the server as inline SVG: no script, no image files, the same in HTML and PDF.

* :func:`distribution` — a histogram of Monte Carlo draws with P10 / P50 / P90 markers;
* :func:`tornado` — one-at-a-time sensitivity bars around the point value;
* :func:`bars` — horizontal bars for amounts by category (bank, industry, patent);
* :func:`columns` — amounts per period as columns, with an optional count drawn as a line;
* :func:`lines` — counts per period, one line per series (filings and grants over the years);
* :func:`count_bars` — horizontal bars for counts by category (filings by industry);
* :func:`paired_bars` — two amounts per category side by side (capacity against borrowing).

Amounts come in as ``Decimal`` and are turned into float only here, as pixel positions; tick
labels are formatted by the caller's ``tick`` function (a report's :class:`Formatter`). Every
text is escaped, so a bank or patent name cannot inject markup.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal

import numpy as np
from markupsafe import Markup, escape

from reports.formatting import Formatter

WIDTH = 640
SERIES_COLOURS = ("#0b5cad", "#c8553d", "#3a8d5c", "#8e6bb5", "#b8860b")
FONT = "Noto Sans CJK SC, Noto Sans, sans-serif"
FONT_SIZE = 11
LABEL_GAP = 6.0
"""The least room between two axis labels, in pixels."""
INK, MUTED, GRID = "#1d2733", "#5b6776", "#d9dee5"
FILL, ACCENT, WARM = "#9db8d9", "#0b5cad", "#c8553d"
HISTOGRAM_BINS = 40
TICKS = 5
_NICE_STEPS = (1.0, 2.0, 2.5, 5.0, 10.0)
_FLAT = 1e-9

Tick = Callable[[float], str]


@dataclass(frozen=True, slots=True)
class Marker:
    """A vertical line at ``value`` with its label (``P50 ¥3,585,369.96``)."""

    label: str
    value: Decimal
    strong: bool = False


@dataclass(frozen=True, slots=True)
class SensitivityBar:
    """One tornado bar: the input's label and the values at its low and high ends."""

    label: str
    detail: str
    value_at_low: Decimal
    value_at_high: Decimal


def nice_ticks(low: float, high: float, count: int = TICKS, *, whole: bool = False) -> list[float]:
    """About ``count`` round tick values covering ``[low, high]`` (steps of 1, 2, 2.5, 5 × 10ᵏ;
    whole numbers only with ``whole``, for counts)."""
    if not math.isfinite(low) or not math.isfinite(high):
        return [0.0]
    span = max(abs(low), abs(high), 1.0)
    if high - low < span * _FLAT:  # a flat range: widen it to show something
        high = low + span
    raw = (high - low) / max(count, 1)
    magnitude = 10.0 ** math.floor(math.log10(raw))
    step = next(s * magnitude for s in _NICE_STEPS if s * magnitude >= raw * (1 - _FLAT))
    if whole:
        step = max(1.0, math.ceil(step))
    first = math.floor(low / step + _FLAT)
    last = math.ceil(high / step - _FLAT)
    places = max(0, 1 - math.floor(math.log10(step)))
    return [round(i * step, places) for i in range(first, last + 1)]


class _Scale:
    """A linear map from data values to pixels."""

    def __init__(self, low: float, high: float, start: float, end: float) -> None:
        self.low, self.high, self.start, self.end = low, high if high > low else low + 1, start, end

    def __call__(self, value: float) -> float:
        return self.start + (value - self.low) / (self.high - self.low) * (self.end - self.start)


def _text(x: float, y: float, text: str, *, anchor: str = "middle", **style: str) -> str:
    extra = "".join(f' {key.replace("_", "-")}="{escape(value)}"' for key, value in style.items())
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" font-size="{FONT_SIZE}"'
        f"{extra}>{escape(text)}</text>"
    )


def _svg(height: float, body: Sequence[str], title: str) -> Markup:
    # Safe: every text and attribute value in ``body`` went through ``escape``.
    return Markup(  # noqa: S704
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height:.0f}" '
        f'width="100%" role="img" aria-label="{escape(title)}" font-family="{FONT}" '
        f'fill="{INK}">' + "".join(body) + "</svg>"
    )


def distribution(
    draws: np.ndarray, markers: Sequence[Marker], *, formatter: Formatter, title: str
) -> Markup:
    """A histogram of ``draws`` (share of draws per bin) with vertical ``markers``."""
    height, left, right, top, bottom = 250.0, 52.0, 16.0, 44.0, 36.0
    values = np.asarray(draws, dtype=np.float64)
    counts, edges = np.histogram(values, bins=HISTOGRAM_BINS)
    shares = counts / max(values.size, 1)
    x_ticks = nice_ticks(float(edges[0]), float(edges[-1]))
    x = _Scale(x_ticks[0], x_ticks[-1], left, WIDTH - right)
    y_ticks = nice_ticks(0.0, float(shares.max()) if shares.size else 1.0, 4)
    y = _Scale(0.0, y_ticks[-1], height - bottom, top)
    # Grid lines and bars as one path each: WeasyPrint styles and draws every SVG element on its
    # own, so one element per bar would cost more than the rest of the chart.
    grid = "".join(f"M{left} {y(t):.1f}H{WIDTH - right}" for t in y_ticks)
    body = [f'<path d="{grid}" stroke="{GRID}" stroke-width="0.6" fill="none"/>']
    body += [_text(left - 6, y(t) + 4, f"{t:.0%}", anchor="end", fill=MUTED) for t in y_ticks]
    columns = "".join(
        f"M{x(start):.1f} {y(0):.1f}V{y(share):.1f}H{max(x(end) - 1, x(start) + 0.5):.1f}"
        f"V{y(0):.1f}Z"
        for share, start, end in zip(shares, edges[:-1], edges[1:], strict=True)
        if share > 0
    )
    body.append(f'<path d="{columns}" fill="{FILL}"/>')
    body += [
        _text(x(t), height - bottom + 16, formatter.axis_money(t), fill=MUTED) for t in x_ticks
    ]
    for index, marker in enumerate(markers):
        position = x(float(marker.value))
        colour = ACCENT if marker.strong else WARM
        body.append(
            f'<line x1="{position:.1f}" y1="{top - 4}" x2="{position:.1f}" y2="{height - bottom}" '
            f'stroke="{colour}" stroke-width="{2 if marker.strong else 1.2}" '
            f'stroke-dasharray="{"none" if marker.strong else "4 3"}"/>'
        )
        anchor = ("end", "middle", "start")[min(index, 2)] if len(markers) == 3 else "middle"
        level = top - 10 - (12 if index == 1 else 0)
        body.append(_text(position, level, marker.label, anchor=anchor, fill=colour))
    body.append(
        f'<line x1="{left}" y1="{height - bottom}" x2="{WIDTH - right}" y2="{height - bottom}" '
        f'stroke="{MUTED}"/>'
    )
    return _svg(height, body, title)


def tornado(
    bars: Sequence[SensitivityBar], base: Decimal, *, formatter: Formatter, title: str
) -> Markup:
    """Horizontal bars from the value at each input's low end to its high end, around ``base``."""
    row, left, right, top = 36.0, 200.0, 24.0, 30.0
    height = top + row * len(bars) + 30
    ends = [float(v) for bar in bars for v in (bar.value_at_low, bar.value_at_high)]
    ticks = nice_ticks(min([*ends, float(base)]), max([*ends, float(base)]), 4)
    x = _Scale(ticks[0], ticks[-1], left, WIDTH - right)
    centre = x(float(base))
    body = [_text(x(t), height - 8, formatter.axis_money(t), fill=MUTED) for t in ticks]
    for index, bar in enumerate(bars):
        y0 = top + index * row
        low, high = float(bar.value_at_low), float(bar.value_at_high)
        for value, colour in ((low, WARM), (high, ACCENT)):
            start, end = sorted((centre, x(value)))
            body.append(
                f'<rect x="{start:.1f}" y="{y0 + 6:.1f}" width="{max(end - start, 0.5):.1f}" '
                f'height="{row - 14:.1f}" fill="{colour}" fill-opacity="0.75"/>'
            )
        body.append(_text(left - 8, y0 + 16, bar.label, anchor="end"))
        body.append(_text(left - 8, y0 + 28, bar.detail, anchor="end", fill=MUTED, font_size="9"))
    body.append(
        f'<line x1="{centre:.1f}" y1="{top - 6}" x2="{centre:.1f}" y2="{height - 22}" '
        f'stroke="{INK}" stroke-width="1.4"/>'
    )
    body.append(_text(centre, top - 12, formatter.money(base), fill=INK))
    return _svg(height, body, title)


def bars(
    labels: Sequence[str], amounts: Sequence[Decimal], *, formatter: Formatter, title: str
) -> Markup:
    """Horizontal bars, one per label, longest first as given."""
    row, left, right, top = 24.0, 190.0, 110.0, 10.0
    height = top + row * max(len(labels), 1) + 24
    values = [float(a) for a in amounts]
    ticks = nice_ticks(0.0, max(values, default=1.0), 4)
    x = _Scale(0.0, ticks[-1], left, WIDTH - right)
    body = [
        f'<line x1="{x(t):.1f}" y1="{top}" x2="{x(t):.1f}" y2="{height - 22}" stroke="{GRID}"/>'
        + _text(x(t), height - 8, formatter.axis_money(t), fill=MUTED)
        for t in ticks
    ]
    for index, (label, amount, value) in enumerate(zip(labels, amounts, values, strict=True)):
        y0 = top + index * row
        body.append(
            f'<rect x="{left}" y="{y0 + 4:.1f}" width="{max(x(value) - left, 0.5):.1f}" '
            f'height="{row - 8:.1f}" fill="{ACCENT}" fill-opacity="0.8"/>'
        )
        body.append(_text(left - 8, y0 + 16, _shorten(label), anchor="end"))
        body.append(_text(x(value) + 6, y0 + 16, formatter.money(amount), anchor="start"))
    return _svg(height, body, title)


def columns(
    labels: Sequence[str],
    amounts: Sequence[Decimal | None],
    *,
    formatter: Formatter,
    title: str,
    counts: Sequence[int] | None = None,
    legend: tuple[str, str] | None = None,
) -> Markup:
    """Columns of ``amounts`` per period (none where an amount is None: withheld), with
    ``counts`` as a line on a right-hand axis.

    Where the periods' labels are wider than their columns (twelve months, say), every second
    (third, …) one is written, so that none overlaps the next."""
    height, left, right, top, bottom = 260.0, 60.0, 48.0, 30.0, 40.0
    values = [None if a is None else float(a) for a in amounts]
    ticks = nice_ticks(0.0, max((v for v in values if v is not None), default=1.0), 4)
    y = _Scale(0.0, ticks[-1], height - bottom, top)
    slot = (WIDTH - left - right) / max(len(labels), 1)
    widest = max((sum(map(_char_width, label)) for label in labels), default=0.0)
    every = max(1, math.ceil((widest + LABEL_GAP) / slot))
    body = [
        f'<line x1="{left}" y1="{y(t):.1f}" x2="{WIDTH - right}" y2="{y(t):.1f}" stroke="{GRID}"/>'
        + _text(left - 6, y(t) + 4, formatter.axis_money(t), anchor="end", fill=MUTED)
        for t in ticks
    ]
    for index, (label, value) in enumerate(zip(labels, values, strict=True)):
        x0 = left + index * slot
        if value is not None:
            body.append(
                f'<rect x="{x0 + slot * 0.18:.1f}" y="{y(value):.1f}" width="{slot * 0.64:.1f}" '
                f'height="{y(0) - y(value):.1f}" fill="{ACCENT}" fill-opacity="0.8"/>'
            )
        if index % every == 0:
            body.append(_text(x0 + slot / 2, height - bottom + 16, label, fill=MUTED))
    if counts is not None:
        count_ticks = nice_ticks(0.0, float(max(counts, default=1)), 4, whole=True)
        yc = _Scale(0.0, count_ticks[-1], height - bottom, top)
        points = " ".join(
            f"{left + (i + 0.5) * slot:.1f},{yc(float(c)):.1f}" for i, c in enumerate(counts)
        )
        body.append(f'<polyline points="{points}" fill="none" stroke="{WARM}" stroke-width="2"/>')
        body += [
            f'<circle cx="{left + (i + 0.5) * slot:.1f}" cy="{yc(float(c)):.1f}" r="3" '
            f'fill="{WARM}"/>'
            for i, c in enumerate(counts)
        ]
        body += [
            _text(WIDTH - right + 6, yc(t) + 4, f"{t:g}", anchor="start", fill=WARM)
            for t in count_ticks
        ]
    if legend is not None:
        body.append(f'<rect x="{left}" y="8" width="12" height="10" fill="{ACCENT}"/>')
        body.append(_text(left + 16, 17, legend[0], anchor="start"))
        body.append(f'<rect x="{left + 200}" y="12" width="12" height="3" fill="{WARM}"/>')
        body.append(_text(left + 216, 17, legend[1], anchor="start"))
    return _svg(height, body, title)


_LABEL_WIDTH = 180.0
"""Room for a bar's label left of its bar (the bars start at 190)."""


def _char_width(char: str) -> float:
    """The width of ``char`` at :data:`FONT_SIZE`: a CJK (wide) character is a full em."""
    return FONT_SIZE if unicodedata.east_asian_width(char) in "WF" else FONT_SIZE * 0.6


def _shorten(label: str) -> str:
    """``label``, cut with an ellipsis where it would run past :data:`_LABEL_WIDTH`."""
    if sum(map(_char_width, label)) <= _LABEL_WIDTH:
        return label
    room, kept = _LABEL_WIDTH - _char_width("…"), []
    for char in label:
        room -= _char_width(char)
        if room < 0:
            break
        kept.append(char)
    return "".join(kept) + "…"


def lines(
    labels: Sequence[str], series: Sequence[tuple[str, Sequence[int]]], *, title: str
) -> Markup:
    """Counts per period (``labels``), one line per named series, with a legend."""
    height, left, right, top, bottom = 260.0, 60.0, 20.0, 34.0, 40.0
    peak = max((max(values, default=0) for _, values in series), default=0)
    ticks = nice_ticks(0.0, float(max(peak, 1)), 4, whole=True)
    y = _Scale(0.0, ticks[-1], height - bottom, top)
    slot = (WIDTH - left - right) / max(len(labels), 1)
    body = [
        f'<line x1="{left}" y1="{y(t):.1f}" x2="{WIDTH - right}" y2="{y(t):.1f}" stroke="{GRID}"/>'
        + _text(left - 6, y(t) + 4, f"{t:,.0f}", anchor="end", fill=MUTED)
        for t in ticks
    ]
    body += [
        _text(left + (i + 0.5) * slot, height - bottom + 16, label, fill=MUTED)
        for i, label in enumerate(labels)
    ]
    for number, (name, values) in enumerate(series):
        colour = SERIES_COLOURS[number % len(SERIES_COLOURS)]
        points = " ".join(
            f"{left + (i + 0.5) * slot:.1f},{y(float(v)):.1f}" for i, v in enumerate(values)
        )
        body.append(f'<polyline points="{points}" fill="none" stroke="{colour}" stroke-width="2"/>')
        body += [
            f'<circle cx="{left + (i + 0.5) * slot:.1f}" cy="{y(float(v)):.1f}" r="2.5" '
            f'fill="{colour}"/>'
            for i, v in enumerate(values)
        ]
        x0 = left + number * 150
        body.append(f'<rect x="{x0}" y="12" width="14" height="3" fill="{colour}"/>')
        body.append(_text(x0 + 18, 17, name, anchor="start"))
    return _svg(height, body, title)


def count_bars(labels: Sequence[str], counts: Sequence[int], *, title: str) -> Markup:
    """Horizontal bars of ``counts``, one per label, in the order given."""
    row, left, right, top = 24.0, 190.0, 80.0, 10.0
    height = top + row * max(len(labels), 1) + 24
    ticks = nice_ticks(0.0, float(max(max(counts, default=1), 1)), 4, whole=True)
    x = _Scale(0.0, ticks[-1], left, WIDTH - right)
    body = [
        f'<line x1="{x(t):.1f}" y1="{top}" x2="{x(t):.1f}" y2="{height - 22}" stroke="{GRID}"/>'
        + _text(x(t), height - 8, f"{t:,.0f}", fill=MUTED)
        for t in ticks
    ]
    for index, (label, count) in enumerate(zip(labels, counts, strict=True)):
        y0 = top + index * row
        body.append(
            f'<rect x="{left}" y="{y0 + 4:.1f}" width="{max(x(float(count)) - left, 0.5):.1f}" '
            f'height="{row - 8:.1f}" fill="{ACCENT}" fill-opacity="0.8"/>'
        )
        body.append(_text(left - 8, y0 + 16, _shorten(label), anchor="end"))
        body.append(_text(x(float(count)) + 6, y0 + 16, f"{count:,}", anchor="start"))
    return _svg(height, body, title)


def paired_bars(
    labels: Sequence[str],
    first: Sequence[Decimal],
    second: Sequence[Decimal],
    *,
    formatter: Formatter,
    title: str,
    legend: tuple[str, str],
) -> Markup:
    """Two horizontal bars per label (``first`` above ``second``), on one money axis, each
    with its amount."""
    row, left, right, top = 34.0, 190.0, 110.0, 30.0
    height = top + row * max(len(labels), 1) + 24
    values = [float(a) for a in (*first, *second)]
    ticks = nice_ticks(0.0, max(values, default=1.0) or 1.0, 4)
    x = _Scale(0.0, ticks[-1], left, WIDTH - right)
    body = [
        f'<line x1="{x(t):.1f}" y1="{top}" x2="{x(t):.1f}" y2="{height - 22}" stroke="{GRID}"/>'
        + _text(x(t), height - 8, formatter.axis_money(t), fill=MUTED)
        for t in ticks
    ]
    for number, name in enumerate(legend):
        colour = (ACCENT, WARM)[number]
        body.append(
            f'<rect x="{left + number * 200}" y="8" width="12" height="10" fill="{colour}"/>'
        )
        body.append(_text(left + number * 200 + 16, 17, name, anchor="start"))
    for index, (label, a, b) in enumerate(zip(labels, first, second, strict=True)):
        y0 = top + index * row
        for offset, (amount, colour) in enumerate(((a, ACCENT), (b, WARM))):
            width = max(x(float(amount)) - left, 0.5)
            y = y0 + 3 + offset * 13
            body.append(
                f'<rect x="{left}" y="{y:.1f}" width="{width:.1f}" '
                f'height="11" fill="{colour}" fill-opacity="0.85"/>'
            )
            body.append(
                _text(
                    left + width + 5, y + 9.5, formatter.money(amount), anchor="start", fill=MUTED
                )
            )
        body.append(_text(left - 8, y0 + 17, _shorten(label), anchor="end"))
    return _svg(height, body, title)
