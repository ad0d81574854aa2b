"""Reports in the admin: read-only evidence, the trail untouchable, identities hidden, and the actions
(escalate now, resend failed notifications, export CSV) doing exactly what they say."""

import csv
import io

import pytest
from django.urls import reverse

from incidents.categories import Category
from incidents.models import Event, EventKind, Notification, Report
from incidents.services.actions import action_mark_done
from incidents.services.admin_actions import RESEND_FAILED
from incidents.trail import verify_trail
from tests.admin.helpers import fail_notification
from tests.factories import file_report, plan_actions

CHANGELIST = "admin:incidents_report_changelist"


def run_action(client, action: str, reports, **extra):
    data = {"action": action, "_selected_action": [r.pk for r in reports], "index": 0, **extra}
    return client.post(reverse(CHANGELIST), data)


def confirm_escalation(client, reports, levels: dict[int, int]):
    data = {"action": "escalate_now", "_selected_action": [r.pk for r in reports], "post": "yes"}
    data.update({f"level_{pk}": level for pk, level in levels.items()})
    return client.post(reverse(CHANGELIST), data, follow=True)


# --- escalate now ------------------------------------------------------------------------------------


def test_escalate_now_asks_first_and_changes_nothing_until_confirmed(client, superuser, world):
    report = world["anonymous"]
    client.force_login(superuser)
    response = run_action(client, "escalate_now", [report])
    assert response.status_code == 200
    assert "Escalate now?" in response.text
    assert f'name="level_{report.pk}" value="{report.escalation_level}"' in response.text
    report.refresh_from_db()
    assert report.escalation_level == 1
    assert not Event.objects.filter(report=report, kind=EventKind.ESCALATED).exists()


def test_escalate_now_escalates_exactly_once_and_writes_its_event_with_the_admin(client, superuser, world):
    report = world["anonymous"]
    client.force_login(superuser)
    response = confirm_escalation(client, [report], {report.pk: 1})
    assert "1 report escalated" in response.text
    # The same confirmation posted again (a double click, a reload) finds the report moved on.
    again = confirm_escalation(client, [report], {report.pk: 1})
    assert "Not escalated" in again.text
    report.refresh_from_db()
    assert report.escalation_level == 2
    escalations = Event.objects.filter(report=report, kind=EventKind.ESCALATED)
    assert escalations.count() == 1
    event = escalations.get()
    assert event.actor == superuser
    assert event.payload["reason"] == "by_admin"
    assert (event.payload["from_level"], event.payload["to_level"]) == (1, 2)
    assert verify_trail(report).intact


def test_escalate_now_leaves_a_resolved_report_alone(client, superuser, world):
    report = world["named"]
    Report.objects.filter(pk=report.pk).update(status="resolved", next_escalation_at=None)
    client.force_login(superuser)
    response = confirm_escalation(client, [report], {report.pk: report.escalation_level})
    assert "Not escalated" in response.text
    assert Event.objects.filter(report=report, kind=EventKind.ESCALATED).count() == 1  # the fixture's own


def test_escalate_now_with_a_tampered_level_does_nothing(client, superuser, world):
    report = world["anonymous"]
    client.force_login(superuser)
    confirm_escalation(client, [report], {report.pk: "not-a-number"})
    confirm_escalation(client, [report], {report.pk: 7})
    report.refresh_from_db()
    assert report.escalation_level == 1


def test_production_admin_cannot_escalate_another_productions_report(client, production_admin, world):
    report = world["elsewhere"]
    client.force_login(production_admin)
    confirm_escalation(client, [report], {report.pk: report.escalation_level})
    report.refresh_from_db()
    assert report.escalation_level == 1


# --- resend failed notifications ---------------------------------------------------------------------


def test_resend_touches_only_failed_notifications_and_writes_an_admin_event(client, superuser, world):
    report = world["named"]
    failed = Notification.objects.get(report=report, status=Notification.Status.FAILED)
    others = {n.pk: (n.status, n.attempts) for n in Notification.objects.exclude(pk=failed.pk)}
    client.force_login(superuser)
    response = run_action(client, "resend_failed_notifications", Report.objects.all())
    assert response.status_code == 302
    failed.refresh_from_db()
    assert (failed.status, failed.attempts) == (Notification.Status.PENDING, 0)
    assert {n.pk: (n.status, n.attempts) for n in Notification.objects.exclude(pk=failed.pk)} == others
    event = Event.objects.get(report=report, kind=EventKind.ADMIN_CHANGED)
    assert event.actor == superuser
    assert event.payload == {"action": RESEND_FAILED, "notifications": [failed.pk], "actor_name": "Sam Admin"}
    report.refresh_from_db()
    assert verify_trail(report).intact
    # Nothing failed on the other reports: nothing is written on their trails.
    assert not Event.objects.filter(kind=EventKind.ADMIN_CHANGED).exclude(report=report).exists()


def test_resend_with_nothing_failed_says_so(client, superuser, world):
    client.force_login(superuser)
    response = client.post(
        reverse(CHANGELIST),
        {"action": "resend_failed_notifications", "_selected_action": [world["anonymous"].pk], "index": 0},
        follow=True,
    )
    assert "None of the selected reports has a failed notification" in response.text


def test_notification_retry_action_lists_failures_first_and_retries_only_those(client, superuser, world):
    client.force_login(superuser)
    url = reverse("admin:incidents_notification_changelist")
    rows = list(client.get(url).context["cl"].result_list)
    assert rows[0].status == Notification.Status.FAILED
    assert all(row.status != Notification.Status.FAILED for row in rows[1:])
    sent = rows[-1]
    Notification.objects.filter(pk=sent.pk).update(status=Notification.Status.SENT)
    response = client.post(url, {"action": "retry", "_selected_action": [rows[0].pk, sent.pk], "index": 0}, follow=True)
    assert "1 failed notification queued again" in response.text
    assert "1 selected notifications had not failed" in response.text
    assert Notification.objects.get(pk=rows[0].pk).status == Notification.Status.PENDING
    assert Notification.objects.get(pk=sent.pk).status == Notification.Status.SENT


# --- export ------------------------------------------------------------------------------------------


def test_export_csv_hides_identities_and_defuses_formulas(client, superuser, world, production, crew):
    hostile = file_report(production, crew, Category.OTHER, title='=HYPERLINK("http://evil.example","x")')
    client.force_login(superuser)
    response = run_action(client, "export_csv", Report.objects.all())
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    by_id = {row[0]: row for row in rows[1:]}
    header = rows[0]
    reporter = header.index("reporter")
    assert by_id[str(world["confidential"].pk)][reporter] == "A crew member"
    assert by_id[str(world["anonymous"].pk)][reporter] == "Anonymous crew member"
    assert by_id[str(world["named"].pk)][reporter] == "Gabi Grip"
    assert by_id[str(hostile.pk)][header.index("title")].startswith("'=")
    assert "Quinn" not in response.content.decode()


# --- identities --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url_name",
    [
        "admin:incidents_report_changelist",
        "admin:incidents_event_changelist",
        "admin:incidents_notification_changelist",
    ],
)
def test_confidential_reporter_is_not_named_in_admin_lists(client, superuser, world, url_name):
    client.force_login(superuser)
    response = client.get(reverse(url_name))
    assert response.status_code == 200
    assert "Quinn" not in response.text
    assert "quinn@example.com" not in response.text


def test_confidential_reporter_is_not_named_on_the_report_or_its_trail(client, superuser, world, confidential_reporter):
    report = world["confidential"]
    client.force_login(superuser)
    for url in [
        reverse("admin:incidents_report_change", args=[report.pk]),
        *(reverse("admin:incidents_event_change", args=[e.pk]) for e in Event.objects.filter(report=report)),
    ]:
        response = client.get(url)
        assert response.status_code == 200
        assert "Quinn" not in response.text, url
        assert f'"recipient": {confidential_reporter.pk}' not in response.text
    page = client.get(reverse("admin:incidents_report_change", args=[report.pk]))
    assert "A crew member" in page.text


def test_searching_reports_by_a_reporters_name_finds_nothing(client, superuser, world):
    client.force_login(superuser)
    rows = client.get(reverse(CHANGELIST), {"q": "Quinn"}).context["cl"].result_list
    assert list(rows) == []


# --- nothing deleted, nothing edited -----------------------------------------------------------------


def test_reports_cannot_be_added_changed_or_deleted_through_the_admin(client, superuser, world):
    report = world["named"]
    client.force_login(superuser)
    page = client.get(reverse("admin:incidents_report_change", args=[report.pk]))
    assert 'name="_save"' not in page.text
    assert client.post(reverse("admin:incidents_report_change", args=[report.pk]), {"title": "x"}).status_code == 403
    assert client.post(reverse("admin:incidents_report_delete", args=[report.pk]), {"post": "yes"}).status_code == 403
    assert client.get(reverse("admin:incidents_report_add")).status_code == 403
    response = client.post(
        reverse(CHANGELIST), {"action": "delete_selected", "_selected_action": [report.pk], "index": 0, "post": "yes"}
    )
    assert Report.objects.filter(pk=report.pk).exists()
    report.refresh_from_db()
    assert report.title == "Loose sandbag"
    assert response.status_code in (200, 302)


def test_events_cannot_be_added_changed_or_deleted_even_by_a_superuser(client, superuser, world):
    event = Event.objects.filter(report=world["named"]).first()
    client.force_login(superuser)
    change = reverse("admin:incidents_event_change", args=[event.pk])
    page = client.get(change)
    assert page.status_code == 200 and 'name="_save"' not in page.text
    assert client.post(change, {"kind": "resolved", "payload": "{}"}).status_code == 403
    assert client.post(reverse("admin:incidents_event_delete", args=[event.pk]), {"post": "yes"}).status_code == 403
    assert client.get(reverse("admin:incidents_event_add")).status_code == 403
    client.post(
        reverse("admin:incidents_event_changelist"),
        {"action": "delete_selected", "_selected_action": [event.pk], "index": 0, "post": "yes"},
    )
    assert Event.objects.filter(pk=event.pk, kind=event.kind).exists()
    world["named"].refresh_from_db()
    assert verify_trail(world["named"]).intact


def test_report_page_trail_inline_offers_no_add_change_or_delete(client, superuser, world):
    client.force_login(superuser)
    response = client.get(reverse("admin:incidents_report_change", args=[world["named"].pk]))
    for inline in response.context["inline_admin_formsets"]:
        assert not inline.has_add_permission
        assert not inline.has_change_permission
        assert not inline.has_delete_permission


def test_report_page_shows_times_in_the_productions_time_zone(client, superuser, world):
    client.force_login(superuser)
    response = client.get(reverse("admin:incidents_report_change", args=[world["named"].pk]))
    assert "MDT" in response.text or "MST" in response.text  # America/Denver, not UTC


def test_failed_notification_shows_on_the_report_with_its_error(client, superuser, world):
    failed = Notification.objects.get(report=world["named"], status=Notification.Status.FAILED)
    fail_notification(failed, error="SMTPRecipientsRefused: mailbox full")
    client.force_login(superuser)
    response = client.get(reverse("admin:incidents_report_change", args=[world["named"].pk]))
    assert "SMTPRecipientsRefused: mailbox full" in response.text
    assert "Failed" in response.text


# --- corrective actions -----------------------------------------------------------------------------


def test_a_reports_corrective_actions_are_shown_read_only_to_its_production_admin(
    client, production_admin, production, crew, ladder_cast
):
    report = file_report(production, crew, Category.RIGGING)
    (action,) = plan_actions(report, ladder_cast["safety"], ladder_cast["armorer"])
    action_mark_done(action_id=action.pk, user=ladder_cast["armorer"], note="Feet fitted on every ladder.")
    client.force_login(production_admin)
    page = client.get(reverse("admin:incidents_report_change", args=[report.pk])).text
    assert "Corrective actions" in page and "Fix number 1" in page and "Arden Armorer" in page
    assert "Feet fitted on every ladder." in page
    assert 'name="actions-0-what"' not in page  # read-only: nothing to post
