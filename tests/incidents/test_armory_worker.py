"""A round count that does not add up, through the real Celery worker on Redis and PostgreSQL: the
critical report SafeTrack files at check-in escalates like any report when nobody acknowledges it."""

import time as clock
from datetime import time, timedelta

import pytest
from django.utils import timezone

from incidents.models import AmmoKind, ArmoryGap, Channel, EventKind, GapKind, Notification, Report, ReportStatus
from incidents.services.armory.custody import custody_check_in
from incidents.services.armory.days import DayPlan, day_schedule
from incidents.services.policy import policy_set_speed
from tests.factories import ammo_lot, check_out, firearms_day, member, weapon
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
    firearms_day(production, safety)
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


@pytest.mark.worker
def test_a_firearms_day_past_its_first_scene_without_a_meeting_is_reported_by_the_real_beat(
    production, ladder_cast, celery_worker_process, celery_beat_process
):
    """The beat's sweeper on the worker, not a cron of the armory's own: the first scene is due (00:00
    today), no meeting is recorded, and the safety coordinator and the producers are told."""
    safety, producer = ladder_cast["safety"], ladder_cast["producer"]
    today = timezone.localtime(timezone.now(), production.tzinfo).date()
    plan = DayPlan(date=today, scenes="12", first_scene=time(0, 0), wrap=time(23, 59), firearms=True)
    # Scheduled an hour ago: past MEETING_GRACE, so the first scene is all the sweeper waits for.
    day = day_schedule(production=production, user=safety, plan=plan, now=timezone.now() - timedelta(hours=1))
    assert not Report.objects.exists()

    celery_worker_process()
    celery_beat_process()

    wait_until(
        lambda: ArmoryGap.objects.filter(day=day, kind=GapKind.MEETING_MISSED).exists(),
        timeout=30,
        message="the sweeper on the worker to report the missing meeting",
    )
    report = Report.objects.get()
    told = set(Notification.objects.filter(report=report, channel=Channel.IN_APP).values_list("recipient", flat=True))
    assert {safety.pk, producer.pk} <= told
    clock.sleep(2)  # more sweeps: still one report
    assert Report.objects.count() == 1
