"""The production page: members added by email, the policy's levels edited inline and validated, the
join code regenerated, the poster and the stop-work state shown; and every change logged."""

from datetime import timedelta

import pytest
from django.contrib.admin.models import LogEntry
from django.urls import reverse

from accounts.models import Department, Membership, Production, Role
from incidents.categories import Category
from incidents.models import EscalationLevel, EscalationPolicy
from tests.admin.helpers import form_data
from tests.factories import UserFactory, file_report


def production_page(production) -> str:
    return reverse("admin:accounts_production_change", args=[production.pk])


def levels(production) -> list[tuple[int, list[str]]]:
    return list(
        EscalationLevel.objects.filter(policy__production=production).order_by("number").values_list("number", "roles")
    )


@pytest.fixture
def page_data(client, superuser, production):
    client.force_login(superuser)
    return form_data(client.get(production_page(production)))


def test_production_page_saved_unchanged_changes_nothing(client, production, page_data):
    before = levels(production)
    response = client.post(production_page(production), page_data)
    assert response.status_code == 302, response.context and response.context["errors"]
    assert levels(production) == before


def test_levels_can_be_renumbered_without_colliding(client, production, page_data):
    # 1 2 3 4 5 -> 1 3 4 5 6: each new number is an old one's, saved in any order.
    for index in range(1, 5):
        page_data[f"levels-{index}-number"] = str(index + 2)
    response = client.post(production_page(production), page_data)
    assert response.status_code == 302
    assert [number for number, _ in levels(production)] == [1, 3, 4, 5, 6]


def test_level_roles_are_checkboxes_of_roles(client, production, page_data):
    page_data["levels-0-roles"] = [Role.ARMORER, Role.SAFETY]
    assert client.post(production_page(production), page_data).status_code == 302
    assert levels(production)[0] == (1, [Role.ARMORER, Role.SAFETY])
    page_data["levels-0-roles"] = ["janitor"]
    response = client.post(production_page(production), page_data)
    assert response.status_code == 200
    assert "Select a valid choice. janitor is not one of the available choices." in response.text


def test_a_policy_without_levels_is_refused(client, production, page_data):
    before = levels(production)
    for index in range(5):
        page_data[f"levels-{index}-DELETE"] = "on"
    response = client.post(production_page(production), page_data)
    assert response.status_code == 200
    assert "A policy needs at least one level" in response.text
    assert levels(production) == before


def test_level_numbers_must_increase(client, production, page_data):
    before = levels(production)
    page_data["levels-2-number"] = "2"  # 1 2 2 4 5
    response = client.post(production_page(production), page_data)
    assert response.status_code == 200
    assert "Level numbers must increase from top to bottom: level 2 comes after level 2." in response.text
    page_data["levels-2-number"] = "3"
    page_data["levels-1-number"] = "4"  # 1 4 3 4 5
    response = client.post(production_page(production), page_data)
    assert "level 3 comes after level 4" in response.text
    assert levels(production) == before


@pytest.mark.parametrize("value", ["0", "0:00:00", "-0:05:00"])
def test_level_timeouts_must_be_positive(client, production, page_data, value):
    page_data["levels-0-critical_timeout"] = value
    page_data["levels-1-low_timeout"] = value
    page_data["levels-1-medium_timeout"] = "5:00"  # kept as typed when the page comes back
    response = client.post(production_page(production), page_data)
    assert response.status_code == 200
    assert response.text.count("Must be longer than zero") == 2
    formset = next(i.formset for i in response.context["inline_admin_formsets"] if i.formset.prefix == "levels")
    assert formset.forms[1]["medium_timeout"].value() == "5:00"
    policy = EscalationPolicy.objects.get(production=production)
    assert policy.levels.get(number=1).critical_timeout == timedelta(minutes=5)


def test_malformed_level_input_gets_a_message_per_field(client, production, page_data):
    page_data["levels-0-number"] = "first"
    page_data["levels-0-high_timeout"] = "soon"
    page_data["levels-1-number"] = "0"
    response = client.post(production_page(production), page_data)
    assert response.status_code == 200
    formset = next(i.formset for i in response.context["inline_admin_formsets"] if i.formset.prefix == "levels")
    assert formset.forms[0].errors["number"] == ["Enter a whole number."]
    assert formset.forms[0].errors["high_timeout"] == ["Enter a valid duration."]
    assert formset.forms[1].errors["number"] == ["A level number is between 1 and 99."]


def test_a_level_must_notify_someone(client, production, page_data):
    page_data.pop("levels-0-roles")
    response = client.post(production_page(production), page_data)
    assert "Pick at least one role or person to notify at this level." in response.text


def test_policy_page_validates_its_levels_the_same_way(client, superuser, production):
    client.force_login(superuser)
    url = reverse("admin:incidents_escalationpolicy_change", args=[production.policy.pk])
    data = form_data(client.get(url))
    data["levels-0-low_timeout"] = "0"
    response = client.post(url, data)
    assert "Must be longer than zero" in response.text
    data["levels-0-low_timeout"] = "12:00:00"
    data["resolve_high"] = "1 00:00:00"
    assert client.post(url, data).status_code == 302
    production.policy.refresh_from_db()
    assert production.policy.resolve_high == timedelta(days=1)
    assert production.policy.levels.get(number=1).low_timeout == timedelta(hours=12)


def test_policy_changes_are_logged(client, production, page_data, superuser):
    page_data["levels-0-critical_timeout"] = "0:03:00"
    client.post(production_page(production), page_data)
    entry = LogEntry.objects.filter(object_id=str(production.pk)).latest("action_time")
    assert entry.user == superuser
    assert "escalation level" in entry.get_change_message().lower()


def test_member_is_added_by_email_and_an_unknown_email_is_refused(client, production, page_data, superuser):
    newcomer = UserFactory(full_name="Nia Newcomer", email="nia@example.com")
    extra = int(page_data["memberships-TOTAL_FORMS"]) - 1
    page_data[f"memberships-{extra}-user"] = "nobody@example.com"
    page_data[f"memberships-{extra}-role"] = Role.ARMORER
    page_data[f"memberships-{extra}-department"] = Department.PROPS
    response = client.post(production_page(production), page_data)
    assert response.status_code == 200
    assert "No account with this email" in response.text
    page_data[f"memberships-{extra}-user"] = " NIA@example.com "
    assert client.post(production_page(production), page_data).status_code == 302
    assert Membership.objects.get(user=newcomer, production=production).role == Role.ARMORER


def test_member_role_is_changed_inline_and_logged(client, production, crew, superuser):
    client.force_login(superuser)
    data = form_data(client.get(production_page(production)))
    index = next(k.split("-")[1] for k, v in data.items() if k.endswith("-user") and v == crew.email)
    data[f"memberships-{index}-role"] = Role.DEPARTMENT_HEAD
    data[f"memberships-{index}-user"] = "someone.else@example.com"  # a member's person cannot be swapped
    assert client.post(production_page(production), data).status_code == 302
    membership = Membership.objects.get(production=production, user=crew)
    assert membership.role == Role.DEPARTMENT_HEAD
    entry = LogEntry.objects.filter(object_id=str(production.pk)).latest("action_time")
    assert "membership" in entry.get_change_message().lower()


def test_new_production_gets_the_default_policy(client, superuser):
    client.force_login(superuser)
    add = reverse("admin:accounts_production_add")
    data = form_data(client.get(add))
    data.update({"name": "Night Shoot", "timezone": "Europe/London", "status": "active"})
    response = client.post(add, data)
    assert response.status_code == 302
    production = Production.objects.get(name="Night Shoot")
    assert [number for number, _ in levels(production)] == [1, 2, 3, 4, 5]


def test_regenerate_join_code_changes_it_and_logs_it(client, superuser, production):
    old = production.join_code
    client.force_login(superuser)
    response = client.post(
        reverse("admin:accounts_production_changelist"),
        {"action": "regenerate_join_code", "_selected_action": [production.pk], "index": 0},
        follow=True,
    )
    production.refresh_from_db()
    assert production.join_code != old
    assert production.join_code in response.text
    assert old in LogEntry.objects.filter(object_id=str(production.pk)).latest("action_time").get_change_message()


def test_production_page_shows_the_poster_and_the_stop_work_call(client, superuser, production, crew):
    client.force_login(superuser)
    page = client.get(production_page(production))
    assert reverse("production_poster", args=[production.pk]) in page.text
    assert "Working: no stop-work call in force." in page.text
    call = file_report(production, crew, Category.STOP_WORK, title="Live round found in prop box")
    page = client.get(production_page(production))
    assert "STOPPED since" in page.text
    assert reverse("admin:incidents_report_change", args=[call.pk]) in page.text
    listed = client.get(reverse("admin:accounts_production_changelist")).context["cl"].result_list
    assert [p.stopped for p in listed if p.pk == production.pk] == [True]


def test_production_admin_edits_their_levels(client, production_admin, production):
    client.force_login(production_admin)
    data = form_data(client.get(production_page(production)))
    data["levels-0-critical_timeout"] = "0:02:00"
    assert client.post(production_page(production), data).status_code == 302
    assert production.policy.levels.get(number=1).critical_timeout == timedelta(minutes=2)


@pytest.mark.parametrize("value", ["31 00:00:00", "3000000 00:00:00", "999999999 00:00:00"])
def test_a_level_timeout_past_thirty_days_is_refused_plainly_and_crew_can_still_file(
    client, production, page_data, crew, value
):
    page_data["levels-0-low_timeout"] = value
    response = client.post(production_page(production), page_data)
    assert response.status_code == 200
    assert "Give at most 30 days (30 00:00:00)." in response.text
    assert EscalationPolicy.objects.get(production=production).levels.get(number=1).low_timeout == timedelta(hours=24)
    file_report(production, crew, Category.OTHER)  # a deadline in the calendar: filing works


def test_a_more_serious_report_never_waits_longer_than_a_less_serious_one_at_a_level(client, production, page_data):
    page_data["levels-0-critical_timeout"] = "3 00:00:00"  # longer than the level's 15 minutes for high
    response = client.post(production_page(production), page_data)
    assert response.status_code == 200
    assert "A more serious report never waits longer: keep it at most the next column&#x27;s 00:15:00." in response.text
    assert EscalationPolicy.objects.get(production=production).levels.get(number=1).critical_timeout == timedelta(
        minutes=5
    )
    page_data["levels-0-critical_timeout"] = "0:15:00"  # as long as high: fine
    assert client.post(production_page(production), page_data).status_code == 302


def test_the_policy_pages_deadlines_and_reminders_out_of_range_are_refused_in_plain_words(
    client, superuser, production
):
    client.force_login(superuser)
    url = reverse("admin:incidents_escalationpolicy_change", args=[production.policy.pk])
    page = client.get(url)
    assert "Changes apply to reports filed from now on. An open report keeps the deadline it was given" in page.text
    data = form_data(page)
    data.update(resolve_high="999999999 00:00:00", repeat_incident_window="400 00:00:00", top_reminders="100000000")
    response = client.post(url, data)
    assert response.status_code == 200
    assert response.text.count("Give at most 365 days (365 00:00:00).") == 2
    assert "Give at most 20 reminders: after them the admins are alerted." in response.text
    assert "Constraint" not in response.text
    production.policy.refresh_from_db()
    assert (production.policy.resolve_high, production.policy.top_reminders) == (timedelta(hours=24), 3)


def test_a_level_cannot_name_someone_outside_the_production_who_would_never_be_told(
    client, production, page_data, crew
):
    outsider = UserFactory(full_name="Pablo Outsider")
    page_data["levels-0-people"] = [str(outsider.pk)]
    response = client.post(production_page(production), page_data)
    assert response.status_code == 200
    assert "Not members of this production, so never told: Pablo Outsider." in response.text
    assert not EscalationPolicy.objects.get(production=production).levels.get(number=1).people.exists()

    page_data["levels-0-people"] = [str(crew.pk)]  # a member: told at that level
    assert client.post(production_page(production), page_data).status_code == 302
    assert list(EscalationPolicy.objects.get(production=production).levels.get(number=1).people.all()) == [crew]


def test_a_level_cannot_be_crew_members_who_cannot_acknowledge(client, production, page_data):
    page = client.get(production_page(production)).content.decode()
    assert 'name="levels-0-roles" value="department_head"' in page
    assert 'name="levels-0-roles" value="crew"' not in page
    page_data["levels-0-roles"] = [Role.CREW]
    response = client.post(production_page(production), page_data)
    assert response.status_code == 200
    assert "Select a valid choice. crew is not one of the available choices." in response.text
