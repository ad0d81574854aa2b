"""Access rules found missing by the authorisation matrix, each shown on its own."""

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from incidents.categories import Category
from incidents.models import EventKind
from incidents.services.attachments import attachments_save, upload_clean
from tests.factories import UserFactory, file_report
from tests.security.world import photo

pytestmark = pytest.mark.django_db


@pytest.fixture
def report(production, crew, ladder_cast):
    report = file_report(production, crew, Category.OTHER, title="Loose sandbag on stand 3")
    attachments_save(report=report, uploads=[upload_clean(photo("sandbag.jpg"))])
    return report


def test_a_production_admin_opens_the_report_page_and_attachment_the_admin_links(client, production_admin, report):
    client.force_login(production_admin)
    admin_page = client.get(reverse("admin:incidents_report_change", args=[report.pk])).content.decode()
    attachment = report.attachments.get()
    assert report.get_absolute_url() in admin_page
    assert client.get(report.get_absolute_url()).status_code == 200
    assert client.get(attachment.get_absolute_url()).status_code == 200


def test_a_production_admin_reads_a_report_but_cannot_comment_or_act_on_it(client, production_admin, report):
    client.force_login(production_admin)
    page = client.get(report.get_absolute_url())
    assert not page.context["can_comment"] and not page.context["can_acknowledge"]
    # Posted anyway (there is no form to post from): refused, nothing written.
    client.post(reverse("report_comment", args=[report.pk]), {"body": "Looks fine to me."})
    client.post(reverse("report_acknowledge", args=[report.pk]))
    client.post(reverse("report_resolve", args=[report.pk]), {"resolution": "Done."})
    assert list(report.events.values_list("kind", flat=True)) == [EventKind.FILED]


def test_a_production_admin_opening_a_report_is_not_a_handler_viewing_it(client, production_admin, report):
    client.force_login(production_admin)
    client.get(report.get_absolute_url())
    assert not report.events.filter(kind=EventKind.VIEWED).exists()


def test_a_production_admin_sees_no_other_productions_report(client, production_admin, other_production, outsider):
    elsewhere = file_report(other_production, outsider, Category.OTHER)
    client.force_login(production_admin)
    assert client.get(elsewhere.get_absolute_url()).status_code == 404


def test_staff_linked_to_a_production_without_the_admin_group_reads_no_report(client, production, report):
    staff = UserFactory(is_staff=True)
    production.admins.add(staff)
    client.force_login(staff)
    assert client.get(report.get_absolute_url()).status_code == 404


def test_the_poster_the_admin_links_opens_for_its_admins(client, production, production_admin, superuser):
    for person in (production_admin, superuser):
        client.force_login(person)
        admin_page = client.get(reverse("admin:accounts_production_change", args=[production.pk])).content.decode()
        poster = reverse("production_poster", args=[production.pk])
        assert poster in admin_page
        response = client.get(poster)
        assert response.status_code == 200 and production.join_code in response.content.decode()


def test_the_poster_stays_closed_to_crew_and_strangers(client, production, crew, outsider):
    poster = reverse("production_poster", args=[production.pk])
    client.force_login(crew)
    assert client.get(poster).status_code == 403
    client.force_login(outsider)
    assert client.get(poster).status_code == 404


def test_a_production_admin_gets_no_poster_of_a_production_they_do_not_run(client, production_admin, other_production):
    client.force_login(production_admin)
    assert client.get(reverse("production_poster", args=[other_production.pk])).status_code == 404
    other_group_member = UserFactory(is_staff=True)
    other_group_member.groups.add(Group.objects.get(name="Production admins"))
    client.force_login(other_group_member)
    assert client.get(reverse("production_poster", args=[other_production.pk])).status_code == 404
