"""The earlier-reports choice of an ignored warning: the latest 20 and a search, never every report; a
search is not a submission (nothing refused, nothing lost, the photos kept)."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from incidents.categories import Category
from incidents.models import Report
from tests.factories import file_report
from tests.incidents.test_report_form import form_data, jpeg_bytes, new_url

pytestmark = pytest.mark.django_db

SHOWN = re.compile(r'name="earlier_reports" id="id_earlier_reports_(\d+)" value="\d+"( checked)?')


def shown(page: str) -> list[int]:
    return [int(pk) for pk, _ in SHOWN.findall(page)]


def search(client, production, query, **fields):
    data = form_data(production, Category.IGNORED_WARNING, warned_whom="", warned_how="", earlier_q=query, **fields)
    data["earlier_search"] = "1"
    response = client.post(new_url(production), data)
    assert response.status_code == 200
    return response.content.decode()


@pytest.fixture
def many_reports(production, crew):
    """25 of the crew member's reports, oldest first; one titled about the ladder."""
    reports = [file_report(production, crew, title=f"Sandbag {n}") for n in range(24)]
    reports.insert(3, file_report(production, crew, title="Ladder without feet on stage 4"))
    return reports


def test_the_list_shows_the_latest_twenty_newest_first(client, crew, production, many_reports):
    client.force_login(crew)
    page = client.get(new_url(production)).content.decode()
    latest = sorted(many_reports, key=lambda r: (r.created_at, r.pk), reverse=True)[:20]
    assert shown(page) == [r.pk for r in latest]
    assert "Your latest reports here:" in page


def test_a_search_by_a_word_of_the_title_finds_an_older_report_and_keeps_everything_typed(
    client, crew, production, many_reports
):
    client.force_login(crew)
    page = search(client, production, "ladder", location="Stage 4, kept")
    ladder = next(r for r in many_reports if r.title.startswith("Ladder"))
    assert shown(page) == [ladder.pk]
    assert "Reports that match:" in page
    assert 'value="Stage 4, kept"' in page
    # A search is not a submission: no error, nothing filed.
    assert 'id="form-errors"' not in page and "Pick the earlier report" not in page
    assert Report.objects.count() == len(many_reports)


def test_a_search_by_number_finds_that_report(client, crew, production, many_reports):
    client.force_login(crew)
    target = many_reports[0]
    assert shown(search(client, production, f"#{target.pk}")) == [target.pk]


def test_reports_ticked_before_a_search_stay_ticked_and_listed(client, crew, production, many_reports):
    client.force_login(crew)
    first = many_reports[0]
    page = search(client, production, "ladder", earlier_reports=[first.pk])
    assert SHOWN.findall(page)[0] == (str(first.pk), " checked")
    assert len(shown(page)) == 2


def test_a_search_keeps_the_photos_chosen(client, crew, production, many_reports):
    client.force_login(crew)
    data = form_data(production, Category.IGNORED_WARNING, earlier_q="ladder")
    data["earlier_search"] = "1"
    data["attachments"] = [SimpleUploadedFile("stand.jpg", jpeg_bytes(), content_type="image/jpeg")]
    page = client.post(new_url(production), data).content.decode()
    assert page.count('name="kept_attachments"') == 1 and "stand.jpg" in page
    assert Report.objects.count() == len(many_reports)


def test_the_search_never_shows_reports_the_reporter_may_not_link(client, crew, other_crew, production):
    file_report(production, other_crew, title="Ladder report of someone else")
    client.force_login(crew)
    page = search(client, production, "ladder")
    assert shown(page) == [] and "No report matches." in page


@pytest.mark.parametrize("query", ["%", "_", "\\", "' OR 1=1 --", "#", "#99999999999999999999", "x" * 300, "🙂"])
def test_a_hostile_search_answers_with_a_list_and_files_nothing(client, crew, production, many_reports, query):
    client.force_login(crew)
    page = search(client, production, query)
    assert len(shown(page)) <= 20
    assert Report.objects.count() == len(many_reports)


def test_junk_ticked_ids_are_ignored_by_the_list_and_refused_by_the_submission(client, crew, production):
    client.force_login(crew)
    junk = ["abc", "-1", "0", "1" * 30, "\x00"]
    page = search(client, production, "", earlier_reports=junk)
    assert shown(page) == []
    data = form_data(production, Category.IGNORED_WARNING)
    data["earlier_reports"] = junk
    response = client.post(new_url(production), data)
    assert response.status_code == 200 and not Report.objects.exists()


def test_the_list_and_a_search_cost_the_same_queries_with_few_or_many_reports(
    client, production, crew, department_head, django_assert_num_queries
):
    client.force_login(department_head)
    file_report(production, crew, title="Ladder one")
    with CaptureQueriesContext(connection) as few:
        search(client, production, "ladder")
    for n in range(30):
        file_report(production, crew, title=f"Ladder {n}")
    with django_assert_num_queries(len(few.captured_queries)):
        page = search(client, production, "ladder")
    assert len(shown(page)) == 20
