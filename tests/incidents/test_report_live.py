"""The report page moves by itself (a polled fragment of its status, level and newest trail entries), the
trail reads newest first with the earlier entries one tap away, and a comment returns to itself."""

import re

import pytest
from django.urls import reverse

from incidents.categories import Category
from incidents.models import EventKind, Notification
from incidents.services.handling import report_acknowledge, report_comment
from incidents.views.report_live import LATEST_ENTRIES
from tests.factories import file_report

pytestmark = pytest.mark.django_db


@pytest.fixture
def report(production, crew, ladder_cast):
    return file_report(production, crew, Category.RIGGING, title="Sandbag missing on stand 3")


def _live(client, report):
    return client.get(reverse("report_live", args=[report.pk]))


def test_the_fragment_shows_an_acknowledgement_made_elsewhere(client, report, ladder_cast, crew):
    client.force_login(crew)
    before = _live(client, report)
    assert before.status_code == 200 and before["X-SafeTrack-Fragment"] == "report"
    assert 'data-status="open"' in before.content.decode()
    report_acknowledge(report_id=report.pk, user=ladder_cast["armorer"])
    after = _live(client, report).content.decode()
    assert 'data-status="acknowledged"' in after and "Acknowledged by Arden Armorer" in after
    assert 'data-status-text="Status: Acknowledged."' in after
    assert 'data-part="badges"' in after and 'data-part="timeline-latest"' in after
    assert "<nav" not in after and "<html" not in after  # the parts alone, not a page


def test_the_fragment_writes_nothing_and_is_for_those_who_may_see_the_report(
    client, report, ladder_cast, other_crew, outsider
):
    head = ladder_cast["department_head"]
    client.force_login(head)
    _live(client, report)
    assert not report.events.filter(kind=EventKind.VIEWED).exists()  # polling is not opening
    assert Notification.objects.filter(recipient=head, read_at__isnull=True).exists()
    for stranger in (other_crew, outsider):
        client.force_login(stranger)
        assert _live(client, report).status_code == 404
    client.logout()
    assert _live(client, report).status_code == 302


def test_the_fragment_never_names_a_confidential_reporter(client, production, crew, ladder_cast):
    report = file_report(production, crew, Category.FATIGUE, identity="confidential")
    report_comment(report_id=report.pk, user=crew, body="More detail")
    client.force_login(ladder_cast["department_head"])
    assert "Gabi Grip" not in _live(client, report).content.decode()


def test_the_fragment_reads_a_constant_number_of_queries(
    client, report, crew, ladder_cast, django_assert_max_num_queries
):
    head = ladder_cast["department_head"]
    client.force_login(head)
    _live(client, report)
    with django_assert_max_num_queries(40) as few:
        _live(client, report)
    for n in range(10):
        report_comment(report_id=report.pk, user=head, body=f"Question {n}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        _live(client, report)


def test_the_trail_reads_newest_first_with_the_earlier_entries_one_tap_away(client, report, crew, ladder_cast):
    head = ladder_cast["department_head"]
    for n in range(LATEST_ENTRIES + 2):
        report_comment(report_id=report.pk, user=head, body=f"Question {n}")
    client.force_login(crew)
    page = client.get(report.get_absolute_url()).content.decode()
    latest, earlier = page.split('data-part="timeline-latest"', 1)[1].split("<details", 1)
    assert latest.index(f"Question {LATEST_ENTRIES + 1}") < latest.index(f"Question {LATEST_ENTRIES}")
    assert "Question 0" not in latest and "Question 0" in earlier and "Show earlier" in earlier
    assert page.index('id="comment-form"') < page.index('data-part="timeline-latest"')  # the box is on top


def test_after_commenting_the_page_returns_to_the_comment(client, report, crew):
    client.force_login(crew)
    response = client.post(reverse("report_comment", args=[report.pk]), {"body": "It was stand 3, not 4."})
    assert response.status_code == 302
    seq = report.events.filter(kind=EventKind.COMMENTED).get().seq
    assert response["Location"] == f"{report.get_absolute_url()}#event-{seq}"
    page = client.get(response["Location"]).content.decode()
    assert re.search(rf'id="event-{seq}"[^>]*>.*?It was stand 3, not 4\.', page, re.S)


def test_a_refused_comment_comes_back_to_the_comment_box_with_the_text(client, report, crew):
    client.force_login(crew)
    response = client.post(reverse("report_comment", args=[report.pk]), {"body": "x" * 5000})
    page = response.content.decode()
    assert response.status_code == 200 and "x" * 5000 in page
    assert 'action="/reports/' in page and '/comment/#comment-form"' in page
