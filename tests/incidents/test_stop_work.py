"""Stop-work: anyone calls it, every level hears at once, everyone on the production sees the banner,
only a producer-level handler lifts it with a clearance note."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from accounts.models import Membership, Role
from incidents.categories import Category
from incidents.formatting import local_datetime
from incidents.models import Channel, EventKind, Identity, Notification, Report, ReportStatus
from incidents.notifications.message import message_for
from incidents.services.escalation import Outcome, report_escalate, reports_escalate_due
from incidents.services.handling import report_acknowledge
from incidents.services.receipt import report_for_receipt
from incidents.services.stop_work import stop_work_call, stop_work_lift
from incidents.trail import verify_trail
from tests.factories import UserFactory, member

pytestmark = pytest.mark.django_db

REASON = "Live round found in the prop cart"


def _call(production, caller, identity=Identity.NAMED, **kwargs):
    return stop_work_call(production=production, caller=caller, reason=REASON, identity=identity, **kwargs)


def _in_app_recipients(event):
    return {n.recipient_id for n in event.notifications.filter(channel=Channel.IN_APP)}


def test_a_stop_work_call_notifies_every_level_in_one_go(production, crew, ladder_cast):
    production.webhook_url = "https://hooks.example.com/set"
    production.save()
    report = _call(production, crew)
    assert (report.category, report.severity, report.status) == (Category.STOP_WORK, "critical", ReportStatus.OPEN)
    assert report.escalation_level == 5  # the top of the default ladder: no climbing one level at a time
    called = report.events.get(kind=EventKind.STOP_WORK_CALLED)  # the scanner may flag "live round" too
    assert called.kind == EventKind.STOP_WORK_CALLED
    assert _in_app_recipients(called) == {user.pk for user in ladder_cast.values()}
    # Six handlers, each in the inbox and by email, and the production's webhook once: 13 rows, one event.
    assert called.notifications.count() == 13
    assert called.notifications.filter(channel=Channel.EMAIL).count() == 6
    assert called.notifications.filter(channel=Channel.WEBHOOK).count() == 1
    assert not report.events.filter(kind=EventKind.ESCALATED).exists()


def test_the_top_level_is_reminded_three_times_then_the_call_is_unanswered_at_the_top(
    production, crew, ladder_cast, superuser
):
    admin = UserFactory(is_staff=True, full_name="Ada Admin")
    production.admins.add(admin)
    report = _call(production, crew)
    assert report.next_escalation_at - report.created_at == timedelta(minutes=5)  # the top level's interval
    for _ in range(4):  # three reminders, then "unanswered at the top"
        report.refresh_from_db()
        outcome = report_escalate(report_id=report.pk, expected_level=5, now=report.next_escalation_at)
        assert outcome is Outcome.ESCALATED
    report.refresh_from_db()
    assert (report.escalation_level, report.reminder_count) == (5, 3)  # never past the top
    assert report.unanswered_at_top_at is not None and report.next_escalation_at is None
    reminders = report.events.filter(kind=EventKind.REMINDED).order_by("seq")
    assert [(e.payload["reminder"], e.payload["of"]) for e in reminders] == [(1, 3), (2, 3), (3, 3)]
    for event in reminders:
        assert _in_app_recipients(event) == {ladder_cast["executive"].pk}
    [unanswered] = report.events.filter(kind=EventKind.UNANSWERED_AT_TOP)
    assert _in_app_recipients(unanswered) == {admin.pk}  # the production's admins, not every superuser
    assert reports_escalate_due(now=report.created_at + timedelta(hours=5)) == 0  # nothing more is sent
    assert report_acknowledge(report_id=report.pk, user=ladder_cast["executive"]).won
    report.refresh_from_db()
    assert report.next_escalation_at - report.acknowledged_at == timedelta(hours=4)  # resolve within still applies
    assert verify_trail(report).intact


def test_the_banner_shows_to_every_member_of_that_production_and_to_no_one_else(
    client, production, crew, other_crew, ladder_cast, outsider
):
    _call(production, crew)
    for user in (crew, other_crew, ladder_cast["department_head"], ladder_cast["producer"]):
        client.force_login(user)
        page = client.get(reverse("home")).content.decode()
        assert "stop-work-banner" in page, user
        assert REASON in page and "Gabi Grip" in page
    client.force_login(outsider)
    assert "stop-work-banner" not in client.get(reverse("home")).content.decode()
    client.logout()
    assert "stop-work-banner" not in client.get(reverse("home")).content.decode()


def test_the_banner_says_when_in_the_production_time_zone(client, production, crew):
    report = _call(production, crew)
    client.force_login(crew)
    page = client.get(reverse("home")).content.decode()
    local = report.created_at.astimezone(production.tzinfo)
    assert local.tzname() in page  # America/Denver: MST or MDT, never UTC


@pytest.mark.parametrize("identity", [Identity.CONFIDENTIAL, Identity.ANONYMOUS])
def test_the_banner_never_names_a_confidential_or_anonymous_caller(client, production, crew, producer, identity):
    _call(production, crew, identity=identity, receipt_hash="x" * 64 if identity == Identity.ANONYMOUS else None)
    client.force_login(producer)
    page = client.get(reverse("home")).content.decode()
    assert REASON in page
    assert "Gabi Grip" not in page and crew.email not in page
    assert "crew member" in page


def test_the_banner_details_link_opens_the_report_or_the_production_page_with_who_to_ask(
    client, production, crew, other_crew, producer, safety
):
    report = _call(production, crew)
    client.force_login(other_crew)
    home = client.get(reverse("home")).content.decode()
    assert report.get_absolute_url() not in home
    details = f"{production.get_absolute_url()}#stop-work-{report.pk}"
    assert f'href="{details}"' in home and "Details and who to ask" in home
    page = client.get(production.get_absolute_url()).content.decode()
    assert f'id="stop-work-{report.pk}"' in page and REASON in page and "Called by Gabi Grip" in page
    assert "Who to ask" in page
    assert "Pia Producer · Producer" in page and "Ada" in page  # who can lift it, and the safety coordinator
    assert page.index("Pia Producer") < page.index(safety.full_name)  # highest rank first
    client.force_login(crew)
    assert f'href="{report.get_absolute_url()}"' in client.get(reverse("home")).content.decode()


def test_the_production_page_names_no_confidential_caller_and_shows_nothing_once_lifted(
    client, production, crew, other_crew, producer
):
    report = _call(production, crew, identity=Identity.CONFIDENTIAL)
    client.force_login(other_crew)
    page = client.get(production.get_absolute_url()).content.decode()
    assert "Gabi Grip" not in page and "crew member" in page
    stop_work_lift(report_id=report.pk, user=producer, clearance_note="Rounds removed, cart checked")
    page = client.get(production.get_absolute_url()).content.decode()
    assert "Who to ask" not in page and "Work is stopped" not in page
    # The call's place on the page now says it was lifted, still without naming its caller.
    assert "Gabi Grip" not in page and "Rounds removed, cart checked" in page


def test_a_crew_member_told_a_stop_work_was_lifted_reads_who_lifted_it_when_and_the_clearance_in_the_inbox(
    client, production, crew, other_crew, producer
):
    report = _call(production, crew)
    lifted = stop_work_lift(report_id=report.pk, user=producer, clearance_note="Cart checked: all dummies")
    client.force_login(other_crew)
    inbox = client.get(reverse("inbox")).content.decode()
    assert "Stop-work lifted" in inbox
    assert "Lifted by Pia Producer at" in inbox and "Clearance: Cart checked: all dummies" in inbox
    assert local_datetime(lifted.lifted_at, production) in inbox
    other_crew.language = "es"
    other_crew.save(update_fields=["language"])
    inbox = client.get(reverse("inbox")).content.decode()
    assert "Levantada por Pia Producer" in inbox and "Autorización: Cart checked: all dummies" in inbox


def test_the_production_page_shows_a_lifted_call_where_the_inbox_links_with_who_lifted_it_and_the_clearance(
    client, production, crew, other_crew, producer
):
    report = _call(production, crew)
    stop_work_lift(report_id=report.pk, user=producer, clearance_note="Cart checked: all dummies")
    client.force_login(other_crew)
    inbox = client.get(reverse("inbox")).content.decode()
    link = f"{production.get_absolute_url()}#stop-work-{report.pk}"
    assert f'href="{link}"' in inbox
    page = client.get(production.get_absolute_url()).content.decode()
    section = page.split(f'id="stop-work-{report.pk}"')[1].split("</div>")[0]
    assert REASON in section and "Called by Gabi Grip" in section
    assert "Lifted by Pia Producer at" in section and "Cart checked: all dummies" in section


def test_the_stop_work_lifted_email_says_who_lifted_it_when_and_the_clearance(production, crew, other_crew, producer):
    report = _call(production, crew)
    stop_work_lift(report_id=report.pk, user=producer, clearance_note="Cart checked: all dummies")
    email = Notification.objects.get(
        report=report, recipient=other_crew, channel=Channel.EMAIL, event__kind=EventKind.STOP_WORK_LIFTED
    )
    lines = message_for(email).lines
    assert any(line.startswith("Lifted by Pia Producer at ") for line in lines)
    assert "Clearance: Cart checked: all dummies" in lines


def test_crew_and_department_heads_cannot_lift_a_stop_work(client, production, crew, ladder_cast):
    report = _call(production, crew)
    url = reverse("stop_work_lift", args=[report.pk])
    for user, status in ((crew, 403), (ladder_cast["department_head"], 403), (ladder_cast["upm"], 403)):
        client.force_login(user)
        assert client.get(url).status_code == status
        assert client.post(url, {"clearance_note": "All fine"}).status_code == status
        with pytest.raises(PermissionDenied):
            stop_work_lift(report_id=report.pk, user=user, clearance_note="All fine")
    report.refresh_from_db()
    assert report.stop_work_active
    assert not report.events.filter(kind=EventKind.STOP_WORK_LIFTED).exists()


def test_other_crew_and_outsiders_do_not_learn_the_lift_page_exists(client, production, crew, other_crew, outsider):
    report = _call(production, crew)
    for user in (other_crew, outsider):
        client.force_login(user)
        assert client.get(reverse("stop_work_lift", args=[report.pk])).status_code == 404
    client.logout()
    assert client.get(reverse("stop_work_lift", args=[report.pk])).status_code == 302  # to the login page


def test_a_producer_lifts_it_with_a_clearance_note_and_everyone_alerted_is_told(
    client, production, crew, ladder_cast, django_assert_max_num_queries
):
    report = _call(production, crew)
    producer = ladder_cast["producer"]
    client.force_login(producer)
    url = reverse("stop_work_lift", args=[report.pk])
    with django_assert_max_num_queries(12):
        page = client.get(url)
    assert page.status_code == 200 and REASON in page.content.decode()

    refused = client.post(url, {"clearance_note": "   "})
    assert refused.status_code == 200
    assert "Write what was checked, and by whom" in refused.content.decode()
    report.refresh_from_db()
    assert report.stop_work_active

    note = "Armorer Arden checked every round in the cart: all dummies. Work resumes at 14:00."
    response = client.post(url, {"clearance_note": note})
    assert response.status_code == 302 and response["Location"] == report.get_absolute_url()
    report.refresh_from_db()
    assert not report.stop_work_active
    assert (report.lifted_by, report.clearance_note, report.status) == (producer, note, ReportStatus.RESOLVED)
    lifted = report.events.get(kind=EventKind.STOP_WORK_LIFTED)
    assert lifted.actor == producer and lifted.payload["clearance"] == note and lifted.public
    told = _in_app_recipients(lifted)
    alerted = {u.pk for u in ladder_cast.values()}
    assert told == (alerted - {producer.pk}) | {crew.pk}
    assert verify_trail(Report.objects.get(pk=report.pk)).intact
    assert "stop-work-banner" not in client.get(reverse("home")).content.decode()
    again = client.post(url, {"clearance_note": note})
    assert again.status_code == 200 and report.events.filter(kind=EventKind.STOP_WORK_LIFTED).count() == 1


def test_the_clearance_note_is_required_by_the_service_too(production, crew, producer):
    report = _call(production, crew)
    with pytest.raises(ValidationError):
        stop_work_lift(report_id=report.pk, user=producer, clearance_note="")


def test_acknowledging_is_not_lifting(client, production, crew, ladder_cast):
    report = _call(production, crew)
    assert report_acknowledge(report_id=report.pk, user=ladder_cast["executive"]).won
    client.force_login(crew)
    assert "stop-work-banner" in client.get(reverse("home")).content.decode()
    assert Report.objects.active_stop_work().filter(pk=report.pk).exists()


def test_an_executive_and_an_admin_may_lift_too(production, crew, ladder_cast, superuser):
    first = _call(production, crew)
    stop_work_lift(report_id=first.pk, user=ladder_cast["executive"], clearance_note="Checked by the studio")
    second = _call(production, crew)
    stop_work_lift(report_id=second.pk, user=superuser, clearance_note="Checked by the admin")
    assert not Report.objects.active_stop_work().exists()


def test_a_member_calls_stop_work_from_the_form_with_a_confirmation(client, production, crew, ladder_cast):
    client.force_login(crew)
    url = reverse("stop_work_new")
    page = client.get(url).content.decode()
    assert 'name="confirm"' in page and 'name="title"' in page
    unconfirmed = client.post(url, {"production": production.pk, "title": REASON, "identity": "named"})
    assert unconfirmed.status_code == 200
    body = unconfirmed.content.decode()
    assert "Tick this box to confirm" in body and REASON in body  # nothing the user typed is lost
    assert not Report.objects.exists()

    response = client.post(
        url, {"production": production.pk, "title": REASON, "identity": "named", "confirm": "on", "location": "Stage 4"}
    )
    report = Report.objects.get()
    assert response.status_code == 302 and response["Location"] == report.get_absolute_url()
    assert (report.reporter, report.title, report.location, report.category) == (
        crew,
        REASON,
        "Stage 4",
        Category.STOP_WORK,
    )


def test_the_stop_work_form_refuses_bad_input_with_a_message_per_field(client, production, crew, other_production):
    client.force_login(crew)
    response = client.post(
        reverse("stop_work_new"),
        {
            "production": other_production.pk,
            "title": "x" * 201,
            "description": "Details I typed",
            "identity": "famous",
            "confirm": "on",
        },
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "Choose one of your productions." in body
    assert "Keep the reason under 200 characters" in body
    assert "Choose named, confidential or anonymous." in body
    assert "Details I typed" in body
    assert not Report.objects.exists()


def test_a_member_of_several_productions_chooses_which_one_stops(client, production, crew, other_production):
    Membership.objects.create(user=crew, production=other_production, role=Role.CREW, department="grip")
    client.force_login(crew)
    page = client.get(reverse("stop_work_new")).content.decode()
    assert "Dust Devil" in page and "Other Show" in page
    client.post(
        reverse("stop_work_new"),
        {"production": other_production.pk, "title": REASON, "identity": "named", "confirm": "on"},
    )
    assert Report.objects.get().production == other_production


def test_someone_in_no_production_is_sent_to_join_one(client, db):
    client.force_login(UserFactory())
    response = client.get(reverse("stop_work_new"))
    assert response.status_code == 302 and response["Location"] == reverse("join_enter")


def test_an_anonymous_call_from_a_member_gives_a_receipt_and_keeps_no_link(client, production, crew, producer):
    client.force_login(crew)
    response = client.post(
        reverse("stop_work_new"),
        {"production": production.pk, "title": REASON, "identity": "anonymous", "confirm": "on"},
        follow=True,
    )
    assert response.redirect_chain == [(reverse("receipt"), 303)]
    assert "STOP WORK called" in response.content.decode()
    report = Report.objects.get()
    assert report.reporter is None and report.identity == Identity.ANONYMOUS
    code = response.context["receipt"]
    assert code in response.content.decode()
    assert report_for_receipt(code) == report
    assert not report.events.filter(actor=crew).exists()


def test_a_stop_work_on_another_production_is_not_shown_here(client, production, crew, other_production):
    caller = member(other_production, Role.CREW)
    _call(other_production, caller)
    client.force_login(crew)
    assert "stop-work-banner" not in client.get(reverse("home")).content.decode()
