"""Charts as SVG drawn on the server: no JavaScript, no chart library, nothing fetched.

:func:`line_chart` draws one or more series of (day, amount) points with axes, gridlines and
a legend. Series differ by dash pattern and marker shape as well as colour (no information by
colour alone); the SVG has a title and a description for screen readers, and every page that
shows a chart also gives its figures in a table. Amounts are Decimal; only the pixel
coordinates are floats.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from html import escape

from markupsafe import Markup

#: Drawing styles, in the order series take them: (CSS class, dash pattern, marker shape).
STYLES = (("s0", "", "circle"), ("s1", "6 4", "square"), ("s2", "2 3", "triangle"), ("s3", "10 3 2 3", "diamond"))


#: Smallest distance between two day labels on the x axis (SVG units).
MIN_TICK_GAP = 40


@dataclass(frozen=True)
class Series:
    name: str
    points: Sequence[tuple[int, Decimal]]  # (days from today, amount)


def nice_step(span: Decimal, ticks: int = 4) -> Decimal:
    """A round step (1, 2 or 5 × 10ⁿ) that cuts ``span`` into about ``ticks`` parts."""
    if span <= 0:
        return Decimal(1)
    raw = span / ticks
    exponent = raw.adjusted()
    base = Decimal(1).scaleb(exponent)
    for mult in (1, 2, 5, 10):
        step = base * mult
        if step >= raw:
            return step
    return base * 10  # pragma: no cover - the loop always returns


def _axis_money(value: Decimal) -> str:
    if abs(value) >= 10000:
        return f"¥{(value / 1000):,.0f}k"
    return f"¥{value:,.0f}"


def _marker(shape: str, x: float, y: float, cls: str) -> str:
    if shape == "circle":
        return f'<circle class="{cls}" cx="{x:.1f}" cy="{y:.1f}" r="3.5"/>'
    if shape == "square":
        return f'<rect class="{cls}" x="{x - 3.5:.1f}" y="{y - 3.5:.1f}" width="7" height="7"/>'
    if shape == "triangle":
        return f'<polygon class="{cls}" points="{x:.1f},{y - 4.5:.1f} {x + 4:.1f},{y + 3:.1f} {x - 4:.1f},{y + 3:.1f}"/>'
    return f'<polygon class="{cls}" points="{x:.1f},{y - 5:.1f} {x + 4.5:.1f},{y:.1f} {x:.1f},{y + 5:.1f} {x - 4.5:.1f},{y:.1f}"/>'


def line_chart(series: Sequence[Series], *, title: str, description: str, x_unit: str,
               width: int = 420, height: int = 270, chart_id: str = "chart") -> Markup:
    """An accessible SVG line chart of ``series``; ``x_unit`` labels the day ticks (e.g. "天")."""
    left, right, top, bottom = 58, 14, 14, 58
    plot_w, plot_h = width - left - right, height - top - bottom
    xs = [x for s in series for x, _ in s.points] or [0]
    ys = [y for s in series for _, y in s.points] or [Decimal(0)]
    x_min, x_max = min(xs), max(xs)
    if x_max == x_min:
        x_max = x_min + 1
    y_low, y_high = min(ys), max(ys)
    step = nice_step(y_high - y_low if y_high > y_low else max(abs(y_high), Decimal(1)))
    y_min = (y_low / step).to_integral_value(rounding="ROUND_FLOOR") * step
    y_max = (y_high / step).to_integral_value(rounding="ROUND_CEILING") * step
    if y_max == y_min:
        y_max = y_min + step

    def px(x: int) -> float:
        return left + (x - x_min) / (x_max - x_min) * plot_w

    def py(y: Decimal) -> float:
        return top + float((y_max - y) / (y_max - y_min)) * plot_h

    out: list[str] = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" aria-labelledby="{chart_id}-t {chart_id}-d" '
        f'xmlns="http://www.w3.org/2000/svg" preserveAspectRatio="xMidYMid meet">',
        f'<title id="{chart_id}-t">{escape(title)}</title><desc id="{chart_id}-d">{escape(description)}</desc>',
    ]
    tick = y_min
    while tick <= y_max:
        y = py(tick)
        out.append(f'<line class="grid" x1="{left}" y1="{y:.1f}" x2="{width - right}" y2="{y:.1f}"/>')
        out.append(f'<text class="tick" x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">{escape(_axis_money(tick))}</text>')
        tick += step
    x_ticks: list[int] = []
    all_x = sorted({x for s in series for x, _ in s.points})
    for x in all_x:  # labels at least MIN_TICK_GAP apart; the last one always shows
        gap = MIN_TICK_GAP * (1.5 if x == all_x[-1] else 1)  # the last label is right-aligned
        if x_ticks and px(x) - px(x_ticks[-1]) < gap:
            if x != all_x[-1]:
                continue
            x_ticks.pop()
        x_ticks.append(x)
    for x in x_ticks:
        out.append(f'<line class="axis" x1="{px(x):.1f}" y1="{top + plot_h}" x2="{px(x):.1f}" y2="{top + plot_h + 4}"/>')
        anchor = "end" if x == all_x[-1] and x != all_x[0] else "middle"  # the last label stays inside
        out.append(f'<text class="tick" x="{px(x):.1f}" y="{top + plot_h + 18}" text-anchor="{anchor}">'
                   f'{x}{escape(x_unit)}</text>')
    out.append(f'<line class="axis" x1="{left}" y1="{top + plot_h}" x2="{width - right}" y2="{top + plot_h}"/>')
    out.append(f'<line class="axis" x1="{left}" y1="{top}" x2="{left}" y2="{top + plot_h}"/>')
    legend_x = left
    for i, s in enumerate(series):
        cls, dash, shape = STYLES[i % len(STYLES)]
        pts = " ".join(f"{px(x):.1f},{py(y):.1f}" for x, y in s.points)
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        out.append(f'<polyline class="line {cls}" fill="none" points="{pts}"{dash_attr}/>')
        out.extend(_marker(shape, px(x), py(y), f"mark {cls}") for x, y in s.points)
        ly = height - 14
        out.append(f'<line class="line {cls}" x1="{legend_x}" y1="{ly - 4}" x2="{legend_x + 24}" y2="{ly - 4}"{dash_attr}/>')
        out.append(_marker(shape, legend_x + 12, ly - 4, f"mark {cls}"))
        out.append(f'<text class="legend" x="{legend_x + 30}" y="{ly}">{escape(s.name)}</text>')
        legend_x += 40 + 9 * len(s.name) + (7 * sum(1 for ch in s.name if ord(ch) > 0x2E80))
    out.append("</svg>")
    return Markup("".join(out))


@dataclass(frozen=True)
class Bar:
    name: str
    value: Decimal | None  # None: nothing to draw (e.g. a strategy that does not fit)
    text: str  # the figure as words, shown next to the bar (and for None, why there is no bar)


def bar_chart(bars: Sequence[Bar], *, title: str, description: str, width: int = 420,
              chart_id: str = "bars") -> Markup:
    """An accessible horizontal bar chart: each bar has its name above it and its figure in words
    beside it (no information by colour alone); bars share one scale from zero."""
    row_h, bar_h, left, right, top = 46, 16, 8, 8, 6
    height = top + row_h * max(1, len(bars)) + 4
    plot_w = width - left - right
    high = max((b.value for b in bars if b.value is not None and b.value > 0), default=Decimal(1))
    out: list[str] = [
        f'<svg class="chart bars" viewBox="0 0 {width} {height}" role="img" '
        f'aria-labelledby="{chart_id}-t {chart_id}-d" xmlns="http://www.w3.org/2000/svg" '
        f'preserveAspectRatio="xMidYMid meet">',
        f'<title id="{chart_id}-t">{escape(title)}</title><desc id="{chart_id}-d">{escape(description)}</desc>',
    ]
    for i, b in enumerate(bars):
        y = top + i * row_h
        cls = STYLES[i % len(STYLES)][0]
        out.append(f'<text class="legend" x="{left}" y="{y + 14}">{escape(b.name)}</text>')
        if b.value is not None and b.value > 0:
            w = max(2.0, float(b.value / high) * plot_w * 0.62)
            out.append(f'<rect class="bar {cls}" x="{left}" y="{y + 20}" width="{w:.1f}" height="{bar_h}"/>')
            out.append(f'<text class="tick" x="{left + w + 6:.1f}" y="{y + 33}">{escape(b.text)}</text>')
        else:
            out.append(f'<text class="tick" x="{left}" y="{y + 33}">{escape(b.text)}</text>')
    out.append("</svg>")
    return Markup("".join(out))
