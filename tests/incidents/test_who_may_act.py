"""Who may act on a report (access.may_act_on, DESIGN.md Flows 3): anyone it has reached. Every handler
told at any level so far, any handler at or above the level reached, the producers and the safety
coordinator at any time; never its reporter. The page, the dashboard, the home page and the services
all ask the same rule. (The real-worker versions are in test_who_may_act_worker.py.)"""

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from accounts.models import Department, Role
from incidents import access
from incidents.categories import Category
from incidents.ladder import ladder_for
from incidents.models import Channel, EventKind, Notification, ReportStatus
from incidents.notifications.message import message_for
from incidents.services import notify
from incidents.services.escalation import report_escalate
from incidents.services.handling import report_acknowledge, report_comment, report_resolve
from tests.factories import file_report, member

pytestmark = pytest.mark.django_db

ACKNOWLEDGE_BUTTON = "Acknowledge: I am on it"


def _climb(report, to_level: int) -> None:
    for level in range(report.escalation_level, to_level):
        report_escalate(report_id=report.pk, expected_level=level, force=True)
    report.refresh_from_db()


def _page(client, user, report) -> str:
    client.force_login(user)
    return client.get(reverse("report_detail", args=[report.pk])).content.decode()


def test_the_armorer_told_at_level_1_sees_the_button_on_a_report_at_level_4(client, production, crew, ladder_cast):
    report = file_report(production, crew, Category.MISFIRE)
    _climb(report, 4)

    assert ACKNOWLEDGE_BUTTON in _page(client, ladder_cast["armorer"], report)
    assert report_acknowledge(report_id=report.pk, user=ladder_cast["armorer"]).won


def test_the_armorer_told_at_level_1_finds_a_climbed_report_waiting_on_their_home(
    client, production, crew, ladder_cast
):
    report = file_report(production, crew, Category.MISFIRE, title="Misfire on the revolver")
    _climb(report, 4)
    client.force_login(ladder_cast["armorer"])

    home = client.get(reverse("home")).content.decode()

    assert "To acknowledge" in home and "Misfire on the revolver" in home


def test_a_handler_told_earlier_may_still_comment_and_resolve_after_the_report_climbed(production, crew, ladder_cast):
    report = file_report(production, crew, Category.MISFIRE)
    _climb(report, 3)
    head = ladder_cast["department_head"]

    report_comment(report_id=report.pk, user=head, body="On my way to the stage.")
    resolved = report_resolve(report_id=report.pk, user=head, resolution="Revolver out of service, tagged.")

    assert resolved.status == ReportStatus.RESOLVED


@pytest.mark.parametrize("role", ["safety", "producer", "executive"])
def test_the_safety_coordinator_and_the_producers_may_take_a_report_at_level_1(
    client, production, crew, ladder_cast, role
):
    report = file_report(production, crew, Category.RIGGING)
    assert report.escalation_level == 1

    assert ACKNOWLEDGE_BUTTON in _page(client, ladder_cast[role], report)
    assert report_acknowledge(report_id=report.pk, user=ladder_cast[role]).won


def test_a_handler_the_report_never_reached_may_not_act_below_its_level(client, production, crew, ladder_cast):
    camera_head = member(production, Role.DEPARTMENT_HEAD, Department.CAMERA, full_name="Cam Head")
    report = file_report(production, crew, Category.RIGGING)  # a grip report: the grip head is told
    _climb(report, 2)

    page = _page(client, camera_head, report)

    assert ACKNOWLEDGE_BUTTON not in page
    assert not access.can_comment(camera_head, report, ladder_for(report.production))
    with pytest.raises(PermissionDenied):
        report_acknowledge(report_id=report.pk, user=camera_head)
    with pytest.raises(PermissionDenied):
        report_comment(report_id=report.pk, user=camera_head, body="Not mine, but…")


def test_a_reporter_who_is_a_department_head_cannot_acknowledge_or_resolve_their_own_report(
    client, production, ladder_cast
):
    head = ladder_cast["department_head"]
    report = file_report(production, head, Category.RIGGING, title="Our own rig is loose")

    page = _page(client, head, report)

    assert ACKNOWLEDGE_BUTTON not in page
    with pytest.raises(PermissionDenied, match="someone else must take it"):
        report_acknowledge(report_id=report.pk, user=head)
    assert report_acknowledge(report_id=report.pk, user=ladder_cast["armorer"]).won
    with pytest.raises(PermissionDenied):
        report_resolve(report_id=report.pk, user=head, resolution="Fixed it myself")


def test_everyone_the_report_reached_is_told_who_took_it_and_the_trail_says_so(client, production, crew, ladder_cast):
    report = file_report(production, crew, Category.MISFIRE)
    _climb(report, 3)  # told: department head and armorer (1), safety (2), UPM (3)
    upm = ladder_cast["upm"]

    report_acknowledge(report_id=report.pk, user=upm)

    event = report.events.get(kind=EventKind.ACKNOWLEDGED)
    told = {ladder_cast[role].pk for role in ("department_head", "armorer", "safety")}
    assert set(event.payload["told"]) == told
    rows = Notification.objects.filter(event=event)
    assert set(rows.filter(channel=Channel.IN_APP).values_list("recipient", flat=True)) == told | {crew.pk}
    assert set(rows.filter(channel=Channel.EMAIL).values_list("recipient", flat=True)) == told | {crew.pk}
    client.force_login(ladder_cast["armorer"])
    inbox = client.get(reverse("inbox")).content.decode()
    assert "Una Manager took this report: no need to acknowledge it" in inbox
    trail = _page(client, ladder_cast["producer"], report)
    assert "The 3 people it had reached were told who took it." in trail


def test_the_acknowledge_link_of_a_crew_member_told_of_a_stop_work_call_is_not_offered(production, crew, ladder_cast):
    call = file_report(production, ladder_cast["producer"], Category.STOP_WORK, title="Live round found")
    event = call.events.get(kind=EventKind.STOP_WORK_CALLED)
    crew_row = Notification.objects.filter(event=event, recipient=crew, channel=Channel.EMAIL).first()
    if crew_row is None:  # a stop-work call reaches every member (issue 14); as if it did
        crew_row = next(r for r in notify.notify(event=event, report=call, recipients=[crew]) if r.channel == "email")
    handler_row = Notification.objects.get(event=event, recipient=ladder_cast["upm"], channel=Channel.EMAIL)

    assert message_for(crew_row).ack_url is None
    assert message_for(handler_row).ack_url is not None
