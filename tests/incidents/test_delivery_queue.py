"""Deliveries never wait behind escalations: they travel on their own queue, to their own workers."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import Department, Role
from incidents.models import Channel, Event, EventKind, Notification, Report
from incidents.services import delivery
from incidents.services.filing import report_file
from incidents.services.policy import policy_set_speed
from incidents.tasks import deliver_notification, deliver_notifications, escalate_report
from incidents.trail import verify_trail
from safetrack import task_names
from safetrack.queues import DELIVERY_QUEUE, ESCALATION_QUEUE
from tests.factories import draft, member
from tests.live import wait_until

HOUR = timedelta(hours=1)


def test_the_delivery_task_is_routed_to_the_delivery_queue_and_the_timers_are_not():
    routes = settings.CELERY_TASK_ROUTES
    assert deliver_notification.name == task_names.DELIVER_NOTIFICATION
    assert routes[task_names.DELIVER_NOTIFICATION] == {"queue": DELIVERY_QUEUE}
    assert escalate_report.name not in routes
    assert settings.CELERY_TASK_DEFAULT_QUEUE == ESCALATION_QUEUE


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_an_escalation_worker_escalates_but_only_a_delivery_worker_sends(
    production, crew, ladder_cast, celery_worker_process, celery_beat_process
):
    """With only the escalation worker running, reports climb and emails wait in their own queue;
    a delivery worker started later sends every one of them."""
    policy_set_speed(policy=production.policy, per_level=timedelta(minutes=1), resolve=HOUR)
    past = timezone.now() - timedelta(minutes=2)  # due already; level 2 waits a minute
    report = report_file(production=production, reporter=crew, draft=draft(), now=past)
    celery_worker_process(name="escalations", queues=ESCALATION_QUEUE)
    celery_beat_process()
    wait_until(lambda: report.events.filter(kind=EventKind.ESCALATED).exists(), timeout=30, message="the escalation")
    emails = Notification.objects.filter(report=report, channel=Channel.EMAIL)
    assert emails.count() >= 2  # level 1 at filing, level 2 on escalating
    assert not emails.filter(status=Notification.Status.SENT).exists()

    celery_worker_process(name="deliveries", queues=DELIVERY_QUEUE)
    wait_until(
        lambda: not emails.exclude(status=Notification.Status.SENT).exists(),
        timeout=60,
        message="every email to be sent by the delivery worker",
    )
    assert Report.objects.get(pk=report.pk).escalation_level == 2


def _file_with_emails(production, reporter, count: int, *, ago: timedelta) -> list[int]:
    past = timezone.now() - ago
    reports = [report_file(production=production, reporter=reporter, draft=draft(), now=past) for _ in range(count)]
    emails = Notification.objects.filter(report__in=reports, channel=Channel.EMAIL)
    emails.update(next_attempt_at=past)
    return list(emails.order_by("pk").values_list("pk", flat=True))


@pytest.mark.django_db
def test_a_delivery_that_runs_late_catches_up_with_every_due_delivery_once(production, crew, ladder_cast, mailoutbox):
    ids = _file_with_emails(production, crew, 4, ago=timedelta(seconds=30))
    assert len(ids) >= 4
    assert delivery.notification_deliver(notification_id=ids[0]) is delivery.Delivery.SENT
    rows = Notification.objects.filter(pk__in=ids)
    assert set(rows.values_list("status", flat=True)) == {Notification.Status.SENT}
    assert sorted(message.to[0] for message in mailoutbox) == sorted(rows.values_list("recipient__email", flat=True))
    notified = Event.objects.filter(kind=EventKind.NOTIFIED)
    assert sorted(notified.values_list("payload__notification", flat=True)) == sorted(ids)
    for report in Report.objects.all():
        assert verify_trail(report).intact
    # The tasks still queued for the others find their rows taken.
    assert delivery.notification_deliver(notification_id=ids[-1]) is delivery.Delivery.SKIPPED


@pytest.mark.django_db
def test_a_delivery_on_time_sends_only_its_own_row(production, crew, ladder_cast, mailoutbox):
    ids = _file_with_emails(production, crew, 2, ago=timedelta(0))
    delivery.notification_deliver(notification_id=ids[0])
    assert len(mailoutbox) == 1
    assert Notification.objects.filter(pk__in=ids[1:], status=Notification.Status.PENDING).count() == len(ids) - 1


@pytest.mark.django_db
def test_a_batch_past_its_time_budget_gives_the_untried_rows_back(production, crew, ladder_cast, settings, mailoutbox):
    settings.DELIVERY_BATCH_SECONDS = 0  # every row after the first is past the budget
    ids = _file_with_emails(production, crew, 3, ago=timedelta(seconds=30))
    assert delivery.notifications_deliver_due(limit=10) == len(ids)
    rows = Notification.objects.filter(pk__in=ids)
    assert rows.filter(status=Notification.Status.SENT).count() == 1
    given_back = rows.filter(status=Notification.Status.PENDING)
    assert given_back.count() == len(ids) - 1
    assert set(given_back.values_list("attempts", flat=True)) == {0}  # not tried: not counted
    assert len(mailoutbox) == 1


def test_the_batched_delivery_task_is_routed_to_the_delivery_queue():
    assert deliver_notifications.name == task_names.DELIVER_NOTIFICATIONS
    assert settings.CELERY_TASK_ROUTES[task_names.DELIVER_NOTIFICATIONS] == {"queue": DELIVERY_QUEUE}


@pytest.mark.django_db
def test_a_filings_notifications_are_delivered_together_each_once_with_its_own_notified_event(
    production, crew, ladder_cast, mailoutbox
):
    report = report_file(production=production, reporter=crew, draft=draft())
    pending = Notification.objects.filter(report=report, status=Notification.Status.PENDING)
    ids = list(pending.values_list("pk", flat=True))
    assert len(ids) >= 2

    outcomes = deliver_notifications(ids)

    assert outcomes == [delivery.Delivery.SENT.value] * len(ids)
    assert not Notification.objects.filter(pk__in=ids).exclude(status=Notification.Status.SENT).exists()
    emails = Notification.objects.filter(pk__in=ids, channel=Channel.EMAIL)
    assert sorted(m.to[0] for m in mailoutbox) == sorted(emails.values_list("recipient__email", flat=True))
    notified = report.events.filter(kind=EventKind.NOTIFIED)
    assert sorted(notified.values_list("payload__notification", flat=True)) == sorted(ids)
    assert verify_trail(Report.objects.get(pk=report.pk)).intact
    # The same task again (a redelivered message) finds every row taken and sends nothing.
    assert deliver_notifications(ids) == []
    assert len(mailoutbox) == emails.count()


@pytest.mark.django_db
def test_a_batched_delivery_skips_rows_already_taken_and_rows_not_yet_due(production, crew, ladder_cast, mailoutbox):
    ids = _file_with_emails(production, crew, 3, ago=timedelta(0))
    delivery.notification_deliver(notification_id=ids[0])  # taken by its own task first
    Notification.objects.filter(pk=ids[1]).update(next_attempt_at=timezone.now() + HOUR)  # backing off

    outcomes = delivery.notifications_deliver(notification_ids=ids)

    assert outcomes == [delivery.Delivery.SENT] * (len(ids) - 2)
    assert Notification.objects.get(pk=ids[1]).status == Notification.Status.PENDING
    assert Notification.objects.filter(pk__in=ids, status=Notification.Status.SENT).count() == len(ids) - 1
    assert len(mailoutbox) == len(ids) - 1


@pytest.mark.django_db
def test_a_batch_of_emails_costs_the_same_queries_for_five_more_recipients(production, crew, ladder_cast, mailoutbox):
    """Each email asks whether its recipient may acknowledge (the one-click link): their memberships are
    read for the whole batch in one query, not one query per email."""

    def queries_to_deliver_one_filing() -> tuple[int, int]:
        report = report_file(production=production, reporter=crew, draft=draft(), now=timezone.now())
        ids = list(Notification.objects.filter(report=report, channel=Channel.EMAIL).values_list("pk", flat=True))
        with CaptureQueriesContext(connection) as captured:
            outcomes = delivery.notifications_deliver(notification_ids=ids, now=timezone.now())
        assert outcomes == [delivery.Delivery.SENT] * len(ids)
        return len(ids), len(captured.captured_queries)

    production.refresh_from_db()  # the fixture's copy is behind the database's config version
    queries_to_deliver_one_filing()  # the caches (ladder, crew) filled
    one, one_queries = queries_to_deliver_one_filing()
    for n in range(5):  # five more grip department heads: level 1 of the next filing reaches six people
        member(production, Role.DEPARTMENT_HEAD, Department.GRIP, full_name=f"Head {n}")
    production.refresh_from_db()  # its config version moved: the cached crew is read again
    queries_to_deliver_one_filing()
    more, more_queries = queries_to_deliver_one_filing()
    assert more == one + 5
    assert more_queries == one_queries
