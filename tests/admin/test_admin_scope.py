"""A staff user who administers one production sees and edits only that production in the admin:
lists, change pages reached by URL, choices in forms, autocomplete. Superusers see everything."""

import pytest
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth.models import Group
from django.urls import reverse

from accounts.models import Membership, Production
from incidents.models import Event, Notification, Report
from tests.factories import UserFactory


def changelist(model) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")


def change(obj) -> str:
    return reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change", args=[obj.pk])


def test_production_admin_report_list_shows_only_their_production(client, production_admin, world):
    client.force_login(production_admin)
    response = client.get(changelist(Report))
    assert response.status_code == 200
    assert "Loose sandbag" in response.text
    assert "Other show" not in response.text  # neither the report nor the production's name (filters)
    assert world["elsewhere"].title not in response.text


def test_production_admin_cannot_open_another_productions_report_by_url(client, production_admin, world):
    client.force_login(production_admin)
    response = client.get(change(world["elsewhere"]), follow=True)
    assert world["elsewhere"].title not in response.text
    assert response.redirect_chain and response.redirect_chain[-1][0] == reverse("admin:index")


@pytest.mark.parametrize("model", [Event, Notification])
def test_production_admin_cannot_open_another_productions_trail_or_outbox(client, production_admin, world, model):
    client.force_login(production_admin)
    elsewhere = model.objects.filter(report=world["elsewhere"]).first()
    assert client.get(change(elsewhere)).status_code == 302
    mine = model.objects.filter(report=world["named"]).first()
    assert client.get(change(mine)).status_code == 200
    listed = client.get(changelist(model)).context["cl"].result_list
    assert {row.report_id for row in listed} <= {
        world[name].pk for name in ("named", "confidential", "anonymous", "live")
    }


def test_production_admin_sees_only_their_members(client, production_admin, world, outsider, other_production, crew):
    client.force_login(production_admin)
    response = client.get(changelist(Membership))
    assert "Gabi Grip" in response.text
    assert "Olly Outsider" not in response.text
    elsewhere = Membership.objects.get(user=outsider, production=other_production)
    assert client.get(change(elsewhere)).status_code == 302
    users = client.get(reverse("admin:accounts_user_changelist"))
    assert crew.email in users.text and outsider.email not in users.text
    assert client.get(change(outsider)).status_code == 302


def test_production_admin_sees_only_their_production(client, production_admin, production, other_production):
    client.force_login(production_admin)
    listed = client.get(changelist(Production)).context["cl"].result_list
    assert [p.pk for p in listed] == [production.pk]
    assert client.get(change(other_production)).status_code == 302
    assert client.get(change(production)).status_code == 200


def test_production_admin_autocomplete_offers_only_their_people_and_productions(
    client, production_admin, world, crew, outsider, production
):
    client.force_login(production_admin)
    url = reverse("admin:autocomplete")
    people = client.get(url, {"app_label": "accounts", "model_name": "membership", "field_name": "user", "term": ""})
    ids = {int(row["id"]) for row in people.json()["results"]}
    assert crew.pk in ids and outsider.pk not in ids
    outsider_search = client.get(
        url, {"app_label": "accounts", "model_name": "membership", "field_name": "user", "term": "Olly"}
    )
    assert outsider_search.json()["results"] == []
    productions = client.get(
        url, {"app_label": "accounts", "model_name": "membership", "field_name": "production", "term": ""}
    )
    assert [int(row["id"]) for row in productions.json()["results"]] == [production.pk]


def test_production_admin_picks_people_to_notify_only_among_their_people(client, production_admin, world, outsider):
    client.force_login(production_admin)
    response = client.get(
        reverse("admin:autocomplete"),
        {"app_label": "incidents", "model_name": "escalationlevel", "field_name": "people", "term": "O"},
    )
    assert response.status_code == 200
    names = {row["text"] for row in response.json()["results"]}
    assert "Una Manager" in names  # "O" matches a member's email too
    assert "Otto Otherhead" not in names and "Olly Outsider" not in names


def test_production_admin_cannot_add_a_membership_to_another_production(
    client, production_admin, world, crew, other_production
):
    client.force_login(production_admin)
    add = reverse("admin:accounts_membership_add")
    form = client.get(add).context["adminform"].form
    assert list(form.fields["production"].queryset) == list(Production.objects.filter(admins=production_admin))
    response = client.post(add, {"user": crew.pk, "production": other_production.pk, "role": "executive"})
    assert response.status_code == 200
    assert "Select a valid choice" in response.text
    assert not Membership.objects.filter(user=crew, production=other_production).exists()


def test_production_admin_cannot_change_user_accounts(client, production_admin, world, crew):
    client.force_login(production_admin)
    response = client.post(change(crew), {"email": crew.email, "full_name": crew.full_name, "is_superuser": "on"})
    assert response.status_code == 403
    crew.refresh_from_db()
    assert not crew.is_superuser


def test_production_admin_cannot_give_themselves_another_production(client, production_admin, production):
    client.force_login(production_admin)
    form = client.get(change(production)).context["adminform"].form
    assert "admins" not in form.fields  # shown read-only: a superuser decides who administers what


def test_staff_linked_to_no_production_sees_nothing(client, world):
    staff = UserFactory(is_staff=True)
    staff.groups.add(Group.objects.get(name="Production admins"))
    client.force_login(staff)
    assert client.get(changelist(Report)).status_code == 403
    assert client.get(change(world["named"])).status_code in (302, 403)


def test_production_admin_sees_only_their_own_log_entries(client, production_admin, superuser, world):
    LogEntry.objects.log_actions(
        user_id=production_admin.pk,
        queryset=Report.objects.filter(pk=world["named"].pk),
        action_flag=CHANGE,
        change_message="mine",
    )
    client.force_login(production_admin)
    rows = client.get(reverse("admin:admin_logentry_changelist")).context["cl"].result_list
    assert {row.user_id for row in rows} == {production_admin.pk}


def test_nobody_deletes_user_accounts_through_the_admin(client, superuser, crew):
    client.force_login(superuser)
    response = client.post(reverse("admin:accounts_user_delete", args=[crew.pk]), {"post": "yes"})
    assert response.status_code == 403
    assert type(crew).objects.filter(pk=crew.pk).exists()


def test_superuser_sees_every_production(client, superuser, world):
    client.force_login(superuser)
    listed = client.get(changelist(Report)).context["cl"].result_list
    assert world["elsewhere"] in list(listed)
