"""Reports by email, the answers of `mailin` in-process (incidents.mailin_server.mail_receive): the
limits and the edges that need no real server (tests/incidents/test_mailin.py drives the real one)."""

import asyncio
from dataclasses import dataclass, field
from email.message import EmailMessage

import pytest
from django.core import mail as outbox
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import OperationalError

from incidents.mail_address import reporting_address
from incidents.mailin_server import (
    FILED,
    IGNORED,
    MAX_RECIPIENTS,
    PRODUCTION_LIMITED,
    TEMPORARY_FAILURE,
    TEXT_TOO_LONG,
    TOO_MANY_RECIPIENTS,
    MailinHandler,
    mail_receive,
)
from incidents.models import Identity, Report

pytestmark = pytest.mark.django_db
DOMAIN = "reports.test"


@pytest.fixture(autouse=True)
def _domain(settings):
    settings.MAILIN_DOMAIN = DOMAIN


def _raw(production, *, sender="someone@elsewhere.example", subject="A concern", text="Cables.", **headers) -> bytes:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = reporting_address(production)
    message["Subject"] = subject
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content(text)
    return message.as_bytes()


def _receive(production, raw: bytes, mail_from: str = "someone@elsewhere.example") -> str:
    return mail_receive(raw, mail_from, [reporting_address(production)])


def test_text_longer_than_the_limit_is_refused_whole(settings, production):
    settings.MAILIN_MAX_TEXT_CHARS = 1000

    assert _receive(production, _raw(production, text="word " * 400)) == TEXT_TOO_LONG
    assert not Report.objects.exists()


def test_a_production_over_its_rate_is_told_to_try_later(settings, production):
    settings.MAILIN_PRODUCTION_RATE = "1/h"

    assert _receive(production, _raw(production, sender="a@elsewhere.example")) == FILED
    assert _receive(production, _raw(production, sender="b@elsewhere.example")) == PRODUCTION_LIMITED
    assert Report.objects.count() == 1


def test_someone_reusing_anothers_message_id_files_a_new_report_and_gets_a_new_receipt(production):
    _receive(production, _raw(production, sender="first@elsewhere.example", Message_ID="<same@x>"))
    _receive(production, _raw(production, sender="second@elsewhere.example", Message_ID="<same@x>"))

    assert Report.objects.count() == 2
    first, second = (message.body for message in outbox.outbox)
    assert first != second


def test_a_member_of_another_production_is_anonymous_here(production, outsider):
    _receive(production, _raw(production, sender=outsider.email))

    assert Report.objects.get().identity == Identity.ANONYMOUS


def test_an_inactive_members_address_files_anonymously(production, crew):
    crew.is_active = False
    crew.save(update_fields=["is_active"])

    _receive(production, _raw(production, sender=crew.email))

    assert Report.objects.get().reporter is None


def test_our_own_reply_sent_back_to_the_address_is_a_loop(production):
    _receive(production, _raw(production))
    [reply] = outbox.outbox

    assert _receive(production, reply.message().as_bytes(), mail_from="safetrack@localhost") == IGNORED
    assert Report.objects.count() == 1


def test_an_email_with_no_text_still_files_a_report(production):
    message = EmailMessage()
    message["From"] = "someone@elsewhere.example"

    assert _receive(production, message.as_bytes()) == FILED
    report = Report.objects.get()
    assert report.title == "Report by email" and report.description == "(The email had no text.)"


def test_the_anonymous_reply_is_in_spanish_and_english_and_names_files_not_kept(production):
    message = EmailMessage()
    message["From"] = "someone@elsewhere.example"
    message["Subject"] = "Ladder"
    message.set_content("The ladder.")
    message.add_attachment(b"MZ\x90\x00not a photo", maintype="application", subtype="octet-stream", filename="x.exe")

    _receive(production, message.as_bytes())

    [reply] = outbox.outbox
    assert "Tu código de seguimiento:" in reply.body and "Your receipt code:" in reply.body
    assert "Estos archivos no se guardaron:" in reply.body and "These files were not kept:" in reply.body
    assert "x.exe no es una foto (JPEG, PNG, WebP) ni un PDF" in reply.body  # each language says why in its words
    assert "x.exe is not a photo (JPEG, PNG, WebP) or a PDF" in reply.body
    assert reply.extra_headers["Auto-Submitted"] == "auto-replied"


def test_the_report_page_says_it_came_by_email(client, production, crew, ladder_cast):
    _receive(production, _raw(production, sender=crew.email))
    report = Report.objects.get()
    client.force_login(ladder_cast["safety"])

    body = client.get(report.get_absolute_url()).content.decode()

    assert "Sent by email to the production&#x27;s reporting address." in body


def test_a_member_is_answered_in_their_own_language(production, crew):
    crew.language = "es"
    crew.save(update_fields=["language"])
    message = EmailMessage()
    message["From"] = crew.email
    message["Subject"] = "Escalera"
    message.set_content("La escalera.")
    message.add_attachment(b"not a photo", maintype="image", subtype="png", filename="foto.png")

    _receive(production, message.as_bytes(), mail_from=crew.email)

    [reply] = outbox.outbox
    assert reply.to == [crew.email]
    assert "Está registrado con tu nombre." in reply.body
    assert "foto.png no es una foto" in reply.body


def test_mailin_refuses_to_start_without_a_mail_domain(settings):
    settings.MAILIN_DOMAIN = ""

    with pytest.raises(CommandError, match="MAILIN_DOMAIN"):
        call_command("mailin")


def test_a_file_name_in_the_reply_is_cut_short(production):
    message = EmailMessage()
    message["From"] = "someone@elsewhere.example"
    message.set_content("Text.")
    long_name = "buy-cheap-watches-at-spam.example-" * 5 + ".exe"
    message.add_attachment(b"MZ", maintype="application", subtype="octet-stream", filename=long_name)

    _receive(production, message.as_bytes())

    [reply] = outbox.outbox
    assert long_name not in reply.body and long_name[:60] in reply.body


@dataclass
class _Envelope:
    mail_from: str = "someone@elsewhere.example"
    rcpt_tos: list = field(default_factory=list)
    original_content: bytes = b""
    content: bytes = b""


@pytest.mark.django_db(transaction=True)  # the handler's thread has its own connection: rows must be committed
def test_a_failure_of_ours_while_filing_answers_451_so_the_sender_retries(monkeypatch, production):
    def database_away(**kwargs):
        raise OperationalError("the database went away")

    monkeypatch.setattr("incidents.mailin_server.mail_report_file", database_away)
    handler = MailinHandler(workers=1)
    envelope = _Envelope(rcpt_tos=[reporting_address(production)], original_content=_raw(production))
    try:
        answer = asyncio.run(handler.handle_DATA(None, None, envelope))
    finally:
        handler.close()

    assert answer == TEMPORARY_FAILURE
    assert not Report.objects.exists()


def test_more_than_five_recipients_are_refused_one_by_one(production):
    handler = MailinHandler(workers=1)
    envelope = _Envelope(rcpt_tos=[reporting_address(production)] * MAX_RECIPIENTS)
    try:
        answer = asyncio.run(handler.handle_RCPT(None, None, envelope, reporting_address(production), []))
    finally:
        handler.close()

    assert answer == TOO_MANY_RECIPIENTS
