"""Push with real processes: a delivery worker, beat and a push service that refuses. The escalation
climbs on time, email goes out, the push ends failed with its error, and the fault suite's invariants
hold (each notification sent once with one notified event, or failed with none)."""

from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.utils import timezone

from incidents.models import Channel, EventKind, Notification
from incidents.services.filing import report_file
from incidents.services.policy import policy_set_speed
from support.invariants import invariants_check
from tests.factories import draft
from tests.incidents.test_push import push_service  # noqa: F401 (the fixture)
from tests.live import wait_until

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def test_a_refusing_push_service_never_holds_up_escalation_or_email(
    production,
    crew,
    ladder_cast,
    push_service,  # noqa: F811 (the fixture imported above)
    celery_worker_process,
    celery_beat_process,
):
    for person in ladder_cast.values():
        push_service.subscription(person, kind="refuse")
    policy_set_speed(policy=production.policy, per_level=timedelta(seconds=3), resolve=timedelta(hours=1))
    env = {
        "VAPID_PRIVATE_KEY": django_settings.VAPID_PRIVATE_KEY,
        "VAPID_SUBJECT": django_settings.VAPID_SUBJECT,
        "PUSH_SERVICE_HOSTS": ",".join(django_settings.PUSH_SERVICE_HOSTS),
        "NOTIFICATION_MAX_ATTEMPTS": "2",
    }
    celery_worker_process(env=env)
    celery_beat_process(env=env)
    report = report_file(production=production, reporter=crew, draft=draft(), now=timezone.now())
    wait_until(
        lambda: report.events.filter(kind=EventKind.ESCALATED).count() >= 2, timeout=40, message="two escalations"
    )
    pushes = Notification.objects.filter(report=report, channel=Channel.PUSH)
    emails = Notification.objects.filter(report=report, channel=Channel.EMAIL)
    wait_until(
        lambda: not Notification.objects.filter(report=report, status__in=["pending", "sending"]).exists(),
        timeout=60,
        message="every delivery to settle",
    )
    assert pushes.exists() and not pushes.exclude(status=Notification.Status.FAILED).exists()
    assert all("HTTP 503" in error for error in pushes.values_list("last_error", flat=True))
    assert emails.exists() and not emails.exclude(status=Notification.Status.SENT).exists()
    result = invariants_check(report_ids=[report.pk], settled=False)
    result.assert_ok()
