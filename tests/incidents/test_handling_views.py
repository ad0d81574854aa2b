"""Acknowledge, comment, resolve and reopen from the report page, and the signed acknowledge link."""

import time
from datetime import timedelta

import pytest
from django.core import signing
from django.test import Client
from django.urls import reverse

from accounts.models import Membership
from incidents.categories import Category
from incidents.models import Channel, EventKind, Notification, Report, ReportStatus
from incidents.notifications.message import ACK_SALT, ack_token, message_for
from incidents.services.escalation import report_escalate
from incidents.services.handling import report_acknowledge, report_comment, report_resolve
from tests.factories import file_report, plan_form_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def report(production, crew, ladder_cast):
    return file_report(production, crew, Category.MISFIRE, ammunition="blank")


def kinds(report):
    return list(report.events.order_by("seq").values_list("kind", flat=True))


def messages_of(response):
    return [str(m) for m in response.context["messages"]] if response.context else []


# --- acknowledge from the page ---------------------------------------------------------------------------


def test_a_handler_acknowledges_from_the_page_and_the_trail_says_so(client, report, ladder_cast):
    client.force_login(ladder_cast["armorer"])
    response = client.post(reverse("report_acknowledge", args=[report.pk]), follow=True)
    report.refresh_from_db()
    assert (report.status, report.acknowledged_by) == (ReportStatus.ACKNOWLEDGED, ladder_cast["armorer"])
    assert report.events.get(kind=EventKind.ACKNOWLEDGED).payload["via"] == "page"
    assert any(f"You acknowledged report #{report.pk}:" in m for m in messages_of(response))


def test_the_second_handler_to_acknowledge_is_told_who_was_first(client, report, ladder_cast):
    report_acknowledge(report_id=report.pk, user=ladder_cast["department_head"])
    client.force_login(ladder_cast["armorer"])
    response = client.post(reverse("report_acknowledge", args=[report.pk]), follow=True)
    assert any(m.startswith(f"Kay Keygrip acknowledged report #{report.pk} first") for m in messages_of(response))
    assert report.events.filter(kind=EventKind.ACKNOWLEDGED).count() == 1


def test_crew_cannot_acknowledge_even_by_posting_directly(client, report, crew):
    client.force_login(crew)
    response = client.post(reverse("report_acknowledge", args=[report.pk]), follow=True)
    assert any("Only a handler" in m for m in messages_of(response))
    report.refresh_from_db()
    assert report.status == ReportStatus.OPEN


@pytest.mark.parametrize("name", ["report_acknowledge", "report_comment", "report_resolve", "report_reopen"])
def test_actions_are_post_only(client, report, ladder_cast, name):
    client.force_login(ladder_cast["department_head"])
    assert client.get(reverse(name, args=[report.pk])).status_code == 405


@pytest.mark.parametrize("name", ["report_acknowledge", "report_comment", "report_resolve", "report_reopen"])
def test_actions_need_the_csrf_token(report, ladder_cast, name):
    client = Client(enforce_csrf_checks=True)
    client.force_login(ladder_cast["department_head"])
    response = client.post(reverse(name, args=[report.pk]), {"body": "x", "resolution": "x", "reason": "x"})
    assert response.status_code == 403
    assert kinds(report) == [EventKind.FILED]


@pytest.mark.parametrize("name", ["report_acknowledge", "report_comment", "report_resolve", "report_reopen"])
def test_actions_on_someone_elses_report_are_404(client, report, other_crew, outsider, name):
    for stranger in (other_crew, outsider):
        client.force_login(stranger)
        response = client.post(reverse(name, args=[report.pk]), {"body": "x", "resolution": "x", "reason": "x"})
        assert response.status_code == 404
    assert kinds(report) == [EventKind.FILED]


# --- comments ------------------------------------------------------------------------------------------


def test_a_handlers_comment_for_the_reporter_is_public_and_tells_the_reporter(client, report, crew, ladder_cast):
    client.force_login(ladder_cast["safety"])
    response = client.post(
        reverse("report_comment", args=[report.pk]), {"body": "Who loaded it?", "visibility": "reporter"}
    )
    assert response.status_code == 302
    event = report.events.get(kind=EventKind.COMMENTED)
    assert (event.public, event.actor, event.payload["body"]) == (True, ladder_cast["safety"], "Who loaded it?")
    assert Notification.objects.filter(event=event, recipient=crew, channel=Channel.IN_APP).exists()


def test_a_handlers_internal_note_is_not_shown_to_the_reporter(client, report, crew, ladder_cast):
    client.force_login(ladder_cast["safety"])
    client.post(reverse("report_comment", args=[report.pk]), {"body": "Check the log", "visibility": "internal"})
    event = report.events.get(kind=EventKind.COMMENTED)
    assert not event.public
    assert not Notification.objects.filter(event=event, recipient=crew).exists()


def test_a_handler_must_say_who_sees_a_comment(client, report, ladder_cast):
    client.force_login(ladder_cast["safety"])
    response = client.post(reverse("report_comment", args=[report.pk]), {"body": "Typed with care"})
    page = response.content.decode()
    assert "Choose who sees this comment." in page and "Typed with care" in page
    assert not report.events.filter(kind=EventKind.COMMENTED).exists()


def test_the_reporter_cannot_make_an_internal_note(client, report, crew):
    client.force_login(crew)
    client.post(reverse("report_comment", args=[report.pk]), {"body": "More detail", "visibility": "internal"})
    event = report.events.get(kind=EventKind.COMMENTED)
    assert event.public and event.payload["from_reporter"]


def _told_in_app(event) -> set[int]:
    return set(event.notifications.filter(channel=Channel.IN_APP).values_list("recipient_id", flat=True))


def test_the_handler_who_asked_the_reporter_a_question_is_told_of_the_answer(client, report, crew, ladder_cast):
    producer, upm = ladder_cast["producer"], ladder_cast["upm"]
    assert report_acknowledge(report_id=report.pk, user=producer).won
    client.force_login(upm)
    client.post(reverse("report_comment", args=[report.pk]), {"body": "Which days exactly?", "visibility": "reporter"})
    client.force_login(crew)
    client.post(reverse("report_comment", args=[report.pk]), {"body": "Tuesday and Wednesday."})
    answer = report.events.get(kind=EventKind.COMMENTED, payload__from_reporter=True)
    assert _told_in_app(answer) == {producer.pk, upm.pk}  # who holds it, and who asked; not the reporter
    client.force_login(upm)
    page = client.get(report.get_absolute_url()).content.decode()
    told_line = page.split("Tuesday and Wednesday.")[1].split("Which days exactly?")[0]  # newest first
    assert "Told in the app:" in told_line and "Pia Producer" in told_line and "Una Manager" in told_line
    inbox = client.get(reverse("inbox")).content.decode()
    assert f"New comment: #{report.pk}" in inbox


def test_a_handler_who_only_wrote_an_internal_note_is_not_told_of_the_reporters_answer(report, crew, ladder_cast):
    producer, upm = ladder_cast["producer"], ladder_cast["upm"]
    assert report_acknowledge(report_id=report.pk, user=producer).won
    report_comment(report_id=report.pk, user=upm, body="Check the call sheets", to_reporter=False)
    answer = report_comment(report_id=report.pk, user=crew, body="It was on Tuesday.")
    assert _told_in_app(answer) == {producer.pk}


def test_the_reporters_answer_never_reaches_someone_the_report_concerns_even_if_they_asked(report, crew, ladder_cast):
    producer, upm = ladder_cast["producer"], ladder_cast["upm"]
    assert report_acknowledge(report_id=report.pk, user=producer).won
    report_comment(report_id=report.pk, user=upm, body="Which days exactly?")
    Report.objects.filter(pk=report.pk).update(concerns_person=upm)  # it turns out to be about the UPM
    answer = report_comment(report_id=report.pk, user=crew, body="The days the UPM set the calls.")
    assert _told_in_app(answer) == {producer.pk}


@pytest.mark.parametrize(
    ("body", "message"),
    [("   ", "Write a comment first."), ("x" * 4001, "Keep a comment under 4,000 characters")],
)
def test_a_bad_comment_is_shown_back_on_the_page_with_the_text_kept(client, report, crew, body, message):
    client.force_login(crew)
    response = client.post(reverse("report_comment", args=[report.pk]), {"body": body, "visibility": "nonsense"})
    page = response.content.decode()
    assert response.status_code == 200
    assert message in page
    if body.strip():
        assert body in page
    assert "Loose sandbag on the lighting stand" in page  # it is the report page
    assert kinds(report) == [EventKind.FILED]


# --- resolve and reopen -----------------------------------------------------------------------------------


def test_resolving_needs_the_summary_and_keeps_the_page(client, report, ladder_cast):
    client.force_login(ladder_cast["department_head"])
    response = client.post(reverse("report_resolve", args=[report.pk]), plan_form_data("", ladder_cast["armorer"]))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Say what was found and what will be done." in page and "Fix number 1" in page
    report.refresh_from_db()
    assert report.status == ReportStatus.OPEN


def test_resolving_plans_the_corrective_actions(client, report, crew, ladder_cast):
    client.force_login(ladder_cast["department_head"])
    data = plan_form_data("Armorer retrained.", ladder_cast["armorer"])
    response = client.post(reverse("report_resolve", args=[report.pk]), data)
    assert response.status_code == 302 and response.url.endswith("#actions")
    report.refresh_from_db()
    assert (report.status, report.resolution) == (ReportStatus.ACKNOWLEDGED, "Armorer retrained.")
    assert report.events.get(kind=EventKind.ACTIONS_PLANNED).payload["summary"] == "Armorer retrained."
    assert report.actions.get().owner == ladder_cast["armorer"]
    assert Notification.objects.filter(report=report, recipient=crew, event__kind=EventKind.ACTIONS_PLANNED).exists()


def test_resolving_a_report_someone_just_resolved_keeps_the_typed_text(client, report, ladder_cast):
    report_resolve(report_id=report.pk, user=ladder_cast["armorer"], resolution="Done first.")
    client.force_login(ladder_cast["department_head"])
    data = plan_form_data("My long careful note", ladder_cast["armorer"])
    response = client.post(reverse("report_resolve", args=[report.pk]), data)
    page = response.content.decode()
    assert "This report is already resolved." in page and "My long careful note" in page
    assert report.events.filter(kind=EventKind.RESOLVED).count() == 1


def test_crew_cannot_resolve(client, report, crew):
    client.force_login(crew)
    data = plan_form_data("I fixed it myself", crew)
    response = client.post(reverse("report_resolve", args=[report.pk]), data)
    assert "You cannot resolve this report." in response.content.decode()
    assert "I fixed it myself" in response.content.decode()
    report.refresh_from_db()
    assert report.status == ReportStatus.OPEN


def test_the_reporter_reopens_with_a_reason_and_it_climbs_again(client, report, crew, ladder_cast):
    report_resolve(report_id=report.pk, user=ladder_cast["armorer"], resolution="Checked.")
    client.force_login(crew)
    response = client.post(reverse("report_reopen", args=[report.pk]), {"reason": ""})
    assert "Say what is still wrong." in response.content.decode()
    response = client.post(reverse("report_reopen", args=[report.pk]), {"reason": "Same gun jammed again."})
    assert response.status_code == 302
    report.refresh_from_db()
    assert (report.status, report.reopen_count) == (ReportStatus.OPEN, 1)
    assert report.events.get(kind=EventKind.REOPENED).payload["reason"] == "Same gun jammed again."
    assert Notification.objects.filter(recipient=ladder_cast["armorer"], event__kind=EventKind.REOPENED).exists()


def test_only_the_reporter_reopens_and_only_a_resolved_report(client, report, crew, ladder_cast):
    client.force_login(crew)
    response = client.post(reverse("report_reopen", args=[report.pk]), {"reason": "Not fixed"})
    assert "Only a resolved report can be reopened." in response.content.decode()
    report_resolve(report_id=report.pk, user=ladder_cast["armorer"], resolution="Checked.")
    client.force_login(ladder_cast["producer"])
    response = client.post(reverse("report_reopen", args=[report.pk]), {"reason": "Not fixed"})
    assert "Only the person who filed this report can reopen it." in response.content.decode()
    assert not report.events.filter(kind=EventKind.REOPENED).exists()


def test_every_action_from_the_pages_writes_its_event(client, report, crew, ladder_cast):
    head = ladder_cast["department_head"]
    client.force_login(head)
    client.get(report.get_absolute_url())
    client.post(reverse("report_acknowledge", args=[report.pk]))
    client.post(reverse("report_comment", args=[report.pk]), {"body": "On it", "visibility": "reporter"})
    client.post(reverse("report_resolve", args=[report.pk]), plan_form_data("Fixed", ladder_cast["armorer"]))
    action = report.actions.get()
    client.force_login(ladder_cast["armorer"])
    client.post(reverse("action_done", args=[action.pk]), {"note": "Done"})
    client.force_login(ladder_cast["safety"])
    client.post(reverse("action_verify", args=[action.pk]))
    client.force_login(crew)
    client.post(reverse("report_reopen", args=[report.pk]), {"reason": "Still broken"})
    client.post(reverse("report_comment", args=[report.pk]), {"body": "See photo"})
    assert kinds(report) == [
        EventKind.FILED,
        EventKind.VIEWED,
        EventKind.ACKNOWLEDGED,
        EventKind.COMMENTED,
        EventKind.ACTIONS_PLANNED,
        EventKind.ACTION_DONE,
        EventKind.ACTION_VERIFIED,
        EventKind.RESOLVED,
        EventKind.REOPENED,
        EventKind.COMMENTED,
    ]


# --- the signed acknowledge link -----------------------------------------------------------------------


@pytest.fixture
def head_notification(report, ladder_cast):
    return Notification.objects.get(report=report, recipient=ladder_cast["department_head"], channel=Channel.EMAIL)


def link(notification, token=None):
    return reverse("report_acknowledge_link", args=[notification.report_id, token or ack_token(notification)])


class SignerTwoDaysAgo(signing.TimestampSigner):
    def timestamp(self):
        return signing.b62_encode(int(time.time()) - 2 * 86400)


def test_the_link_in_a_notification_is_the_acknowledge_link(head_notification):
    assert message_for(head_notification).ack_url.endswith(link(head_notification))


def test_the_link_shows_one_button_and_acknowledges_only_on_post(client, report, head_notification, ladder_cast):
    client.force_login(ladder_cast["department_head"])
    response = client.get(link(head_notification))
    assert response.status_code == 200
    assert "Acknowledge: I am on it" in response.content.decode()
    report.refresh_from_db()
    assert report.status == ReportStatus.OPEN  # a mail scanner following the link changes nothing
    response = client.post(link(head_notification))
    assert response.status_code == 302 and response["Location"] == report.get_absolute_url()
    report.refresh_from_db()
    assert (report.status, report.acknowledged_by) == (ReportStatus.ACKNOWLEDGED, ladder_cast["department_head"])
    assert report.events.get(kind=EventKind.ACKNOWLEDGED).payload["via"] == "link"
    head_notification.refresh_from_db()
    assert head_notification.ack_link_used_at is not None


def test_a_used_link_is_refused(client, report, head_notification, ladder_cast):
    client.force_login(ladder_cast["department_head"])
    client.post(link(head_notification))
    for method in (client.get, client.post):
        response = method(link(head_notification))
        assert response.status_code == 410
        assert "This link has already been used." in response.content.decode()
    assert report.events.filter(kind=EventKind.ACKNOWLEDGED).count() == 1


def test_an_expired_link_is_refused(client, report, head_notification, ladder_cast):
    old = SignerTwoDaysAgo(salt=ACK_SALT).sign(str(head_notification.pk))
    client.force_login(ladder_cast["department_head"])
    for method in (client.get, client.post):
        response = method(link(head_notification, old))
        assert response.status_code == 410
        assert "This link has expired." in response.content.decode()
    report.refresh_from_db()
    assert report.status == ReportStatus.OPEN


@pytest.mark.parametrize(
    "forge",
    [
        lambda n: ack_token(n)[:-3] + "abc",
        lambda n: signing.TimestampSigner(key="not-the-secret-key-" * 3, salt=ACK_SALT).sign(str(n.pk)),
        lambda n: signing.TimestampSigner(salt="another-salt").sign(str(n.pk)),
        lambda n: signing.TimestampSigner(salt=ACK_SALT).sign("not-a-number"),
        lambda n: "garbage",
    ],
)
def test_a_forged_link_is_refused(client, report, head_notification, ladder_cast, forge):
    client.force_login(ladder_cast["department_head"])
    response = client.post(link(head_notification, forge(head_notification)))
    assert response.status_code == 400
    assert "This link is not valid." in response.content.decode()
    report.refresh_from_db()
    assert report.status == ReportStatus.OPEN


def test_a_link_for_another_report_is_refused(client, production, crew, report, head_notification, ladder_cast):
    other = file_report(production, crew)
    client.force_login(ladder_cast["department_head"])
    url = reverse("report_acknowledge_link", args=[other.pk, ack_token(head_notification)])
    assert client.post(url).status_code == 400
    other.refresh_from_db()
    report.refresh_from_db()
    assert (other.status, report.status) == (ReportStatus.OPEN, ReportStatus.OPEN)


def test_someone_elses_link_is_refused_even_for_a_handler_who_could_acknowledge(
    client, report, head_notification, ladder_cast
):
    client.force_login(ladder_cast["armorer"])
    for method in (client.get, client.post):
        response = method(link(head_notification))
        assert response.status_code == 403
        assert "This link was sent to someone else." in response.content.decode()
    report.refresh_from_db()
    head_notification.refresh_from_db()
    assert report.status == ReportStatus.OPEN and head_notification.ack_link_used_at is None


def test_the_link_asks_for_a_login_first(client, head_notification):
    response = client.get(link(head_notification))
    assert response.status_code == 302 and reverse("login") in response["Location"]


def test_a_link_for_a_report_someone_else_acknowledged_says_who(client, report, head_notification, ladder_cast):
    report_acknowledge(report_id=report.pk, user=ladder_cast["armorer"])
    client.force_login(ladder_cast["department_head"])
    response = client.post(link(head_notification))
    assert response.status_code == 200
    assert "Arden Armorer already acknowledged it" in response.content.decode()


def test_a_link_still_acknowledges_after_the_report_climbed_above_its_recipient(
    client, report, head_notification, ladder_cast
):
    report_escalate(report_id=report.pk, expected_level=1, now=report.next_escalation_at + timedelta(seconds=1))
    client.force_login(ladder_cast["department_head"])

    response = client.post(link(head_notification))

    assert response.status_code == 302
    report.refresh_from_db()
    assert (report.status, report.acknowledged_by) == (ReportStatus.ACKNOWLEDGED, ladder_cast["department_head"])


def test_a_link_whose_recipient_is_now_too_close_to_the_report_is_refused_and_not_used_up(
    client, report, head_notification, ladder_cast
):
    report.reporter = ladder_cast["department_head"]  # as if Kay had filed it: never a handler of it
    report.save(update_fields=["reporter"])
    client.force_login(ladder_cast["department_head"])

    response = client.post(link(head_notification))

    assert response.status_code == 403
    assert "You cannot acknowledge this report." in response.content.decode()
    head_notification.refresh_from_db()
    assert head_notification.ack_link_used_at is None
    report.refresh_from_db()
    assert report.status == ReportStatus.OPEN


def test_a_handler_who_asked_and_then_left_the_production_is_not_sent_the_reporters_answer(report, crew, ladder_cast):
    producer, upm = ladder_cast["producer"], ladder_cast["upm"]
    assert report_acknowledge(report_id=report.pk, user=producer).won
    report_comment(report_id=report.pk, user=upm, body="Which days exactly?")
    Membership.objects.filter(user=upm, production_id=report.production_id).delete()  # the UPM moved on
    answer = report_comment(report_id=report.pk, user=crew, body="Tuesday and Wednesday.")
    assert _told_in_app(answer) == {producer.pk}
