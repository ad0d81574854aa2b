"""Deliveries never wait behind escalations: they travel on their own queue, to their own workers."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from incidents.models import Channel, EventKind, Notification, Report
from incidents.services import dispatch
from incidents.services.filing import report_file
from incidents.services.policy import policy_set_speed
from incidents.tasks import deliver_notification, escalate_report
from safetrack.queues import DELIVERY_QUEUE, ESCALATION_QUEUE
from tests.factories import draft
from tests.live import wait_until

HOUR = timedelta(hours=1)


def test_the_delivery_task_is_routed_to_the_delivery_queue_and_the_timers_are_not():
    routes = settings.CELERY_TASK_ROUTES
    assert deliver_notification.name == dispatch.DELIVER_TASK
    assert routes[dispatch.DELIVER_TASK] == {"queue": DELIVERY_QUEUE}
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
    wait_until(
        lambda: report.events.filter(kind=EventKind.ESCALATED).exists(), timeout=30, message="the escalation"
    )
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
