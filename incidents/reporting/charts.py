"""Bar charts as plain geometry for an SVG template: no JavaScript, no inline styles (colours are SVG
presentation attributes, which the Content-Security-Policy allows), and a text alternative (a summary
for <desc> and the numbers as a table) for every chart.

The viewBox is small (360 x 200) so that its text stays legible when a phone scales it to the screen.
"""

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date

from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from incidents.categories import Category
from incidents.formatting import day_month, duration_text

from .stats import LevelCount, WeeklySeries

WIDTH = 360
HEIGHT = 200
LEFT = 40
RIGHT = 8
TOP = 10
BOTTOM = 26
CHAR_WIDTH = 6.2  # average width of an 11-unit label, to thin out the x labels that would overlap

# Colour-blind-safe palette (Okabe-Ito first), one colour per category, fixed so weeks compare.
CATEGORY_COLOURS = dict(
    zip(
        Category.values,
        [
            "#D55E00",
            "#7F0000",
            "#E69F00",
            "#CC79A7",
            "#0072B2",
            "#56B4E9",
            "#009E73",
            "#F0E442",
            "#882255",
            "#44AA99",
            "#332288",
            "#999999",
        ],
        strict=True,
    )
)
MEDIAN_COLOUR = "#0072B2"
P90_COLOUR = "#E69F00"
OPEN_COLOUR = "#D55E00"
ACKNOWLEDGED_COLOUR = "#0072B2"
REOPENED_COLOUR = "#CC79A7"
IGNORED_COLOUR = "#009E73"


@dataclass(frozen=True)
class Series:
    name: str
    colour: str
    values: Sequence[float | None]


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    colour: str
    label: str


@dataclass(frozen=True)
class Tick:
    y: float
    label: str


@dataclass(frozen=True)
class XLabel:
    x: float
    text: str


@dataclass(frozen=True)
class Chart:
    id: str
    title: str
    description: str
    bars: list[Bar]
    ticks: list[Tick]
    x_labels: list[XLabel]
    legend: list[Series]
    table_head: list[str]
    table_rows: list[list[str]]
    empty: bool
    width: int = WIDTH
    height: int = HEIGHT
    plot_left: int = LEFT
    plot_right: int = WIDTH - RIGHT
    plot_bottom: int = HEIGHT - BOTTOM

    @property
    def centre_x(self) -> int:
        return (self.plot_left + self.plot_right) // 2

    @property
    def centre_y(self) -> int:
        return (TOP + self.plot_bottom) // 2


def nice_step(maximum: float, ticks: int = 4, integer: bool = True) -> float:
    """A round step (1, 2 or 5 times a power of ten) that covers `maximum` in about `ticks` steps."""
    if maximum <= 0:
        return 1.0
    raw = maximum / ticks
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    return max(step, 1.0) if integer else step


def _number(value: float) -> str:
    return formats.number_format(round(value, 1) if value % 1 else int(value))


def bar_chart(
    *,
    chart_id: str,
    title: str,
    description: str,
    x_labels: Sequence[str],
    series: Sequence[Series],
    stacked: bool,
    group_heading: str,
    value_format: Callable[[float], str] = _number,
    integer: bool = True,
    min_step: float = 1.0,
) -> Chart:
    """Vertical bars, one group per x label: stacked (one bar per group) or side by side."""
    groups = len(x_labels)
    plot_w = WIDTH - LEFT - RIGHT
    plot_h = HEIGHT - TOP - BOTTOM
    totals = [
        (sum(s.values[i] or 0 for s in series) if stacked else max((s.values[i] or 0 for s in series), default=0))
        for i in range(groups)
    ]
    peak = max(totals, default=0)
    step = max(nice_step(peak, integer=integer), min_step)
    top = step * max(math.ceil(peak / step), 1)
    scale = plot_h / top
    slot = plot_w / max(groups, 1)
    bar_area = slot * 0.75
    bars: list[Bar] = []
    for i, group in enumerate(x_labels):
        x0 = LEFT + slot * i + (slot - bar_area) / 2
        base = HEIGHT - BOTTOM
        width = bar_area if stacked else bar_area / max(len(series), 1)
        for k, s in enumerate(series):
            value = s.values[i]
            if not value:
                continue
            height = value * scale
            x = x0 if stacked else x0 + width * k
            y = base - height
            label = f"{group} · {s.name}: {value_format(value)}"
            bars.append(Bar(round(x, 2), round(y, 2), round(width, 2), round(height, 2), s.colour, label))
            if stacked:
                base = y
    ticks = [
        Tick(round(HEIGHT - BOTTOM - value * scale, 2), value_format(value))
        for value in (step * n for n in range(round(top / step) + 1))
    ]
    longest = max((len(label) for label in x_labels), default=1)
    every = max(1, math.ceil(longest * CHAR_WIDTH / slot))
    labels = [
        XLabel(round(LEFT + slot * i + slot / 2, 2), text)
        for i, text in enumerate(x_labels)
        if (groups - 1 - i) % every == 0  # always label the latest group
    ]
    rows = [
        [group, *[value_format(s.values[i]) if s.values[i] is not None else _("none") for s in series]]
        for i, group in enumerate(x_labels)
    ]
    return Chart(
        id=chart_id,
        title=title,
        description=description,
        bars=bars,
        ticks=ticks,
        x_labels=labels,
        legend=list(series),
        table_head=[group_heading, *[s.name for s in series]],
        table_rows=rows,
        empty=not bars,
    )


def week_label(week: date) -> str:
    return day_month(week)


def _duration_unit(values: Sequence[float | None]) -> tuple[float, str]:
    peak = max((v for v in values if v is not None), default=0)
    if peak >= 3 * 3600:
        return 3600.0, _("hours")
    return 60.0, _("minutes")


def weekly_charts(series: WeeklySeries) -> list[Chart]:
    """The three weekly pictures (reports by category, time to acknowledge, reopened and ignored
    warnings), each with its summary in words."""
    weeks = [week_label(w) for w in series.weeks]
    week_head = _("Week of")
    charts = []

    category_series = [
        Series(str(Category(c).label), CATEGORY_COLOURS[c], counts) for c, counts in series.per_category.items()
    ]
    total = sum(sum(counts) for counts in series.per_category.values())
    busiest = max(range(len(weeks)), key=lambda i: sum(s.values[i] or 0 for s in category_series), default=0)
    busiest_count = sum(s.values[busiest] or 0 for s in category_series)
    charts.append(
        bar_chart(
            chart_id="chart-categories",
            title=_("Reports per week, by category"),
            description=ngettext(
                "%(total)s report in the last %(weeks)s weeks; "
                "the busiest week was the week of %(week)s with %(count)s.",
                "%(total)s reports in the last %(weeks)s weeks; "
                "the busiest week was the week of %(week)s with %(count)s.",
                total,
            )
            % {"total": total, "weeks": len(weeks), "week": weeks[busiest], "count": busiest_count}
            if total
            else _("No reports in the last %(weeks)s weeks.") % {"weeks": len(weeks)},
            x_labels=weeks,
            series=category_series,
            stacked=True,
            group_heading=week_head,
        )
    )

    divisor, unit = _duration_unit(series.ack_p90)
    median = [v / divisor if v is not None else None for v in series.ack_median]
    p90 = [v / divisor if v is not None else None for v in series.ack_p90]
    last = next((i for i in range(len(weeks) - 1, -1, -1) if series.ack_median[i] is not None), None)
    if last is None:
        description = _("No report was acknowledged in the last %(weeks)s weeks.") % {"weeks": len(weeks)}
    else:
        answered = sum(series.ack_count)
        description = ngettext(
            "%(count)s report answered. Latest week with answers (%(week)s): median %(median)s, "
            "90th percentile %(p90)s.",
            "%(count)s reports answered. Latest week with answers (%(week)s): median %(median)s, "
            "90th percentile %(p90)s.",
            answered,
        ) % {
            "count": answered,
            "week": weeks[last],
            "median": duration_text(series.ack_median[last] or 0),
            "p90": duration_text(series.ack_p90[last] or 0),
        }
    charts.append(
        bar_chart(
            chart_id="chart-ack",
            title=_("Time to acknowledge (%(unit)s), by week filed") % {"unit": unit},
            description=description,
            x_labels=weeks,
            series=[Series(_("Median"), MEDIAN_COLOUR, median), Series(_("90th percentile"), P90_COLOUR, p90)],
            stacked=False,
            group_heading=week_head,
            integer=False,
            min_step=0.5,  # a quarter of an hour or a few seconds: the axis still reads in round units
        )
    )

    ignored = series.per_category.get(Category.IGNORED_WARNING, [0] * len(weeks))
    charts.append(
        bar_chart(
            chart_id="chart-warnings",
            title=_("Reopened reports and ignored warnings, per week"),
            description=_(
                "In the last %(weeks)s weeks: reopened as not fixed: %(reopened)s; "
                "ignored-warning reports filed: %(ignored)s."
            )
            % {"weeks": len(weeks), "reopened": sum(series.reopened), "ignored": sum(ignored)},
            x_labels=weeks,
            series=[
                Series(_("Reopened"), REOPENED_COLOUR, series.reopened),
                Series(_("Ignored-warning reports"), IGNORED_COLOUR, ignored),
            ],
            stacked=False,
            group_heading=week_head,
        )
    )
    return charts


def levels_chart(levels: list[LevelCount]) -> Chart:
    """Unresolved reports at each level right now (never cached)."""
    open_total = sum(lc.open for lc in levels)
    acknowledged_total = sum(lc.acknowledged for lc in levels)
    highest = next((lc for lc in reversed(levels) if lc.open or lc.acknowledged), None)
    return bar_chart(
        chart_id="chart-levels",
        title=_("Unresolved reports by escalation level, now"),
        description=(
            _(
                "%(open)s waiting for acknowledgement and %(ack)s acknowledged but not resolved; "
                "the highest level reached is %(level)s (%(roles)s)."
            )
            % {"open": open_total, "ack": acknowledged_total, "level": highest.number, "roles": highest.label}
            if highest
            else _("Nothing is waiting: every report is resolved.")
        ),
        x_labels=[_("Level %(number)s") % {"number": lc.number} for lc in levels],
        series=[
            Series(_("Waiting for acknowledgement"), OPEN_COLOUR, [lc.open for lc in levels]),
            Series(_("Acknowledged, awaiting action"), ACKNOWLEDGED_COLOUR, [lc.acknowledged for lc in levels]),
        ],
        stacked=True,
        group_heading=_("Level"),
    )
