"""Delivering the outbox through real servers: an SMTP server process (tests/smtp_sink.py) and a local
HTTP server standing in for the third-party webhook. The delivery service is called directly here;
tests/incidents/test_escalation_worker.py delivers through a real worker."""

import contextlib
import json
import threading
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.utils import timezone

from incidents.categories import Category
from incidents.models import Channel, EventKind, Notification
from incidents.notifications.webhook import mrkdwn_escape
from incidents.services.delivery import Delivery, notification_deliver
from incidents.services.escalation import Outcome, report_escalate
from incidents.services.handling import report_acknowledge
from tests.factories import file_report

pytestmark = pytest.mark.django_db

HOSTILE_TITLE = 'Rounds <script>alert("x")</script> & "blanks" in the prop truck'


def _escalate(report):
    later = report.next_escalation_at + timedelta(seconds=1)
    assert report_escalate(report_id=report.pk, expected_level=report.escalation_level, now=later) is Outcome.ESCALATED
    return report.events.get(kind=EventKind.ESCALATED)


def _row(event, recipient, channel):
    return Notification.objects.get(event=event, recipient=recipient, channel=channel)


@pytest.fixture
def smtp_settings(settings, smtp_sink):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = smtp_sink.port
    settings.EMAIL_TIMEOUT = 5
    settings.SITE_URL = "https://safetrack.example"
    return smtp_sink


# --- email ---------------------------------------------------------------------------------------------


def test_an_escalation_email_reaches_a_real_smtp_server_with_text_and_html_parts(
    production, crew, ladder_cast, smtp_settings
):
    report = file_report(production, crew, Category.MISFIRE, title=HOSTILE_TITLE)
    event = _escalate(report)
    notification = _row(event, ladder_cast["safety"], Channel.EMAIL)

    assert notification_deliver(notification_id=notification.pk) is Delivery.SENT

    [message] = smtp_settings.messages()
    assert message["To"] == ladder_cast["safety"].email
    assert "escalated to level 2" in message["Subject"] and "Dust Devil" in message["Subject"]
    assert message["Message-ID"].startswith(f"<notification-{notification.pk}.")
    assert message["X-SafeTrack-Notification"] == str(notification.pk)
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    link = f"https://safetrack.example/reports/{report.pk}/"
    for part in (text, html):
        assert "Not acknowledged in time: escalated to level 2" in part
        assert "Open for:" in part
        assert link in part
        assert f"{link}acknowledge/" in part  # the one-click link, signed for this notification
        assert "The sandbag on stand 3 slid off" in part  # what happened
        assert "MST" in part or "MDT" in part  # the production's time zone (America/Denver)
        assert "not_acknowledged" not in part  # no internal codes
    assert HOSTILE_TITLE in text  # plain text is not HTML-escaped
    assert "<script>" not in html and "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp;" in html
    notification.refresh_from_db()
    assert (notification.status, notification.attempts, notification.last_error) == ("sent", 1, "")
    assert report.events.filter(kind=EventKind.NOTIFIED, payload__notification=notification.pk).count() == 1


def test_an_email_is_rendered_in_the_recipients_language(production, crew, ladder_cast, smtp_settings):
    safety = ladder_cast["safety"]
    safety.language = "es"
    safety.save(update_fields=["language"])
    event = _escalate(file_report(production, crew, Category.MISFIRE))

    notification_deliver(notification_id=_row(event, safety, Channel.EMAIL).pk)

    [message] = smtp_settings.messages()
    assert '<html lang="es">' in message.get_body(preferencelist=("html",)).get_content()


def test_a_report_that_is_no_longer_open_gets_no_acknowledge_link(production, crew, ladder_cast, smtp_settings):
    report = file_report(production, crew, Category.MISFIRE)
    notification = Notification.objects.get(report=report, recipient=ladder_cast["armorer"], channel=Channel.EMAIL)
    report_acknowledge(report_id=report.pk, user=ladder_cast["department_head"])
    notification_deliver(notification_id=notification.pk)

    [message] = smtp_settings.messages()
    assert "/acknowledge/" not in message.get_body(preferencelist=("plain",)).get_content()


def test_a_refusing_smtp_server_makes_the_email_retry_with_backoff_then_fail(
    settings, production, crew, ladder_cast, smtp_refusing
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", smtp_refusing.port
    settings.NOTIFICATION_MAX_ATTEMPTS = 3
    settings.NOTIFICATION_RETRY_BASE_SECONDS = 10
    report = file_report(production, crew, Category.MISFIRE)
    email = Notification.objects.get(report=report, recipient=ladder_cast["armorer"], channel=Channel.EMAIL)
    in_app = Notification.objects.get(report=report, recipient=ladder_cast["armorer"], channel=Channel.IN_APP)

    now = timezone.now()
    outcomes, delays = [], []
    for _ in range(3):
        outcomes.append(notification_deliver(notification_id=email.pk, now=now))
        email.refresh_from_db()
        if email.status == "pending":
            delays.append((email.next_attempt_at - now).total_seconds())
            assert notification_deliver(notification_id=email.pk, now=now) is Delivery.SKIPPED  # not due yet
            now = email.next_attempt_at

    assert outcomes == [Delivery.RETRY, Delivery.RETRY, Delivery.FAILED]
    assert delays == [10, 20]  # exponential backoff
    assert (email.status, email.attempts) == ("failed", 3)
    assert "554" in email.last_error and "Refused by the test server" in email.last_error
    assert [(outcome, to) for _at, outcome, to in smtp_refusing.attempts()] == [("refused", email.recipient.email)] * 3
    in_app.refresh_from_db()
    assert in_app.status == "sent"  # the inbox does not depend on the mail server


# --- webhook -------------------------------------------------------------------------------------------


class Hook:
    """A local HTTP server that answers as told and remembers what it received."""

    def __init__(self, answer: str = "ok", redirect_to: str = ""):
        self.answer = answer
        self.redirect_to = redirect_to
        self.requests: list[dict] = []
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                hook.requests.append({"path": self.path, "body": body, "type": self.headers.get("Content-Type")})
                if hook.answer == "slow":
                    time.sleep(3)
                status = {"ok": 200, "error": 500, "redirect": 302, "slow": 200}[hook.answer]
                with contextlib.suppress(OSError):  # a caller that timed out has hung up
                    self.send_response(status)
                    if hook.answer == "redirect":
                        self.send_header("Location", hook.redirect_to)
                    self.send_header("Content-Length", "2")
                    self.end_headers()
                    self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.origin = f"http://127.0.0.1:{self.server.server_port}"
        self.url = f"{self.origin}/hooks/safetrack"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def hooks(settings) -> Iterator[Callable[..., "Hook"]]:
    started: list[Hook] = []

    def start(**kwargs) -> Hook:
        started.append(Hook(**kwargs))
        # A local receiver is private and plain http: allowed for this origin only (see WEBHOOK_PRIVATE_ALLOWLIST).
        settings.WEBHOOK_PRIVATE_ALLOWLIST = [*settings.WEBHOOK_PRIVATE_ALLOWLIST, started[-1].origin]
        return started[-1]

    yield start
    for hook in started:
        hook.close()


def _webhook_row(production, crew, hook_url, **fields):
    production.webhook_url = hook_url
    production.save(update_fields=["webhook_url"])
    report = file_report(production, crew, Category.MISFIRE, **fields)
    return Notification.objects.get(report=report, channel=Channel.WEBHOOK)


def test_a_webhook_gets_slack_compatible_json(settings, production, crew, ladder_cast, hooks):
    settings.SITE_URL = "https://safetrack.example"
    hook = hooks()
    notification = _webhook_row(production, crew, hook.url, title=HOSTILE_TITLE)

    assert notification_deliver(notification_id=notification.pk) is Delivery.SENT

    [request] = hook.requests
    assert request["type"] == "application/json"
    payload = json.loads(request["body"])
    assert "New safety report" in payload["text"] and mrkdwn_escape(HOSTILE_TITLE) in payload["text"]
    assert f"https://safetrack.example/reports/{notification.report_id}/" in payload["text"]
    assert payload["blocks"][0]["text"]["type"] == "mrkdwn"
    notification.refresh_from_db()
    assert notification.status == "sent"


def test_a_webhook_that_answers_500_is_retried(production, crew, ladder_cast, hooks):
    notification = _webhook_row(production, crew, hooks(answer="error").url)

    assert notification_deliver(notification_id=notification.pk) is Delivery.RETRY

    notification.refresh_from_db()
    assert notification.status == "pending" and "HTTP 500" in notification.last_error


def test_a_webhook_that_does_not_answer_in_time_is_retried(settings, production, crew, ladder_cast, hooks):
    settings.WEBHOOK_TIMEOUT_SECONDS = 1
    notification = _webhook_row(production, crew, hooks(answer="slow").url)

    started = time.monotonic()
    assert notification_deliver(notification_id=notification.pk) is Delivery.RETRY

    assert time.monotonic() - started < 2.5
    notification.refresh_from_db()
    assert "webhook unreachable: ReadTimeout" in notification.last_error


def test_a_webhook_redirect_to_another_host_is_not_followed(production, crew, ladder_cast, hooks):
    elsewhere = hooks()
    redirecting = hooks(answer="redirect", redirect_to=elsewhere.url.replace("127.0.0.1", "localhost") + "?steal=1")
    notification = _webhook_row(production, crew, redirecting.url)

    assert notification_deliver(notification_id=notification.pk) is Delivery.RETRY

    assert len(redirecting.requests) == 1 and elsewhere.requests == []
    notification.refresh_from_db()
    assert "HTTP 302" in notification.last_error


def test_a_failing_webhook_does_not_hold_back_email_or_inbox(production, crew, ladder_cast, hooks, mailoutbox):
    notification = _webhook_row(production, crew, hooks(answer="error").url)
    emails = Notification.objects.filter(report=notification.report, channel=Channel.EMAIL)

    notification_deliver(notification_id=notification.pk)
    for email in emails:
        assert notification_deliver(notification_id=email.pk) is Delivery.SENT

    assert len(mailoutbox) == emails.count() == 2
    assert not Notification.objects.filter(report=notification.report, channel=Channel.IN_APP).exclude(status="sent")
