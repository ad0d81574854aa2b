"""Text messages (SMS) through a real fake-provider process on 127.0.0.1 (tests/sms_provider.py): what a
text says and to whom, the "ACK <code>" reply signed by the provider, the monthly cap, and a provider that
is down or refuses."""

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from incidents.categories import Category, Severity
from incidents.models import (
    AcknowledgedVia,
    Channel,
    EventKind,
    Identity,
    Notification,
    PhoneNumber,
    Report,
    ReportStatus,
)
from incidents.notifications.sms import ack_code, signature
from incidents.services.contacts import channels_choose
from incidents.services.delivery import Delivery, notification_deliver
from incidents.services.escalation import report_escalate
from incidents.services.stop_work import stop_work_call
from support.processes import LiveStack, free_port, wait_for_port
from tests.factories import file_report
from tests.sms_provider import twilio_signature

pytestmark = pytest.mark.django_db

SID = "AC" + "0123456789abcdef" * 2
TOKEN = "provider-auth-token-for-tests"
SENDER = "+15005550006"
HEAD_NUMBER = "+34612345678"


@dataclass
class SmsProvider:
    origin: str
    folder: Path
    state: Path

    def received(self) -> list[dict]:
        return [json.loads(path.read_text()) for path in sorted(self.folder.glob("*.json"))]

    def sent(self) -> list[dict]:
        return [entry for entry in self.received() if entry["status"] == 201]

    def switch(self, mode: str) -> None:
        self.state.write_text(mode)

    @property
    def env(self) -> dict[str, str]:
        """The settings that point a worker at this provider."""
        return {
            "SMS_PROVIDER_URL": f"{self.origin}/switch",
            "SMS_ACCOUNT_SID": SID,
            "SMS_AUTH_TOKEN": TOKEN,
            "SMS_FROM_NUMBER": SENDER,
        }


@pytest.fixture
def sms_provider(settings, tmp_path: Path) -> Iterator[SmsProvider]:
    port = free_port()
    origin = f"http://127.0.0.1:{port}"
    folder, state = tmp_path / "texts", tmp_path / "provider-state"
    state.write_text("ok")
    provider = SmsProvider(origin, folder, state)
    for name, value in provider.env.items():
        setattr(settings, name, value)
    stack = LiveStack(folder=tmp_path, env={"PYTHONUNBUFFERED": "1"})
    args = ["-m", "tests.sms_provider", "--port", str(port), "--folder", str(folder), "--state", str(state)]
    process = stack.start("sms-provider", [*args, "--sid", SID, "--token", TOKEN])
    wait_for_port(port)
    yield provider
    process.stop()


def verified(user, number: str = HEAD_NUMBER) -> PhoneNumber:
    return PhoneNumber.objects.create(user=user, number=number, verified_at=timezone.now())


def deliver_texts(*, rounds: int = 1) -> list[Delivery]:
    """Run the SMS deliveries as the worker would, each retry as soon as its backoff allows (round n runs
    n hours from now); the outcomes of the rows tried."""
    outcomes = []
    for attempt in range(rounds):
        later = timezone.now() + timedelta(hours=attempt)
        for pk in Notification.objects.filter(channel=Channel.SMS, status=Notification.Status.PENDING).values_list(
            "pk", flat=True
        ):
            outcomes.append(notification_deliver(notification_id=pk, now=later))
    return [outcome for outcome in outcomes if outcome != Delivery.SKIPPED]  # not due yet at that round


def reply(client, *, from_number: str, body: str, sign_with: str | None = TOKEN, account: str = SID):
    """The provider posting a text sent back to SafeTrack's number, signed as the provider signs."""
    params = {"MessageSid": "SM" + "f" * 32, "AccountSid": account, "From": from_number, "To": SENDER, "Body": body}
    headers = {}
    if sign_with is not None:
        url = settings.SITE_URL + reverse("sms_inbound")
        headers["HTTP_X_TWILIO_SIGNATURE"] = twilio_signature(url, params, sign_with)
    return client.post(reverse("sms_inbound"), params, **headers)


def code_in(text: str) -> str:
    return re.search(r"ACK (\d{6})", text)[1]


# --- what is sent, to whom ----------------------------------------------------------------------------------


def test_a_critical_report_reaches_a_verified_phone_by_text_with_a_code_to_acknowledge(
    production, crew, ladder_cast, sms_provider
):
    head = ladder_cast["department_head"]
    verified(head)
    report = file_report(
        production, crew, Category.LIVE_AMMUNITION, title="Live round in the prop cart", ammunition="live"
    )
    assert deliver_texts() == [Delivery.SENT]
    [text] = sms_provider.sent()
    assert text["to"] == HEAD_NUMBER and text["from"] == SENDER
    assert text["body"].startswith("SafeTrack CRITICAL: ")
    assert f"#{report.pk} Live round in the prop cart" in text["body"]
    assert report.get_absolute_url() in text["body"]
    row = Notification.objects.get(channel=Channel.SMS)
    assert code_in(text["body"]) == ack_code(row.pk)
    assert report.events.filter(kind=EventKind.NOTIFIED, payload__notification=row.pk).count() == 1


def test_below_critical_a_text_goes_only_to_who_ticked_it(production, crew, ladder_cast, sms_provider):
    head = ladder_cast["department_head"]
    verified(head)
    medium = file_report(production, crew, Category.OTHER, severity=Severity.MEDIUM)
    assert not Notification.objects.filter(report=medium, channel=Channel.SMS).exists()
    channels_choose(user=head, by_severity={Severity.MEDIUM: [Channel.EMAIL, Channel.SMS]})
    second = file_report(production, crew, Category.OTHER, severity=Severity.MEDIUM, title="Second")
    assert Notification.objects.filter(report=second, channel=Channel.SMS, recipient=head).count() == 1


def test_critical_reports_text_even_who_unticked_every_box_but_a_comment_is_never_texted(
    production, crew, ladder_cast, sms_provider, client
):
    head = ladder_cast["department_head"]
    verified(head)
    channels_choose(user=head, by_severity={severity: [] for severity in (Severity.HIGH, Severity.MEDIUM)})
    report = file_report(production, crew, Category.OTHER, severity=Severity.CRITICAL)
    assert Notification.objects.filter(report=report, channel=Channel.SMS, recipient=head).count() == 1
    client.force_login(crew)
    client.post(reverse("report_comment", args=[report.pk]), {"body": "More cable on the floor"})
    assert Notification.objects.filter(report=report, channel=Channel.SMS).count() == 1


def test_an_unverified_number_gets_nothing(production, crew, ladder_cast, sms_provider):
    head = ladder_cast["department_head"]
    PhoneNumber.objects.create(user=head, number=HEAD_NUMBER, code_hash="x", code_sent_at=timezone.now())
    file_report(production, crew, Category.OTHER, severity=Severity.CRITICAL)
    assert not Notification.objects.filter(channel=Channel.SMS).exists()


def test_a_text_never_names_a_confidential_or_anonymous_reporter(production, crew, ladder_cast, sms_provider):
    verified(ladder_cast["department_head"])
    file_report(
        production,
        crew,
        Category.OTHER,
        severity=Severity.CRITICAL,
        title="Harassment on the night shoot",
        identity=Identity.CONFIDENTIAL,
    )
    stop_work_call(
        production=production, caller=crew, reason="Unsafe rigging over the crowd", identity=Identity.ANONYMOUS
    )
    deliver_texts()
    texts = sms_provider.sent()
    assert len(texts) == 2
    for text in texts:
        assert "Gabi" not in text["body"] and crew.email not in text["body"]


def test_a_text_is_in_the_persons_language(production, crew, ladder_cast, sms_provider):
    head = ladder_cast["department_head"]
    head.language = "es"
    head.save(update_fields=["language"])
    verified(head)
    file_report(production, crew, Category.OTHER, severity=Severity.CRITICAL)
    deliver_texts()
    [text] = sms_provider.sent()
    assert "Responde ACK" in text["body"], text["body"]


# --- the reply ------------------------------------------------------------------------------------------------


def _texted_report(production, crew, head, sms_provider):
    verified(head)
    report = file_report(production, crew, Category.OTHER, severity=Severity.CRITICAL)
    deliver_texts()
    [text] = sms_provider.sent()
    return report, code_in(text["body"])


def test_a_signed_ack_reply_from_the_verified_number_acknowledges_the_report(
    client, production, crew, ladder_cast, sms_provider
):
    head = ladder_cast["department_head"]
    report, code = _texted_report(production, crew, head, sms_provider)
    response = reply(client, from_number=HEAD_NUMBER, body=f"ack {code}")
    assert response.status_code == 200
    assert f"Acknowledged report #{report.pk}" in response.content.decode()
    report.refresh_from_db()
    assert (report.status, report.acknowledged_by) == (ReportStatus.ACKNOWLEDGED, head)
    event = report.events.get(kind=EventKind.ACKNOWLEDGED)
    assert event.payload["via"] == AcknowledgedVia.SMS
    # The same code again changes nothing.
    again = reply(client, from_number=HEAD_NUMBER, body=f"ACK {code}")
    assert "already used" in again.content.decode()
    assert report.events.filter(kind=EventKind.ACKNOWLEDGED).count() == 1


@pytest.mark.parametrize(
    "signing",
    ["none", "wrong token", "another account", "tampered"],
)
def test_an_unsigned_or_wrongly_signed_reply_changes_nothing(
    client, production, crew, ladder_cast, sms_provider, signing
):
    report, code = _texted_report(production, crew, ladder_cast["department_head"], sms_provider)
    if signing == "tampered":
        params = {"AccountSid": SID, "From": HEAD_NUMBER, "To": SENDER, "Body": "ACK 000000"}
        header = twilio_signature(settings.SITE_URL + reverse("sms_inbound"), params, TOKEN)
        response = client.post(
            reverse("sms_inbound"), {**params, "Body": f"ACK {code}"}, HTTP_X_TWILIO_SIGNATURE=header
        )
    else:
        response = reply(
            client,
            from_number=HEAD_NUMBER,
            body=f"ACK {code}",
            sign_with={"none": None, "wrong token": "guessed", "another account": TOKEN}[signing],
            account="AC" + "9" * 32 if signing == "another account" else SID,
        )
    assert response.status_code == 403
    report.refresh_from_db()
    assert report.status == ReportStatus.OPEN
    assert not report.events.filter(kind=EventKind.ACKNOWLEDGED).exists()


def test_a_signed_reply_from_a_number_nobody_verified_changes_nothing_and_gets_no_answer(
    client, production, crew, ladder_cast, sms_provider
):
    report, code = _texted_report(production, crew, ladder_cast["department_head"], sms_provider)
    response = reply(client, from_number="+34699999999", body=f"ACK {code}")
    assert response.status_code == 200
    assert "<Message>" not in response.content.decode()
    report.refresh_from_db()
    assert report.status == ReportStatus.OPEN


def test_a_code_sent_to_someone_else_does_not_acknowledge(client, production, crew, ladder_cast, sms_provider):
    report, code = _texted_report(production, crew, ladder_cast["department_head"], sms_provider)
    verified(ladder_cast["producer"], "+34611111111")  # verified after the report: no text of their own
    response = reply(client, from_number="+34611111111", body=f"ACK {code}")
    assert "No open report is waiting for that code" in response.content.decode()
    report.refresh_from_db()
    assert report.status == ReportStatus.OPEN


def test_a_handler_the_report_climbed_past_still_acknowledges_by_text(
    client, production, crew, ladder_cast, sms_provider
):
    report, code = _texted_report(production, crew, ladder_cast["department_head"], sms_provider)
    report_escalate(report_id=report.pk, expected_level=1, force=True)  # told at level 1: still theirs to take
    response = reply(client, from_number=HEAD_NUMBER, body=f"ACK {code}")
    assert f"Acknowledged report #{report.pk}" in response.content.decode()
    report.refresh_from_db()
    assert (report.status, report.acknowledged_by) == (ReportStatus.ACKNOWLEDGED, ladder_cast["department_head"])


def test_a_handler_too_close_to_the_report_cannot_acknowledge_by_text(
    client, production, crew, ladder_cast, sms_provider
):
    report, code = _texted_report(production, crew, ladder_cast["department_head"], sms_provider)
    Report.objects.filter(pk=report.pk).update(reporter=ladder_cast["department_head"])  # as if they filed it
    response = reply(client, from_number=HEAD_NUMBER, body=f"ACK {code}")
    assert f"You cannot acknowledge report #{report.pk}" in response.content.decode()
    report.refresh_from_db()
    assert report.status == ReportStatus.OPEN
    # Nothing was used up: the code would work again for someone it is no conflict for.
    assert (
        Notification.objects.get(channel=Channel.SMS, recipient=ladder_cast["department_head"]).ack_link_used_at is None
    )


def test_a_reply_that_is_not_ack_gets_a_hint_and_changes_nothing(client, production, crew, ladder_cast, sms_provider):
    report, _code = _texted_report(production, crew, ladder_cast["department_head"], sms_provider)
    response = reply(client, from_number=HEAD_NUMBER, body="on my way <b>now</b>")
    assert "reply ACK and the 6 digits" in response.content.decode()
    assert "<b>" not in response.content.decode()
    report.refresh_from_db()
    assert report.status == ReportStatus.OPEN


def test_the_signature_check_matches_the_providers_documented_examples():
    url = "https://mycompany.com/myapp.php?foo=1&bar=2"
    params = {
        "CallSid": "CA1234567890ABCDE",
        "Caller": "+14158675309",
        "Digits": "1234",
        "From": "+14158675309",
        "To": "+18005551212",
    }
    assert signature(url=url, params=params.items(), token="12345") == "RSOYDt4T1cUTdK1PDd93/VVr8B8="
    repeated = [("Sid", "CA123"), ("SidAccount", "AC123"), ("Digits", "5678"), ("Digits", "1234"), ("Digits", "1234")]
    assert signature(url=url, params=repeated, token="12345") == "IK+Dwps556ElfBT0I3Rgjkr1wJU="


# --- the provider refusing, down, and the cap ---------------------------------------------------------------


def test_a_provider_that_is_down_is_retried_then_the_text_fails_with_its_error_and_email_still_goes(
    production, crew, ladder_cast, sms_provider, settings
):
    settings.NOTIFICATION_MAX_ATTEMPTS = 3
    head = ladder_cast["department_head"]
    verified(head)
    sms_provider.switch("down")
    report = file_report(production, crew, Category.OTHER, severity=Severity.CRITICAL)
    assert deliver_texts(rounds=3) == [Delivery.RETRY, Delivery.RETRY, Delivery.FAILED]
    row = Notification.objects.get(channel=Channel.SMS)
    assert (row.status, row.attempts) == (Notification.Status.FAILED, 3)
    assert "HTTP 503" in row.last_error
    assert not report.events.filter(kind=EventKind.NOTIFIED, payload__channel=Channel.SMS).exists()
    for pk in Notification.objects.filter(channel=Channel.EMAIL).values_list("pk", flat=True):
        notification_deliver(notification_id=pk)
    assert head.email in [message.to[0] for message in mail.outbox]


def test_a_provider_back_up_sends_the_retried_text_once(production, crew, ladder_cast, sms_provider):
    verified(ladder_cast["department_head"])
    sms_provider.switch("down")
    report = file_report(production, crew, Category.OTHER, severity=Severity.CRITICAL)
    assert deliver_texts() == [Delivery.RETRY]
    sms_provider.switch("ok")
    assert deliver_texts(rounds=2) == [Delivery.SENT]
    assert len(sms_provider.sent()) == 1
    assert report.events.filter(kind=EventKind.NOTIFIED, payload__channel=Channel.SMS).count() == 1


def test_a_number_the_provider_refuses_fails_at_once(production, crew, ladder_cast, sms_provider):
    verified(ladder_cast["department_head"])
    sms_provider.switch("refuse")
    file_report(production, crew, Category.OTHER, severity=Severity.CRITICAL)
    assert deliver_texts() == [Delivery.FAILED]
    assert "21211" in Notification.objects.get(channel=Channel.SMS).last_error


def test_past_the_monthly_cap_a_text_is_not_sent_but_recorded_and_email_still_goes(
    production, crew, ladder_cast, sms_provider, admin_client
):
    production.sms_monthly_cap = 1
    production.save(update_fields=["sms_monthly_cap"])
    verified(ladder_cast["department_head"])
    file_report(production, crew, Category.OTHER, severity=Severity.CRITICAL, title="First")
    file_report(production, crew, Category.OTHER, severity=Severity.CRITICAL, title="Second")
    assert sorted(deliver_texts()) == sorted([Delivery.SENT, Delivery.FAILED])
    assert len(sms_provider.sent()) == 1
    failed = Notification.objects.get(channel=Channel.SMS, status=Notification.Status.FAILED)
    assert "monthly cap reached" in failed.last_error
    assert Notification.objects.filter(channel=Channel.EMAIL, report=failed.report).exists()
    page = admin_client.get(reverse("admin:accounts_production_change", args=[production.pk])).content.decode()
    assert "1 of 1 text messages sent this month" in page


def test_a_failed_send_gives_its_slot_of_the_cap_back(production, crew, ladder_cast, sms_provider):
    production.sms_monthly_cap = 1
    production.save(update_fields=["sms_monthly_cap"])
    verified(ladder_cast["department_head"])
    sms_provider.switch("down")
    file_report(production, crew, Category.OTHER, severity=Severity.CRITICAL)
    deliver_texts()
    sms_provider.switch("ok")
    assert deliver_texts(rounds=2) == [Delivery.SENT]
