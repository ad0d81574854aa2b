"""Confidential and anonymous reporters are never named to handlers: not in the inbox, not in an email,
not in the webhook that leaves for a third-party service."""

import json
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core import mail
from django.urls import reverse

from accounts.models import Department
from incidents.categories import Category
from incidents.models import Channel, Identity, Notification
from incidents.notifications.message import message_for
from incidents.services.delivery import notification_deliver
from incidents.services.escalation import report_escalate
from incidents.services.handling import report_acknowledge, report_comment, report_reopen, report_resolve
from tests.factories import file_report, member

pytestmark = pytest.mark.django_db

NAME, EMAIL = "Rowan Whistleblower", "rowan.whistle@example.com"


@pytest.fixture
def webhook_bodies(production, settings):
    """The production's webhook points at a local server (the stand-in for Slack) that keeps each body."""
    bodies: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            bodies.append(self.rfile.read(int(self.headers["Content-Length"])).decode())
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    production.webhook_url = f"http://127.0.0.1:{server.server_port}/hook"
    production.save(update_fields=["webhook_url"])
    # A local receiver is private and plain http: allowed for this origin only.
    settings.WEBHOOK_PRIVATE_ALLOWLIST = [f"http://127.0.0.1:{server.server_port}"]
    yield bodies
    server.shutdown()
    server.server_close()


@pytest.fixture
def whistleblower(production):
    return member(production, full_name=NAME, email=EMAIL, department=Department.PROPS)


def _whole_life(report, reporter, ladder_cast):
    """Filed (level 1), escalated (level 2), a reply from the reporter, acknowledged, resolved, reopened."""
    report_escalate(report_id=report.pk, expected_level=1, now=report.next_escalation_at + timedelta(seconds=1))
    report_comment(report_id=report.pk, user=reporter, body="It happened again at lunch.")
    report_acknowledge(report_id=report.pk, user=ladder_cast["safety"])
    report_resolve(report_id=report.pk, user=ladder_cast["safety"], resolution="Rounds locked away.")
    report_reopen(report_id=report.pk, user=reporter, reason="They are back in the truck.")


def _everything_handlers_received(client, report, handlers, webhook_bodies):
    """The text of every in-app row (as the message and as the inbox page), email and webhook call."""
    rows = Notification.objects.filter(report=report).exclude(recipient=report.reporter).select_related("recipient")
    texts = []
    for row in rows:
        if row.channel == Channel.IN_APP:
            message = message_for(row)
            texts.append(" ".join([message.subject, message.headline, *message.lines]))
        else:
            notification_deliver(notification_id=row.pk)
    for handler in handlers:
        client.force_login(handler)
        page = client.get(reverse("inbox"))
        assert page.status_code == 200
        texts.append(page.content.decode())
        client.logout()
    for email in mail.outbox:
        if report.reporter is None or report.reporter.email not in email.to:
            texts.append(" ".join([email.subject, email.body, email.alternatives[0][0]]))
    texts.extend(webhook_bodies)
    return texts


@pytest.mark.parametrize("show_department", [False, True])
def test_a_confidential_reporter_is_never_named_in_inbox_email_or_webhook(
    client, production, whistleblower, ladder_cast, webhook_bodies, show_department
):
    report = file_report(
        production,
        whistleblower,
        Category.LIVE_AMMUNITION,
        identity=Identity.CONFIDENTIAL,
        show_department=show_department,
        department=Department.PROPS,
    )
    _whole_life(report, whistleblower, ladder_cast)

    texts = _everything_handlers_received(client, report, ladder_cast.values(), webhook_bodies)

    assert len(webhook_bodies) >= 4 and len(mail.outbox) >= 4  # filed, escalated, reply, reopened
    for text in texts:
        assert NAME not in text and "Rowan" not in text and EMAIL not in text
    expected = "A crew member (Props / armory)" if show_department else "A crew member"
    assert any(f"Reported by: {expected}" in json.loads(body)["text"] for body in webhook_bodies)
    assert all("Reported by: A crew member" in text for text in texts if "Reported by" in text)


def test_an_anonymous_reporter_is_shown_as_anonymous_everywhere(client, production, ladder_cast, webhook_bodies):
    report = file_report(production, None, Category.LIVE_AMMUNITION)
    report_escalate(report_id=report.pk, expected_level=1, now=report.next_escalation_at + timedelta(seconds=1))
    report_comment(report_id=report.pk, user=None, body="Still there.")

    texts = _everything_handlers_received(client, report, ladder_cast.values(), webhook_bodies)

    reporter_lines = [text for text in texts if "Reported by" in text]
    assert reporter_lines and all("Reported by: Anonymous crew member" in text for text in reporter_lines)


def test_a_named_reporter_is_named_to_handlers(client, production, whistleblower, ladder_cast, webhook_bodies):
    report = file_report(production, whistleblower, Category.LIVE_AMMUNITION, identity=Identity.NAMED)

    texts = _everything_handlers_received(client, report, [], webhook_bodies)

    assert all(f"Reported by: {NAME}" in text for text in texts if "Reported by" in text)
    assert any(NAME in body for body in webhook_bodies)
