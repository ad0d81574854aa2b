"""Conflicts of interest (issue 14): the reporter is never a handler of their own report, and the person
or role a report says it concerns ("This concerns…") is not told, cannot acknowledge or resolve it, never
learns a confidential reporter's name; the level above them is told instead, and the trail says why."""

import time

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone

from accounts.models import Department, Role
from incidents import access
from incidents.categories import Category
from incidents.forms.anonymous import started_token
from incidents.ladder import ladder_for
from incidents.models import Channel, EventKind, Identity, Notification, Report
from incidents.services.escalation import report_escalate
from incidents.services.handling import report_acknowledge, report_resolve
from incidents.services.identity import identity_reveal
from tests.factories import file_report

pytestmark = pytest.mark.django_db


def _told(event) -> set[int]:
    return set(Notification.objects.filter(event=event, channel=Channel.IN_APP).values_list("recipient", flat=True))


def _trail(client, user, report) -> str:
    client.force_login(user)
    return client.get(reverse("report_detail", args=[report.pk])).content.decode()


# --- the reporter ------------------------------------------------------------------------------------


def test_a_reporter_who_is_a_department_head_is_not_told_of_their_own_report_and_cannot_acknowledge_it(
    client, production, ladder_cast
):
    head = ladder_cast["department_head"]
    report = file_report(production, head, Category.RIGGING, title="Our own rig is loose")

    filed = report.events.get(kind=EventKind.FILED)
    assert head.pk not in _told(filed)
    assert ladder_cast["armorer"].pk in _told(filed)  # the rest of level 1 still is
    assert {"reason": "reporter"} in filed.payload["excluded"]
    with pytest.raises(PermissionDenied):
        report_acknowledge(report_id=report.pk, user=head)
    assert "Kay Keygrip filed it, so is not told as its handler." in _trail(client, ladder_cast["producer"], report)


def test_a_reporter_never_becomes_the_handler_of_their_own_report_as_it_climbs(production, ladder_cast):
    upm = ladder_cast["upm"]
    report = file_report(production, upm, Category.RIGGING)
    for level in (1, 2):
        report_escalate(report_id=report.pk, expected_level=level, force=True)

    to_level_3 = report.events.get(kind=EventKind.ESCALATED, payload__to_level=3)
    assert _told(to_level_3) == {ladder_cast["producer"].pk}  # the UPM's level: the level above is told
    assert to_level_3.payload["also_levels"] == [4]
    with pytest.raises(PermissionDenied):
        report_acknowledge(report_id=report.pk, user=upm)


def test_a_confidential_reporters_exclusion_never_says_who_they_are(client, production, ladder_cast):
    head = ladder_cast["department_head"]
    report = file_report(production, head, Category.RIGGING, identity=Identity.CONFIDENTIAL)

    filed = report.events.get(kind=EventKind.FILED)
    assert all("user" not in entry for entry in filed.payload["excluded"])
    page = _trail(client, ladder_cast["producer"], report)
    trail = page[page.index('id="trail') :] if 'id="trail' in page else page
    assert "filed it, so is not told" not in trail and "Kay Keygrip filed" not in trail


# --- "This concerns…" ----------------------------------------------------------------------------------


def test_a_person_named_under_this_concerns_is_skipped_cannot_act_and_the_level_above_is_told(
    client, production, crew, ladder_cast
):
    safety = ladder_cast["safety"]
    report = file_report(production, crew, Category.UNSAFE_HANDLING, concerns_person=safety, ammunition="blank")
    report_escalate(report_id=report.pk, expected_level=1, force=True)  # level 2: the safety coordinator's

    escalated = report.events.get(kind=EventKind.ESCALATED)
    assert _told(escalated) == {ladder_cast["upm"].pk}
    assert escalated.payload["excluded"] == [{"user": safety.pk, "reason": "concerned"}]
    assert escalated.payload["also_levels"] == [3]
    report.refresh_from_db()
    assert not access.may_act_on(safety, report, ladder_for(report.production))
    with pytest.raises(PermissionDenied):
        report_acknowledge(report_id=report.pk, user=safety)
    with pytest.raises(PermissionDenied):
        report_resolve(report_id=report.pk, user=safety, resolution="Nothing happened")
    page = _trail(client, ladder_cast["producer"], report)
    assert "Not told, because this report concerns them: Ada FirstAD." in page
    assert "Level 3 told instead." in page
    assert report_acknowledge(report_id=report.pk, user=ladder_cast["upm"]).won


def test_a_role_named_under_this_concerns_is_skipped_at_filing_and_the_level_above_is_told_at_once(
    production, crew, ladder_cast
):
    report = file_report(production, crew, Category.MISFIRE, concerns_role=Role.ARMORER)

    filed = report.events.get(kind=EventKind.FILED)
    told = _told(filed)
    assert ladder_cast["armorer"].pk not in told
    assert {ladder_cast["department_head"].pk, ladder_cast["safety"].pk} <= told
    with pytest.raises(PermissionDenied):
        report_acknowledge(report_id=report.pk, user=ladder_cast["armorer"])


def test_the_person_a_confidential_report_concerns_never_sees_who_filed_it_even_once_revealed(
    production, crew, ladder_cast, superuser
):
    safety, producer = ladder_cast["safety"], ladder_cast["producer"]
    report = file_report(production, crew, Category.OTHER, identity=Identity.CONFIDENTIAL, concerns_person=safety)

    assert not access.can_reveal_identity(safety, report)  # the safety coordinator reveals, but not this one
    with pytest.raises(PermissionDenied):
        identity_reveal(report_id=report.pk, user=safety, reason="I want to know")
    identity_reveal(report_id=report.pk, user=superuser, reason="Inquiry by the studio")
    report.refresh_from_db()

    assert access.reporter_label(report, producer) == "Gabi Grip"
    assert "Gabi Grip" not in access.reporter_label(report, safety)


# --- the form ----------------------------------------------------------------------------------------


def _form(production, **overrides):
    local = timezone.localtime(timezone.now(), production.tzinfo).strftime("%Y-%m-%dT%H:%M")
    data = {
        "category": Category.OTHER,
        "title": "The 1st AD rushed the gun check",
        "description": "The check was skipped to make the day.",
        "occurred_at": local,
        "department": Department.GRIP,
        "identity": Identity.NAMED,
    }
    data.update(overrides)
    return data


def test_the_report_form_offers_this_concerns_under_add_details(client, production, crew, ladder_cast):
    client.force_login(crew)
    html = client.get(reverse("report_new") + f"?production={production.pk}").content.decode()

    details = html[html.index("<details") : html.index("</details>")]
    assert 'name="concerns"' in details and "This concerns…" in details
    assert f'value="person:{ladder_cast["safety"].pk}"' in details
    assert f'value="role:{Role.SAFETY}"' in details
    assert f'value="person:{crew.pk}"' not in details  # not themselves


def test_filing_with_this_concerns_through_the_form_records_it(client, production, crew, ladder_cast):
    client.force_login(crew)
    safety = ladder_cast["safety"]

    client.post(
        reverse("report_new") + f"?production={production.pk}", _form(production, concerns=f"person:{safety.pk}")
    )

    report = Report.objects.get(title="The 1st AD rushed the gun check")
    assert report.concerns_person == safety
    assert "This concerns" in _trail(client, ladder_cast["producer"], report)


@pytest.mark.parametrize(
    "value",
    [
        "person:999999",
        "person:abc",
        "role:wizard",
        "role:crew",
        "person:",
        "role:safety' OR '1'='1",
        "<script>alert(1)</script>",
        "x" * 5000,
        "person:1\x00",
    ],
)
def test_a_made_up_this_concerns_is_refused_and_nothing_is_filed(client, production, crew, ladder_cast, value):
    client.force_login(crew)

    response = client.post(reverse("report_new") + f"?production={production.pk}", _form(production, concerns=value))

    assert response.status_code in (200, 400)
    assert not Report.objects.filter(title="The 1st AD rushed the gun check").exists()


def test_another_productions_member_cannot_be_named_under_this_concerns(client, production, crew, outsider):
    client.force_login(crew)

    response = client.post(
        reverse("report_new") + f"?production={production.pk}", _form(production, concerns=f"person:{outsider.pk}")
    )

    assert "Select a valid choice" in response.content.decode()
    assert not Report.objects.filter(title="The 1st AD rushed the gun check").exists()


def test_the_anonymous_form_offers_roles_but_names_nobody(client, production, ladder_cast):
    html = client.get(reverse("anonymous_new", args=[production.join_code])).content.decode()

    assert f'value="role:{Role.SAFETY}"' in html
    assert "person:" not in html and "Ada FirstAD" not in html


def test_an_anonymous_report_can_say_which_role_it_concerns_and_not_a_person(client, production, ladder_cast):
    url = reverse("anonymous_new", args=[production.join_code])
    base = {
        "category": Category.OTHER,
        "title": "The safety meeting was skipped",
        "description": "Nobody checked the guns.",
        "occurred_at": "2025-06-01T10:00",
        "started": started_token(time.time() - 60),
        "website": "",
    }

    client.post(url, {**base, "concerns": f"person:{ladder_cast['safety'].pk}"})
    assert not Report.objects.filter(title=base["title"]).exists()
    client.post(url, {**base, "concerns": f"role:{Role.SAFETY}", "started": started_token(time.time() - 60)})
    report = Report.objects.get(title=base["title"])
    assert (report.concerns_person, report.concerns_role) == (None, Role.SAFETY)
    filed = report.events.get(kind=EventKind.FILED)
    assert ladder_cast["safety"].pk not in _told(filed)
    assert ladder_cast["department_head"].pk in _told(filed)
