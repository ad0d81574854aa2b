"""A round count that does not add up, through the real Celery worker on Redis and PostgreSQL: the
critical report SafeTrack files at check-in escalates like any report when nobody acknowledges it."""

from datetime import timedelta

import pytest

from incidents.models import AmmoKind, Channel, EventKind, Notification, Report, ReportStatus
from incidents.services.armory.custody import custody_check_in
from incidents.services.policy import policy_set_speed
from tests.factories import ammo_lot, check_out, member, weapon
from tests.live import wait_until

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.worker
def test_a_count_mismatch_at_check_in_files_a_critical_report_that_escalates_on_the_worker(
    production, ladder_cast, celery_worker_process
):
    policy_set_speed(policy=production.policy, per_level=timedelta(seconds=2), resolve=timedelta(hours=1))
    armorer, safety = ladder_cast["armorer"], ladder_cast["safety"]
    actor = member(production, full_name="Rhett Actor", department="cast")
    lot = ammo_lot(production, armorer, kind=AmmoKind.DUMMY, count=12)
    record = check_out(weapon(production, armorer), armorer, actor, safety, load="dummies", lot=lot, rounds=6)
    celery_worker_process()

    outcome = custody_check_in(record_id=record.pk, user=armorer, rounds_back=5, rounds_fired=0)

    report = outcome.gap_report
    assert (report.severity, report.escalation_level) == ("critical", 1)
    wait_until(
        lambda: Report.objects.get(pk=report.pk).escalation_level >= 3,
        timeout=30,
        message="the unacknowledged critical report to climb two levels",
    )
    report.refresh_from_db()
    assert report.status == ReportStatus.OPEN
    climbed = report.events.filter(kind=EventKind.ESCALATED).order_by("seq")
    assert [(e.payload["from_level"], e.payload["to_level"]) for e in climbed[:2]] == [(1, 2), (2, 3)]
    told_at_3 = Notification.objects.filter(event=climbed[1], channel=Channel.IN_APP).values_list(
        "recipient", flat=True
    )
    assert ladder_cast["upm"].pk in set(told_at_3)
