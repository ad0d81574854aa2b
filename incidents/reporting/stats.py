"""Numbers about a production over time: the dashboard's trends and the weekly digest's summary.

Every figure is an aggregate query (a constant number of them, whatever the production's size). The
time to acknowledge is the time from filing to the report's first answer (its first acknowledgement,
or its resolution when a handler resolved it straight away), which the report keeps
(`first_answered_at`: no event is read); its median and 90th percentile per week come from
PostgreSQL's percentile_cont, or on SQLite from Python over one bounded query of (filed, first answer)
pairs (the same interpolation). The weekly series are the same for every handler
of a production and move slowly: the dashboard keeps their pictures in the shared cache for
TRENDS_CACHE_SECONDS; the count of unresolved reports by level is always live.
Weeks start on Monday in the production's time zone.
"""

import math
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from datetime import tzinfo as TzInfo

from django.db import connection
from django.db.models import Count, Q
from django.db.models.functions import TruncWeek
from django.utils import timezone

from accounts.models import Production
from incidents.categories import Category
from incidents.ladder import Ladder
from incidents.models import Event, EventKind, Report, ReportStatus

TREND_WEEKS = 12
TRENDS_CACHE_SECONDS = 120
# Enough for any real production's quarter; beyond it the percentiles come from the first pairs.
ACK_SAMPLE_MAX = 20_000
UNRESOLVED = (ReportStatus.OPEN, ReportStatus.ACKNOWLEDGED)


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def local_midnight(day: date, tz: TzInfo) -> datetime:
    return datetime.combine(day, time.min, tzinfo=tz)


def percentile(sorted_values: list[float], fraction: float) -> float | None:
    """Linear interpolation between closest ranks (what PostgreSQL's percentile_cont computes)."""
    if not sorted_values:
        return None
    rank = (len(sorted_values) - 1) * fraction
    low = math.floor(rank)
    high = min(low + 1, len(sorted_values) - 1)
    return sorted_values[low] + (sorted_values[high] - sorted_values[low]) * (rank - low)


def _week_of(value: date | datetime, tz: TzInfo) -> date:
    """The Monday of a TruncWeek result (a date, or a datetime aware or naive depending on the backend)."""
    if isinstance(value, datetime):
        value = timezone.localtime(value, tz).date() if timezone.is_aware(value) else value.date()
    return week_start(value)


@dataclass(frozen=True)
class LevelCount:
    number: int
    label: str
    open: int
    acknowledged: int


@dataclass(frozen=True)
class Trends:
    weeks: list[date]
    per_category: dict[str, list[int]]
    ack_median: list[float | None]
    ack_p90: list[float | None]
    ack_count: list[int]
    levels: list[LevelCount]
    reopened: list[int]
    ignored_warnings: list[int]

    @property
    def total_reports(self) -> int:
        return sum(sum(counts) for counts in self.per_category.values())


@dataclass(frozen=True)
class WeeklySeries:
    """The per-week part of the trends: slow to compute on a big production, slow to change."""

    weeks: list[date]
    per_category: dict[str, list[int]]
    ack_median: list[float | None]
    ack_p90: list[float | None]
    ack_count: list[int]
    reopened: list[int]


def weekly_series(*, production: Production, now: datetime, weeks: int = TREND_WEEKS) -> WeeklySeries:
    """The last `weeks` weeks (this one included) in three queries."""
    tz = production.tzinfo
    this_week = week_start(timezone.localtime(now, tz).date())
    week_list = [this_week - timedelta(weeks=n) for n in range(weeks - 1, -1, -1)]
    index = {week: i for i, week in enumerate(week_list)}
    start = local_midnight(week_list[0], tz)

    per_category: dict[str, list[int]] = defaultdict(lambda: [0] * weeks)
    filed = (
        Report.objects.filter(production=production, created_at__gte=start)
        .annotate(week=TruncWeek("created_at", tzinfo=tz))
        .values("week", "category")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for row in filed:
        i = index.get(_week_of(row["week"], tz))
        if i is not None:
            per_category[row["category"]][i] += row["n"]

    ack_median, ack_p90, ack_count = _answer_times(production, start, week_list)

    reopened = [0] * weeks
    reopen_rows = (
        Event.objects.filter(report__production=production, kind=EventKind.REOPENED, created_at__gte=start)
        .annotate(week=TruncWeek("created_at", tzinfo=tz))
        .values("week")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for row in reopen_rows:
        i = index.get(_week_of(row["week"], tz))
        if i is not None:
            reopened[i] += row["n"]

    return WeeklySeries(
        weeks=week_list,
        per_category={c: per_category[c] for c in Category.values if c in per_category},
        ack_median=ack_median,
        ack_p90=ack_p90,
        ack_count=ack_count,
        reopened=reopened,
    )


def trends_for(*, production: Production, ladder: Ladder, now: datetime, weeks: int = TREND_WEEKS) -> Trends:
    """Everything the trend pictures show, in four queries."""
    series = weekly_series(production=production, now=now, weeks=weeks)
    return Trends(
        weeks=series.weeks,
        per_category=series.per_category,
        ack_median=series.ack_median,
        ack_p90=series.ack_p90,
        ack_count=series.ack_count,
        levels=open_by_level(production=production, ladder=ladder),
        reopened=series.reopened,
        ignored_warnings=list(series.per_category.get(Category.IGNORED_WARNING, [0] * weeks)),
    )


# PostgreSQL computes the percentiles itself (12 rows back instead of one per answered report), from the
# reports alone: each keeps when it was first answered (no event is read).
ANSWER_PERCENTILES_SQL = """
SELECT week, count(*), percentile_cont(0.5) WITHIN GROUP (ORDER BY seconds),
       percentile_cont(0.9) WITHIN GROUP (ORDER BY seconds)
FROM (
    SELECT (date_trunc('week', created_at AT TIME ZONE %s))::date AS week,
           GREATEST(EXTRACT(EPOCH FROM first_answered_at - created_at), 0) AS seconds
    FROM {report}
    WHERE production_id = %s AND created_at >= %s AND first_answered_at IS NOT NULL
) answered
GROUP BY week
"""


def _answer_times(
    production: Production, start: datetime, week_list: list[date]
) -> tuple[list[float | None], list[float | None], list[int]]:
    """Median and 90th percentile of the time to first answer, per week filed (seconds), and counts."""
    tz = production.tzinfo
    index = {week: i for i, week in enumerate(week_list)}
    medians: list[float | None] = [None] * len(week_list)
    p90s: list[float | None] = [None] * len(week_list)
    counts = [0] * len(week_list)
    if connection.vendor == "postgresql":
        sql = ANSWER_PERCENTILES_SQL.format(report=connection.ops.quote_name(Report._meta.db_table))
        with connection.cursor() as cursor:
            cursor.execute(sql, [production.timezone, production.pk, start])
            for week, count, median, p90 in cursor.fetchall():
                i = index.get(week_start(week))
                if i is not None:
                    medians[i], p90s[i], counts[i] = float(median), float(p90), count
        return medians, p90s, counts

    delays: list[list[float]] = [[] for _ in week_list]
    answers = Report.objects.filter(
        production=production, created_at__gte=start, first_answered_at__isnull=False
    ).values_list("created_at", "first_answered_at")[:ACK_SAMPLE_MAX]
    for filed_at, first in answers:
        i = index.get(week_start(timezone.localtime(filed_at, tz).date()))
        if i is not None:
            delays[i].append(max((first - filed_at).total_seconds(), 0.0))
    for i, bucket in enumerate(delays):
        bucket.sort()
        medians[i], p90s[i], counts[i] = percentile(bucket, 0.5), percentile(bucket, 0.9), len(bucket)
    return medians, p90s, counts


def open_by_level(*, production: Production, ladder: Ladder) -> list[LevelCount]:
    """Unresolved reports at each level of the ladder (every level shown, empty or not)."""
    counts: dict[int, dict[str, int]] = defaultdict(lambda: {ReportStatus.OPEN: 0, ReportStatus.ACKNOWLEDGED: 0})
    rows = (
        Report.objects.filter(production=production, status__in=UNRESOLVED)
        .values("escalation_level", "status")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for row in rows:
        # A report an older, longer ladder left past today's top is counted at the top, as it is shown.
        counts[min(row["escalation_level"], ladder.top)][row["status"]] += row["n"]
    numbers = sorted({level.number for level in ladder.levels} | set(counts))
    return [
        LevelCount(
            number=number,
            label=ladder.level(number).roles_display(),
            open=counts[number][ReportStatus.OPEN],
            acknowledged=counts[number][ReportStatus.ACKNOWLEDGED],
        )
        for number in numbers
    ]


@dataclass(frozen=True)
class WeekSummary:
    start: datetime
    end: datetime
    new_reports: int
    critical: int
    stop_work_calls: int
    missed_deadline: int
    still_unresolved: int
    acknowledged: int
    median_ack_seconds: float | None
    reopened: int


def week_summary(*, production: Production, start: datetime, end: datetime) -> WeekSummary:
    """What happened in [start, end): new reports, deadlines missed, time to acknowledge, stop-work calls.
    `still_unresolved` is counted now, over every report of the production."""
    in_week = Q(created_at__gte=start, created_at__lt=end)
    totals = Report.objects.filter(production=production).aggregate(
        new_reports=Count("pk", filter=in_week),
        critical=Count("pk", filter=in_week & Q(severity="critical")),
        stop_work_calls=Count("pk", filter=in_week & Q(category=Category.STOP_WORK)),
        still_unresolved=Count("pk", filter=Q(status__in=UNRESOLVED)),
    )
    week_events = Event.objects.filter(report__production=production, created_at__gte=start, created_at__lt=end)
    # A reminder at the top is a missed deadline too (it is no longer an escalation).
    missed = (
        week_events.filter(kind__in=(EventKind.ESCALATED, EventKind.REMINDED)).values("report_id").distinct().count()
    )
    reopened = week_events.filter(kind=EventKind.REOPENED).count()
    answers = Report.objects.filter(
        production=production, first_answered_at__gte=start, first_answered_at__lt=end
    ).values_list("created_at", "first_answered_at")[:ACK_SAMPLE_MAX]
    delays = sorted(max((first - filed_at).total_seconds(), 0.0) for filed_at, first in answers)
    return WeekSummary(
        start=start,
        end=end,
        missed_deadline=missed,
        acknowledged=len(delays),
        median_ack_seconds=percentile(delays, 0.5),
        reopened=reopened,
        **totals,
    )
