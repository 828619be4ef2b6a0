"""A bar chart drawn on the server as SVG: no script, no style attribute (the CSP forbids both), colours by
presentation attributes that app.css may refine. Each bar carries a <title> (shown on hover) and the chart a
title and description for screen readers; the page also shows its figures as a table.

Coordinates are computed in Decimal from Decimal amounts, so no amount ever passes through a float."""

from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

ONE_DECIMAL = Decimal("0.1")
NICE_STEPS = [Decimal("1"), Decimal("2"), Decimal("2.5"), Decimal("5"), Decimal("10")]
TICKS = 4  # about this many gridlines above (and below) zero


@dataclass(frozen=True)
class Series:
    """One layer of the stacked bars: its name in the legend and hover text, and its colour."""

    name: str
    css_class: str
    fill: str


@dataclass(frozen=True)
class Bar:
    """One bar: its axis label, an optional second label line (the year), its hover text, and one value
    per series, stacked from zero in the series' order."""

    label: str
    title: str
    values: tuple[Decimal, ...]
    sublabel: str = ""


def short_dollars(value: Decimal) -> str:
    """An axis label: $0, $800, $1.5k, $12k, $1.2M, −$2k."""
    sign, amount = ("−" if value < 0 else ""), abs(value)
    for unit, size in (("M", Decimal(1_000_000)), ("k", Decimal(1000))):
        if amount >= size:
            scaled = (amount / size).quantize(ONE_DECIMAL)
            text = f"{scaled:f}".removesuffix(".0")
            return f"{sign}${text}{unit}"
    if amount == amount.to_integral():
        amount = amount.quantize(Decimal(1))
    return f"{sign}${amount:f}"


def nice_step(span: Decimal) -> Decimal:
    """A round gridline step (1, 2, 2.5 or 5 times a power of ten) giving about TICKS lines over `span`."""
    if span <= 0:
        return Decimal(1)
    raw = span / TICKS
    magnitude = Decimal(1).scaleb(raw.adjusted())
    return next(step * magnitude for step in NICE_STEPS if step * magnitude >= raw)


def _scale_bounds(bars: list[Bar]) -> tuple[Decimal, Decimal, Decimal]:
    """The axis' bottom, top and step: round numbers that hold zero and every stacked edge."""
    edges = [Decimal(0)]
    for bar in bars:
        running = Decimal(0)
        for value in bar.values:
            running += value
            edges.append(running)
    low, high = min(edges), max(edges)
    step = nice_step(high - low)
    bottom = (low / step).to_integral_value(ROUND_FLOOR) * step
    top = (high / step).to_integral_value(ROUND_CEILING) * step
    if top == bottom:
        top = bottom + step
    return bottom, top, step


def _joined(parts: list[SafeString]) -> SafeString:
    return format_html_join("", "{}", ((part,) for part in parts))


def _n(value: Decimal) -> str:
    return f"{value.quantize(ONE_DECIMAL):f}"


def bar_chart(
    bars: list[Bar],
    series: list[Series],
    *,
    title: str,
    description: str,
    id_prefix: str = "chart",
    width: int = 720,
    height: int = 280,
) -> SafeString:
    """The chart as an inline <svg>: y axis in dollars with gridlines, one (stacked) bar per entry."""
    left, right, top_pad, bottom_pad = Decimal(64), Decimal(12), Decimal(14), Decimal(44)
    plot_width = Decimal(width) - left - right
    plot_height = Decimal(height) - top_pad - bottom_pad
    bottom, top, step = _scale_bounds(bars)

    def y(value: Decimal) -> Decimal:
        return top_pad + (top - value) / (top - bottom) * plot_height

    parts = []
    tick = bottom
    while tick <= top:
        parts.append(
            format_html(
                '<line class="chart-grid{}" x1="{}" x2="{}" y1="{}" y2="{}" stroke="#e3e5ea"/>'
                '<text class="chart-axis-label" x="{}" y="{}" text-anchor="end" fill="#5d6475">{}</text>',
                " chart-zero" if tick == 0 else "",
                _n(left),
                _n(left + plot_width),
                _n(y(tick)),
                _n(y(tick)),
                _n(left - 6),
                _n(y(tick) + 4),
                short_dollars(tick),
            )
        )
        tick += step

    slot = plot_width / max(len(bars), 1)
    bar_width = slot * Decimal("0.7")
    label_every = max(1, -(-len(bars) // 24))  # at most 24 month labels
    for index, bar in enumerate(bars):
        x = left + slot * index
        rects = []
        running = Decimal(0)
        for value, layer in zip(bar.values, series, strict=True):
            start, running = running, running + value
            upper, lower = max(start, running), min(start, running)
            rects.append(
                format_html(
                    '<rect class="{}" x="{}" y="{}" width="{}" height="{}" fill="{}"/>',
                    layer.css_class,
                    _n(x + (slot - bar_width) / 2),
                    _n(y(upper)),
                    _n(bar_width),
                    _n(y(lower) - y(upper)),
                    layer.fill,
                )
            )
        labels = ""
        if index % label_every == 0 or bar.sublabel:
            labels = format_html(
                '<text class="chart-month" x="{}" y="{}" text-anchor="middle" fill="#1f2330">{}</text>',
                _n(x + slot / 2),
                _n(top_pad + plot_height + 16),
                bar.label,
            )
        if bar.sublabel:
            labels += format_html(
                '<text class="chart-year" x="{}" y="{}" text-anchor="middle" fill="#5d6475">{}</text>',
                _n(x + slot / 2),
                _n(top_pad + plot_height + 32),
                bar.sublabel,
            )
        parts.append(
            format_html(
                '<g class="chart-bar"><title>{}</title>'
                '<rect class="chart-hit" x="{}" y="{}" width="{}" height="{}" fill="none" '
                'pointer-events="all"/>'
                "{}{}</g>",
                bar.title,
                _n(x),
                _n(top_pad),
                _n(slot),
                _n(plot_height),
                _joined(rects),
                labels,
            )
        )

    return format_html(
        '<svg class="chart" viewBox="0 0 {} {}" role="img" aria-labelledby="{}-title {}-desc" '
        'xmlns="http://www.w3.org/2000/svg"><title id="{}-title">{}</title><desc id="{}-desc">{}</desc>'
        '{}<line class="chart-axis" x1="{}" x2="{}" y1="{}" y2="{}" stroke="#9aa0ad"/></svg>',
        width,
        height,
        id_prefix,
        id_prefix,
        id_prefix,
        title,
        id_prefix,
        description,
        _joined(parts),
        _n(left),
        _n(left),
        _n(top_pad),
        _n(top_pad + plot_height),
    )


def legend(series: list[Series]) -> SafeString:
    """The series' names beside swatches of their colours (an SVG swatch each: no style attribute)."""
    return format_html(
        '<ul class="chart-legend">{}</ul>',
        format_html_join(
            "",
            '<li><svg class="chart-swatch" viewBox="0 0 12 12" aria-hidden="true" width="12" height="12">'
            '<rect class="{}" width="12" height="12" rx="2" fill="{}"/></svg> {}</li>',
            ((layer.css_class, layer.fill, layer.name) for layer in series),
        ),
    )
