import pytest
from django.urls import reverse

from incidents.categories import Category
from incidents.services.handling import report_acknowledge
from incidents.services.stop_work import stop_work_call
from tests.factories import file_report

pytestmark = pytest.mark.django_db


def test_a_crew_member_sees_how_to_report_but_not_the_join_code(client, crew, production):
    client.force_login(crew)
    body = client.get(reverse("production_detail", args=[production.pk])).content.decode()
    assert "Report a concern" in body
    assert reverse("anonymous_new", args=[production.join_code]) in body
    assert "Join code" not in body


def test_a_handler_sees_the_join_code_the_poster_and_the_ladder(client, producer, production, ladder_cast):
    client.force_login(producer)
    body = client.get(reverse("production_detail", args=[production.pk])).content.decode()
    assert production.join_code in body
    assert reverse("production_poster", args=[production.pk]) in body
    assert "Unit production manager" in body


def test_someone_outside_the_production_gets_404(client, outsider, production):
    client.force_login(outsider)
    assert client.get(reverse("production_detail", args=[production.pk])).status_code == 404


def test_any_handler_it_reached_can_acknowledge_a_stop_work_call(production, crew, ladder_cast):
    stop = stop_work_call(production=production, caller=crew, reason="Live round found in the prop cart")
    assert report_acknowledge(report_id=stop.pk, user=ladder_cast["department_head"]).won


def test_an_active_stop_work_call_is_ended_by_lifting_not_by_resolving(client, production, crew, ladder_cast):
    stop = stop_work_call(production=production, caller=crew, reason="Guns pointed at crew in rehearsal")
    client.force_login(ladder_cast["producer"])
    client.post(reverse("report_resolve", args=[stop.pk]), {"resolution": "Talked to them"})
    stop.refresh_from_db()
    assert stop.status != "resolved"
    assert stop.lifted_at is None


def test_the_home_page_links_each_production(client, crew, production):
    client.force_login(crew)
    file_report(production, crew, Category.OTHER)
    assert reverse("production_detail", args=[production.pk]) in client.get(reverse("home")).content.decode()


def test_many_stop_work_calls_show_a_bounded_number_of_banners(client, production, crew, producer):
    for n in range(5):
        stop_work_call(production=production, caller=crew, reason=f"Unsafe rig number {n}")
    client.force_login(producer)
    body = client.get(reverse("home")).content.decode()
    assert body.count('class="stop-work-banner') == 4  # three calls, and one line pointing at the rest
    assert "More stop-work calls are active" in body
    assert "Unsafe rig number 4" in body  # the newest first


def test_members_and_the_poster_show_the_productions_reporting_address(client, settings, crew, producer, production):
    settings.MAILIN_DOMAIN = "reports.example"
    address = f"report+{production.join_code.lower()}@reports.example"
    client.force_login(crew)
    assert f'href="mailto:{address}"' in client.get(reverse("production_detail", args=[production.pk])).content.decode()
    client.force_login(producer)
    assert address in client.get(reverse("production_poster", args=[production.pk])).content.decode()


def test_without_a_mail_domain_no_reporting_address_is_shown(client, settings, crew, production):
    settings.MAILIN_DOMAIN = ""
    client.force_login(crew)
    assert "mailto:" not in client.get(reverse("production_detail", args=[production.pk])).content.decode()
