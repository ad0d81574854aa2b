"""Text messages with real processes: a delivery worker, beat and the fake SMS provider. A provider that is
down never holds up escalation or email; texts are retried, and sent once when it comes back; the fault
suite's invariants hold (each notification sent once with one notified event, or failed with none)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from incidents.categories import Severity
from incidents.models import Channel, EventKind, Notification
from incidents.services.filing import report_file
from incidents.services.handling import report_acknowledge
from incidents.services.policy import policy_set_speed
from support.invariants import invariants_check
from tests.factories import draft
from tests.incidents.test_sms import sms_provider, verified  # noqa: F401 (the fixture)
from tests.live import wait_until

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def _phones_for(ladder_cast) -> None:
    for index, person in enumerate(ladder_cast.values()):
        verified(person, f"+3461234560{index}")


def _settled(report) -> bool:
    return not Notification.objects.filter(report=report, status__in=["pending", "sending"]).exists()


def test_a_provider_that_is_down_never_holds_up_escalation_or_email(
    production,
    crew,
    ladder_cast,
    sms_provider,  # noqa: F811 (the fixture imported above)
    celery_worker_process,
    celery_beat_process,
):
    _phones_for(ladder_cast)
    sms_provider.switch("down")
    policy_set_speed(policy=production.policy, per_level=timedelta(seconds=3), resolve=timedelta(hours=1))
    env = {**sms_provider.env, "NOTIFICATION_MAX_ATTEMPTS": "2", "NOTIFICATION_RETRY_BASE_SECONDS": "1"}
    celery_worker_process(env=env)
    celery_beat_process(env=env)
    filed_at = timezone.now()
    report = report_file(production=production, reporter=crew, draft=draft(severity=Severity.CRITICAL), now=filed_at)
    wait_until(
        lambda: report.events.filter(kind=EventKind.ESCALATED).count() >= 2, timeout=40, message="two escalations"
    )
    second = report.events.filter(kind=EventKind.ESCALATED).order_by("seq")[1]
    assert second.created_at - filed_at < timedelta(seconds=3 * 2 + 5)  # on time, whatever the texts do
    wait_until(lambda: _settled(report), timeout=60, message="every delivery to settle")
    texts = Notification.objects.filter(report=report, channel=Channel.SMS)
    emails = Notification.objects.filter(report=report, channel=Channel.EMAIL)
    assert texts.count() >= 3
    assert not texts.exclude(status=Notification.Status.FAILED).exists()
    assert all("HTTP 503" in error for error in texts.values_list("last_error", flat=True))
    assert emails.exists() and not emails.exclude(status=Notification.Status.SENT).exists()
    assert len([entry for entry in sms_provider.received() if entry["status"] == 503]) == 2 * texts.count()
    invariants_check(report_ids=[report.pk], settled=False).assert_ok()


def test_texts_held_back_by_a_provider_that_was_down_go_out_once_when_it_is_back(
    production,
    crew,
    ladder_cast,
    sms_provider,  # noqa: F811
    celery_worker_process,
    celery_beat_process,
):
    _phones_for(ladder_cast)
    sms_provider.switch("down")
    policy_set_speed(policy=production.policy, per_level=timedelta(seconds=3), resolve=timedelta(hours=1))
    env = {**sms_provider.env, "NOTIFICATION_MAX_ATTEMPTS": "6", "NOTIFICATION_RETRY_BASE_SECONDS": "1"}
    celery_worker_process(env=env)
    celery_beat_process(env=env)
    report = report_file(
        production=production, reporter=crew, draft=draft(severity=Severity.CRITICAL), now=timezone.now()
    )
    wait_until(
        lambda: report.events.filter(kind=EventKind.ESCALATED).exists(), timeout=30, message="the first escalation"
    )
    sms_provider.switch("ok")
    report_acknowledge(report_id=report.pk, user=ladder_cast["producer"])  # it stops climbing: nothing new
    wait_until(lambda: _settled(report), timeout=90, message="every delivery to settle")
    texts = Notification.objects.filter(report=report, channel=Channel.SMS)
    assert texts.exists() and not texts.exclude(status=Notification.Status.SENT).exists()
    delivered = sorted(entry["to"] for entry in sms_provider.sent())
    assert len(delivered) == texts.count()  # each text once
    for text in texts:
        assert report.events.filter(kind=EventKind.NOTIFIED, payload__notification=text.pk).count() == 1
    invariants_check(report_ids=[report.pk], settled=False).assert_ok()
