"""Reports by email through the real `manage.py mailin` process: messages sent with smtplib to a free
loopback port, replies caught by the SMTP sink process (support/smtp_sink.py)."""

import io
import re
import smtplib
from collections.abc import Iterator
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from PIL import Image

from incidents.mail_address import reporting_address
from incidents.models import Channel, EventKind, FirearmFlag, Identity, Notification, Report
from incidents.services.receipt import report_for_receipt
from tests.live import (
    _FAILED,
    DEFAULT_ENV,
    LiveProcess,
    LiveStack,
    SmtpSink,
    flush_redis,
    free_port,
    live_database_url,
    live_skip_reason,
    wait_for_port,
)

DOMAIN = "reports.test"
RECEIPT = re.compile(r"\b[A-Z2-9]{5}(?:-[A-Z2-9]{5}){4}\b")
# One mailin process (and one SMTP sink) serves every test of this module: starting Django is most of
# a test's time. These limits suit all of them (the oversize and rate cases rely on them).
MAX_BYTES = 200_000
SENDER_RATE = "2/h"


@dataclass
class Mailin:
    port: int
    sink: SmtpSink
    process: LiveProcess

    def send(self, message: EmailMessage, *, to: str | None = None, sender: str | None = None) -> dict:
        with smtplib.SMTP("127.0.0.1", self.port, timeout=20) as smtp:
            return smtp.send_message(message, from_addr=sender, to_addrs=[to] if to else None)


@pytest.fixture(scope="module")
def mailin_process(django_db_setup, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Mailin]:
    """`manage.py mailin` on the test database and Redis, replying through a real SMTP sink process."""
    if live_skip_reason() is not None:
        pytest.skip(live_skip_reason())
    folder: Path = tmp_path_factory.mktemp("mailin")
    stack = LiveStack(folder=folder, env={"PYTHONUNBUFFERED": "1"})
    sink_port, port = free_port(), free_port()
    sink_process = stack.start(
        "smtp-sink", ["-m", "support.smtp_sink", "--port", str(sink_port), "--folder", str(folder / "sink")]
    )
    sink = SmtpSink(sink_port, folder / "sink", sink_process)
    env = {
        **DEFAULT_ENV,
        **sink.env,
        "DATABASE_URL": live_database_url(),
        "REDIS_URL": django_settings.REDIS_URL,
        "SAFETRACK_LOCAL_DIR": str(folder / "local"),
        "MEDIA_ROOT": str(folder / "media"),
        "MAILIN_DOMAIN": DOMAIN,
        "MAILIN_MAX_BYTES": str(MAX_BYTES),
        "MAILIN_SENDER_RATE": SENDER_RATE,
    }
    process = stack.start("mailin", ["manage.py", "mailin", "--port", str(port)], env)
    process.ready_line = "mailin listening"
    try:
        wait_for_port(sink_port)
        process.wait_ready(timeout=120)
        wait_for_port(port)
        yield Mailin(port, sink, process)
    finally:
        stack.stop_all()


@pytest.fixture
def mailin(request, settings, transactional_db, mailin_process: Mailin) -> Iterator[Mailin]:
    """The module's mailin, with an empty sink and fresh rate limits; its log is printed if the test fails."""
    settings.MAILIN_DOMAIN = DOMAIN
    flush_redis()
    for path in mailin_process.sink.folder.glob("*.eml"):
        path.unlink()
    log_start = len(mailin_process.process.log())
    yield mailin_process
    if request.node.stash.get(_FAILED, False):
        print(mailin_process.process.log()[log_start:])


def _jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 30, 30)).save(out, format="JPEG")
    return out.getvalue()


def _message(production, *, sender: str, subject: str, text: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = reporting_address(production)
    message["Subject"] = subject
    message.set_content(text)
    return message


def test_an_email_with_a_photo_from_a_member_files_a_named_report_with_the_photo(mailin, production, crew):
    server = mailin
    message = _message(
        production, sender=f"Gabi Grip <{crew.email}>", subject="Loose sandbag on stage 2", text="A sandbag hangs."
    )
    message.add_attachment(_jpeg(), maintype="image", subtype="jpeg", filename="sandbag.jpg")

    assert server.send(message) == {}

    report = Report.objects.get(production=production)
    assert (report.title, report.identity, report.reporter) == ("Loose sandbag on stage 2", Identity.NAMED, crew)
    assert "A sandbag hangs." in report.description
    attachment = report.attachments.get()
    assert (attachment.original_name, attachment.content_type) == ("sandbag.jpg", "image/jpeg")
    filed = report.events.get(kind=EventKind.FILED)
    assert filed.payload["via"] == "email"
    [reply] = server.sink.messages()
    assert reply["To"] == crew.email
    assert f"#{report.pk}" in reply["Subject"]
    assert reply["Auto-Submitted"] == "auto-replied"


def test_a_members_subject_starting_with_confidential_files_a_confidential_report(mailin, production, crew):
    server = mailin
    server.send(_message(production, sender=crew.email, subject="CONFIDENTIAL: the 1st AD", text="He yells at us."))

    report = Report.objects.get(production=production)
    assert (report.identity, report.reporter, report.title) == (Identity.CONFIDENTIAL, crew, "the 1st AD")


def test_an_unknown_sender_files_an_anonymous_report_and_gets_its_receipt_by_reply(mailin, production, crew):
    server = mailin
    server.send(_message(production, sender="someone@elsewhere.example", subject="Rigging", text="No safety line."))

    report = Report.objects.get(production=production)
    assert (report.identity, report.reporter) == (Identity.ANONYMOUS, None)
    [reply] = server.sink.messages()
    assert reply["To"] == "someone@elsewhere.example"
    body = reply.get_body(preferencelist=("plain",)).get_content()
    assert "código de seguimiento" in body.lower()
    [code] = set(RECEIPT.findall(body))
    assert report_for_receipt(code) == report
    # The address is kept nowhere with the report.
    kept = [report.title, report.description, *(str(e.payload) for e in report.events.all())]
    assert not any("elsewhere.example" in text for text in kept)


def test_an_oversize_message_is_refused_at_smtp(mailin, production):
    server = mailin
    message = _message(production, sender="someone@elsewhere.example", subject="Big", text="x" * (MAX_BYTES + 100_000))

    with pytest.raises((smtplib.SMTPSenderRefused, smtplib.SMTPDataError)) as refused:
        server.send(message)

    assert refused.value.smtp_code == 552
    assert not Report.objects.exists()


def test_an_unknown_reporting_address_is_refused_at_rcpt(mailin, production):
    server = mailin
    message = _message(production, sender="someone@elsewhere.example", subject="Hi", text="Hello")

    for address in (f"report+nosuchcode@{DOMAIN}", f"someone@{DOMAIN}", f"report+{production.join_code}@other.test"):
        with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
            server.send(message, to=address)
        assert [code for code, _text in refused.value.recipients.values()] == [550]
    assert not Report.objects.exists()


def test_an_auto_reply_is_accepted_and_ignored(mailin, production, crew):
    server = mailin
    message = _message(production, sender=crew.email, subject="Out of office", text="I am away until Monday.")
    message["Auto-Submitted"] = "auto-replied"

    assert server.send(message) == {}

    assert not Report.objects.exists()
    assert server.sink.messages() == []


def test_a_fatigue_email_about_the_gun_going_off_is_flagged_and_the_armorer_told(
    mailin, production, crew, armorer, safety
):
    server = mailin
    thread = "\n".join(f"> Day {n}: call time 6am, wrap 11pm. Turnaround short again." for n in range(1, 60))
    text = f"Forwarding the thread.\n\n{thread}\n> Also the gun went off twice during the rehearsal.\n> Thanks"
    server.send(_message(production, sender=crew.email, subject="Fwd: hours this week", text=text))

    report = Report.objects.get(production=production)
    assert "Day 59" in report.description  # the thread is kept whole
    flag = FirearmFlag.objects.get(report=report)
    assert flag.source == FirearmFlag.Source.EMAIL
    assert any("went off twice" in match["sentence"] for match in flag.matches)
    told = Notification.objects.filter(event__kind=EventKind.FIREARM_FLAGGED, channel=Channel.IN_APP)
    assert {n.recipient_id for n in told} == {armorer.pk, safety.pk}


def test_hostile_mime_files_safely_without_the_disguised_file(mailin, production):
    server = mailin
    raw = (
        "From: someone@elsewhere.example\r\n"
        f"To: {reporting_address(production)}\r\n"
        "Subject: =?x-unknown?q?broken?=\r\n"
        "MIME-Version: 1.0\r\n"
        'Content-Type: multipart/mixed; boundary="outer"\r\n\r\n'
        "--outer\r\n"
        'Content-Type: multipart/alternative; boundary="inner"\r\n\r\n'
        "--inner\r\n"
        "Content-Type: text/html; charset=x-made-up\r\n\r\n"
        "<p>The <b>ladder</b> is broken<script>alert(1)</script></p>\r\n"
        "--inner--\r\n"
        "--outer\r\n"
        'Content-Type: image/jpeg; name="photo.jpg"\r\n'
        'Content-Disposition: attachment; filename="photo.jpg"\r\n\r\n'
        "<html><body><script>alert(document.cookie)</script></body></html>\r\n"
        "--outer--\r\n"
    ).encode()
    with smtplib.SMTP("127.0.0.1", server.port, timeout=20) as smtp:
        smtp.sendmail("someone@elsewhere.example", [reporting_address(production)], raw)

    report = Report.objects.get(production=production)
    assert "The ladder is broken" in report.description
    assert "<script>" not in report.description and "alert" not in report.description
    assert not report.attachments.exists()
    [reply] = server.sink.messages()
    assert "photo.jpg" in reply.get_body(preferencelist=("plain",)).get_content()


def test_a_message_nested_past_reason_is_refused_with_a_clear_answer(mailin, production):
    server = mailin
    nested = "".join(f'--b{n}\r\nContent-Type: multipart/mixed; boundary="b{n + 1}"\r\n\r\n' for n in range(40))
    raw = f"From: someone@elsewhere.example\r\nContent-Type: multipart/mixed; boundary=b0\r\n\r\n{nested}".encode()

    with smtplib.SMTP("127.0.0.1", server.port, timeout=20) as smtp, pytest.raises(smtplib.SMTPDataError) as refused:
        smtp.sendmail("someone@elsewhere.example", [reporting_address(production)], raw)

    assert refused.value.smtp_code == 554
    assert b"cannot be read" in refused.value.smtp_error
    assert not Report.objects.exists()


def test_the_same_message_sent_again_files_one_report_and_one_reply(mailin, production):
    server = mailin
    message = _message(production, sender="someone@elsewhere.example", subject="Cables", text="Cables over the door.")
    message["Message-ID"] = "<retry-1@elsewhere.example>"

    server.send(message)
    server.send(message)

    assert Report.objects.count() == 1
    assert len(server.sink.messages()) == 1


def test_a_sender_over_the_rate_limit_is_told_to_try_later(mailin, production):
    server = mailin
    for n in range(2):
        server.send(_message(production, sender="someone@elsewhere.example", subject=f"n{n}", text="Concern."))

    with pytest.raises(smtplib.SMTPDataError) as refused:
        server.send(_message(production, sender="someone@elsewhere.example", subject="n3", text="Concern."))

    assert refused.value.smtp_code == 451
    assert Report.objects.count() == 2
