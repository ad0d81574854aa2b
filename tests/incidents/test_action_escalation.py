"""An overdue corrective action climbs like a report: its owner first, then the level above on the
ladder, each step once (service calls here; tests/incidents/test_action_escalation_worker.py runs the
real worker)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import Role
from incidents.categories import Category
from incidents.models import CorrectiveAction, Event, EventKind, Notification
from incidents.services.action_escalation import Outcome, action_escalate, actions_escalate_due
from incidents.services.actions import ActionPlan, action_mark_done, actions_plan
from incidents.services.policy import policy_set_speed
from incidents.trail import verify_trail
from tests.factories import file_report, member

pytestmark = pytest.mark.django_db


@pytest.fixture
def report(production, crew, ladder_cast):
    policy_set_speed(policy=production.policy, per_level=timedelta(minutes=5), resolve=timedelta(hours=1))
    return file_report(production, crew, Category.RIGGING)


@pytest.fixture
def grip(production):
    return member(production, Role.CREW, full_name="Gil Grip")


def overdue_action(report, planner, owner, days_ago: int = 3) -> CorrectiveAction:
    """An action planned `days_ago` days ago, due that same day: overdue since."""
    then = timezone.now() - timedelta(days=days_ago)
    due = timezone.localdate(then, report.production.tzinfo)
    plan = ActionPlan(what="Re-rig stand 3", done_means="Two sandbags, signed off", owner_id=owner.pk, due_on=due)
    (action,) = actions_plan(report_id=report.pk, user=planner, summary="Re-rig", plans=[plan], now=then)
    return action


def escalations(report):
    return list(Event.objects.filter(report=report, kind=EventKind.ACTION_ESCALATED).order_by("seq"))


def told(event):
    return set(Notification.objects.filter(event=event).values_list("recipient_id", flat=True))


def test_an_action_not_yet_due_does_not_escalate(report, ladder_cast, grip):
    plan = ActionPlan(what="a", done_means="b", owner_id=grip.pk, due_on=timezone.localdate() + timedelta(days=2))
    (action,) = actions_plan(report_id=report.pk, user=ladder_cast["safety"], summary="s", plans=[plan])
    assert actions_escalate_due() == 0
    assert action_escalate(action_id=action.pk, expected_step=0) is Outcome.NOT_DUE


def test_an_overdue_action_tells_its_owner_then_the_level_above(report, ladder_cast, grip):
    action = overdue_action(report, ladder_cast["safety"], grip)
    assert actions_escalate_due() == 1
    (owner_told,) = escalations(report)
    assert told(owner_told) == {grip.pk}
    assert owner_told.payload["to_level"] == 0
    # Not again until the policy's "resolve within" has passed.
    assert actions_escalate_due() == 0
    assert actions_escalate_due(now=timezone.now() + timedelta(hours=1, seconds=1)) == 1
    level_one = escalations(report)[-1]
    assert level_one.payload["to_level"] == 1  # a crew member's level above: department heads and the armorer
    assert {ladder_cast["department_head"].pk, ladder_cast["armorer"].pk, grip.pk} <= told(level_one)
    action.refresh_from_db()
    assert (action.escalation_step, action.escalation_level) == (2, 1)
    report.refresh_from_db()
    assert verify_trail(report).intact


def test_a_handlers_overdue_action_goes_to_the_level_above_their_rank(report, ladder_cast):
    safety = ladder_cast["safety"]
    overdue_action(report, ladder_cast["upm"], safety)
    actions_escalate_due()
    actions_escalate_due(now=timezone.now() + timedelta(hours=2))
    assert escalations(report)[-1].payload["to_level"] == 3  # the UPM, above the safety coordinator


def test_a_replayed_step_changes_nothing(report, ladder_cast, grip):
    action = overdue_action(report, ladder_cast["safety"], grip)
    assert action_escalate(action_id=action.pk, expected_step=0) is Outcome.ESCALATED
    assert action_escalate(action_id=action.pk, expected_step=0) is Outcome.STALE
    assert len(escalations(report)) == 1


def test_an_action_marked_done_stops_escalating(report, ladder_cast, grip):
    action = overdue_action(report, ladder_cast["safety"], grip)
    action_mark_done(action_id=action.pk, user=grip, note="Done, late.")
    assert actions_escalate_due() == 0
    assert escalations(report) == []


def test_the_climb_stops_once_the_top_level_was_told(report, ladder_cast, grip):
    overdue_action(report, ladder_cast["safety"], grip)
    later = timezone.now()
    for _ in range(10):
        later += timedelta(hours=2)
        actions_escalate_due(now=later)
    levels = [e.payload["to_level"] for e in escalations(report)]
    assert levels == [0, 1, 2, 3, 4, 5]
