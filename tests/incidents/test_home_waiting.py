"""A handler's home says what waits for them: open reports they can take, and the ones they took and
must still resolve; the dashboard is one tap away. Crew see none of it."""

import pytest
from django.urls import reverse

from incidents.categories import Category
from incidents.services.handling import report_acknowledge, report_resolve
from tests.factories import file_report

pytestmark = pytest.mark.django_db


def _home(client, user) -> str:
    client.force_login(user)
    return client.get(reverse("home")).content.decode()


def test_a_handlers_home_lists_the_open_report_they_can_take_with_its_deadline(client, production, crew, ladder_cast):
    report = file_report(production, crew, Category.RIGGING, title="Sandbag missing on stand 3")
    page = _home(client, ladder_cast["department_head"])
    assert "Waiting for you" in page and "To acknowledge" in page
    assert f'href="{report.get_absolute_url()}"' in page and "Sandbag missing on stand 3" in page
    assert "escalates in" in page and "Level 1 of 5" in page
    assert f'href="{reverse("dashboard")}"' in page and "Open the dashboard" in page


def test_a_resolved_report_waits_for_nobody(client, production, crew, ladder_cast):
    head = ladder_cast["department_head"]
    report = file_report(production, crew, Category.RIGGING, title="Sandbag missing on stand 3")
    report_acknowledge(report_id=report.pk, user=head)
    report_resolve(report_id=report.pk, user=head, resolution="Two bags on every stand")
    page = _home(client, head)
    assert "Waiting for you" in page and "Sandbag missing on stand 3" not in page
    assert "Nothing is waiting for you right now." in page


def test_a_report_the_handler_acknowledged_waits_for_their_resolution(client, production, crew, ladder_cast):
    head = ladder_cast["department_head"]
    report = file_report(production, crew, Category.RIGGING, title="Sandbag missing on stand 3")
    report_acknowledge(report_id=report.pk, user=head)
    page = _home(client, head)
    assert "You acknowledged, to resolve" in page and "resolve within" in page
    assert "To acknowledge" not in page
    # Someone else's acknowledgement is not waiting for this person.
    assert "Sandbag missing on stand 3" not in _home(client, ladder_cast["armorer"])


def test_crew_and_other_productions_handlers_see_no_waiting_list(client, production, crew, ladder_cast, outsider):
    file_report(production, crew, Category.RIGGING, title="Sandbag missing on stand 3")
    assert "Waiting for you" not in _home(client, crew)
    page = _home(client, outsider)
    assert "Sandbag missing on stand 3" not in page


def test_the_waiting_list_reads_a_constant_number_of_queries(
    client, production, crew, ladder_cast, django_assert_max_num_queries
):
    head = ladder_cast["department_head"]
    file_report(production, crew, Category.RIGGING, title="First")
    client.force_login(head)
    client.get(reverse("home"))
    with django_assert_max_num_queries(30) as few:
        client.get(reverse("home"))
    for n in range(12):
        file_report(production, crew, Category.RIGGING, title=f"More {n}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = client.get(reverse("home")).content.decode()
    assert "More on the dashboard" in page
