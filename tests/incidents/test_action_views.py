"""The corrective-action pages: the report page lists the actions and plans new ones; an action's page
lets its owner mark it done with evidence and someone else verify it or send it back."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role
from incidents.categories import Category
from incidents.models import ActionStatus, Attachment, EventKind, ReportStatus
from incidents.services.actions import ActionPlan, action_mark_done, actions_plan
from tests.factories import file_report, member, plan_actions, plan_form_data
from tests.security.world import photo

pytestmark = pytest.mark.django_db


@pytest.fixture
def report(production, crew, ladder_cast):
    return file_report(production, crew, Category.RIGGING)


@pytest.fixture
def grip(production):
    return member(production, Role.CREW, full_name="Gil Grip")


def messages_of(response):
    return [str(m) for m in response.context["messages"]] if response.context else []


def test_the_report_page_lists_the_actions_with_their_owner_and_progress(client, report, crew, ladder_cast, grip):
    plan_actions(report, ladder_cast["safety"], grip, ladder_cast["armorer"])
    client.force_login(crew)
    page = client.get(report.get_absolute_url()).content.decode()
    assert "Corrective actions" in page and "0 of 2 verified" in page
    assert "Corrective actions are planned: it is resolved when every one is verified." in page
    assert "Fix number 1" in page and "Owner: Gil Grip" in page and "Checked and signed off (2)" in page


def test_a_bad_row_keeps_every_typed_row_and_says_what_is_missing(client, report, ladder_cast, grip):
    client.force_login(ladder_cast["safety"])
    data = plan_form_data("Stand re-rigged", grip, grip)
    data["action-1-due_on"] = "31/31/2026"
    response = client.post(reverse("report_resolve", args=[report.pk]), data)
    page = response.content.decode()
    assert response.status_code == 200
    assert "Enter a date, like 2026-12-24." in page
    assert "Fix number 1" in page and "Fix number 2" in page and "Stand re-rigged" in page
    assert not report.actions.exists()


def test_a_started_row_must_be_finished(client, report, ladder_cast):
    client.force_login(ladder_cast["safety"])
    data = plan_form_data("Stand re-rigged")
    data["action-0-what"] = "Buy sandbags"
    response = client.post(reverse("report_resolve", args=[report.pk]), data)
    page = response.content.decode()
    assert "Choose who does it." in page and "Choose a due date." in page and "Buy sandbags" in page


def test_a_row_with_a_refused_date_also_says_everything_else_it_lacks_and_the_page_opens_at_the_form(
    client, report, ladder_cast
):
    client.force_login(ladder_cast["safety"])
    data = plan_form_data("Stand re-rigged")
    data.update({"action-0-what": "Buy sandbags", "action-0-due_on": "2020-01-01"})

    response = client.post(reverse("report_resolve", args=[report.pk]), data)

    page = response.content.decode()
    assert "Nothing was planned yet: fix what is marked below, then send again." in page
    assert "Choose who does it." in page and "Say what done means." in page  # with the date's own error
    assert "Choose a due date." not in page
    assert f'action="{reverse("report_resolve", args=[report.pk])}#resolve-form"' in page
    assert not report.actions.exists()


def test_a_plan_without_any_action_is_refused(client, report, ladder_cast):
    client.force_login(ladder_cast["safety"])
    response = client.post(reverse("report_resolve", args=[report.pk]), plan_form_data("Nothing to do"))
    assert "List at least one corrective action." in response.content.decode()


def test_an_owner_from_another_production_is_refused(client, report, ladder_cast, outsider):
    client.force_login(ladder_cast["safety"])
    response = client.post(reverse("report_resolve", args=[report.pk]), plan_form_data("Plan", outsider))
    assert "Choose someone from this production." in response.content.decode()
    assert not report.actions.exists()


def test_a_crew_owner_opens_their_action_but_not_the_report(client, report, ladder_cast, grip):
    (action,) = plan_actions(report, ladder_cast["safety"], grip)
    client.force_login(grip)
    assert client.get(report.get_absolute_url()).status_code == 404
    page = client.get(action.get_absolute_url())
    assert page.status_code == 200
    html = page.content.decode()
    assert "Mark it done" in html and "Fix number 1" in html and "Verify it" not in html


def test_strangers_do_not_see_an_action(client, report, ladder_cast, grip, other_crew, outsider):
    (action,) = plan_actions(report, ladder_cast["safety"], grip)
    for stranger in (other_crew, outsider):
        client.force_login(stranger)
        assert client.get(action.get_absolute_url()).status_code == 404
        assert client.post(reverse("action_done", args=[action.pk]), {"note": "x"}).status_code == 404


def test_the_owner_marks_it_done_with_a_photo_and_a_verifier_sees_it(client, report, ladder_cast, grip):
    (action,) = plan_actions(report, ladder_cast["safety"], grip)
    client.force_login(grip)
    response = client.post(
        reverse("action_done", args=[action.pk]), {"note": "Two sandbags on stand 3.", "evidence": [photo("s.jpg")]}
    )
    assert response.status_code == 302
    action.refresh_from_db()
    assert action.status == ActionStatus.DONE
    evidence = Attachment.objects.get(action=action)
    client.force_login(ladder_cast["upm"])
    page = client.get(action.get_absolute_url()).content.decode()
    assert "Two sandbags on stand 3." in page and reverse("action_evidence", args=[action.pk, evidence.pk]) in page
    assert client.get(reverse("action_evidence", args=[action.pk, evidence.pk])).status_code == 200
    # The evidence is shown with its action, not among the report's own attachments.
    assert evidence not in client.get(report.get_absolute_url()).context["attachments"]


def test_a_refused_done_keeps_the_photo_for_the_next_try(client, report, ladder_cast, grip):
    (action,) = plan_actions(report, ladder_cast["safety"], grip)
    client.force_login(grip)
    response = client.post(reverse("action_done", args=[action.pk]), {"note": " ", "evidence": [photo("s.jpg")]})
    assert "Say what was done, as evidence." in response.content.decode()
    kept = response.context["done_form"].kept
    assert [k.name for k in kept] == ["s.jpg"] and not Attachment.objects.filter(action=action).exists()
    response = client.post(reverse("action_done", args=[action.pk]), {"note": "Done", "kept_evidence": [kept[0].token]})
    assert response.status_code == 302
    assert Attachment.objects.filter(action=action).count() == 1


def test_a_file_that_is_not_a_photo_is_refused_with_its_name(client, report, ladder_cast, grip):
    (action,) = plan_actions(report, ladder_cast["safety"], grip)
    client.force_login(grip)
    fake = photo("evil.jpg", b"<html>not a photo</html>")
    response = client.post(reverse("action_done", args=[action.pk]), {"note": "Done", "evidence": [fake]})
    assert "evil.jpg is not a photo" in response.content.decode()
    action.refresh_from_db()
    assert action.status == ActionStatus.PLANNED


def test_the_owner_is_told_they_cannot_verify_their_own_action(client, report, ladder_cast):
    safety = ladder_cast["safety"]
    (action,) = plan_actions(report, ladder_cast["upm"], safety)
    action_mark_done(action_id=action.pk, user=safety, note="Done.")
    client.force_login(safety)
    page = client.get(action.get_absolute_url()).content.decode()
    assert "Verified: it is done" not in page
    response = client.post(reverse("action_verify", args=[action.pk]))
    assert "Someone other than its owner must verify an action." in response.content.decode()
    action.refresh_from_db()
    assert action.status == ActionStatus.DONE


def test_sending_back_needs_a_reason_and_keeps_the_page(client, report, ladder_cast, grip):
    (action,) = plan_actions(report, ladder_cast["safety"], grip)
    action_mark_done(action_id=action.pk, user=grip, note="Done.")
    client.force_login(ladder_cast["upm"])
    response = client.post(reverse("action_send_back", args=[action.pk]), {"reason": ""})
    assert "Say what is still missing." in response.content.decode()
    response = client.post(reverse("action_send_back", args=[action.pk]), {"reason": "No photo."}, follow=True)
    assert "Sent back to its owner" in " ".join(messages_of(response))
    action.refresh_from_db()
    assert action.status == ActionStatus.PLANNED


def test_verifying_the_last_action_resolves_the_report(client, report, crew, ladder_cast, grip):
    (action,) = plan_actions(report, ladder_cast["safety"], grip)
    action_mark_done(action_id=action.pk, user=grip, note="Done.")
    client.force_login(ladder_cast["upm"])
    response = client.post(reverse("action_verify", args=[action.pk]), follow=True)
    assert "the report is resolved" in " ".join(messages_of(response))
    report.refresh_from_db()
    assert report.status == ReportStatus.RESOLVED
    assert report.events.filter(kind=EventKind.RESOLVED).count() == 1


def test_action_pages_post_only_where_they_change_something(client, report, ladder_cast, grip):
    (action,) = plan_actions(report, ladder_cast["safety"], grip)
    client.force_login(ladder_cast["upm"])
    for name in ("action_done", "action_verify", "action_send_back"):
        assert client.get(reverse(name, args=[action.pk])).status_code == 405


# --- where actions wait: the owner's home page and the dashboard, overdue first ------------------------------


def _overdue(report, planner, owner, what):
    then = timezone.now() - timedelta(days=3)
    plan = ActionPlan(
        what=what, done_means="Signed off", owner_id=owner.pk, due_on=timezone.localdate(then, report.production.tzinfo)
    )
    return actions_plan(report_id=report.pk, user=planner, summary="Plan", plans=[plan], now=then)[0]


def test_the_owners_home_lists_their_actions_overdue_first(client, report, ladder_cast, grip):
    plan_actions(report, ladder_cast["safety"], grip)  # due in three days
    _overdue(report, ladder_cast["safety"], grip, "Replace the frayed strap")
    client.force_login(grip)
    page = client.get(reverse("home")).content.decode()
    assert "Your actions" in page
    assert page.index("Replace the frayed strap") < page.index("Fix number 1")
    assert "Overdue" in page


def test_a_handlers_home_lists_the_actions_done_for_them_to_verify(client, report, ladder_cast, grip):
    (action,) = plan_actions(report, ladder_cast["safety"], grip)
    action_mark_done(action_id=action.pk, user=grip, note="Done.")
    client.force_login(ladder_cast["upm"])
    page = client.get(reverse("home")).content.decode()
    assert "Done, to verify" in page and action.get_absolute_url() in page
    client.force_login(grip)  # the owner is never asked to verify their own
    assert "Done, to verify" not in client.get(reverse("home")).content.decode()


def test_the_dashboard_lists_unverified_actions_overdue_first(client, report, ladder_cast, grip):
    plan_actions(report, ladder_cast["safety"], grip)
    _overdue(report, ladder_cast["safety"], grip, "Replace the frayed strap")
    client.force_login(ladder_cast["upm"])
    page = client.get(reverse("dashboard")).content.decode()
    section = page[page.index("Corrective actions not verified yet") :]
    assert section.index("Replace the frayed strap") < section.index("Fix number 1")
