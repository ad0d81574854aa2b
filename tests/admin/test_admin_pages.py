"""Every registered admin page loads for a superuser with data present, in a bounded number of queries
that does not grow with the data. New models are covered by enumerating the admin's registry."""

import pytest
from django.contrib import admin
from django.urls import reverse

from accounts.models import Department, Membership, Role
from incidents.categories import Category
from incidents.models import Identity
from incidents.services.escalation import report_escalate
from tests.admin.helpers import count_queries
from tests.factories import ammo_lot, file_report, member, weapon

MAX_QUERIES = 30
REGISTRY = sorted(admin.site._registry.items(), key=lambda item: item[0]._meta.label)
MODELS = [model for model, _ in REGISTRY]


def grow(production, crew) -> None:
    """More of everything that a list or an inline shows, to catch queries per row."""
    armorer = Membership.objects.filter(production=production, role=Role.ARMORER).first().user
    for n in range(4):
        reporter = member(production, Role.CREW, Department.SOUND, full_name=f"Extra Crew {n}")
        file_report(production, reporter, Category.OTHER, title=f"Extra report {n}", identity=Identity.CONFIDENTIAL)
        file_report(production, crew, Category.RIGGING, title=f"Rigging {n}")
        weapon(production, armorer, serial=f"EXTRA-{n}")
        ammo_lot(production, armorer, description=f"Extra blanks {n}")


@pytest.mark.parametrize("model", MODELS, ids=lambda model: model._meta.label)
def test_admin_changelist_loads_in_constant_queries(client, superuser, world, production, crew, model):
    client.force_login(superuser)
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
    before, response = count_queries(client, url)
    assert response.status_code == 200
    grow(production, crew)
    after, response = count_queries(client, url)
    assert response.status_code == 200
    assert after == before, f"{url}: {before} queries, then {after} with more rows"
    assert after <= MAX_QUERIES


@pytest.mark.parametrize("model", MODELS, ids=lambda model: model._meta.label)
def test_admin_change_form_loads_for_a_superuser(client, superuser, world, model):
    client.force_login(superuser)
    obj = model._default_manager.order_by("pk").first()
    if obj is None:
        pytest.skip(f"no {model._meta.label} rows in this world (a third-party model)")
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_change", args=[obj.pk])
    queries, response = count_queries(client, url)
    assert response.status_code == 200
    assert queries <= MAX_QUERIES


def test_admin_report_change_form_queries_do_not_grow_with_the_trail(client, superuser, world, production, crew):
    client.force_login(superuser)
    report = world["named"]
    url = reverse("admin:incidents_report_change", args=[report.pk])
    before, _ = count_queries(client, url)
    grow(production, crew)  # more people at every level: more notifications on the next escalations
    for _ in range(3):
        report.refresh_from_db()
        report_escalate(report_id=report.pk, expected_level=report.escalation_level, force=True)
    after, response = count_queries(client, url)
    assert response.status_code == 200
    assert after == before


def test_admin_production_change_form_queries_do_not_grow_with_members(client, superuser, world, production, crew):
    client.force_login(superuser)
    url = reverse("admin:accounts_production_change", args=[production.pk])
    before, _ = count_queries(client, url)
    grow(production, crew)
    after, response = count_queries(client, url)
    assert response.status_code == 200
    assert after == before


def test_admin_site_says_safetrack(client, superuser):
    client.force_login(superuser)
    response = client.get(reverse("admin:index"))
    assert "SafeTrack administration" in response.text
    assert "<title>" in response.text and "SafeTrack admin" in response.text


@pytest.mark.parametrize("model", MODELS, ids=lambda model: model._meta.label)
def test_admin_changelist_for_a_production_admin_is_scoped_and_constant(
    client, production_admin, world, production, crew, model
):
    client.force_login(production_admin)
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
    before, response = count_queries(client, url)
    if response.status_code == 403:
        return  # not theirs to see at all (user groups, machine heartbeats, login records)
    assert response.status_code == 200
    grow(production, crew)
    after, _ = count_queries(client, url)
    assert after == before
    assert "Other Show" not in response.text


def test_a_refused_delete_in_the_admin_says_records_stay_and_how_to_stop_someone_instead(client, superuser, crew):
    client.force_login(superuser)

    response = client.get(reverse("admin:accounts_user_delete", args=[crew.pk]))

    page = response.content.decode()
    assert response.status_code == 403
    assert "The admin does not delete what the trail points at" in page
    assert "untick “Active” on their account" in page
    assert "Your role in this production" not in page
