"""The escalation service, called directly (the worker tests call it through Celery)."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from accounts.models import Department, Role
from incidents.categories import Category
from incidents.models import Channel, EventKind, Notification, Report, ReportStatus
from incidents.services.escalation import Outcome, report_escalate, reports_escalate_due
from incidents.services.handling import report_acknowledge, report_reopen, report_resolve
from incidents.trail import verify_trail
from tests.factories import file_report, member

pytestmark = pytest.mark.django_db


def _kinds(report):
    return list(report.events.order_by("seq").values_list("kind", flat=True))


def test_filing_notifies_level_one_and_sets_the_first_deadline(production, crew, ladder_cast):
    before = timezone.now()
    report = file_report(production, crew, Category.MISFIRE)
    assert report.severity == "high"
    assert report.escalation_level == 1
    assert before + timedelta(minutes=15) <= report.next_escalation_at <= timezone.now() + timedelta(minutes=15)
    notified = set(
        Notification.objects.filter(report=report, channel=Channel.IN_APP).values_list("recipient", flat=True)
    )
    assert notified == {ladder_cast["department_head"].pk, ladder_cast["armorer"].pk}
    assert _kinds(report) == [EventKind.FILED]


def test_a_due_report_climbs_one_level_and_notifies_that_level(production, crew, ladder_cast):
    report = file_report(production, crew, Category.MISFIRE)
    later = report.next_escalation_at + timedelta(seconds=1)
    assert report_escalate(report_id=report.pk, expected_level=1, now=later) is Outcome.ESCALATED
    report.refresh_from_db()
    assert report.escalation_level == 2
    assert report.next_escalation_at == later + timedelta(minutes=15)
    event = report.events.get(kind=EventKind.ESCALATED)
    assert {n.recipient_id for n in event.notifications.filter(channel=Channel.IN_APP)} == {ladder_cast["safety"].pk}


def test_a_replayed_or_early_escalation_changes_nothing_and_writes_nothing(production, crew, ladder_cast):
    report = file_report(production, crew, Category.MISFIRE)
    assert report_escalate(report_id=report.pk, expected_level=1) is Outcome.NOT_DUE
    later = report.next_escalation_at + timedelta(seconds=1)
    assert report_escalate(report_id=report.pk, expected_level=1, now=later) is Outcome.ESCALATED
    events, notifications = report.events.count(), Notification.objects.count()
    assert report_escalate(report_id=report.pk, expected_level=1, now=later) is Outcome.STALE
    assert (report.events.count(), Notification.objects.count()) == (events, notifications)


def test_an_acknowledged_report_stops_climbing_until_its_resolution_deadline(production, crew, ladder_cast):
    report = file_report(production, crew, Category.MISFIRE)
    result = report_acknowledge(report_id=report.pk, user=ladder_cast["department_head"])
    assert result.won
    late = report.next_escalation_at + timedelta(seconds=1)
    assert report_escalate(report_id=report.pk, expected_level=1, now=late) is Outcome.NOT_DUE
    report.refresh_from_db()
    assert report.status == ReportStatus.ACKNOWLEDGED
    # Nobody acted on it: past the resolution deadline it goes up and needs a new acknowledgement.
    assert reports_escalate_due(now=report.next_escalation_at + timedelta(seconds=1)) == 1
    report.refresh_from_db()
    assert (report.status, report.escalation_level) == (ReportStatus.OPEN, 2)
    assert report.events.get(kind=EventKind.ESCALATED).payload["reason"] == "not_resolved"


def test_the_second_of_two_acknowledgements_learns_who_won(production, crew, ladder_cast):
    report = file_report(production, crew, Category.MISFIRE)
    first = report_acknowledge(report_id=report.pk, user=ladder_cast["department_head"])
    second = report_acknowledge(report_id=report.pk, user=ladder_cast["producer"])
    assert first.won and not second.won
    assert second.acknowledged_by == ladder_cast["department_head"]
    assert report.events.filter(kind=EventKind.ACKNOWLEDGED).count() == 1


def test_a_handler_told_at_level_1_still_acknowledges_after_the_report_climbed_past_them(production, crew, ladder_cast):
    report = file_report(production, crew, Category.MISFIRE)
    for level in (1, 2):
        report.refresh_from_db()
        report_escalate(report_id=report.pk, expected_level=level, now=report.next_escalation_at)

    assert report_acknowledge(report_id=report.pk, user=ladder_cast["department_head"]).won


def test_a_department_head_the_report_never_reached_cannot_acknowledge_once_it_climbed(production, crew, ladder_cast):
    camera_head = member(production, Role.DEPARTMENT_HEAD, Department.CAMERA, full_name="Cam Head")
    report = file_report(production, crew, Category.MISFIRE)  # a grip report: the grip head is told, not camera's
    for level in (1, 2):
        report.refresh_from_db()
        report_escalate(report_id=report.pk, expected_level=level, now=report.next_escalation_at)

    with pytest.raises(PermissionDenied):
        report_acknowledge(report_id=report.pk, user=camera_head)
    assert report_acknowledge(report_id=report.pk, user=ladder_cast["upm"]).won


def test_at_the_top_the_level_stays_and_the_top_level_is_reminded_a_bounded_number_of_times(
    production, crew, ladder_cast
):
    report = file_report(production, crew, Category.LIVE_AMMUNITION)
    for expected in (1, 2, 3, 4, 5, 5, 5, 5):
        report.refresh_from_db()
        assert (
            report_escalate(report_id=report.pk, expected_level=expected, now=report.next_escalation_at)
            is Outcome.ESCALATED
        )
    report.refresh_from_db()
    assert (report.escalation_level, report.reminder_count, report.next_escalation_at) == (5, 3, None)
    assert report_escalate(report_id=report.pk, expected_level=5, now=timezone.now()) is Outcome.STALE
    assert [e.payload["to_level"] for e in report.events.filter(kind=EventKind.ESCALATED)] == [2, 3, 4, 5]
    reminders = report.events.filter(kind=EventKind.REMINDED)
    assert reminders.count() == 3
    for event in reminders:
        assert {n.recipient_id for n in event.notifications.filter(channel=Channel.IN_APP)} == {
            ladder_cast["executive"].pk
        }
    # Emails to the executive about this report: the live round at once, level 5, three reminders.
    assert Notification.objects.filter(report=report, recipient=ladder_cast["executive"], channel="email").count() == 5
    assert report.events.filter(kind=EventKind.UNANSWERED_AT_TOP).count() == 1
    assert verify_trail(report).intact


def test_a_resolution_deadline_missed_at_the_top_starts_a_new_run_of_reminders(production, crew, ladder_cast):
    report = file_report(production, crew, Category.MISFIRE)
    for expected in (1, 2, 3, 4, 5):
        report.refresh_from_db()
        report_escalate(report_id=report.pk, expected_level=expected, now=report.next_escalation_at)
    report.refresh_from_db()
    assert report.reminder_count == 1
    assert report_acknowledge(report_id=report.pk, user=ladder_cast["executive"]).won
    report.refresh_from_db()
    report_escalate(report_id=report.pk, expected_level=5, now=report.next_escalation_at)
    report.refresh_from_db()
    assert (report.status, report.escalation_level, report.reminder_count) == (ReportStatus.OPEN, 5, 1)
    last = report.events.filter(kind=EventKind.REMINDED).order_by("-seq").first()
    assert last.payload["reason"] == "not_resolved"


def test_resolve_then_reopen_puts_it_back_to_open_with_a_fresh_deadline(production, crew, ladder_cast):
    report = file_report(production, crew, Category.FATIGUE)
    report_acknowledge(report_id=report.pk, user=ladder_cast["department_head"])
    report_resolve(report_id=report.pk, user=ladder_cast["department_head"], resolution="Turnaround fixed")
    report.refresh_from_db()
    assert report.status == ReportStatus.RESOLVED and report.next_escalation_at is None
    reopened = report_reopen(report_id=report.pk, user=crew, reason="Still 16-hour days")
    assert reopened.status == ReportStatus.OPEN and reopened.reopen_count == 1
    assert reopened.next_escalation_at > timezone.now()
    assert _kinds(report)[-1] == EventKind.REOPENED
    assert verify_trail(Report.objects.get(pk=report.pk)).intact


def test_the_sweeper_escalates_every_due_report_in_batches(production, crew, ladder_cast):
    reports = [file_report(production, crew, Category.OTHER) for _ in range(7)]
    later = max(r.next_escalation_at for r in reports) + timedelta(seconds=1)
    assert reports_escalate_due(now=later, limit=3) == 3
    assert reports_escalate_due(now=later, limit=3) == 3
    assert reports_escalate_due(now=later, limit=3) == 1
    assert reports_escalate_due(now=later, limit=3) == 0
    assert set(Report.objects.values_list("escalation_level", flat=True)) == {2}
    for report in Report.objects.all():
        assert verify_trail(report).intact


def test_department_heads_of_the_reports_department_are_told_first(production, crew):
    grip_head = member(production, Role.DEPARTMENT_HEAD, "grip")
    camera_head = member(production, Role.DEPARTMENT_HEAD, "camera")
    report = file_report(production, crew, Category.RIGGING, department="camera")
    notified = set(
        Notification.objects.filter(report=report, channel=Channel.IN_APP).values_list("recipient", flat=True)
    )
    assert camera_head.pk in notified and grip_head.pk not in notified
