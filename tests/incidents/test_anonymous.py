"""Anonymous reports: no account, a receipt shown once, and nothing that could point to the reporter."""

import io
import logging
import re
import time

import pytest
from django.apps import apps
from django.contrib.sessions.models import Session
from django.core import signing
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from PIL import ExifTags, Image

from accounts.models import CODE_ALPHABET
from incidents.categories import Category
from incidents.forms.anonymous import started_token
from incidents.models import Attachment, Channel, Event, EventKind, Identity, Notification, Report, ReportStatus
from incidents.services.escalation import Outcome, report_escalate
from incidents.services.filing import report_file
from incidents.services.handling import report_acknowledge, report_comment, report_resolve
from incidents.services.receipt import receipt_hash, receipt_new, report_for_receipt
from incidents.trail import verify_trail
from incidents.views import receipt_handoff
from tests.factories import draft

pytestmark = pytest.mark.django_db

CLIENT_IP = "203.0.113.77"
CLIENT_UA = "QuietBrowser/9.9 (unique-ua-fingerprint-5521)"
TITLE = "Gun fired during the walk-through"
DESCRIPTION = "The revolver went off while the actor was only meant to point it. Nobody checked the cylinder."


def _form(**fields):
    data = {
        "category": Category.MISFIRE,
        "title": TITLE,
        "description": DESCRIPTION,
        "occurred_at": "2025-06-01T10:00",
        "location": "Stage 2",
        "ammunition": "blank",
        "started": started_token(time.time() - 60),
        "website": "",
    }
    data.update(fields)
    return data


def _file(client, production, **fields):
    response = client.post(
        reverse("anonymous_new", args=[production.join_code]),
        _form(**fields),
        REMOTE_ADDR=CLIENT_IP,
        HTTP_USER_AGENT=CLIENT_UA,
        follow=True,
    )
    assert response.status_code == 200, response.content.decode()[:2000]
    return response


def _receipt(client, code, *, production="", action="view", ip=CLIENT_IP, **fields):
    """Post to the follow-up page as its forms do, and follow the redirect that answers a success."""
    data = {"receipt": code, "production": production, "action": action, **fields}
    return client.post(reverse("receipt"), data, REMOTE_ADDR=ip, HTTP_USER_AGENT=CLIENT_UA, follow=True)


def _normalized(response):
    """The page without what legitimately differs between two renders: CSRF tokens and the typed code."""
    html = response.content.decode()
    html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)
    return re.sub(r'name="receipt" value="[^"]*"', "", html)


def _anonymous_report(production, **fields):
    receipt = receipt_new()
    report = report_file(
        production=production, reporter=None, draft=draft(Category.RIGGING, **fields), receipt_hash=receipt.hash
    )
    return report, receipt.code


# --- filing ------------------------------------------------------------------------------------------


def test_an_anonymous_report_shows_its_receipt_once_and_keeps_only_a_slow_hash(client, production, ladder_cast):
    response = _file(client, production)
    code = response.context["receipt"]
    assert re.fullmatch(rf"([{CODE_ALPHABET}]{{5}}-){{4}}[{CODE_ALPHABET}]{{5}}", code)
    page = response.content.decode()
    assert code in page and "shown only once" in page and "time it was filed" in page
    assert "no-store" in response["Cache-Control"]
    report = Report.objects.get()
    assert (report.identity, report.reporter, report.title) == (Identity.ANONYMOUS, None, TITLE)
    assert report.receipt_hash == receipt_hash(code) and code.replace("-", "") not in report.receipt_hash
    assert report_for_receipt(code.lower().replace("-", " ")) == report  # typed loosely, still found
    # Shown once: the page a reporter can come back to does not have it.
    assert code not in client.get(reverse("anonymous_new", args=[production.join_code])).content.decode()
    assert not Session.objects.exists() and "sessionid" not in response.cookies


def test_receipt_codes_are_unguessable_and_never_repeat():
    codes = {receipt_new().code for _ in range(50)}
    assert len(codes) == 50
    assert all(len(code.replace("-", "")) == 25 for code in codes)  # 31^25: about 124 bits


def test_an_anonymous_report_escalates_and_can_be_acknowledged_like_any_other(client, production, ladder_cast):
    code = _file(client, production).context["receipt"]
    report = Report.objects.get()
    level_one = {n.recipient_id for n in Notification.objects.filter(report=report, channel=Channel.IN_APP)}
    assert level_one == {ladder_cast["department_head"].pk, ladder_cast["armorer"].pk}
    assert report_escalate(report_id=report.pk, expected_level=1, now=report.next_escalation_at) is Outcome.ESCALATED
    assert report_acknowledge(report_id=report.pk, user=ladder_cast["safety"]).won
    report.refresh_from_db()
    assert report.status == ReportStatus.ACKNOWLEDGED
    page = _receipt(client, code).content.decode()
    assert "Acknowledged by Ada FirstAD" in page
    assert verify_trail(report).intact


def test_the_receipt_shows_the_status_and_the_public_timeline_only(client, production, ladder_cast):
    report, code = _anonymous_report(production)
    handler = ladder_cast["department_head"]
    report_acknowledge(report_id=report.pk, user=handler)
    report_comment(report_id=report.pk, user=handler, body="Which stand was it? Stage 2 has four.")
    report_comment(report_id=report.pk, user=handler, body="Internal: check the rigger's hours", to_reporter=False)
    page = _receipt(client, code).content.decode()
    assert "Acknowledged" in page and "Which stand was it?" in page
    assert "Internal: check the rigger" not in page
    assert "Kay Keygrip wrote to you" in page


def test_the_reporter_replies_with_the_receipt_and_the_handler_is_told(client, production, ladder_cast):
    report, code = _anonymous_report(production)
    handler = ladder_cast["department_head"]
    report_acknowledge(report_id=report.pk, user=handler)
    response = _receipt(client, code, action="reply", body="Stand 3, next to the dolly track.")
    page = response.content.decode()
    assert "Your reply was sent" in page and "Stand 3, next to the dolly track." in page
    reply = report.events.get(kind=EventKind.COMMENTED)
    assert reply.actor is None and reply.payload["from_reporter"] and reply.public
    assert {n.recipient_id for n in reply.notifications.filter(channel=Channel.IN_APP)} == {handler.pk}


def test_a_handler_who_asked_an_anonymous_reporter_is_told_of_the_reply_sent_with_the_receipt(
    client, production, ladder_cast
):
    report, code = _anonymous_report(production)
    producer = ladder_cast["producer"]
    report_comment(report_id=report.pk, user=producer, body="Which stand was it?")
    report.refresh_from_db()
    assert report.status == ReportStatus.OPEN and report.escalation_level == 1
    _receipt(client, code, action="reply", body="Stand 3, next to the dolly track.")
    reply = report.events.get(kind=EventKind.COMMENTED, payload__from_reporter=True)
    told = {n.recipient_id for n in reply.notifications.filter(channel=Channel.IN_APP)}
    assert producer.pk in told  # who asked, as well as the level it is at
    assert ladder_cast["department_head"].pk in told


def test_an_empty_reply_is_refused_with_a_message(client, production, ladder_cast):
    report, code = _anonymous_report(production)
    page = _receipt(client, code, action="reply", body="   ").content.decode()
    assert "Write your reply first." in page
    assert not report.events.filter(kind=EventKind.COMMENTED).exists()


def test_a_resolved_report_is_reopened_with_the_receipt(client, production, ladder_cast):
    report, code = _anonymous_report(production)
    handler = ladder_cast["department_head"]
    report_acknowledge(report_id=report.pk, user=handler)
    assert "Not fixed?" not in _receipt(client, code).content.decode()
    report_resolve(report_id=report.pk, user=handler, resolution="Sandbags doubled on every stand")
    page = _receipt(client, code).content.decode()
    assert "Sandbags doubled on every stand" in page and "Not fixed?" in page
    response = _receipt(client, code, action="reopen", reason="Stand 3 still has a single bag")
    assert "open again" in response.content.decode()
    report.refresh_from_db()
    assert (report.status, report.reopen_count) == (ReportStatus.OPEN, 1)
    assert report.events.get(kind=EventKind.REOPENED).actor is None


def test_a_wrong_receipt_and_a_right_one_for_another_production_get_the_same_response(
    client, production, other_production
):
    _, code_elsewhere = _anonymous_report(other_production)
    wrong = receipt_new().code
    with CaptureQueriesContext(connection) as wrong_queries:
        wrong_response = _receipt(client, wrong, production=production.join_code)
    with CaptureQueriesContext(connection) as other_queries:
        other_response = _receipt(client, code_elsewhere, production=production.join_code)
    assert wrong_response.status_code == other_response.status_code == 200
    assert "No report matches this receipt code" in wrong_response.content.decode()
    assert _normalized(wrong_response) == _normalized(other_response)
    # The same work either way: one hash, then one query that filters by hash and production together.
    assert len(wrong_queries) == len(other_queries)
    # Without the production scope the code is simply found.
    assert "Rigging" in _receipt(client, code_elsewhere).content.decode()


def test_a_malformed_receipt_says_what_a_code_looks_like_and_keeps_what_was_typed(client, production):
    page = _receipt(client, "ABC-12").content.decode()
    assert "5 groups of 5 letters and digits" in page and "ABC-12" in page


def test_the_receipt_page_reads_a_constant_number_of_queries(
    client, production, ladder_cast, django_assert_max_num_queries
):
    report, code = _anonymous_report(production)
    handler = ladder_cast["department_head"]
    report_comment(report_id=report.pk, user=handler, body="First question")
    with django_assert_max_num_queries(4):
        _receipt(client, code)
    for n in range(15):
        report_comment(report_id=report.pk, user=handler, body=f"Question {n}")
    with django_assert_max_num_queries(4):
        page = _receipt(client, code).content.decode()
    assert "Question 14" in page


def test_receipt_look_ups_are_rate_limited_per_client(client, production):
    _, code = _anonymous_report(production)
    for _ in range(60):
        _receipt(client, "X")  # malformed, so cheap; each attempt still counts
    limited = _receipt(client, code)
    assert limited.status_code == 429 and "Too many attempts" in limited.content.decode()
    assert "Rigging" in _receipt(client, code, ip="198.51.100.5").content.decode()


def test_the_receipt_code_never_travels_in_a_url(client, production):
    response = _file(client, production)
    code = response.context["receipt"]
    hrefs = re.findall(r'(?:href|action)="([^"]*)"', response.content.decode())
    assert hrefs and not any(code in h or code.replace("-", "") in h for h in hrefs)
    page = client.get(reverse("receipt")).content.decode()
    assert 'method="post"' in page


def test_reloading_after_a_reply_or_a_reopening_sends_nothing_twice(client, production, ladder_cast):
    report, code = _anonymous_report(production)
    handler = ladder_cast["department_head"]
    report_acknowledge(report_id=report.pk, user=handler)
    posted = client.post(reverse("receipt"), {"receipt": code, "action": "reply", "body": "Stand 3."})
    assert (posted.status_code, posted["Location"]) == (303, reverse("receipt"))
    first = client.get(reverse("receipt")).content.decode()
    again = client.get(reverse("receipt")).content.decode()  # the reload
    assert "Your reply was sent" in first and "Your reply was sent" not in again
    assert "Stand 3." in again
    assert report.events.filter(kind=EventKind.COMMENTED).count() == 1
    report_resolve(report_id=report.pk, user=handler, resolution="Bagged")
    posted = client.post(reverse("receipt"), {"receipt": code, "action": "reopen", "reason": "Still single"})
    assert posted.status_code == 303
    assert "open again" in client.get(reverse("receipt")).content.decode()
    client.get(reverse("receipt"))
    report.refresh_from_db()
    assert report.reopen_count == 1 and report.events.filter(kind=EventKind.REOPENED).count() == 1


def test_the_code_crosses_the_redirect_in_a_signed_short_lived_cookie_for_the_follow_up_page_only(
    client, production, ladder_cast
):
    posted = client.post(reverse("anonymous_new", args=[production.join_code]), _form(), REMOTE_ADDR=CLIENT_IP)
    assert (posted.status_code, posted["Location"]) == (303, reverse("receipt"))
    assert "no-store" in posted["Cache-Control"]
    cookie = posted.cookies[receipt_handoff.COOKIE]
    assert cookie["httponly"] and cookie["samesite"] == "Strict" and cookie["path"] == reverse("receipt")
    assert int(cookie["max-age"]) == receipt_handoff.RECEIPT_HANDOFF_SECONDS <= 15 * 60
    page = client.get(reverse("receipt"))
    code = page.context["receipt"]
    assert code not in posted["Location"] and code not in cookie.value
    assert "Your report was sent" in page.content.decode() and code in page.content.decode()
    assert not Session.objects.exists()
    # Shown once: the reload is the follow-up page, which no longer shows the code.
    reload = client.get(reverse("receipt")).content.decode()
    assert "Reply to the handlers" in reload and "Your receipt code" not in reload
    assert Report.objects.count() == 1


def test_a_forged_or_expired_receipt_cookie_asks_for_the_code_again(client, production, monkeypatch):
    report, code = _anonymous_report(production)
    client.cookies[receipt_handoff.COOKIE] = signing.dumps({"c": code, "r": report.pk, "s": ""}, salt="other")
    page = client.get(reverse("receipt"))
    assert "Show my report" in page.content.decode() and report.title not in page.content.decode()
    assert page.cookies[receipt_handoff.COOKIE].value == ""  # and it is dropped
    _receipt(client, code)
    assert report.title in client.get(reverse("receipt")).content.decode()
    monkeypatch.setattr(receipt_handoff, "RECEIPT_HANDOFF_SECONDS", -1)
    assert "Show my report" in client.get(reverse("receipt")).content.decode()


def test_forgetting_the_code_on_this_phone_ends_the_follow_up(client, production):
    report, code = _anonymous_report(production)
    assert report.title in _receipt(client, code).content.decode()
    forgot = client.post(reverse("receipt"), {"action": "forget"})
    assert (forgot.status_code, forgot.cookies[receipt_handoff.COOKIE].value) == (303, "")
    assert "Show my report" in client.get(reverse("receipt")).content.decode()


# --- spam, limits and bad input ---------------------------------------------------------------------


def test_a_filled_honeypot_is_refused_without_losing_the_text(client, production):
    response = _file(client, production, website="http://spam.example")
    page = response.content.decode()
    assert "not sent" in page and TITLE in page and DESCRIPTION in page
    assert "http://spam.example" not in page  # a person who filled it by mistake can simply send again
    assert not Report.objects.exists()


def test_a_too_fast_submission_is_refused_without_losing_the_text(client, production):
    token = started_token(time.time() - 1)
    response = _file(client, production, started=token)
    page = response.content.decode()
    assert "quicker than anyone can fill in this form" in page and TITLE in page and DESCRIPTION in page
    assert f'value="{token}"' in page  # the start time is kept: sending again after a moment works
    assert not Report.objects.exists()


@pytest.mark.parametrize("token", ["", "forged-token", started_token(time.time() - 3 * 24 * 3600)])
def test_a_missing_forged_or_stale_start_time_is_refused_with_a_fresh_one(client, production, token):
    response = _file(client, production, started=token)
    page = response.content.decode()
    assert "open too long or did not load fully" in page and TITLE in page
    assert response.context["form"].started_token != token
    assert not Report.objects.exists()


def test_each_bad_field_gets_its_own_message_and_nothing_is_half_saved(client, production):
    response = _file(client, production, category="", title="", description=DESCRIPTION, occurred_at="yesterday")
    page = response.content.decode()
    assert "Choose what kind of concern this is." in page
    assert "Give the report a short title." in page
    assert "Enter a date and time" in page
    assert DESCRIPTION in page
    assert not Report.objects.exists() and not Event.objects.exists()


def test_anonymous_filing_is_rate_limited_per_production_and_client(client, production, other_production):
    for _ in range(10):
        _file(client, production, title="")  # refused for the missing title, but each attempt counts
    limited = client.post(reverse("anonymous_new", args=[production.join_code]), _form(), REMOTE_ADDR=CLIENT_IP)
    assert limited.status_code == 429
    assert "Too many reports" in limited.content.decode() and TITLE in limited.content.decode()
    assert not Report.objects.exists()
    _file(client, other_production)  # another production: its own limit
    client.post(reverse("anonymous_new", args=[production.join_code]), _form(), REMOTE_ADDR="198.51.100.9")
    assert Report.objects.count() == 2


def test_an_unknown_join_code_is_not_found(client, db):
    assert client.get(reverse("anonymous_new", args=["NOSUCHCODE99"])).status_code == 404


def test_a_logged_in_member_filing_here_is_not_linked_either(client, production, crew, ladder_cast):
    client.force_login(crew)
    session_before = dict(client.session.items())
    response = _file(client, production)
    assert (
        "will not be linked to your account"
        in client.get(reverse("anonymous_new", args=[production.join_code])).content.decode()
    )
    report = Report.objects.get()
    assert report.reporter is None and report.identity == Identity.ANONYMOUS
    assert not Event.objects.filter(actor=crew).exists()
    assert not Notification.objects.filter(recipient=crew).exists()
    assert dict(client.session.items()) == session_before  # nothing about the report in the session
    assert response.context["receipt"]


# --- nothing identifies the reporter ----------------------------------------------------------------


def _every_stored_value():
    for model in apps.get_models():
        for row in model._default_manager.all().values():
            for column, value in row.items():
                yield model.__name__, column, str(value)


def test_no_address_user_agent_or_user_id_is_stored_or_logged(client, production, crew, ladder_cast, caplog):
    caplog.set_level(logging.DEBUG)
    client.force_login(crew)
    code = _file(client, production).context["receipt"]
    _receipt(client, code, action="reply", body="One more thing: the armorer was at lunch.")
    report = Report.objects.get()
    assert report.reporter_id is None
    assert not Event.objects.filter(report=report, actor=crew).exists()
    for model, column, value in _every_stored_value():
        assert CLIENT_IP not in value, (model, column)
        assert "QuietBrowser" not in value and "unique-ua-fingerprint" not in value, (model, column)
    for record in caplog.records:
        text = record.getMessage() + repr(getattr(record, "args", ""))
        assert CLIENT_IP not in text and "QuietBrowser" not in text, record
        assert code not in text and code.replace("-", "") not in text, record
        assert not hasattr(record, "request"), record


def _jpeg_with_gps() -> bytes:
    image = Image.new("RGB", (64, 48), "orange")
    exif = image.getexif()
    exif[ExifTags.Base.Make] = "PhoneCo"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (35.0, 41.0, 12.0)
    gps[ExifTags.GPS.GPSLongitudeRef] = "W"
    gps[ExifTags.GPS.GPSLongitude] = (106.0, 2.0, 9.0)
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif)
    return out.getvalue()


def test_exif_gps_tags_are_gone_from_a_stored_photo(client, production):
    photo = _jpeg_with_gps()
    with Image.open(io.BytesIO(photo)) as original:
        assert original.getexif().get_ifd(ExifTags.IFD.GPSInfo)  # the test photo does carry a location
    upload = io.BytesIO(photo)
    upload.name = "IMG_2041.jpg"
    _file(client, production, attachments=upload)
    attachment = Attachment.objects.get()
    assert attachment.content_type == "image/jpeg"
    with attachment.file.open("rb") as stored, Image.open(stored) as image:
        exif = image.getexif()
        assert not exif.get_ifd(ExifTags.IFD.GPSInfo)
        assert ExifTags.Base.GPSInfo not in exif and ExifTags.Base.Make not in exif
    assert b"PhoneCo" not in attachment.file.open("rb").read()


# --- the poster -------------------------------------------------------------------------------------


def test_the_poster_is_a_qr_code_of_the_anonymous_page_for_handlers_only(client, production, crew, producer, outsider):
    url = reverse("production_poster", args=[production.pk])
    client.force_login(producer)
    page = client.get(url).content.decode()
    assert "<svg" in page and reverse("anonymous_new", args=[production.join_code]) in page
    assert "style=" not in page.split("<svg", 1)[1].split("</svg>", 1)[0]  # the CSP allows no inline style
    client.force_login(crew)
    assert client.get(url).status_code == 403
    client.force_login(outsider)
    assert client.get(url).status_code == 404
    client.logout()
    assert client.get(url).status_code == 302


@pytest.mark.parametrize("language", ["en", "es"])
def test_the_poster_says_it_in_english_and_spanish_whatever_the_handlers_language(
    client, production, producer, language
):
    producer.language = language
    producer.save(update_fields=["language"])
    client.force_login(producer)
    page = client.get(reverse("production_poster", args=[production.pk])).content.decode()
    for words in ("See something unsafe?", "No account and no name needed.", f"Report it to {production.name}"):
        assert words in page
    for words in ("¿Ves algo peligroso?", f"Repórtalo a {production.name}"):
        assert words in page
    assert 'lang="en"' in page and 'lang="es"' in page
    assert page.count("<svg") == 1  # one QR code for both


def test_the_receipt_card_offers_copy_and_print_and_prints_the_follow_up_address(client, production, ladder_cast):
    response = _file(client, production)
    page = response.content.decode()
    assert "data-copy=" in page and "Copy the code" in page and "Print or save as PDF" in page
    assert "js/receipt.js" in page
    assert "http://testserver/receipt/" in page  # on the printed sheet, where a link cannot be followed
    assert "<script>" not in page  # the CSP allows no inline script


def test_a_nul_byte_in_the_hidden_production_field_still_opens_the_report(client, production, ladder_cast):
    """The hidden field is not on the page to show an error: junk in it must not stop a right code."""
    receipt = receipt_new()
    report = report_file(production=production, reporter=None, draft=draft(), receipt_hash=receipt.hash)
    response = client.post(reverse("receipt"), {"receipt": receipt.code, "production": "\x00"}, follow=True)
    assert response.status_code == 200
    assert report.title in response.content.decode()
