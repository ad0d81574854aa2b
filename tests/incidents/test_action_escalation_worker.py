"""An overdue corrective action escalates on the real worker (tests/live.py): beat's sweeper finds it,
its owner is told, then the level above on the ladder; each step once, the trail intact."""

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import Role
from incidents.categories import Category
from incidents.models import Channel, CorrectiveAction, Event, EventKind, Notification, Report
from incidents.services.actions import ActionPlan, action_mark_done, actions_plan
from incidents.services.policy import policy_set_speed
from incidents.trail import verify_trail
from tests.factories import file_report, member
from tests.live import wait_until

pytestmark = pytest.mark.django_db(transaction=True)


def _steps(report_id: int) -> list[Event]:
    return list(Event.objects.filter(report_id=report_id, kind=EventKind.ACTION_ESCALATED).order_by("seq"))


@pytest.mark.worker
def test_an_overdue_action_escalates_on_the_real_worker(
    production, crew, ladder_cast, celery_worker_process, celery_beat_process
):
    # Each step of an overdue action waits the policy's "resolve within": two seconds here.
    policy_set_speed(policy=production.policy, per_level=timedelta(minutes=5), resolve=timedelta(seconds=2))
    grip = member(production, Role.CREW, full_name="Gil Grip")
    report = file_report(production, crew, Category.RIGGING)
    then = timezone.now() - timedelta(days=2)
    plan = ActionPlan(
        what="Re-rig stand 3",
        done_means="Two sandbags, signed off",
        owner_id=grip.pk,
        due_on=timezone.localdate(then, production.tzinfo),
    )
    (action,) = actions_plan(report_id=report.pk, user=ladder_cast["safety"], summary="Re-rig", plans=[plan], now=then)
    celery_worker_process()
    celery_beat_process()

    wait_until(lambda: len(_steps(report.pk)) >= 2, timeout=30, message="the owner, then level 1, to be told")
    action_mark_done(action_id=action.pk, user=grip, note="Done, late.")
    steps = _steps(report.pk)
    assert [e.payload["to_level"] for e in steps[:2]] == [0, 1]
    in_app = [set(e.notifications.filter(channel=Channel.IN_APP).values_list("recipient", flat=True)) for e in steps]
    assert in_app[0] == {grip.pk}
    assert {ladder_cast["department_head"].pk, ladder_cast["armorer"].pk} <= in_app[1]
    # Done: it climbs no further, and no step was taken twice.
    count = len(_steps(report.pk))
    wait_until(
        lambda: Notification.objects.filter(status__in=["pending", "sending"]).count() == 0,
        timeout=30,
        message="every notification to be delivered",
    )
    time.sleep(3)
    assert len(_steps(report.pk)) == count
    assert CorrectiveAction.objects.get(pk=action.pk).next_escalation_at is None
    assert len({e.payload["to_level"] for e in _steps(report.pk)}) == count
    assert verify_trail(Report.objects.get(pk=report.pk)).intact
