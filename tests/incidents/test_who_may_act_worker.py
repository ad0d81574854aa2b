"""Who may act on a report once it has climbed, through real Celery processes and a real SMTP server
(tests/live.py): the people told on the way up keep the right to take it, and everyone it reached hears
who did (DESIGN.md, Flows 3)."""

import re
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from incidents.categories import Category
from incidents.models import Channel, EscalationLevel, EventKind, Notification, Report, ReportStatus
from incidents.notifications.message import ack_token
from incidents.services.handling import report_acknowledge
from incidents.services.policy import policy_set_speed
from tests.factories import file_report
from tests.live import wait_until

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.worker]

HOUR = timedelta(hours=1)
ACK_LINK = re.compile(r"/reports/(\d+)/acknowledge/([^/\s\"<>]+)/")


def _climbs_quickly_up_to(production, level: int) -> None:
    """One second per level below `level`; from `level` up, an hour (the report stops there)."""
    policy_set_speed(policy=production.policy, per_level=timedelta(seconds=1), resolve=HOUR)
    EscalationLevel.objects.filter(policy=production.policy, number__gte=level).update(
        critical_timeout=HOUR, high_timeout=HOUR, medium_timeout=HOUR, low_timeout=HOUR
    )


def _level(report_id: int) -> int:
    return Report.objects.values_list("escalation_level", flat=True).get(pk=report_id)


def _all_delivered() -> bool:
    return not Notification.objects.filter(status__in=["pending", "sending"]).exists()


def test_the_armorer_told_at_level_1_acknowledges_a_report_that_climbed_to_level_4_and_everyone_hears_it(
    client, production, crew, ladder_cast, celery_worker_process, smtp_sink
):
    _climbs_quickly_up_to(production, 4)
    celery_worker_process(env=smtp_sink.env)
    report = file_report(production, crew, Category.MISFIRE, title="Misfire on the revolver")
    wait_until(lambda: _level(report.pk) == 4, timeout=20, message="the report to reach the producers (level 4)")
    wait_until(_all_delivered, timeout=30, message="the escalation emails to go out")
    armorer = ladder_cast["armorer"]

    client.force_login(armorer)
    page = client.get(reverse("report_detail", args=[report.pk])).content.decode()
    assert "Acknowledge: I am on it" in page  # told at level 1, the armorer keeps the button at level 4
    client.post(reverse("report_acknowledge", args=[report.pk]))

    report.refresh_from_db()
    assert (report.status, report.acknowledged_by) == (ReportStatus.ACKNOWLEDGED, armorer)
    told_before = {"department_head", "safety", "upm", "producer"}  # level 1 (with the armorer), 2, 3, 4
    acknowledged = report.events.get(kind=EventKind.ACKNOWLEDGED)
    assert set(acknowledged.payload["told"]) == {ladder_cast[role].pk for role in told_before}
    wait_until(_all_delivered, timeout=30, message="the news of who took it to go out")
    took = [m for m in smtp_sink.messages() if "took this report" in str(m["Subject"])]
    for role in told_before:
        assert any(ladder_cast[role].email in str(m["To"]) for m in took), f"the {role} was not emailed who took it"
    assert all("Arden Armorer took this report" in str(m["Subject"]) for m in took)
    in_app = Notification.objects.filter(event=acknowledged, channel=Channel.IN_APP)
    assert set(in_app.values_list("recipient", flat=True)) == {ladder_cast[r].pk for r in told_before} | {crew.pk}
    # What asked them to act has left their inboxes; only the news of who took it is unread.
    unread = Notification.objects.filter(report=report, channel=Channel.IN_APP, read_at__isnull=True)
    assert set(unread.values_list("event__kind", flat=True)) == {EventKind.ACKNOWLEDGED}


def test_a_producers_emailed_link_still_acknowledges_after_the_report_went_past_the_producers(
    client, production, crew, ladder_cast, celery_worker_process, smtp_sink
):
    _climbs_quickly_up_to(production, 5)
    celery_worker_process(env=smtp_sink.env)
    report = file_report(production, crew, Category.LIVE_AMMUNITION, title="Live round in the prop cart")
    wait_until(lambda: _level(report.pk) == 5, timeout=20, message="the report to reach the executive (level 5)")
    wait_until(_all_delivered, timeout=30, message="the escalation emails to go out")
    producer = ladder_cast["producer"]
    to_producer = [m for m in smtp_sink.messages() if producer.email in str(m["To"])]
    assert to_producer, "the producer was emailed at level 4"
    body = to_producer[0].get_body(preferencelist=("plain",)).get_content()
    number, token = ACK_LINK.search(body).groups()
    assert int(number) == report.pk

    client.force_login(producer)
    link = reverse("report_acknowledge_link", args=[report.pk, token])
    assert "Acknowledge: I am on it" in client.get(link).content.decode()
    response = client.post(link)

    assert response.status_code == 302
    report.refresh_from_db()
    assert (report.status, report.acknowledged_by, report.escalation_level) == (
        ReportStatus.ACKNOWLEDGED,
        producer,
        5,
    )
    # The executive's own link now says who took it.
    executive = ladder_cast["executive"]
    wait_until(_all_delivered, timeout=30, message="the news of who took it to go out")
    executive_email = Notification.objects.get(
        report=report, recipient=executive, channel=Channel.EMAIL, event__kind=EventKind.ESCALATED
    )
    client.force_login(executive)
    page = client.get(reverse("report_acknowledge_link", args=[report.pk, ack_token(executive_email)]))
    assert "Pia Producer already acknowledged it" in page.content.decode()


def test_the_person_a_report_concerns_is_skipped_by_the_worker_and_the_level_above_is_told_instead(
    production, crew, ladder_cast, celery_worker_process
):
    _climbs_quickly_up_to(production, 2)
    celery_worker_process()
    safety = ladder_cast["safety"]
    report = file_report(production, crew, Category.UNSAFE_HANDLING, ammunition="blank", concerns_person=safety)

    wait_until(lambda: _level(report.pk) == 2, timeout=20, message="the report to reach level 2 (the 1st AD's)")

    escalated = report.events.get(kind=EventKind.ESCALATED)
    told = set(Notification.objects.filter(event=escalated, channel=Channel.IN_APP).values_list("recipient", flat=True))
    assert told == {ladder_cast["upm"].pk}  # level 3, told instead of the person it concerns
    assert escalated.payload["excluded"] == [{"user": safety.pk, "reason": "concerned"}]
    with pytest.raises(PermissionDenied):
        report_acknowledge(report_id=report.pk, user=safety)
    assert report_acknowledge(report_id=report.pk, user=ladder_cast["upm"]).won
