"""No name field names the reporter of a confidential report (issue 15, item 2).

A department head reporting on their own department is a handler of that production. Whether or not
the rules let them act on their own report (issue 14 says they may not), no name shown to anyone else
(acknowledged by, resolved by, lifted by, who was told, the admin change page and CSV, the handlers'
CSV and record, the webhook, other people's emails) may carry their name."""

import contextlib

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from accounts.models import Department, Role
from incidents.categories import Category
from incidents.models import Identity, Notification, Report
from incidents.notifications.message import message_for
from incidents.services.handling import report_acknowledge, report_resolve
from incidents.services.stop_work import stop_work_call, stop_work_lift
from tests.factories import file_report, member

pytestmark = pytest.mark.django_db

REPORTER = "Kay Keygrip"


def attempt(action, **kwargs):
    """The reporter tries to act on their own report; the rules may refuse, which is fine too."""
    with contextlib.suppress(PermissionDenied, ValidationError):
        action(**kwargs)


def surfaces(client, report, viewer, superuser):
    """Everything a person other than the reporter can read about the report."""
    client.force_login(viewer)
    texts = {
        "report page": client.get(report.get_absolute_url()).content.decode(),
        "dashboard": client.get(reverse("dashboard"), {"production": report.production_id}).content.decode(),
        "queue csv": b"".join(
            client.get(reverse("dashboard_export_csv"), {"production": report.production_id}).streaming_content
        ).decode("utf-8-sig"),
        "record": client.get(reverse("report_record", args=[report.pk])).content.decode(),
    }
    client.force_login(superuser)
    texts["admin change page"] = client.get(reverse("admin:incidents_report_change", args=[report.pk])).content.decode()
    texts["admin csv"] = client.post(
        reverse("admin:incidents_report_changelist"),
        {"action": "export_csv", "_selected_action": [report.pk], "index": 0},
    ).content.decode("utf-8-sig")
    for notification in Notification.objects.filter(report=report, recipient__isnull=True).select_related(
        "event", "report__production"
    ):
        message = message_for(notification)
        texts[f"webhook {notification.event.kind}"] = " ".join([message.subject, message.headline, *message.lines])
    for email in mail.outbox:
        if report.reporter.email not in email.to:
            texts[f"email to {email.to}"] = email.subject + email.body
    return texts


@pytest.fixture
def webhook_production(production):
    production.webhook_url = "https://hooks.example.com/services/T000/B000/XXXX"
    production.save(update_fields=["webhook_url"])
    return production


def test_confidential_reporter_who_is_a_handler_is_never_named_as_its_handler(
    client, webhook_production, department_head, ladder_cast, superuser
):
    report = file_report(
        webhook_production,
        department_head,
        Category.RIGGING,
        identity=Identity.CONFIDENTIAL,
        department=Department.GRIP,
        title="Rigging over the grip truck is not tied off",
    )
    attempt(report_acknowledge, report_id=report.pk, user=department_head)
    attempt(report_resolve, report_id=report.pk, user=department_head, resolution="Tied off")
    report.refresh_from_db()
    if report.status != "resolved":
        report_resolve(report_id=report.pk, user=ladder_cast["producer"], resolution="Tied off and checked")
    for where, text in surfaces(client, Report.objects.get(pk=report.pk), ladder_cast["armorer"], superuser).items():
        assert REPORTER not in text, f"the reporter is named on the {where}"


def test_confidential_stop_work_caller_who_lifts_it_is_never_named(client, webhook_production, ladder_cast, superuser):
    caller = member(webhook_production, Role.PRODUCER, Department.PRODUCTION, full_name="Rory Quietcaller")
    report = stop_work_call(
        production=webhook_production, caller=caller, reason="Live round found in the prop box", identity="confidential"
    )
    attempt(stop_work_lift, report_id=report.pk, user=caller, clearance_note="Box cleared")
    report.refresh_from_db()
    if report.lifted_at is None:
        stop_work_lift(report_id=report.pk, user=ladder_cast["executive"], clearance_note="Box cleared by the armorer")
    for where, text in surfaces(client, Report.objects.get(pk=report.pk), ladder_cast["armorer"], superuser).items():
        assert "Rory Quietcaller" not in text, f"the caller is named on the {where}"
