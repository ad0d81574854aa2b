"""Buried warnings: a firearm concern written inside any report or comment flags the report, tells the
armorer and the safety coordinator, and waits for a handler to confirm or clear it."""

from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from incidents.categories import Category, Severity
from incidents.models import Channel, EventKind, FirearmFlag, Identity, Notification, Report, WarningTerm
from incidents.notifications.message import message_for
from incidents.scanner import scan, sentences
from incidents.services.delivery import notification_deliver
from incidents.services.filing import report_file
from incidents.services.firearm_flags import firearm_flag_clear, firearm_flag_confirm
from incidents.services.handling import report_comment
from incidents.services.receipt import receipt_new
from incidents.trail import verify_trail
from tests.factories import draft, file_report

pytestmark = pytest.mark.django_db

GUN_WENT_OFF = "We were on hour seventeen. The gun went off twice during the rehearsal. Nobody stopped the day."


def _flag(report):
    return FirearmFlag.objects.get(report=report)


def _told(report, kind=EventKind.FIREARM_FLAGGED):
    event = report.events.get(kind=kind)
    return {n.recipient_id for n in event.notifications.filter(channel=Channel.IN_APP)}


# --- the scanner's reading -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "the gun went off twice during the rehearsal",
        "He pointed the REVÓLVER at the camera operator.",
        "There was a live round in the cart",
        "It misfired on take 3",
        "The prop went off in his hand.",
        "he pointed it at me and it went off",
        "El arma se disparó durante el ensayo.",
        "Encontré una bala real en el carro.",
        "La pistola no disparó y nadie la revisó.",  # a negated verb is still a concern
        "Nobody checked the gun before the take.",
        "There were no live rounds, but the gun went off.",
    ],
)
def test_the_scanner_finds_a_firearm_concern(text):
    assert scan(text), text


@pytest.mark.parametrize(
    "text",
    [
        "no guns on set today",
        "No guns on set today, thanks for asking.",
        "We worked without a gun all week.",
        "No hay armas en el set hoy.",
        "Sin balas ni armas en el rodaje.",
        "My mind went blank after sixteen hours.",
        "The stunt dummy fell off the rig.",
        "The alarm went off at 4 am again.",
        "We have begun shotgunning the schedule.",  # whole words only
        "Discharged from hospital after the heat stroke.",
    ],
)
def test_the_scanner_stays_quiet_without_a_firearm_concern(text):
    assert scan(text) == [], text


def test_a_sentence_wrapped_over_quoted_email_lines_is_read_whole():
    text = "Fwd: pay and COVID\n\n> On Monday the prop\n> revolver was pointed\n> at Ana.\n> Thanks"
    assert "On Monday the prop revolver was pointed at Ana." in sentences(text)
    (match,) = scan(text)
    assert match.sentence == "On Monday the prop revolver was pointed at Ana."
    assert match.term == "revolver"


def test_a_very_long_sentence_is_shown_around_its_term():
    text = "word " * 400 + "the gun went off " + "word " * 400
    (match,) = scan(text)
    assert len(match.sentence) <= 302 and "the gun went off" in match.sentence


# --- flagging --------------------------------------------------------------------------------------------


def test_a_fatigue_report_where_the_gun_went_off_is_flagged_and_the_armorer_is_told(production, crew, ladder_cast):
    report = file_report(production, crew, Category.FATIGUE, title="Another 17-hour day", description=GUN_WENT_OFF)
    flag = _flag(report)
    assert flag.status == FirearmFlag.Status.FLAGGED and flag.source == FirearmFlag.Source.REPORT
    assert flag.matches == [{"sentence": "The gun went off twice during the rehearsal.", "term": "gun"}]
    assert _told(report) == {ladder_cast["armorer"].pk, ladder_cast["safety"].pk}
    event = report.events.get(kind=EventKind.FIREARM_FLAGGED)
    assert event.public is False  # the reporter is not shown the flag
    armorer_row = Notification.objects.get(event=event, recipient=ladder_cast["armorer"], channel=Channel.IN_APP)
    message = message_for(armorer_row)
    assert message.headline == "Possible firearm concern found in a report"
    assert "The gun went off twice during the rehearsal." in " ".join(message.lines)
    assert verify_trail(Report.objects.get(pk=report.pk)).intact


def test_no_guns_on_set_today_is_not_flagged(production, crew, ladder_cast):
    report = file_report(production, crew, Category.FATIGUE, description="Long day, but no guns on set today.")
    assert not FirearmFlag.objects.filter(report=report).exists()
    assert not report.events.filter(kind=EventKind.FIREARM_FLAGGED).exists()


def test_a_spanish_sentence_is_flagged(production, crew, ladder_cast):
    report = file_report(
        production, crew, Category.ENVIRONMENT, description="Hacía mucho calor. El actor apuntó el arma al equipo."
    )
    assert _flag(report).matches[0]["sentence"] == "El actor apuntó el arma al equipo."


def test_a_report_filed_in_a_firearm_category_is_not_flagged_again(production, crew, ladder_cast):
    report = file_report(production, crew, Category.MISFIRE, description=GUN_WENT_OFF)
    assert not FirearmFlag.objects.filter(report=report).exists()


def test_a_confidential_reporter_is_not_named_in_the_flag_email(production, crew, ladder_cast):
    report = file_report(production, crew, Category.FATIGUE, description=GUN_WENT_OFF, identity=Identity.CONFIDENTIAL)
    event = report.events.get(kind=EventKind.FIREARM_FLAGGED)
    assert event.actor_id is None
    email_row = Notification.objects.get(event=event, recipient=ladder_cast["armorer"], channel=Channel.EMAIL)
    notification_deliver(notification_id=email_row.pk)
    (sent,) = mail.outbox
    text = sent.subject + sent.body + str(sent.alternatives)
    assert "The gun went off twice" in text
    assert crew.full_name not in text and crew.email not in text
    assert "A crew member" in text


def test_an_anonymous_report_is_scanned_too(production, ladder_cast):
    receipt = receipt_new()
    report = report_file(
        production=production,
        reporter=None,
        draft=draft(Category.OTHER, description="Someone left a pistol on the catering table."),
        receipt_hash=receipt.hash,
    )
    assert _flag(report).status == FirearmFlag.Status.FLAGGED


def test_a_comment_flags_its_report_once(production, crew, ladder_cast):
    report = file_report(production, crew, Category.RIGGING)
    report_comment(report_id=report.pk, user=crew, body="Also: the armorer left the rifle unattended by the truss.")
    flag = _flag(report)
    assert flag.source == FirearmFlag.Source.COMMENT
    report_comment(report_id=report.pk, user=crew, body="And the gun was loaded.")
    assert FirearmFlag.objects.filter(report=report).count() == 1  # one flag waits; no second alarm


def test_a_word_an_admin_adds_flags_reports(production, crew, ladder_cast):
    quiet = file_report(production, crew, Category.OTHER, description="The Nerf blaster jammed.")
    assert not FirearmFlag.objects.filter(report=quiet).exists()
    WarningTerm.objects.create(words="Nerf blaster")
    loud = file_report(production, crew, Category.OTHER, description="The nerf blasters jammed again.")
    assert _flag(loud).matches[0]["term"] == "nerf blasters"


def test_an_inactive_admin_word_is_ignored(production, crew, ladder_cast):
    WarningTerm.objects.create(words="nerf blaster", active=False)
    report = file_report(production, crew, Category.OTHER, description="The nerf blaster jammed.")
    assert not FirearmFlag.objects.filter(report=report).exists()


# --- confirm or clear ------------------------------------------------------------------------------------


def test_clearing_needs_a_reason_and_is_an_event(production, crew, ladder_cast):
    report = file_report(production, crew, Category.FATIGUE, description=GUN_WENT_OFF)
    flag = _flag(report)
    with pytest.raises(Exception, match="Say why"):
        firearm_flag_clear(flag_id=flag.pk, user=ladder_cast["safety"], reason="  ")
    firearm_flag_clear(flag_id=flag.pk, user=ladder_cast["safety"], reason="A line of dialogue, read at the table.")
    flag.refresh_from_db()
    assert flag.status == FirearmFlag.Status.CLEARED and flag.decided_by == ladder_cast["safety"]
    cleared = report.events.get(kind=EventKind.FIREARM_CLEARED)
    assert cleared.actor == ladder_cast["safety"] and cleared.payload["reason"].startswith("A line of dialogue")
    assert not Report.objects.firearm().filter(pk=report.pk).exists()


def test_a_comment_after_clearing_flags_the_report_again(production, crew, ladder_cast):
    report = file_report(production, crew, Category.FATIGUE, description=GUN_WENT_OFF)
    firearm_flag_clear(flag_id=_flag(report).pk, user=ladder_cast["safety"], reason="Dialogue.")
    report_comment(report_id=report.pk, user=crew, body="No, it really was the revolver, at lunch.")
    assert FirearmFlag.objects.filter(report=report, status=FirearmFlag.Status.FLAGGED).count() == 1


def test_confirming_makes_the_report_a_firearm_report(production, crew, ladder_cast):
    report = file_report(production, crew, Category.FATIGUE, description=GUN_WENT_OFF)
    firearm_flag_confirm(flag_id=_flag(report).pk, user=ladder_cast["armorer"])
    assert report.events.filter(kind=EventKind.FIREARM_CONFIRMED, actor=ladder_cast["armorer"]).exists()
    assert Report.objects.firearm().filter(pk=report.pk).exists()
    # A misfire filed afterwards repeats it.
    later = file_report(production, crew, Category.MISFIRE)
    assert later.repeat_of_id == report.pk and later.severity == Severity.CRITICAL


def test_confirming_after_an_earlier_misfire_is_a_repeat_incident_that_reaches_the_top(production, crew, ladder_cast):
    now = timezone.now()
    earlier = report_file(
        production=production, reporter=crew, draft=draft(Category.MISFIRE), now=now - timedelta(days=2)
    )
    report = file_report(production, crew, Category.FATIGUE, description=GUN_WENT_OFF)
    assert report.severity == Severity.MEDIUM
    firearm_flag_confirm(flag_id=_flag(report).pk, user=ladder_cast["safety"], reason="Same revolver as #1.")
    report.refresh_from_db()
    assert (report.severity, report.repeat_of_id) == (Severity.CRITICAL, earlier.pk)
    assert ladder_cast["executive"].pk in _told(report, EventKind.REPEAT_INCIDENT)
    assert earlier.events.get(kind=EventKind.REPEAT_INCIDENT).payload["later_report"] == report.pk
    assert verify_trail(report).intact and verify_trail(Report.objects.get(pk=earlier.pk)).intact


def test_a_flag_is_decided_once(production, crew, ladder_cast):
    report = file_report(production, crew, Category.FATIGUE, description=GUN_WENT_OFF)
    flag = _flag(report)
    firearm_flag_confirm(flag_id=flag.pk, user=ladder_cast["armorer"])
    with pytest.raises(Exception, match="already decided"):
        firearm_flag_clear(flag_id=flag.pk, user=ladder_cast["safety"], reason="No.")


def test_the_reporter_cannot_decide_the_flag_on_their_own_report(production, ladder_cast):
    report = file_report(production, ladder_cast["upm"], Category.FATIGUE, description=GUN_WENT_OFF)
    with pytest.raises(Exception, match="not involved"):
        firearm_flag_clear(flag_id=_flag(report).pk, user=ladder_cast["upm"], reason="Nothing.")


# --- the report page -------------------------------------------------------------------------------------


def test_a_handler_sees_the_sentence_and_confirms_from_the_report_page(client, production, crew, ladder_cast):
    report = file_report(production, crew, Category.FATIGUE, description=GUN_WENT_OFF)
    client.force_login(ladder_cast["safety"])
    page = client.get(reverse("report_detail", args=[report.pk])).content.decode()
    assert "Possible firearm concern" in page and "The gun went off twice during the rehearsal." in page
    response = client.post(reverse("firearm_flag_confirm", args=[report.pk]), {"reason": ""}, follow=True)
    assert "now counts as a firearm report" in response.content.decode()
    assert _flag(report).status == FirearmFlag.Status.CONFIRMED


def test_the_reporter_does_not_see_the_flag(client, production, crew, ladder_cast):
    report = file_report(production, crew, Category.FATIGUE, description=GUN_WENT_OFF)
    client.force_login(crew)
    page = client.get(reverse("report_detail", args=[report.pk])).content.decode()
    assert "Possible firearm concern" not in page


@pytest.mark.parametrize(
    ("reason", "error"),
    [("", "Say why this is not a firearm concern."), ("x" * 2001, "Keep the reason under 2,000 characters")],
)
def test_clearing_with_a_bad_reason_says_why_and_keeps_what_was_typed(
    client, production, crew, ladder_cast, reason, error
):
    report = file_report(production, crew, Category.FATIGUE, description=GUN_WENT_OFF)
    client.force_login(ladder_cast["safety"])
    response = client.post(reverse("firearm_flag_clear", args=[report.pk]), {"reason": reason})
    assert response.status_code == 200
    page = response.content.decode()
    assert error in page
    assert reason[:100] in page
    assert _flag(report).status == FirearmFlag.Status.FLAGGED


def test_hostile_reason_text_is_shown_as_text(client, production, crew, ladder_cast):
    report = file_report(production, crew, Category.FATIGUE, description=GUN_WENT_OFF)
    client.force_login(ladder_cast["safety"])
    hostile = '<script>alert("x")</script> =cmd|calc'
    client.post(reverse("firearm_flag_clear", args=[report.pk]), {"reason": hostile})
    page = client.get(reverse("report_detail", args=[report.pk])).content.decode()
    assert "<script>alert" not in page and "&lt;script&gt;alert" in page
