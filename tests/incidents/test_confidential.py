"""Confidential reporters: never named to handlers (pages, emails, exports, the admin) until the
safety coordinator or an admin reveals the name, with a reason, in the trail, and tells them."""

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from accounts.models import Department, Role
from incidents.categories import Category
from incidents.models import Channel, EventKind, Identity, Notification, Report
from incidents.services.delivery import notification_deliver
from incidents.services.escalation import report_escalate
from incidents.services.handling import report_acknowledge, report_comment
from incidents.services.identity import identity_reveal
from incidents.trail import verify_trail
from tests.factories import file_report, member
from tests.helpers import without_owner_pickers

pytestmark = pytest.mark.django_db

NAME = "Quinn Quietly"
EMAIL = "quinn.quietly@example.com"
REASON = "She is the only witness to the burn injury and the insurer needs her statement."


@pytest.fixture
def quinn(production):
    return member(production, Role.CREW, Department.CAMERA, full_name=NAME, email=EMAIL)


@pytest.fixture
def confidential(production, quinn, ladder_cast):
    report = file_report(production, quinn, Category.PYROTECHNICS, title="Flash pot too close", identity="confidential")
    report_escalate(report_id=report.pk, expected_level=1, now=report.next_escalation_at)
    report_comment(report_id=report.pk, user=ladder_cast["safety"], body="Which flash pot?")
    report_comment(report_id=report.pk, user=quinn, body="The one by the door")
    report_acknowledge(report_id=report.pk, user=ladder_cast["safety"])
    return Report.objects.get(pk=report.pk)


def _text(response) -> str:
    if response.streaming:
        return b"".join(response.streaming_content).decode()
    return response.content.decode()


def _handler_pages(report):
    return [
        reverse("report_detail", args=[report.pk]),
        reverse("report_list"),
        reverse("dashboard") + f"?production={report.production_id}",
        reverse("dashboard_queue") + f"?production={report.production_id}",
        reverse("dashboard_export_csv") + f"?production={report.production_id}",
        reverse("report_record", args=[report.pk]),
        reverse("inbox"),
    ]


def _deliver_emails():
    for pk in Notification.objects.filter(channel=Channel.EMAIL, status="pending").values_list("pk", flat=True):
        notification_deliver(notification_id=pk)


def _assert_no_name(text, where):
    text = without_owner_pickers(text)  # every member is listed there, the reporter among them
    assert NAME not in text and EMAIL not in text and "Quinn" not in text, where


def test_a_confidential_reporters_name_is_in_no_handler_page_email_export_or_admin_list(
    client, production, confidential, ladder_cast, superuser
):
    for handler in (ladder_cast["department_head"], ladder_cast["safety"], ladder_cast["executive"]):
        client.force_login(handler)
        for url in _handler_pages(confidential):
            response = client.get(url)
            assert response.status_code == 200, url
            _assert_no_name(_text(response), (handler, url))
    _deliver_emails()
    handler_emails = [m for m in mail.outbox if EMAIL not in m.to]
    assert handler_emails
    for message in handler_emails:
        _assert_no_name(message.subject + message.body + "".join(c for c, _ in message.alternatives), message.to)
    client.force_login(superuser)
    for url in (
        reverse("admin:incidents_report_changelist"),
        reverse("admin:incidents_event_changelist"),
        reverse("admin:incidents_report_change", args=[confidential.pk]),
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        _assert_no_name(_text(response), url)


def test_handlers_see_the_department_only_when_the_reporter_chose_to_show_it(client, production, quinn, safety):
    shown = file_report(production, quinn, Category.OTHER, identity="confidential", show_department=True)
    client.force_login(safety)
    page = client.get(shown.get_absolute_url()).content.decode()
    assert "A crew member (Grip)" in page  # the report's department, not a name
    _assert_no_name(page, "report page")


def test_the_safety_coordinator_reveals_the_name_with_a_reason_and_the_reporter_is_told(
    client, production, confidential, quinn, ladder_cast
):
    safety = ladder_cast["safety"]
    client.force_login(safety)
    url = reverse("report_reveal", args=[confidential.pk])
    page = client.get(url).content.decode()
    assert "Why must the name be revealed?" in page
    _assert_no_name(page, "reveal form")
    assert confidential.get_absolute_url() in page

    refused = client.post(url, {"reason": "  "})
    assert refused.status_code == 200 and "Say why the name must be revealed." in refused.content.decode()
    confidential.refresh_from_db()
    assert confidential.revealed_at is None

    response = client.post(url, {"reason": REASON})
    assert response.status_code == 302 and response["Location"] == confidential.get_absolute_url()
    confidential.refresh_from_db()
    assert confidential.revealed_at is not None
    event = confidential.events.get(kind=EventKind.IDENTITY_REVEALED)
    assert (event.actor, event.payload["reason"], event.public) == (safety, REASON, True)
    assert verify_trail(confidential).intact
    told = set(event.notifications.values_list("recipient_id", "channel"))
    assert told == {(quinn.pk, Channel.IN_APP), (quinn.pk, Channel.EMAIL)}  # never the production's webhook

    mail.outbox.clear()
    _deliver_emails()
    to_quinn = [m for m in mail.outbox if m.to == [EMAIL]]
    assert to_quinn and REASON in to_quinn[0].body
    client.force_login(ladder_cast["upm"])
    page = client.get(confidential.get_absolute_url()).content.decode()
    assert NAME in page and REASON in page


@pytest.mark.parametrize("role", ["reporter", "department_head", "upm", "producer", "executive"])
def test_nobody_but_the_safety_coordinator_or_an_admin_may_reveal(
    client, production, confidential, quinn, ladder_cast, role
):
    user = quinn if role == "reporter" else ladder_cast[role]
    client.force_login(user)
    url = reverse("report_reveal", args=[confidential.pk])
    assert client.get(url).status_code == 403
    assert client.post(url, {"reason": REASON}).status_code == 403
    with pytest.raises(PermissionDenied):
        identity_reveal(report_id=confidential.pk, user=user, reason=REASON)
    confidential.refresh_from_db()
    assert confidential.revealed_at is None
    assert not confidential.events.filter(kind=EventKind.IDENTITY_REVEALED).exists()


def test_strangers_do_not_learn_the_reveal_page_exists(client, confidential, other_crew, outsider):
    for user in (other_crew, outsider):
        client.force_login(user)
        assert client.get(reverse("report_reveal", args=[confidential.pk])).status_code == 404


def test_an_admin_may_reveal(client, confidential, superuser):
    identity_reveal(report_id=confidential.pk, user=superuser, reason=REASON)
    assert Report.objects.get(pk=confidential.pk).revealed_at is not None


def test_a_name_is_revealed_once_and_only_on_a_confidential_report(client, production, confidential, crew, safety):
    identity_reveal(report_id=confidential.pk, user=safety, reason=REASON)
    with pytest.raises(ValidationError):
        identity_reveal(report_id=confidential.pk, user=safety, reason="Again")
    client.force_login(safety)
    assert client.get(reverse("report_reveal", args=[confidential.pk])).status_code == 403
    named = file_report(production, crew, Category.OTHER)
    assert client.get(reverse("report_reveal", args=[named.pk])).status_code == 403
    with pytest.raises(ValidationError):
        identity_reveal(report_id=named.pk, user=safety, reason=REASON)
    assert named.identity == Identity.NAMED


def test_the_report_page_offers_the_reveal_only_to_whoever_may_do_it(client, confidential, ladder_cast):
    link = reverse("report_reveal", args=[confidential.pk])
    client.force_login(ladder_cast["safety"])
    assert link in client.get(confidential.get_absolute_url()).content.decode()
    client.force_login(ladder_cast["producer"])
    assert link not in client.get(confidential.get_absolute_url()).content.decode()
