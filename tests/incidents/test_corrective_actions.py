"""Corrective actions (issue 20): resolving means actions with owners and due dates, done with evidence
by their owner, verified by someone else; the report is resolved only when every action is verified."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import Role
from incidents.categories import Category
from incidents.models import ActionStatus, CorrectiveAction, EventKind, Notification, ReportStatus
from incidents.notifications.message import message_for
from incidents.services.actions import ActionPlan, action_mark_done, action_send_back, action_verify, actions_plan
from incidents.services.handling import report_reopen, report_resolve
from incidents.trail import verify_trail
from tests.factories import file_report, member, plan_actions

pytestmark = pytest.mark.django_db


@pytest.fixture
def report(production, crew, ladder_cast):
    return file_report(production, crew, Category.RIGGING)


@pytest.fixture
def grip(production):
    return member(production, Role.CREW, full_name="Gil Grip")


def kinds(report):
    return list(report.events.order_by("seq").values_list("kind", flat=True))


def test_planning_actions_acknowledges_the_report_and_stops_it_escalating(report, ladder_cast, grip):
    safety = ladder_cast["safety"]
    actions = plan_actions(report, safety, grip, ladder_cast["armorer"])
    report.refresh_from_db()
    assert [a.number for a in actions] == [1, 2]
    assert report.status == ReportStatus.ACKNOWLEDGED and report.acknowledged_by == safety
    assert report.next_escalation_at is None
    assert report.resolution == "Stand 3 re-rigged."
    assert kinds(report)[-1] == EventKind.ACTIONS_PLANNED
    assert Notification.objects.filter(event__kind=EventKind.ACTIONS_PLANNED, recipient=grip).exists()
    assert verify_trail(report).intact


def test_a_report_cannot_be_resolved_while_an_action_is_unverified(report, ladder_cast, grip):
    safety, upm = ladder_cast["safety"], ladder_cast["upm"]
    first, _second = plan_actions(report, safety, grip, grip)
    action_mark_done(action_id=first.pk, user=grip, note="Re-rigged with two sandbags.")
    action_verify(action_id=first.pk, user=upm)
    report.refresh_from_db()
    assert report.status == ReportStatus.ACKNOWLEDGED
    with pytest.raises(ValidationError) as refused:
        report_resolve(report_id=report.pk, user=safety, resolution="Closing it anyway.")
    assert refused.value.code == "unverified"
    report.refresh_from_db()
    assert report.status == ReportStatus.ACKNOWLEDGED


def test_the_last_verification_resolves_the_report_and_tells_the_reporter(report, ladder_cast, grip, crew):
    safety, upm = ladder_cast["safety"], ladder_cast["upm"]
    first, second = plan_actions(report, safety, grip, safety)
    action_mark_done(action_id=first.pk, user=grip, note="Done.")
    action_mark_done(action_id=second.pk, user=safety, note="Done too.")
    action_verify(action_id=first.pk, user=upm)
    action_verify(action_id=second.pk, user=upm)
    report.refresh_from_db()
    assert (report.status, report.resolved_by) == (ReportStatus.RESOLVED, safety)
    assert Notification.objects.filter(event__kind=EventKind.RESOLVED, recipient=crew).exists()
    assert kinds(report)[-3:] == [EventKind.ACTION_VERIFIED, EventKind.ACTION_VERIFIED, EventKind.RESOLVED]
    assert verify_trail(report).intact


def test_the_reporter_can_still_reopen_a_report_its_actions_resolved(report, ladder_cast, grip, crew):
    (action,) = plan_actions(report, ladder_cast["safety"], grip)
    action_mark_done(action_id=action.pk, user=grip, note="Done.")
    action_verify(action_id=action.pk, user=ladder_cast["upm"])
    report_reopen(report_id=report.pk, user=crew, reason="The stand still wobbles.")
    report.refresh_from_db()
    assert report.status == ReportStatus.OPEN
    # A new plan is needed; the verified action stays in the record.
    (again,) = plan_actions(report, ladder_cast["safety"], grip)
    assert again.number == 2


def test_the_owner_cannot_verify_their_own_action(report, ladder_cast):
    safety = ladder_cast["safety"]
    (action,) = plan_actions(report, ladder_cast["upm"], safety)
    action_mark_done(action_id=action.pk, user=safety, note="Done.")
    with pytest.raises(PermissionDenied, match="other than its owner"):
        action_verify(action_id=action.pk, user=safety)
    action.refresh_from_db()
    assert action.status == ActionStatus.DONE


def test_the_database_refuses_an_action_verified_by_its_owner(report, ladder_cast, grip):
    (action,) = plan_actions(report, ladder_cast["safety"], grip)
    with pytest.raises(IntegrityError), transaction.atomic():
        CorrectiveAction.objects.filter(pk=action.pk).update(
            status=ActionStatus.VERIFIED, verified_by=grip, verified_at=timezone.now()
        )


def test_the_reporter_cannot_verify_an_action_on_their_own_report(production, ladder_cast, grip):
    armorer = ladder_cast["armorer"]
    report = file_report(production, armorer, Category.MISFIRE, ammunition="blank")
    (action,) = plan_actions(report, ladder_cast["safety"], grip)
    action_mark_done(action_id=action.pk, user=grip, note="Done.")
    with pytest.raises(PermissionDenied):
        action_verify(action_id=action.pk, user=armorer)


def test_crew_cannot_verify_and_only_the_owner_marks_done(report, ladder_cast, grip, other_crew):
    (action,) = plan_actions(report, ladder_cast["safety"], grip)
    with pytest.raises(PermissionDenied):
        action_mark_done(action_id=action.pk, user=ladder_cast["upm"], note="Done by someone else.")
    action_mark_done(action_id=action.pk, user=grip, note="Done.")
    with pytest.raises(PermissionDenied):
        action_verify(action_id=action.pk, user=other_crew)


def test_an_action_sent_back_goes_to_its_owner_to_do_again(report, ladder_cast, grip):
    (action,) = plan_actions(report, ladder_cast["safety"], grip)
    action_mark_done(action_id=action.pk, user=grip, note="Done.")
    action_send_back(action_id=action.pk, user=ladder_cast["upm"], reason="No photo of the new sandbags.")
    action.refresh_from_db()
    assert (action.status, action.sent_back_count, action.done_note) == (ActionStatus.PLANNED, 1, "")
    assert Notification.objects.filter(event__kind=EventKind.ACTION_SENT_BACK, recipient=grip).exists()
    with pytest.raises(ValidationError):
        action_verify(action_id=action.pk, user=ladder_cast["upm"])


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"what": "  "}, "required"),
        ({"done_means": ""}, "required"),
        ({"what": "x" * 301}, "too_long"),
        ({"due_on": "past"}, "past_due"),
        ({"due_on": "far"}, "too_far"),
        ({"owner_id": "outsider"}, "bad_owner"),
        ({"owner_id": 999_999}, "bad_owner"),
    ],
)
def test_a_bad_plan_is_refused_and_nothing_is_written(report, ladder_cast, grip, outsider, change, code):
    today = timezone.localdate(timezone.now(), report.production.tzinfo)
    values = {"what": "Re-rig", "done_means": "Signed off", "owner_id": grip.pk, "due_on": today}
    values.update(change)
    if values["due_on"] == "past":
        values["due_on"] = today - timedelta(days=1)
    if values["due_on"] == "far":
        values["due_on"] = today.replace(year=9999, month=12, day=31)
    if values["owner_id"] == "outsider":
        values["owner_id"] = outsider.pk
    before = kinds(report)
    with pytest.raises(ValidationError) as refused:
        actions_plan(report_id=report.pk, user=ladder_cast["safety"], summary="Plan", plans=[ActionPlan(**values)])
    assert refused.value.code == code
    assert kinds(report) == before and not CorrectiveAction.objects.exists()


def test_a_plan_needs_at_least_one_action_and_a_summary(report, ladder_cast):
    with pytest.raises(ValidationError, match="at least one"):
        actions_plan(report_id=report.pk, user=ladder_cast["safety"], summary="Plan", plans=[])
    with pytest.raises(ValidationError, match="what was found"):
        actions_plan(report_id=report.pk, user=ladder_cast["safety"], summary=" ", plans=[])


def test_crew_cannot_plan_actions(report, grip):
    today = timezone.localdate()
    with pytest.raises(PermissionDenied):
        actions_plan(
            report_id=report.pk,
            user=grip,
            summary="Plan",
            plans=[ActionPlan(what="a", done_means="b", owner_id=grip.pk, due_on=today + timedelta(days=1))],
        )


def test_planning_actions_on_an_open_report_counts_as_its_first_answer(report, ladder_cast, grip):
    plan_actions(report, ladder_cast["safety"], grip)
    report.refresh_from_db()
    assert report.first_answered_at == report.acknowledged_at


def test_an_owners_notification_opens_their_action_not_the_report(report, ladder_cast, grip):
    (action,) = plan_actions(report, ladder_cast["safety"], grip)
    told = Notification.objects.filter(event__kind=EventKind.ACTIONS_PLANNED, recipient=grip, channel="in_app").get()
    message = message_for(told)
    assert message.headline == "A corrective action is yours to do"
    assert message.url.endswith(action.get_absolute_url())
    action_mark_done(action_id=action.pk, user=grip, note="Done.")
    asked = Notification.objects.filter(event__kind=EventKind.ACTION_DONE, recipient=ladder_cast["safety"]).first()
    assert message_for(asked).headline == "A corrective action is done: have it verified"
    assert "Evidence: Done." in message_for(asked).lines


def test_a_hidden_reporter_who_owns_an_action_is_not_named_in_the_trail(production, crew, ladder_cast):
    report = file_report(production, crew, Category.FATIGUE, identity="confidential")
    plan_actions(report, ladder_cast["safety"], crew)
    planned = report.events.get(kind=EventKind.ACTIONS_PLANNED)
    assert "owner_name" not in planned.payload["actions"][0] or planned.payload["actions"][0]["owner_name"] is None
    assert crew.full_name not in str(planned.payload)
