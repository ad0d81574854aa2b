"""My reports, the report page with its trail, and its attachments: who may see what, and how it reads."""

import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from incidents.categories import Category
from incidents.models import EventKind, Identity
from incidents.services.attachments import CleanUpload
from incidents.services.handling import report_acknowledge, report_comment, report_resolve
from tests.factories import file_report
from tests.helpers import OWNER_PICKER, without_owner_pickers

pytestmark = pytest.mark.django_db


def photo_upload(name="scene.jpg"):
    buffer = io.BytesIO()
    Image.new("RGB", (10, 10), (0, 90, 200)).save(buffer, format="JPEG")
    return CleanUpload(name=name, content_type="image/jpeg", content=buffer.getvalue())


PDF = CleanUpload(name="permit.pdf", content_type="application/pdf", content=b"%PDF-1.4\n%%EOF\n")


@pytest.fixture
def report(production, crew, ladder_cast):
    return file_report(production, crew, Category.MISFIRE, ammunition="blank", uploads=[photo_upload(), PDF])


# --- my reports -------------------------------------------------------------------------------------


def test_my_reports_lists_mine_newest_first_with_status_badges(client, production, crew, other_crew, ladder_cast):
    first = file_report(production, crew, title="First concern")
    second = file_report(production, crew, title="Second concern")
    file_report(production, other_crew, title="Someone else's concern")
    report_acknowledge(report_id=first.pk, user=ladder_cast["department_head"])
    client.force_login(crew)
    page = client.get(reverse("report_list")).content.decode()
    assert page.index("Second concern") < page.index("First concern")
    assert "Someone else" not in page
    assert "Acknowledged</span>" in page and "Open</span>" in page
    assert second.get_absolute_url() in page


def test_my_reports_are_paginated(client, production, crew):
    for number in range(23):
        file_report(production, crew, title=f"Concern number {number:02d}")
    client.force_login(crew)
    first_page = client.get(reverse("report_list")).content.decode()
    assert "Concern number 22" in first_page and "Concern number 02" not in first_page
    second_page = client.get(reverse("report_list") + "?page=2").content.decode()
    assert "Concern number 02" in second_page and "Page 2 of 2" in second_page
    assert client.get(reverse("report_list") + "?page=banana").status_code == 200


def test_handlers_land_on_their_productions_reports_only_with_a_tab_for_their_own(
    client, production, other_production, crew, department_head, outsider
):
    file_report(production, crew, title="On our set", identity=Identity.CONFIDENTIAL)
    file_report(other_production, outsider, title="On their set")
    client.force_login(department_head)
    ours = client.get(reverse("report_list")).content.decode()
    assert "On our set" in ours and "On their set" not in ours
    assert "A crew member" in ours and "Gabi Grip" not in ours
    assert 'aria-current="page" href="?tab=production"' in ours  # the production tab is the one open
    mine = client.get(reverse("report_list") + "?tab=mine").content.decode()
    assert "On our set" not in mine and "?tab=production" in mine


def test_crew_asking_for_the_production_tab_get_their_own_reports(client, production, crew, other_crew):
    file_report(production, other_crew, title="Not yours")
    client.force_login(crew)
    page = client.get(reverse("report_list") + "?tab=production").content.decode()
    assert "Not yours" not in page and 'href="?tab=production"' not in page


def test_my_reports_runs_a_constant_number_of_queries(client, production, crew, django_assert_num_queries):
    file_report(production, crew)
    client.force_login(crew)
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("report_list"))
    for _ in range(15):
        file_report(production, crew)
    with django_assert_num_queries(len(few.captured_queries)):
        client.get(reverse("report_list"))


# --- the report page -----------------------------------------------------------------------------------


def test_the_reporter_and_the_productions_handlers_see_the_report(client, report, crew, ladder_cast, superuser):
    for viewer in (crew, ladder_cast["department_head"], ladder_cast["executive"], superuser):
        client.force_login(viewer)
        response = client.get(report.get_absolute_url())
        assert response.status_code == 200, viewer
        assert "Loose sandbag on the lighting stand" in response.content.decode()


@pytest.mark.parametrize("who", ["other_crew", "outsider"])
def test_another_crew_member_and_another_productions_handler_get_404(client, report, request, who):
    client.force_login(request.getfixturevalue(who))
    assert client.get(report.get_absolute_url()).status_code == 404
    assert client.get(reverse("report_filed", args=[report.pk])).status_code == 404
    for attachment in report.attachments.all():
        assert client.get(attachment.get_absolute_url()).status_code == 404


def test_a_report_that_does_not_exist_looks_the_same_as_a_forbidden_one(client, crew):
    client.force_login(crew)
    assert client.get(reverse("report_detail", args=[999999])).status_code == 404


def test_the_report_page_needs_a_login(client, report):
    response = client.get(report.get_absolute_url())
    assert response.status_code == 302 and reverse("login") in response["Location"]


def test_html_in_a_report_is_shown_escaped(client, production, crew, department_head):
    report = file_report(
        production,
        crew,
        title="<script>alert('t')</script>",
        description='<img src=x onerror="alert(1)"> and <b>bold</b>',
        location="<i>Stage</i>",
    )
    report_comment(report_id=report.pk, user=department_head, body="<a href='javascript:x'>click</a>")
    client.force_login(department_head)
    page = client.get(report.get_absolute_url()).content.decode()
    assert "<script>alert" not in page and "&lt;script&gt;alert" in page
    assert "<img src=x" not in page and "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in page
    assert "<i>Stage</i>" not in page
    assert "<a href='javascript:x'>" not in page and "&lt;a href=&#x27;javascript:x&#x27;&gt;" in page


def test_the_timeline_shows_actors_and_times_in_the_production_time_zone(client, report, crew, ladder_cast):
    head = ladder_cast["department_head"]
    report_acknowledge(report_id=report.pk, user=head)
    report_comment(report_id=report.pk, user=head, body="On my way to the armory.")
    client.force_login(crew)
    page = client.get(report.get_absolute_url()).content.decode()
    filed_at = timezone.localtime(report.created_at, report.production.tzinfo)
    assert filed_at.isoformat(timespec="seconds")[:16] in page  # the <time datetime> attribute, local offset
    assert filed_at.tzname() in page  # MST / MDT, not UTC
    assert "Acknowledged</strong> · Kay Keygrip" in page
    assert "On my way to the armory." in page


def test_the_reporter_sees_public_events_but_not_internal_notes_or_views(client, report, crew, ladder_cast):
    head = ladder_cast["department_head"]
    client.force_login(head)
    client.get(report.get_absolute_url())
    report_comment(report_id=report.pk, user=head, body="Internal: check the armorer's log", to_reporter=False)
    report_comment(report_id=report.pk, user=head, body="Thanks, we are looking into it")
    client.force_login(crew)
    page = client.get(report.get_absolute_url()).content.decode()
    assert "Thanks, we are looking into it" in page
    assert "check the armorer" not in page
    assert "Viewed by a handler" not in page
    client.force_login(head)
    page = client.get(report.get_absolute_url()).content.decode()
    assert "check the armorer" in page and "Not shown to the reporter" in page and "Viewed by a handler" in page


def test_a_confidential_reporter_is_never_named_to_handlers_anywhere_on_the_page(client, production, crew, ladder_cast):
    report = file_report(production, crew, identity=Identity.CONFIDENTIAL)
    report_comment(report_id=report.pk, user=crew, body="More detail from me")
    client.force_login(ladder_cast["safety"])
    page = without_owner_pickers(client.get(report.get_absolute_url()).content.decode())
    assert "Gabi Grip" not in page
    assert "A crew member" in page and "More detail from me" in page


def test_a_handler_opening_the_report_is_recorded_once(client, report, ladder_cast):
    client.force_login(ladder_cast["armorer"])
    client.get(report.get_absolute_url())
    client.get(report.get_absolute_url())
    viewed = report.events.filter(kind=EventKind.VIEWED)
    assert [e.actor for e in viewed] == [ladder_cast["armorer"]]


def test_the_reporter_opening_the_report_is_not_a_view(client, report, crew):
    client.force_login(crew)
    client.get(report.get_absolute_url())
    assert not report.events.filter(kind=EventKind.VIEWED).exists()


def test_the_page_offers_only_the_actions_the_viewer_may_take(client, report, crew, ladder_cast):
    client.force_login(crew)
    page = client.get(report.get_absolute_url()).content.decode()
    assert reverse("report_acknowledge", args=[report.pk]) not in page
    assert reverse("report_resolve", args=[report.pk]) not in page
    assert reverse("report_comment", args=[report.pk]) in page
    client.force_login(ladder_cast["department_head"])
    page = client.get(report.get_absolute_url()).content.decode()
    assert reverse("report_acknowledge", args=[report.pk]) in page
    assert reverse("report_resolve", args=[report.pk]) in page
    assert reverse("report_reopen", args=[report.pk]) not in page
    report_resolve(report_id=report.pk, user=ladder_cast["department_head"], resolution="Rounds checked.")
    client.force_login(crew)
    page = client.get(report.get_absolute_url()).content.decode()
    assert reverse("report_reopen", args=[report.pk]) in page and "Rounds checked." in page


def test_the_report_page_runs_a_constant_number_of_queries_whatever_the_number_of_events(
    client, production, crew, ladder_cast, django_assert_num_queries
):
    head = ladder_cast["department_head"]
    # Not firearm reports: a second misfire would be a repeat incident, with a link the first has not.
    small = file_report(production, crew, Category.RIGGING, uploads=[photo_upload()])
    large = file_report(production, crew, Category.RIGGING, uploads=[photo_upload(), PDF])
    for number in range(12):
        report_comment(report_id=large.pk, user=head, body=f"Note {number}", to_reporter=number % 2 == 0)
        report_comment(report_id=large.pk, user=crew, body=f"Answer {number}")
    report_acknowledge(report_id=large.pk, user=head)
    report_acknowledge(report_id=small.pk, user=head)
    for viewer in (head, crew):
        client.force_login(viewer)
        client.get(small.get_absolute_url())  # the first visit writes the `viewed` event
        client.get(large.get_absolute_url())
        with CaptureQueriesContext(connection) as baseline:
            assert client.get(small.get_absolute_url()).status_code == 200
        with django_assert_num_queries(len(baseline.captured_queries)):
            page = client.get(large.get_absolute_url()).content.decode()
        assert "Answer 11" in page


def test_the_report_page_names_its_people_and_reads_them_in_one_query_not_five_joins(
    client, production, crew, ladder_cast
):
    head, upm = ladder_cast["department_head"], ladder_cast["upm"]
    report = file_report(production, crew, Category.RIGGING, concerns_person=upm)
    report_acknowledge(report_id=report.pk, user=head)
    report_resolve(report_id=report.pk, user=head, resolution="Truss re-pinned.")
    client.force_login(head)
    with CaptureQueriesContext(connection) as captured:
        page = client.get(report.get_absolute_url()).content.decode()
    assert crew.full_name in page and upm.full_name in page and head.full_name in page
    # Joined to the report, five copies of the user table cost PostgreSQL ~3 ms planning per page view.
    by_pk = f'WHERE "incidents_report"."id" = {report.pk}'
    reads = [q["sql"] for q in captured.captured_queries if q["sql"].startswith("SELECT") and by_pk in q["sql"]]
    assert reads and not any('"accounts_user"' in sql for sql in reads)


# --- attachments ---------------------------------------------------------------------------------------


def test_a_photo_is_served_inline_to_the_reporter_with_its_checked_type(client, report, crew):
    photo = report.attachments.get(content_type="image/jpeg")
    client.force_login(crew)
    response = client.get(photo.get_absolute_url())
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"].startswith("inline")
    assert b"".join(response.streaming_content)[:2] == b"\xff\xd8"


def test_a_pdf_is_always_a_download(client, report, ladder_cast):
    pdf = report.attachments.get(content_type="application/pdf")
    client.force_login(ladder_cast["upm"])
    response = client.get(pdf.get_absolute_url())
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in response["Cache-Control"]


def test_an_attachment_asked_for_under_another_report_is_404(client, production, crew, report):
    mine = file_report(production, crew)
    attachment = report.attachments.first()
    client.force_login(crew)
    url = reverse("attachment_download", args=[mine.pk, attachment.pk])
    assert client.get(url).status_code == 404


def test_attachments_are_not_under_a_public_media_url(client, report, settings):
    attachment = report.attachments.first()
    assert client.get(settings.MEDIA_URL + attachment.file.name).status_code == 404
    assert attachment.get_absolute_url().startswith(f"/reports/{report.pk}/attachments/")


def test_the_report_page_lists_the_attachments(client, report, crew):
    client.force_login(crew)
    page = client.get(report.get_absolute_url()).content.decode()
    for attachment in report.attachments.all():
        assert attachment.get_absolute_url() in page and attachment.original_name in page


def test_the_owner_picker_lists_a_confidential_reporter_among_every_member_so_their_absence_says_nothing(
    client, production, crew, ladder_cast
):
    report = file_report(production, crew, identity=Identity.CONFIDENTIAL)
    client.force_login(ladder_cast["safety"])
    page = client.get(report.get_absolute_url()).content.decode()
    pickers = "".join(OWNER_PICKER.findall(page))
    assert pickers, "the safety coordinator may plan corrective actions here"
    for person in (crew, *ladder_cast.values()):
        assert str(person) in pickers
