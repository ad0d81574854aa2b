"""Filing through /reports/new/: the form a crew member fills in on a phone, with JavaScript or without."""

import io
import re
from datetime import UTC, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from accounts.models import Department, Role
from incidents.categories import CATEGORY_INFO, Category, default_severity, is_firearm
from incidents.forms.report import ReportForm
from incidents.forms.report_fields import CATEGORY_SHORT_LABELS
from incidents.models import Attachment, Event, EventKind, Identity, Report
from incidents.services.receipt import report_for_receipt
from tests.factories import MembershipFactory, UserFactory, file_report
from tests.helpers import without_owner_pickers

pytestmark = pytest.mark.django_db


def new_url(production):
    return reverse("report_new") + f"?production={production.pk}"


def local_input(production, delta=timedelta(minutes=-10)):
    return timezone.localtime(timezone.now() + delta, production.tzinfo).strftime("%Y-%m-%dT%H:%M")


def form_data(production, category=Category.OTHER, **overrides):
    data = {
        "category": category,
        "title": "Sandbag slid off stand 3",
        "description": "It slid off twice during the last setup.",
        "occurred_at": local_input(production),
        "location": "Stage 2",
        "department": Department.GRIP,
        "identity": Identity.NAMED,
    }
    if is_firearm(category):
        data["ammunition"] = "blank"
        data["weapon"] = "Prop revolver #2"
    if category == Category.IGNORED_WARNING:
        data["warned_whom"] = "The key grip"
        data["warned_how"] = "Told him twice at lunch that the stand was unsafe."
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def jpeg_bytes(size=(16, 16)):
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buffer, format="JPEG")
    return buffer.getvalue()


PDF_BYTES = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


@pytest.fixture
def crew_client(client, crew):
    client.force_login(crew)
    return client


@pytest.mark.parametrize("category", list(Category))
def test_filing_each_category_through_the_form_saves_it_with_its_default_severity(
    crew_client, production, crew, ladder_cast, category
):
    response = crew_client.post(new_url(production), form_data(production, category))
    report = Report.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("report_filed", args=[report.pk])
    assert (report.category, report.severity, report.reporter) == (category, default_severity(category), crew)
    first = report.events.order_by("seq").first()
    assert first.kind == (EventKind.STOP_WORK_CALLED if category == Category.STOP_WORK else EventKind.FILED)


def test_the_form_shows_each_category_with_its_help_text_and_usual_severity(crew_client, production):
    page = crew_client.get(new_url(production)).content.decode()
    for category, info in CATEGORY_INFO.items():
        assert f'value="{category}"' in page
        assert str(info.help_text).replace("“", "&ldquo;") in page or str(info.help_text) in page
        assert f">{CATEGORY_SHORT_LABELS[category]}</label>" in page
    assert 'data-firearm="1"' in page and "js/report_form.js" in page


def test_the_form_asks_the_category_then_its_questions_then_what_happened_then_the_rest(crew_client, production):
    page = crew_client.get(new_url(production)).content.decode()
    order = ['name="category"', 'name="ammunition"', 'name="warned_how"', 'name="title"', 'name="description"']
    order += ['name="attachments"', "Add details", 'name="occurred_at"', 'name="location"', 'name="identity"']
    positions = [page.index(marker) for marker in order]
    assert positions == sorted(positions)
    firearm_first = [page.index(f'value="{c}"') for c in Category]
    assert firearm_first[:3] == sorted(firearm_first[:3]) and max(firearm_first[:3]) < min(firearm_first[3:])


def test_every_required_field_is_marked_and_ammunition_offers_unknown(crew_client, production):
    page = crew_client.get(new_url(production)).content.decode()
    for label in ["What kind of concern is it?", "In a few words", "What happened?", "When did it happen?"]:
        assert f'{label}<span class="required-mark" aria-hidden="true"> *</span>' in page, label
    assert 'Ammunition<span class="required-mark"' in page
    assert 'name="ammunition" id="id_ammunition_3" value="unknown"' in page
    assert "Not sure? Choose “Unknown”." in page
    # No answer is chosen for the reporter: "—" no longer stands in for one.
    assert 'name="ammunition"' in page and "checked" not in page.split('name="ammunition"')[1].split(">")[0]


def test_the_photo_inputs_offer_the_camera_and_the_file_chooser(crew_client, production):
    page = crew_client.get(new_url(production)).content.decode()
    camera = 'name="attachments" class="form-control" id="id_attachments_camera" accept="image/*" capture="environment"'
    assert camera in page
    assert 'type="file" name="attachments" accept="image/jpeg,image/png,image/webp,application/pdf"' in page


def test_severity_can_be_raised_above_the_category_default(crew_client, production):
    crew_client.post(new_url(production), form_data(production, Category.OTHER, severity="critical"))
    assert Report.objects.get().severity == "critical"


def test_severity_cannot_be_lowered_below_the_category_default_and_nothing_typed_is_lost(crew_client, production):
    data = form_data(production, Category.LIVE_AMMUNITION, severity="low", title="Round in the cart <b>now</b>")
    response = crew_client.post(new_url(production), data)
    assert response.status_code == 200
    assert not Report.objects.exists()
    page = response.content.decode()
    assert "Live ammunition on set reports are at least Critical" in page
    assert "Round in the cart &lt;b&gt;now&lt;/b&gt;" in page
    assert "Prop revolver #2" in page
    assert data["occurred_at"] in page


def test_occurred_at_defaults_to_now_in_the_production_time_zone(crew_client, production):
    page = crew_client.get(new_url(production)).content.decode()
    assert f'value="{local_input(production, timedelta(0))}"' in page or (
        f'value="{local_input(production, timedelta(minutes=-1))}"' in page
    )
    assert "America/Denver" in page


def test_occurred_at_is_read_in_the_production_time_zone(crew_client, production):
    crew_client.post(new_url(production), form_data(production, occurred_at="2025-01-10T08:00"))
    assert Report.objects.get().occurred_at.astimezone(UTC).strftime("%H:%M") == "15:00"


def test_occurred_at_in_the_future_is_refused(crew_client, production):
    response = crew_client.post(
        new_url(production), form_data(production, occurred_at=local_input(production, timedelta(hours=2)))
    )
    assert response.status_code == 200
    assert "That is in the future" in response.content.decode()
    assert not Report.objects.exists()


@pytest.mark.parametrize("value", ["yesterday", "2025-13-45T99:99", "9999-12-31T23:59", "0001-01-01T00:00", ""])
def test_occurred_at_nonsense_is_refused_with_a_message(crew_client, production, value):
    response = crew_client.post(new_url(production), form_data(production, occurred_at=value))
    assert response.status_code == 200
    assert not Report.objects.exists()
    assert 'id="form-errors"' in response.content.decode()


def test_firearm_categories_need_the_ammunition_even_without_javascript(crew_client, production):
    response = crew_client.post(new_url(production), form_data(production, Category.MISFIRE, ammunition=""))
    assert response.status_code == 200
    assert "Say what ammunition was involved" in response.content.decode()
    assert not Report.objects.exists()


def test_firearm_fields_sent_for_another_category_are_ignored(crew_client, production):
    data = form_data(production, Category.RIGGING, weapon="Glock", ammunition="live", armorer_present="true")
    crew_client.post(new_url(production), data)
    report = Report.objects.get()
    assert (report.weapon, report.ammunition, report.armorer_present) == ("", "", None)


def test_firearm_details_are_saved_for_a_firearm_category(crew_client, production):
    data = form_data(production, Category.MISFIRE, ammunition="live", armorer_present="false")
    crew_client.post(new_url(production), data)
    report = Report.objects.get()
    assert (report.weapon, report.ammunition, report.armorer_present) == ("Prop revolver #2", "live", False)


def test_an_ignored_warning_needs_an_earlier_report_or_who_was_warned(crew_client, production):
    data = form_data(production, Category.IGNORED_WARNING, warned_whom="", warned_how="")
    response = crew_client.post(new_url(production), data)
    assert "Pick the earlier report that was ignored" in response.content.decode()
    assert not Report.objects.exists()


def test_an_ignored_warning_links_the_reporters_earlier_report(crew_client, production, crew, ladder_cast):
    earlier = file_report(production, crew, title="Stand 3 unsafe")
    data = form_data(production, Category.IGNORED_WARNING, warned_whom="", warned_how="")
    data["earlier_reports"] = [earlier.pk]
    crew_client.post(new_url(production), data)
    later = Report.objects.exclude(pk=earlier.pk).get()
    assert list(later.earlier_reports.all()) == [earlier]
    assert earlier.events.filter(kind=EventKind.WARNING_IGNORED).exists()


def test_someone_elses_report_cannot_be_linked_as_an_earlier_warning(
    crew_client, production, crew, other_crew, ladder_cast
):
    mine = file_report(production, crew)
    theirs = file_report(production, other_crew)
    data = form_data(production, Category.IGNORED_WARNING)
    data["earlier_reports"] = [mine.pk, theirs.pk]
    response = crew_client.post(new_url(production), data)
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert Report.objects.count() == 2


def test_warning_fields_are_ignored_for_other_categories(crew_client, production, crew):
    earlier = file_report(production, crew)
    data = form_data(production, Category.OTHER, warned_whom="Bob", warned_how="Told him")
    data["earlier_reports"] = [earlier.pk]
    crew_client.post(new_url(production), data)
    report = Report.objects.exclude(pk=earlier.pk).get()
    assert (report.warned_whom, report.warned_how, report.earlier_reports.count()) == ("", "", 0)


def test_photos_and_a_pdf_are_attached_by_content(crew_client, production):
    data = form_data(production)
    data["attachments"] = [
        SimpleUploadedFile("IMG_0001.JPG", jpeg_bytes(), content_type="image/jpeg"),
        SimpleUploadedFile("permit.pdf", PDF_BYTES, content_type="application/octet-stream"),
    ]
    response = crew_client.post(new_url(production), data)
    assert response.status_code == 302
    attachments = list(Attachment.objects.order_by("pk"))
    assert [(a.original_name, a.content_type) for a in attachments] == [
        ("IMG_0001.JPG", "image/jpeg"),
        ("permit.pdf", "application/pdf"),
    ]


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("photo.jpg", b"<html><script>alert(1)</script></html>"),
        ("photo.jpg", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 200),
        ("notes.pdf", b"%PDF-1.4 but never ends"),
    ],
)
def test_a_file_that_is_not_a_photo_or_pdf_is_refused_whatever_its_name(crew_client, production, name, content):
    data = form_data(production, title="Keep this title")
    data["attachments"] = [SimpleUploadedFile(name, content, content_type="image/jpeg")]
    response = crew_client.post(new_url(production), data)
    page = response.content.decode()
    assert response.status_code == 200
    assert f"{name} is not a photo (JPEG, PNG, WebP) or a PDF" in page
    assert 'name="kept_attachments"' not in page  # nothing refused is kept
    assert 'value="Keep this title"' in page
    assert not Report.objects.exists() and not Attachment.objects.exists()


def test_a_file_that_is_too_large_is_refused_with_the_form_kept(crew_client, production, settings):
    settings.ATTACHMENT_MAX_BYTES = 2000
    data = form_data(production, description="Every word of this stays.")
    data["attachments"] = [
        SimpleUploadedFile("small.jpg", jpeg_bytes(), content_type="image/jpeg"),
        SimpleUploadedFile("huge.jpg", b"\xff\xd8" + b"x" * 5000, content_type="image/jpeg"),
    ]
    response = crew_client.post(new_url(production), data)
    page = response.content.decode()
    assert "huge.jpg is too large" in page
    assert "Every word of this stays." in page
    assert page.count('name="kept_attachments"') == 1 and "small.jpg" in page  # the good one is kept
    assert not Report.objects.exists()


def test_too_many_files_are_refused(crew_client, production, settings):
    settings.ATTACHMENT_MAX_COUNT = 2
    data = form_data(production)
    data["attachments"] = [SimpleUploadedFile(f"p{i}.jpg", jpeg_bytes(), content_type="image/jpeg") for i in range(3)]
    response = crew_client.post(new_url(production), data)
    assert "You chose 3 files; at most 2 can be attached." in response.content.decode()
    assert not Report.objects.exists()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("title", "x" * 201, "at most 200 characters"),
        ("title", "null\x00byte", "Null characters are not allowed."),
        ("category", "rocket_launcher", "Select a valid choice"),
        ("severity", "apocalyptic", "Select a valid choice"),
        ("ammunition", "plasma", "Select a valid choice"),
        ("description", "", "Say what happened."),
        ("identity", "famous", "Select a valid choice"),
    ],
)
def test_malformed_input_gets_a_message_on_its_field_and_nothing_is_saved(
    crew_client, production, field, value, message
):
    data = form_data(production, Category.MISFIRE, location="Kept location")
    data[field] = value
    response = crew_client.post(new_url(production), data)
    page = response.content.decode()
    assert response.status_code == 200
    assert message in page
    assert 'value="Kept location"' in page
    assert not Report.objects.exists()


def test_a_confidential_report_keeps_the_reporter_but_never_shows_the_name_to_handlers(
    client, production, crew, ladder_cast
):
    client.force_login(crew)
    client.post(new_url(production), form_data(production, identity=Identity.CONFIDENTIAL, show_department="on"))
    report = Report.objects.get()
    assert (report.identity, report.reporter, report.show_department) == (Identity.CONFIDENTIAL, crew, True)
    client.force_login(ladder_cast["department_head"])
    page = without_owner_pickers(client.get(report.get_absolute_url()).content.decode())
    assert "A crew member (Grip)" in page
    assert "Gabi Grip" not in page


@pytest.mark.parametrize("identity", [Identity.CONFIDENTIAL, Identity.ANONYMOUS])
def test_a_confidential_or_anonymous_report_drops_the_reporters_own_department_the_form_filled_in(
    client, production, crew, ladder_cast, identity
):
    client.force_login(crew)
    form = client.get(new_url(production)).content.decode()
    assert '<option value="grip" selected>' in form  # a named report goes to their own department head first

    client.post(new_url(production), form_data(production, identity=identity, department=Department.GRIP))

    report = Report.objects.get()
    assert (report.department, report.show_department) == ("", False)
    for handler in (ladder_cast["department_head"], ladder_cast["producer"]):
        client.force_login(handler)
        dashboard = client.get(reverse("dashboard"), {"production": production.pk}).content.decode()
        assert "Grip" not in without_owner_pickers(client.get(report.get_absolute_url()).content.decode())
        assert "· Grip" not in dashboard


@pytest.mark.parametrize(
    "identity, department, show_department, kept",
    [
        (Identity.NAMED, Department.GRIP, None, Department.GRIP),
        (Identity.CONFIDENTIAL, Department.GRIP, "on", Department.GRIP),
        (Identity.CONFIDENTIAL, Department.CAMERA, None, Department.CAMERA),
        (Identity.ANONYMOUS, Department.CAMERA, None, Department.CAMERA),
    ],
)
def test_the_department_concerned_is_kept_when_named_shown_on_purpose_or_another_than_the_reporters(
    crew_client, production, crew, identity, department, show_department, kept
):
    data = form_data(production, identity=identity, department=department, show_department=show_department)
    crew_client.post(new_url(production), data)

    assert Report.objects.get().department == kept


def test_an_anonymous_report_from_the_form_is_not_linked_and_shows_a_receipt_once(crew_client, production, crew):
    session_before = dict(crew_client.session.items())
    posted = crew_client.post(new_url(production), form_data(production, identity=Identity.ANONYMOUS))
    report = Report.objects.get()
    # Post/redirect/get: the code crosses the redirect in the signed receipt cookie, not in the URL or session.
    assert (posted.status_code, posted["Location"]) == (303, reverse("receipt"))
    response = crew_client.get(posted["Location"])
    assert (report.identity, report.reporter_id) == (Identity.ANONYMOUS, None)
    assert report.receipt_hash
    code = response.context["receipt_code"]
    assert report_for_receipt(code) == report
    assert "Your receipt code" in response.content.decode() and code in response.content.decode()
    assert "no-store" in response["Cache-Control"]
    assert dict(crew_client.session.items()) == session_before
    assert "Your receipt code" not in crew_client.get(reverse("receipt")).content.decode()  # shown once
    assert Report.objects.count() == 1
    assert report.events.get(kind=EventKind.FILED).actor_id is None
    assert crew_client.get(report.get_absolute_url()).status_code == 404


def test_a_live_round_filed_anonymously_from_the_account_still_offers_stop_work_in_one_tap_without_naming_anyone(
    crew_client, production, crew, ladder_cast
):
    data = form_data(production, Category.LIVE_AMMUNITION, identity=Identity.ANONYMOUS, title="Live round in a box")
    posted = crew_client.post(new_url(production), data)
    report = Report.objects.get()
    page = crew_client.get(posted["Location"]).content.decode()

    assert "Call STOP WORK now" in page and f'action="{reverse("stop_work_new")}"' in page
    assert 'name="identity" value="anonymous"' in page
    offer = dict(
        re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', page.split('id="stop-work-offer"')[1])
    )
    crew_client.post(reverse("stop_work_new"), offer)
    call = Report.objects.exclude(pk=report.pk).get()
    assert call.is_stop_work and (call.identity, call.reporter_id) == (Identity.ANONYMOUS, None)
    assert f"report #{report.pk}" in call.title
    assert crew.full_name not in call.title + call.description


def test_a_member_of_several_productions_picks_one_first(client, production, other_production, crew):
    MembershipFactory(user=crew, production=other_production, role=Role.CREW)
    client.force_login(crew)
    page = client.get(reverse("report_new")).content.decode()
    assert f"?production={production.pk}" in page and f"?production={other_production.pk}" in page
    assert 'name="category"' not in page
    assert 'name="category"' in client.get(new_url(other_production)).content.decode()


def test_a_production_the_user_is_not_in_gets_404(crew_client, other_production):
    assert crew_client.get(new_url(other_production)).status_code == 404
    assert crew_client.post(new_url(other_production), form_data(other_production)).status_code == 404
    assert crew_client.get(reverse("report_new") + "?production=abc").status_code == 404
    assert not Report.objects.exists()


def test_someone_in_no_production_is_sent_to_join(client, db):
    client.force_login(UserFactory())
    response = client.get(reverse("report_new"))
    assert response.status_code == 302 and response["Location"] == reverse("join_enter")


def test_filing_needs_a_login(client, production):
    response = client.get(new_url(production))
    assert response.status_code == 302 and reverse("login") in response["Location"]


def test_the_filed_page_says_who_is_told_and_when_it_escalates(crew_client, production, ladder_cast):
    crew_client.post(new_url(production), form_data(production, Category.MISFIRE))
    report = Report.objects.get()
    page = crew_client.get(reverse("report_filed", args=[report.pk])).content.decode()
    assert "Level 1: Department head, Armorer" in page
    assert "2 people were notified" in page
    local = timezone.localtime(report.next_escalation_at, production.tzinfo)
    assert f"{local.tzname()}" in page and "it goes up to level 2: Safety coordinator / 1st AD" in page


def test_the_filed_page_warns_when_nobody_holds_the_first_level(crew_client, production):
    crew_client.post(new_url(production), form_data(production))
    report = Report.objects.get()
    page = crew_client.get(reverse("report_filed", args=[report.pk])).content.decode()
    # Levels that reach nobody are passed (issue 14): with nobody on the whole ladder the page says so.
    assert "Nobody on this production" in page and "ladder can be told yet" in page


def test_the_filed_page_is_only_for_people_who_may_see_the_report(client, production, crew, other_crew):
    report = file_report(production, crew)
    client.force_login(other_crew)
    assert client.get(reverse("report_filed", args=[report.pk])).status_code == 404


def test_the_form_needs_no_user_for_the_anonymous_and_stop_work_pages(production):
    form = ReportForm(form_data(production, identity=None), production=production, user=None)
    assert form.is_valid(), form.errors
    assert "identity" not in form.fields and "earlier_reports" not in form.fields and "earlier_q" not in form.fields
    assert form.draft().identity == Identity.ANONYMOUS


def test_the_report_form_runs_a_constant_number_of_queries_whatever_the_number_of_reports(
    client, production, crew, department_head, django_assert_num_queries
):
    client.force_login(department_head)
    file_report(production, crew)
    with CaptureQueriesContext(connection) as few:
        assert client.get(new_url(production)).status_code == 200
    for _ in range(24):
        file_report(production, crew)
    with django_assert_num_queries(len(few.captured_queries)):
        page = client.get(new_url(production)).content.decode()
    # The earlier-reports list shows the latest 20, not every report the handler may see.
    assert page.count('name="earlier_reports"') == 20
    assert Event.objects.count() >= 25
