"""Server-rendered SVG charts: line, histogram, points with error bars, heatmap.

No JavaScript and no style attributes (the CSP forbids them): only SVG presentation
attributes. Every chart has role="img", a <title> and a <desc> for screen readers, scales to
its container through its viewBox, and draws with the palette of static/css/plumbline.css.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from itertools import count

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

INK = "#1e293b"
MUTED = "#5b6577"
FAINT = "#94a3b8"
GRID = "#e1e5ee"
PRIMARY = "#3f3cbb"
PRIMARY_SOFT = "#eceafd"
ACCENT = "#c2410c"
SUCCESS = "#15803d"
DANGER = "#b42318"
SERIES = [PRIMARY, ACCENT, SUCCESS, "#1d5fc9", "#a15c07", "#7c3aed"]
FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, Arial, sans-serif"

_ids = count(1)


def _f(x: float) -> str:
    return f"{x:.1f}".rstrip("0").rstrip(".")


def _open(
    width: int, height: int, title: str, desc: str, css_class: str, fluid: bool = True
) -> tuple[str, str]:
    n = next(_ids)
    size = 'width="100%"' if fluid else f'width="{width}" height="{height}"'
    tid, did = f"chart-t{n}", f"chart-d{n}"
    head = (
        f'<svg class="{css_class}" xmlns="http://www.w3.org/2000/svg" role="img" '
        f'viewBox="0 0 {width} {height}" {size} preserveAspectRatio="xMidYMid meet" '
        f'aria-labelledby="{tid} {did}" font-family="{FONT}" font-size="12" fill="{INK}">'
        f'<title id="{tid}">{escape(title)}</title><desc id="{did}">{escape(desc)}</desc>'
    )
    return head, "</svg>"


def _text(x, y, s, *, anchor="start", size=12, fill=MUTED, weight=None, extra="") -> str:
    w = f' font-weight="{weight}"' if weight else ""
    return (
        f'<text x="{_f(x)}" y="{_f(y)}" text-anchor="{anchor}" font-size="{size}" '
        f'fill="{fill}"{w}{extra}>{escape(s)}</text>'
    )


def _empty(width: int, height: int, title: str, message: str) -> SafeString:
    head, tail = _open(width, height, title, message, "chart chart--empty")
    body = (
        f'<rect x="0.5" y="0.5" width="{width - 1}" height="{height - 1}" rx="8" fill="#f6f7fb" '
        f'stroke="{GRID}"/>' + _text(width / 2, height / 2 + 4, message, anchor="middle", size=13)
    )
    return mark_safe(head + body + tail)  # noqa: S308 - every text is escaped above


def _ticks(lo: float, hi: float, n: int = 5) -> list[float]:
    if hi <= lo:
        return [lo]
    raw = (hi - lo) / n
    mag = 10 ** math.floor(math.log10(raw))
    step = min((m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw), default=raw)
    first = math.ceil(lo / step) * step
    out, v = [], first
    while v <= hi + 1e-9:
        out.append(round(v, 10))
        v += step
    return out


def line_chart(
    series: Sequence[tuple[str, Sequence[float | None]]],
    x_labels: Sequence[str],
    *,
    title: str,
    desc: str,
    y_min: float | None = None,
    y_max: float | None = None,
    y_label: str = "",
    reference: tuple[str, float] | None = None,
    width: int = 640,
    height: int = 260,
) -> SafeString:
    """One or more lines over shared x labels; None leaves a gap. `reference` draws a dashed
    horizontal line (e.g. a target)."""
    values = [v for _, ys in series for v in ys if v is not None]
    if not values or not x_labels:
        return _empty(width, height, title, "Not enough data for this chart yet")
    lo = min(values + ([reference[1]] if reference else [])) if y_min is None else y_min
    hi = max(values + ([reference[1]] if reference else [])) if y_max is None else y_max
    if hi - lo < 1e-9:
        lo, hi = lo - 0.5, hi + 0.5
    left, right, top, bottom = 48, 16, 16, 52 if len(series) > 1 else 36
    pw, ph = width - left - right, height - top - bottom
    n = len(x_labels)

    def x(i):
        return left + (pw * i / (n - 1) if n > 1 else pw / 2)

    def y(v):
        return top + ph * (1 - (v - lo) / (hi - lo))

    head, tail = _open(width, height, title, desc, "chart chart--line")
    parts = [head]
    for t in _ticks(lo, hi):
        parts.append(
            f'<line x1="{left}" x2="{width - right}" y1="{_f(y(t))}" y2="{_f(y(t))}" '
            f'stroke="{GRID}" stroke-width="1"/>'
        )
        parts.append(_text(left - 6, y(t) + 4, f"{t:g}", anchor="end", size=11))
    step = max(1, math.ceil(n / 8))
    for i, label in enumerate(x_labels):
        if i % step == 0 or i == n - 1:
            parts.append(_text(x(i), top + ph + 16, label, anchor="middle", size=11))
    if y_label:
        parts.append(
            _text(
                12,
                top + ph / 2,
                y_label,
                anchor="middle",
                size=11,
                extra=f' transform="rotate(-90 12 {_f(top + ph / 2)})"',
            )
        )
    if reference:
        ry = y(reference[1])
        parts.append(
            f'<line x1="{left}" x2="{width - right}" y1="{_f(ry)}" y2="{_f(ry)}" '
            f'stroke="{FAINT}" stroke-width="1.5" stroke-dasharray="5 4"/>'
        )
        parts.append(_text(width - right, ry - 4, reference[0], anchor="end", size=11))
    for k, (name, ys) in enumerate(series):
        color = SERIES[k % len(SERIES)]
        segment: list[str] = []
        segments = []
        for i, v in enumerate(ys):
            if v is None:
                if segment:
                    segments.append(segment)
                segment = []
                continue
            segment.append(f"{_f(x(i))},{_f(y(v))}")
        if segment:
            segments.append(segment)
        for seg in segments:
            if len(seg) > 1:
                parts.append(
                    f'<polyline points="{" ".join(seg)}" fill="none" stroke="{color}" '
                    f'stroke-width="2.5" stroke-linejoin="round" stroke-linecap="round"/>'
                )
        for i, v in enumerate(ys):
            if v is not None:
                parts.append(
                    f'<circle cx="{_f(x(i))}" cy="{_f(y(v))}" r="3.5" fill="#fff" '
                    f'stroke="{color}" stroke-width="2"><title>{escape(name)} '
                    f"{escape(x_labels[i])}: {v:.2f}</title></circle>"
                )
        if len(series) > 1:
            lx = left + k * 170
            parts.append(
                f'<rect x="{lx}" y="{height - 18}" width="12" height="4" rx="2" fill="{color}"/>'
            )
            parts.append(_text(lx + 18, height - 12, name, size=11, fill=INK))
    parts.append(tail)
    return mark_safe("".join(parts))  # noqa: S308 - every text is escaped


def histogram(
    edges: Sequence[float],
    counts: Sequence[int],
    *,
    title: str,
    desc: str,
    x_format: str = "{:.0%}",
    x_label: str = "",
    highlight_below: float | None = None,
    width: int = 640,
    height: int = 240,
) -> SafeString:
    """Bars for counts between consecutive edges; bars left of `highlight_below` in accent."""
    if not counts or sum(counts) == 0:
        return _empty(width, height, title, "Not enough data for this chart yet")
    left, right, top, bottom = 40, 12, 16, 40 if x_label else 28
    pw, ph = width - left - right, height - top - bottom
    hi = max(counts)
    n = len(counts)
    bw = pw / n
    head, tail = _open(width, height, title, desc, "chart chart--histogram")
    parts = [head]
    for t in _ticks(0, hi, 4):
        if t != int(t):
            continue
        yy = top + ph * (1 - t / hi)
        parts.append(
            f'<line x1="{left}" x2="{width - right}" y1="{_f(yy)}" y2="{_f(yy)}" stroke="{GRID}"/>'
        )
        parts.append(_text(left - 6, yy + 4, f"{int(t)}", anchor="end", size=11))
    for i, c in enumerate(counts):
        h = ph * c / hi
        color = (
            ACCENT
            if highlight_below is not None and edges[i + 1] <= highlight_below + 1e-9
            else PRIMARY
        )
        label = f"{x_format.format(edges[i])}–{x_format.format(edges[i + 1])}: {c}"
        parts.append(
            f'<rect x="{_f(left + i * bw + 2)}" y="{_f(top + ph - h)}" width="{_f(bw - 4)}" '
            f'height="{_f(max(h, 0))}" rx="3" fill="{color}"><title>{escape(label)}</title></rect>'
        )
        if c:
            parts.append(
                _text(
                    left + i * bw + bw / 2,
                    top + ph - h - 4,
                    str(c),
                    anchor="middle",
                    size=11,
                    fill=INK,
                )
            )
    for i, e in enumerate(edges):
        if i % max(1, math.ceil(len(edges) / 6)) == 0 or i == len(edges) - 1:
            parts.append(
                _text(left + i * bw, top + ph + 16, x_format.format(e), anchor="middle", size=11)
            )
    if x_label:
        parts.append(_text(left + pw / 2, height - 4, x_label, anchor="middle", size=11))
    parts.append(
        f'<line x1="{left}" x2="{width - right}" y1="{top + ph}" y2="{top + ph}" stroke="{FAINT}"/>'
    )
    parts.append(tail)
    return mark_safe("".join(parts))  # noqa: S308 - every text is escaped


def error_bars(
    rows: Sequence[tuple[str, float | None, float | None, float | None]],
    *,
    title: str,
    desc: str,
    x_min: float | None = None,
    x_max: float | None = None,
    reference: tuple[str, float] | None = None,
    value_format: str = "{:.2f}",
    highlight: Sequence[bool] | None = None,
    width: int = 640,
    row_height: int = 28,
) -> SafeString:
    """One row per (label, value, low, high): a point with its confidence interval, on a shared
    horizontal axis; `reference` draws a dashed vertical line (e.g. the experts' ceiling)."""
    rows = [r for r in rows if r[1] is not None]
    if not rows:
        return _empty(width, 120, title, "Not enough data for this chart yet")
    vals = [v for r in rows for v in r[1:] if v is not None]
    if reference:
        vals.append(reference[1])
    lo = min(vals) if x_min is None else min(x_min, min(vals))
    hi = max(vals) if x_max is None else max(x_max, max(vals))
    if hi - lo < 1e-9:
        lo, hi = lo - 1, hi + 1
    label_w = min(220, 14 + 7 * max(len(r[0]) for r in rows))
    left, right, top = label_w, 56, 24
    height = top + row_height * len(rows) + 28
    pw = width - left - right

    def x(v):
        return left + pw * (v - lo) / (hi - lo)

    head, tail = _open(width, height, title, desc, "chart chart--errorbars")
    parts = [head]
    for t in _ticks(lo, hi):
        parts.append(
            f'<line x1="{_f(x(t))}" x2="{_f(x(t))}" y1="{top - 6}" '
            f'y2="{height - 24}" stroke="{GRID}"/>'
        )
        parts.append(_text(x(t), height - 8, f"{t:g}", anchor="middle", size=11))
    if reference:
        rx = x(reference[1])
        parts.append(
            f'<line x1="{_f(rx)}" x2="{_f(rx)}" y1="{top - 10}" y2="{height - 24}" '
            f'stroke="{ACCENT}" stroke-width="1.5" stroke-dasharray="5 4"/>'
        )
        parts.append(_text(rx, top - 12, reference[0], anchor="middle", size=11, fill=ACCENT))
    for i, (label, v, low, high) in enumerate(rows):
        cy = top + row_height * i + row_height / 2
        color = ACCENT if highlight and highlight[i] else PRIMARY
        if i % 2 == 0:
            parts.append(
                f'<rect x="0" y="{_f(cy - row_height / 2)}" width="{width}" '
                f'height="{row_height}" fill="#f6f7fb"/>'
            )
        parts.append(_text(left - 10, cy + 4, label[:32], anchor="end", size=12, fill=INK))
        if low is not None and high is not None:
            parts.append(
                f'<line x1="{_f(x(low))}" x2="{_f(x(high))}" y1="{_f(cy)}" y2="{_f(cy)}" '
                f'stroke="{color}" stroke-width="2.5" stroke-linecap="round"/>'
                f'<line x1="{_f(x(low))}" x2="{_f(x(low))}" y1="{_f(cy - 6)}" y2="{_f(cy + 6)}" '
                f'stroke="{color}" stroke-width="2"/>'
                f'<line x1="{_f(x(high))}" x2="{_f(x(high))}" y1="{_f(cy - 6)}" '
                f'y2="{_f(cy + 6)}" stroke="{color}" stroke-width="2"/>'
            )
        interval = (
            f" [{value_format.format(low)}, {value_format.format(high)}]"
            if low is not None and high is not None
            else ""
        )
        parts.append(
            f'<circle cx="{_f(x(v))}" cy="{_f(cy)}" r="5" fill="{color}" stroke="#fff" '
            f'stroke-width="1.5"><title>{escape(label)}: {escape(value_format.format(v))}'
            f"{escape(interval)}</title></circle>"
        )
        parts.append(
            _text(width - 6, cy + 4, value_format.format(v), anchor="end", size=11, fill=INK)
        )
    parts.append(tail)
    return mark_safe("".join(parts))  # noqa: S308 - every text is escaped


def heatmap(
    matrix: Sequence[Sequence[int]],
    row_labels: Sequence[str],
    col_labels: Sequence[str],
    *,
    title: str,
    desc: str,
    row_title: str = "",
    col_title: str = "",
    cell: int = 56,
) -> SafeString:
    """A count matrix as shaded cells with the counts written in; the diagonal is outlined."""
    n_r, n_c = len(row_labels), len(col_labels)
    if not n_r or not n_c:
        return _empty(320, 120, title, "Not enough data for this chart yet")
    label_w = min(150, 16 + 7 * max(len(s) for s in row_labels))
    left, top = label_w + 18, 44
    width = left + cell * n_c + 12
    height = top + cell * n_r + 12
    hi = max((max(r) for r in matrix if r), default=0) or 1
    head, tail = _open(width, height, title, desc, "chart chart--heatmap", fluid=False)
    parts = [head]
    if col_title:
        parts.append(
            _text(left + cell * n_c / 2, 14, col_title, anchor="middle", size=11, weight="600")
        )
    if row_title:
        parts.append(
            _text(
                10,
                top + cell * n_r / 2,
                row_title,
                anchor="middle",
                size=11,
                weight="600",
                extra=f' transform="rotate(-90 10 {_f(top + cell * n_r / 2)})"',
            )
        )
    for j, label in enumerate(col_labels):
        parts.append(
            _text(left + cell * j + cell / 2, top - 8, label[:10], anchor="middle", size=11)
        )
    for i, label in enumerate(row_labels):
        parts.append(
            _text(left - 8, top + cell * i + cell / 2 + 4, label[:20], anchor="end", size=11)
        )
        for j in range(n_c):
            v = matrix[i][j]
            share = v / hi
            # Mix from the soft primary to the primary colour.
            r = int(0xEC + (0x3F - 0xEC) * share)
            g = int(0xEA + (0x3C - 0xEA) * share)
            b = int(0xFD + (0xBB - 0xFD) * share)
            fill = f"#{r:02x}{g:02x}{b:02x}" if v else "#f6f7fb"
            x0, y0 = left + cell * j, top + cell * i
            stroke = f' stroke="{INK}" stroke-width="1.5"' if i == j else f' stroke="{GRID}"'
            parts.append(
                f'<rect x="{x0 + 1}" y="{y0 + 1}" width="{cell - 2}" height="{cell - 2}" rx="4" '
                f'fill="{fill}"{stroke}><title>{escape(row_labels[i])} / '
                f"{escape(col_labels[j])}: {v}</title></rect>"
            )
            parts.append(
                _text(
                    x0 + cell / 2,
                    y0 + cell / 2 + 5,
                    str(v),
                    anchor="middle",
                    size=13,
                    fill="#ffffff" if share > 0.55 else INK,
                    weight="600",
                )
            )
    parts.append(tail)
    return mark_safe("".join(parts))  # noqa: S308 - every text is escaped
