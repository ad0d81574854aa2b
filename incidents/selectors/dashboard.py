"""The handlers' queue: what needs me now, in a constant number of queries whatever the production's size.

Three lists (needs acknowledgement by deadline, acknowledged awaiting action by resolution deadline,
recently resolved), their totals, the active stop-work calls and the ladder that says who may
acknowledge what. The same filters drive the page, the polled fragment and the CSV export.
"""

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from functools import cached_property
from typing import Any

from django.db.models import Case, Count, F, IntegerField, OuterRef, Q, QuerySet, Subquery, Value, When
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone

from accounts.models import Department, Production, User
from incidents import access
from incidents.categories import Category, Severity
from incidents.formatting import Countdown, countdown, local_datetime
from incidents.ladder import Ladder, ladder_for, levels_words
from incidents.models import ActionStatus, CorrectiveAction, Report, ReportStatus
from incidents.selectors.reports import active_stop_work_seen_by, reports_people_attach

# What a phone shows without endless scrolling; the counts say how many more, the filters and the CSV
# reach them.
LIST_LIMIT = 20
AWAITING_LIMIT = 15
RESOLVED_LIMIT = 10
RESOLVED_WINDOW = timedelta(days=7)
SEARCH_MAX_WORDS = 6
# What the lists show (and what access.reporter_label / person_label read): not the long texts.
PERSON_COLUMNS = ("id", "full_name", "email")
LIST_PEOPLE = ("reporter", "acknowledged_by", "resolved_by")
ROW_COLUMNS = (
    "id",
    "production_id",
    "category",
    "severity",
    "title",
    "location",
    "department",
    "identity",
    "show_department",
    "revealed_at",
    "reporter_id",
    "concerns_person_id",
    "concerns_role",
    "status",
    "escalation_level",
    "next_escalation_at",
    "reminder_count",
    "unanswered_at_top_at",
    "acknowledged_by_id",
    "acknowledged_at",
    "resolved_by_id",
    "resolved_at",
    "created_at",
)
# The export streams its rows in chunks, so there the people stay joined.
LIST_COLUMNS = (*ROW_COLUMNS, *(f"{person}__{column}" for person in LIST_PEOPLE for column in PERSON_COLUMNS))
REPORT_NUMBER = re.compile(r"^#?(\d{1,12})$")
EXPORT_CHUNK = 2000


def reports_filtered(production: Production, filters: dict[str, Any]) -> QuerySet[Report]:
    """The production's reports narrowed by the dashboard's filters (all statuses unless one is chosen).

    The search never looks at who filed a report: searching a name must not reveal which confidential
    reports that person filed."""
    reports = Report.objects.filter(production=production)
    for name in ("category", "severity", "status", "department"):
        if filters.get(name):
            reports = reports.filter(**{name: filters[name]})
    if filters.get("level"):
        reports = reports.filter(escalation_level=filters["level"])
    query = (filters.get("q") or "").strip()
    if query:
        number = REPORT_NUMBER.match(query)
        if number:
            reports = reports.filter(pk=int(number.group(1)))
        else:
            for word in query.split()[:SEARCH_MAX_WORDS]:
                reports = reports.filter(
                    Q(title__icontains=word)
                    | Q(description__icontains=word)
                    | Q(location__icontains=word)
                    | Q(weapon__icontains=word)
                )
    return reports


@dataclass
class QueueRow:
    """A report as the lists show it, its words computed once here rather than per template lookup
    (the times only when a list shows them: formatting dates is the costly part)."""

    report: Report
    url: str
    acknowledge_url: str
    category: str
    severity: str
    department: str
    reporter: str
    level_label: str
    countdown: Countdown
    can_acknowledge: bool
    acknowledged_by: str
    resolved_by: str
    tz: tzinfo

    @cached_property
    def deadline(self) -> str:
        return local_datetime(self.countdown.deadline, self.tz)

    @cached_property
    def filed(self) -> str:
        return local_datetime(self.report.created_at, self.tz)

    @cached_property
    def acknowledged_at(self) -> str:
        return local_datetime(self.report.acknowledged_at, self.tz)

    @cached_property
    def resolved_at(self) -> str:
        return local_datetime(self.report.resolved_at, self.tz)


@dataclass(frozen=True)
class QueueCounts:
    open: int
    overdue: int
    acknowledged: int
    resolution_overdue: int
    resolved_recently: int


@dataclass(frozen=True)
class Queue:
    production: Production
    now: datetime
    stop_work: list[Report]
    needs_acknowledgement: list[QueueRow]
    awaiting_action: list[QueueRow]
    recently_resolved: list[QueueRow]
    counts: QueueCounts

    @property
    def needs_more(self) -> int:
        return max(self.counts.open - len(self.needs_acknowledgement), 0)

    @property
    def awaiting_more(self) -> int:
        return max(self.counts.acknowledged - len(self.awaiting_action), 0)

    @property
    def resolved_more(self) -> int:
        return max(self.counts.resolved_recently - len(self.recently_resolved), 0)


def _url_pattern(name: str) -> str:
    """A report URL with "{}" for its id, reversed once per list instead of once per row."""
    sentinel = 987654321
    return reverse(name, args=[sentinel]).replace(str(sentinel), "{}")


def _labels(choices: list[tuple[str, Any]]) -> dict[str, str]:
    return {value: str(label) for value, label in choices}


def _rows(reports: list[Report], viewer: User, ladder: Ladder, now: datetime, production_tz: tzinfo) -> list[QueueRow]:
    categories, severities = _labels(Category.choices), _labels(Severity.choices)
    departments = _labels(Department.choices)
    detail_url, acknowledge_url = _url_pattern("report_detail"), _url_pattern("report_acknowledge")
    rows = []
    words = levels_words(ladder, reports)
    takeable = access.reports_may_act_on(
        viewer, [r for r in reports if r.status == ReportStatus.OPEN], lambda _report: ladder
    )
    for report in reports:
        due = countdown(report, now)
        rows.append(
            QueueRow(
                report=report,
                url=detail_url.format(report.pk),
                acknowledge_url=acknowledge_url.format(report.pk),
                category=categories.get(report.category, report.category),
                severity=severities.get(report.severity, report.severity),
                department=departments.get(report.department, ""),
                reporter=access.reporter_label(report, viewer, mid_sentence=True),
                level_label=words[report.pk],
                countdown=due,
                can_acknowledge=report.pk in takeable,
                acknowledged_by=access.person_label(report.acknowledged_by, report, viewer),
                resolved_by=access.person_label(report.resolved_by, report, viewer),
                tz=production_tz,
            )
        )
    return rows


def _by_deadline(reports: QuerySet[Report]) -> QuerySet[Report]:
    """Unanswered at the top first (they have no deadline left), then by deadline."""
    unanswered = Case(
        When(status=ReportStatus.OPEN, unanswered_at_top_at__isnull=False, then=Value(0)),
        default=Value(1),
        output_field=IntegerField(),
    )
    return reports.order_by(unanswered, F("next_escalation_at").asc(nulls_last=True), "created_at", "pk")


def dashboard_queue(
    *, production: Production, viewer: User, filters: dict[str, Any], now: datetime, ladder: Ladder | None = None
) -> Queue:
    """The three lists and their totals: 6 queries (plus the ladder's 3 unless given), whatever the
    number of reports."""
    reports = reports_filtered(production, filters)
    resolved_since = now - RESOLVED_WINDOW
    # Only the rows some count looks at: old resolved reports (most of a production) are skipped by index.
    counted = reports.filter(
        Q(status__in=(ReportStatus.OPEN, ReportStatus.ACKNOWLEDGED))
        | Q(status=ReportStatus.RESOLVED, resolved_at__gte=resolved_since)
    )
    totals = counted.aggregate(
        open=Count("pk", filter=Q(status=ReportStatus.OPEN)),
        # Unanswered at the top has no deadline left: it is the most overdue of all (its row says so too).
        overdue=Count(
            "pk",
            filter=Q(status=ReportStatus.OPEN)
            & (Q(next_escalation_at__lt=now) | Q(unanswered_at_top_at__isnull=False)),
        ),
        acknowledged=Count("pk", filter=Q(status=ReportStatus.ACKNOWLEDGED)),
        resolution_overdue=Count("pk", filter=Q(status=ReportStatus.ACKNOWLEDGED, next_escalation_at__lt=now)),
        resolved_recently=Count("pk", filter=Q(status=ReportStatus.RESOLVED, resolved_at__gte=resolved_since)),
    )
    listed = reports.only(*ROW_COLUMNS)
    needs = list(_by_deadline(listed.filter(status=ReportStatus.OPEN))[:LIST_LIMIT])
    awaiting = list(_by_deadline(listed.filter(status=ReportStatus.ACKNOWLEDGED))[:AWAITING_LIMIT])
    resolved = list(
        listed.filter(status=ReportStatus.RESOLVED, resolved_at__gte=resolved_since).order_by("-resolved_at", "-pk")[
            :RESOLVED_LIMIT
        ]
    )
    # The rows' people in one query: joined to each list, PostgreSQL planned each list longer than it ran it.
    reports_people_attach([*needs, *awaiting, *resolved], LIST_PEOPLE, PERSON_COLUMNS)
    ladder = ladder or ladder_for(production)
    return Queue(
        production=production,
        now=now,
        stop_work=active_stop_work_seen_by(viewer, production.pk),
        needs_acknowledgement=_rows(needs, viewer, ladder, now, production.tzinfo),
        awaiting_action=_rows(awaiting, viewer, ladder, now, production.tzinfo),
        recently_resolved=_rows(resolved, viewer, ladder, now, production.tzinfo),
        counts=QueueCounts(**totals),
    )


def reports_for_export(production: Production, filters: dict[str, Any]) -> Iterator[Report]:
    """Every report matching the filters, oldest first, streamed in chunks (a big production's export
    never sits in memory at once)."""
    reports = (
        reports_filtered(production, filters)
        .select_related("reporter", "acknowledged_by", "resolved_by")
        .only(*LIST_COLUMNS, "reopen_count")
        .annotate(
            # Subqueries, not a join: each report stays one row, and the export one query.
            actions_total=_action_count(),
            actions_verified=_action_count(status=ActionStatus.VERIFIED),
            actions_overdue=_action_count(status=ActionStatus.PLANNED, due_at__lt=timezone.now()),
        )
        .order_by("created_at", "pk")
    )
    return reports.iterator(chunk_size=EXPORT_CHUNK)


def _action_count(**conditions: Any) -> Coalesce:
    counted = (
        CorrectiveAction.objects.filter(report_id=OuterRef("pk"), **conditions)
        .order_by()
        .values("report_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))
