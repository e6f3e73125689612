"""Charts of the money pages: server-rendered SVG (CSP: no scripts, no style attributes).
Reuses labeling's chart helpers where they fit and adds a horizontal bar chart."""

from __future__ import annotations

from collections.abc import Sequence

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from labeling.quality.charts import ACCENT, GRID, INK, PRIMARY, _empty, _f, _open, _text, error_bars

__all__ = ["bar_chart", "error_bars"]


def bar_chart(
    rows: Sequence[tuple[str, float, float]],
    *,
    title: str,
    desc: str,
    value_format: str = "{:,.2f}",
    legend: tuple[str, str] = ("Spent", "Escrow left"),
    width: int = 640,
    row_height: int = 30,
) -> SafeString:
    """One row per (label, a, b): a stacked horizontal bar (a in primary, b in accent)."""
    if not rows or not any(a or b for _, a, b in rows):
        return _empty(width, 120, title, "Nothing spent yet")
    label_w = min(220, 14 + 7 * max(len(r[0]) for r in rows))
    left, right, top = label_w, 110, 28
    height = top + row_height * len(rows) + 16
    hi = max(a + b for _, a, b in rows) or 1
    pw = width - left - right
    head, tail = _open(width, height, title, desc, "chart chart--bars")
    parts = [head]
    parts.append(f'<rect x="{left}" y="6" width="12" height="8" rx="2" fill="{PRIMARY}"/>')
    parts.append(_text(left + 18, 14, legend[0], size=11, fill=INK))
    parts.append(f'<rect x="{left + 110}" y="6" width="12" height="8" rx="2" fill="{ACCENT}"/>')
    parts.append(_text(left + 128, 14, legend[1], size=11, fill=INK))
    for i, (label, a, b) in enumerate(rows):
        y = top + row_height * i
        wa, wb = pw * a / hi, pw * b / hi
        parts.append(
            f'<line x1="{left}" x2="{width - right}" y1="{y + row_height - 2}" '
            f'y2="{y + row_height - 2}" stroke="{GRID}"/>'
        )
        parts.append(_text(left - 8, y + row_height / 2 + 4, label[:30], anchor="end", fill=INK))
        parts.append(
            f'<rect x="{left}" y="{y + 6}" width="{_f(wa)}" height="{row_height - 12}" rx="3" '
            f'fill="{PRIMARY}"><title>{escape(label)}: {escape(legend[0])} '
            f"{escape(value_format.format(a))}</title></rect>"
        )
        parts.append(
            f'<rect x="{_f(left + wa)}" y="{y + 6}" width="{_f(wb)}" height="{row_height - 12}" '
            f'rx="3" fill="{ACCENT}"><title>{escape(label)}: {escape(legend[1])} '
            f"{escape(value_format.format(b))}</title></rect>"
        )
        parts.append(
            _text(left + wa + wb + 6, y + row_height / 2 + 4, value_format.format(a), size=11)
        )
    parts.append(tail)
    return mark_safe("".join(parts))  # noqa: S308 - every text is escaped
