"""Steps the fault cases share: file a burst of reports, wait for them to climb, wait for every
delivery to settle, and read back when (and in how many sweeps) they escalated."""

import uuid
from datetime import datetime, timedelta

from accounts.models import Production, User
from incidents.models import Event, EventKind, Notification, Report
from tests.factories import file_report
from tests.live import wait_until

UNSETTLED = (Notification.Status.PENDING, Notification.Status.SENDING)


def reports_file(production: Production, reporter: User, count: int, label: str) -> tuple[list[int], list[str]]:
    """File `count` reports through the filing service; returns their ids and (unique) titles."""
    run = uuid.uuid4().hex[:6]
    titles = [f"{label} {run} #{n}" for n in range(count)]
    ids = [file_report(production, reporter, title=title).pk for title in titles]
    return ids, titles


def escalated_to(ids: list[int], level: int) -> int:
    return Report.objects.filter(pk__in=ids, escalation_level__gte=level).count()


def wait_escalated(ids: list[int], *, level: int = 2, timeout: float) -> None:
    wait_until(
        lambda: escalated_to(ids, level) == len(ids),
        timeout=timeout,
        interval=0.1,
        message=f"all {len(ids)} reports to reach level {level} ({escalated_to(ids, level)} so far)",
    )


def unsettled(ids: list[int]) -> int:
    return Notification.objects.filter(report_id__in=ids, status__in=UNSETTLED).count()


def wait_settled(ids: list[int], *, timeout: float) -> None:
    """Every notification of these reports sent or marked failed."""
    wait_until(lambda: unsettled(ids) == 0, timeout=timeout, interval=0.2, message="every delivery to settle")


def escalation_times(ids: list[int]) -> list[datetime]:
    return list(Event.objects.filter(report_id__in=ids, kind=EventKind.ESCALATED).values_list("created_at", flat=True))


def escalation_lags(ids: list[int], *, level_one: timedelta) -> list[float]:
    """Seconds from each report's first deadline (filed + level_one) to its escalation."""
    filed = dict(Report.objects.filter(pk__in=ids).values_list("pk", "created_at"))
    escalated = Event.objects.filter(report_id__in=ids, kind=EventKind.ESCALATED, payload__from_level=1)
    return [(e.created_at - (filed[e.report_id] + level_one)).total_seconds() for e in escalated]
