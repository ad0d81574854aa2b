"""No admin page can single out the reporter of a confidential report: no query-string lookup, search or
ordering filters by a person the page does not show (issue 15, item 1). Superusers included: the only
way to learn a confidential reporter is the recorded reveal."""

import pytest
from django.contrib import admin
from django.urls import reverse

from accounts.admin_lookups import DeclaredLookupsOnly
from incidents.models import Event, Notification, Report

pytestmark = pytest.mark.django_db


def changelist(model) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")


@pytest.fixture(params=["production_admin", "superuser"])
def admin_user(request, production_admin, superuser):
    return {"production_admin": production_admin, "superuser": superuser}[request.param]


@pytest.mark.parametrize(
    ("model", "query"),
    [
        (Report, "reporter={uid}"),
        (Report, "reporter__in={uid}"),
        (Report, "reporter__id__exact={uid}"),
        (Report, "reporter__email={email}"),
        (Report, "reporter__full_name__startswith=Quinn"),
        (Event, "actor={uid}&kind__exact=filed"),
        (Event, "actor__id__exact={uid}"),
        (Event, "report__reporter={uid}"),
        (Notification, "recipient={uid}"),
        (Notification, "report__reporter={uid}"),
    ],
)
def test_admin_list_refuses_a_lookup_that_singles_out_a_confidential_reporter(
    client, admin_user, world, confidential_reporter, model, query
):
    client.force_login(admin_user)
    url = f"{changelist(model)}?{query.format(uid=confidential_reporter.pk, email=confidential_reporter.email)}"
    response = client.get(url)
    assert response.status_code == 400
    assert world["confidential"].title not in response.content.decode()


def test_admin_user_list_cannot_be_filtered_by_the_reports_a_person_filed(client, superuser, world):
    client.force_login(superuser)
    response = client.get(f"{reverse('admin:accounts_user_changelist')}?reports={world['confidential'].pk}")
    assert response.status_code == 400
    assert "quinn@example.com" not in response.content.decode()


def test_admin_list_filters_the_sidebar_offers_still_work(client, production_admin, world, production):
    client.force_login(production_admin)
    response = client.get(
        f"{changelist(Report)}?identity__exact=confidential&production__id__exact={production.pk}"
        f"&created_at__year={world['confidential'].created_at.year}"
    )
    assert response.status_code == 200
    assert [row.pk for row in response.context["cl"].result_list] == [world["confidential"].pk]
    events = client.get(f"{changelist(Event)}?kind__exact=filed&report__production__id__exact={production.pk}")
    assert events.status_code == 200


def test_admin_search_does_not_match_a_reporters_name(client, superuser, world):
    client.force_login(superuser)
    for model in (Report, Event, Notification):
        response = client.get(f"{changelist(model)}?q=Quinn")
        assert response.status_code == 200
        assert list(response.context["cl"].result_list) == []


def test_every_registered_admin_limits_lookups_to_its_declared_filters():
    undeclared = [
        f"{model._meta.label}: {type(model_admin).__name__}"
        for model, model_admin in admin.site._registry.items()
        if not isinstance(model_admin, DeclaredLookupsOnly)
    ]
    assert undeclared == []
