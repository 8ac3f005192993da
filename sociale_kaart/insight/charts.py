"""Accessible charts without JavaScript: small server-rendered SVGs.

The page shows the numbers in a table right next to each chart, so the SVG is a picture of
that table (``role="img"`` with a title) and screen-reader users read the table. Widths and
heights are SVG attributes, not inline CSS, so the strict Content-Security-Policy holds.
"""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup

BAR_COLOUR = "#0b5394"
LABEL_COLOUR = "#1b1b1b"


def hbar_chart(rows: Sequence[tuple[str, int]], title: str, *, width: int = 560,
               bar_height: int = 22, label_width: int = 200) -> Markup:
    """Horizontal bars, one per (label, value), the value printed after each bar."""
    if not rows:
        return Markup("")
    top = max(value for _label, value in rows) or 1
    room = width - label_width - 60
    height = len(rows) * (bar_height + 6) + 6
    parts = [Markup('<svg class="chart" xmlns="http://www.w3.org/2000/svg" role="img" '
                    'viewBox="0 0 {w} {h}" width="{w}" height="{h}"><title>{t}</title>')
             .format(w=width, h=height, t=title)]
    for index, (label, value) in enumerate(rows):
        y = 6 + index * (bar_height + 6)
        length = round(room * value / top)
        text = label if len(label) <= 28 else label[:27] + "…"
        parts.append(Markup(
            '<text x="{lx}" y="{ty}" text-anchor="end" fill="{lc}" font-size="13">{label}'
            '</text><rect x="{x}" y="{y}" width="{bw}" height="{bh}" fill="{c}"></rect>'
            '<text x="{vx}" y="{ty}" fill="{lc}" font-size="13">{value}</text>').format(
                lx=label_width - 6, ty=y + bar_height - 6, lc=LABEL_COLOUR, label=text,
                x=label_width, y=y, bw=max(length, 1 if value else 0), bh=bar_height,
                c=BAR_COLOUR, vx=label_width + length + 6, value=value))
    parts.append(Markup("</svg>"))
    return Markup("").join(parts)


def column_chart(values: Sequence[int], labels: Sequence[str], title: str, *,
                 width: int = 640, height: int = 160) -> Markup:
    """Vertical columns over time (a trend), with the first and last label under the axis."""
    if not values:
        return Markup("")
    top = max(values) or 1
    step = width / len(values)
    bar = max(1.0, step * 0.8)
    plot = height - 24
    parts = [Markup('<svg class="chart" xmlns="http://www.w3.org/2000/svg" role="img" '
                    'viewBox="0 0 {w} {h}" width="{w}" height="{h}"><title>{t}</title>')
             .format(w=width, h=height, t=title)]
    for index, value in enumerate(values):
        h = round(plot * value / top, 1)
        parts.append(Markup('<rect x="{x}" y="{y}" width="{bw}" height="{h}" fill="{c}">'
                            '</rect>').format(x=round(index * step, 1), y=round(plot - h, 1),
                                               bw=round(bar, 1), h=h, c=BAR_COLOUR))
    parts.append(Markup('<text x="0" y="{y}" font-size="12" fill="{c}">{a}</text>'
                        '<text x="{w}" y="{y}" font-size="12" fill="{c}" text-anchor="end">'
                        '{b}</text>').format(y=height - 6, c=LABEL_COLOUR, a=labels[0],
                                             b=labels[-1], w=width))
    parts.append(Markup("</svg>"))
    return Markup("").join(parts)


def sparkline(values: Sequence[int], *, width: int = 120, height: int = 24) -> Markup:
    """Tiny columns inside a table row (decorative: the row's numbers say the same)."""
    if not values:
        return Markup("")
    top = max(values) or 1
    step = width / len(values)
    rects = Markup("").join(
        Markup('<rect x="{x}" y="{y}" width="{w}" height="{h}" fill="{c}"></rect>').format(
            x=round(i * step, 1), y=round(height - height * v / top, 1),
            w=round(max(1.0, step * 0.8), 1), h=round(height * v / top, 1), c=BAR_COLOUR)
        for i, v in enumerate(values))
    return Markup('<svg class="spark" xmlns="http://www.w3.org/2000/svg" aria-hidden="true" '
                  'focusable="false" viewBox="0 0 {w} {h}" width="{w}" height="{h}">{r}</svg>'
                  ).format(w=width, h=height, r=rects)


__all__ = ["column_chart", "hbar_chart", "sparkline"]
