"""An investigation's witness statements (through the attachments' checks) and how the investigation shows
in the investigation record (page and PDF) and the admin (issue 20)."""

import io

import pytest
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from incidents.categories import Category
from incidents.models import EventKind, Identity, WitnessStatement
from incidents.trail import verify_trail
from tests.factories import UserFactory, file_report, investigate
from tests.incidents.test_exports import pdf_text
from tests.security.world import jpeg_bytes

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def upload(name, content, content_type="application/octet-stream"):
    return SimpleUploadedFile(name, content, content_type=content_type)


@pytest.fixture
def investigated(production, crew, ladder_cast):
    report = file_report(
        production,
        crew,
        Category.UNSAFE_HANDLING,
        title="Revolver handed over unchecked",
        identity=Identity.CONFIDENTIAL,
    )
    earlier = file_report(production, crew, Category.MISFIRE, title="Hang-fire on Tuesday")
    investigate(
        report,
        ladder_cast["safety"],
        whys=["It was not shown clear.", "The armorer was called away.", "Two units shot at once with one armorer."],
        factors=["supervision", "other"],
        factors_other="Second unit added at short notice",
        linked_reports=[earlier.pk],
    )
    report.earlier = earlier
    return report


@pytest.fixture
def staff_admin(production):
    """Staff in the "Production admins" group, linked to `production` only."""
    user = UserFactory(is_staff=True, full_name="Pat Scoped")
    user.groups.add(Group.objects.get(name="Production admins"))
    production.admins.add(user)
    return user


def statement_url(report):
    return reverse("investigation_statement_new", args=[report.pk])


def page(client, report):
    return client.get(reverse("investigation", args=[report.pk])).content.decode()


# --- witness statements ------------------------------------------------------------------------------


def test_a_pdf_statement_is_kept_listed_and_downloaded_under_a_name_from_its_type(client, investigated, producer):
    client.force_login(producer)

    response = client.post(statement_url(investigated), {"witness": "Dee Dolly", "file": upload("evil.html", PDF)})

    assert response.status_code == 302
    assert response["Location"].endswith("#statements")
    statement = WitnessStatement.objects.get()
    assert statement.content_type == "application/pdf"
    assert "Dee Dolly" in page(client, investigated)
    download = client.get(statement.get_absolute_url())
    assert download.status_code == 200
    assert download["Content-Type"] == "application/pdf"
    assert 'attachment; filename="statement-1.pdf"' in download["Content-Disposition"]
    assert download["X-Content-Type-Options"] == "nosniff"
    assert b"".join(download.streaming_content) == PDF


def test_a_photo_statement_is_re_encoded_without_its_metadata(client, investigated, producer):
    image = Image.new("RGB", (20, 20), "blue")
    exif = Image.Exif()
    exif[0x010F] = "SecretCam"  # Make
    raw = io.BytesIO()
    image.save(raw, format="JPEG", exif=exif)
    client.force_login(producer)

    client.post(statement_url(investigated), {"witness": "Dee Dolly", "file": upload("page.png", raw.getvalue())})

    statement = WitnessStatement.objects.get()
    content = b"".join(client.get(statement.get_absolute_url()).streaming_content)
    assert statement.content_type == "image/jpeg"
    assert b"SecretCam" not in content
    assert "statement-1.jpg" in client.get(statement.get_absolute_url())["Content-Disposition"]


def test_a_file_that_is_not_a_photo_or_pdf_is_refused_and_the_witness_name_kept(client, investigated, producer):
    client.force_login(producer)

    response = client.post(
        statement_url(investigated),
        {"witness": "Dee Dolly", "file": upload("statement.pdf", b"<html><script>alert(1)</script></html>")},
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert "is not a photo (JPEG, PNG, WebP) or a PDF" in html
    assert "choose it again" in html
    assert 'value="Dee Dolly"' in html
    assert not WitnessStatement.objects.exists()


def test_an_oversized_or_huge_pixel_statement_is_refused(client, settings, investigated, producer):
    client.force_login(producer)
    settings.ATTACHMENT_MAX_BYTES = 1000
    html = client.post(
        statement_url(investigated), {"witness": "W", "file": upload("big.pdf", PDF + b"x" * 2000)}
    ).content.decode()
    assert "is too large" in html
    settings.ATTACHMENT_MAX_BYTES = 10_000_000
    settings.ATTACHMENT_MAX_PIXELS = 100
    html = client.post(
        statement_url(investigated), {"witness": "W", "file": upload("big.jpg", jpeg_bytes((40, 40)))}
    ).content.decode()
    assert "more pixels than a phone camera takes" in html
    assert not WitnessStatement.objects.exists()


def test_a_statement_without_a_name_or_a_file_says_what_is_missing(client, investigated, producer):
    client.force_login(producer)
    html = client.post(statement_url(investigated), {"witness": "", "file": ""}).content.decode()
    assert "Say whose statement this is." in html
    assert "Choose the statement&#x27;s file." in html


def test_a_statement_before_the_investigation_is_opened_is_refused(client, production, crew, producer):
    report = file_report(production, crew, Category.MISFIRE, title="Misfire")
    client.force_login(producer)
    html = client.post(statement_url(report), {"witness": "W", "file": upload("s.pdf", PDF)}).content.decode()
    assert "save the investigation first" in html
    assert not WitnessStatement.objects.exists()


def test_statements_are_for_the_productions_handlers_only(client, investigated, crew, outsider, producer):
    client.force_login(producer)
    client.post(statement_url(investigated), {"witness": "Dee Dolly", "file": upload("s.pdf", PDF)})
    statement = WitnessStatement.objects.get()
    client.force_login(crew)  # the reporter
    assert client.get(statement.get_absolute_url()).status_code == 403
    assert client.post(statement_url(investigated), {"witness": "X", "file": upload("s.pdf", PDF)}).status_code == 403
    client.force_login(outsider)
    assert client.get(statement.get_absolute_url()).status_code == 404
    assert WitnessStatement.objects.count() == 1


def test_a_statement_is_an_event_naming_its_file_and_the_trail_verifies(client, investigated, producer):
    client.force_login(producer)
    client.post(statement_url(investigated), {"witness": "Dee Dolly", "file": upload("s.pdf", PDF)})
    event = investigated.events.filter(kind=EventKind.INVESTIGATION_RECORDED).order_by("-seq").first()
    statement = WitnessStatement.objects.get()
    assert event.payload["change"] == "statement"
    assert event.payload["file"]["sha256"] == statement.sha256
    investigated.refresh_from_db()
    assert verify_trail(investigated).intact


# --- the investigation record ------------------------------------------------------------------------


def test_the_record_page_shows_the_why_chain_factors_statements_and_links(client, investigated, crew, producer):
    client.force_login(producer)
    client.post(statement_url(investigated), {"witness": "Dee Dolly", "file": upload("dolly.pdf", PDF)})

    html = client.get(reverse("report_record", args=[investigated.pk])).content.decode()

    for text in (
        "Investigation",
        "Why 1",
        "It was not shown clear.",
        "Root cause",
        "Two units shot at once with one armorer.",
        "Supervision",
        "Other: Second unit added at short notice",
        f"#{investigated.earlier.pk} Hang-fire on Tuesday",
        "Statement 1: Dee Dolly",
        "dolly.pdf",
        WitnessStatement.objects.get().sha256,
        "Investigation opened",
        "Witness statement added",
        "Trail intact",
    ):
        assert text in html, text
    assert crew.full_name not in html


def test_the_pdf_shows_the_why_chain_factors_statements_and_links(client, settings, investigated, crew, producer):
    settings.PDF_COMPRESSION = False
    client.force_login(producer)
    client.post(statement_url(investigated), {"witness": "Dee Dolly", "file": upload("dolly.pdf", PDF)})

    text = pdf_text(client.get(reverse("report_record_pdf", args=[investigated.pk])).content)

    for expected in (
        "Why 3",
        "Two units shot at once with one armorer.",
        "Supervision",
        "Hang-fire on Tuesday",
        "Statement 1: Dee Dolly",
        "Trail intact",
    ):
        assert expected in text, expected
    assert crew.full_name not in text


def test_a_report_without_an_investigation_has_no_investigation_section_in_its_record(
    client, production, crew, producer
):
    report = file_report(production, crew, Category.MISFIRE, title="Misfire")
    client.force_login(producer)
    html = client.get(reverse("report_record", args=[report.pk])).content.decode()
    assert "Witness statements" not in html


# --- the admin ---------------------------------------------------------------------------------------


def test_the_admin_shows_an_investigation_read_only_with_its_chain_and_statements(
    client, investigated, producer, superuser
):
    client.force_login(producer)
    client.post(statement_url(investigated), {"witness": "Dee Dolly", "file": upload("s.pdf", PDF)})
    client.force_login(superuser)
    investigation = investigated.investigation

    listing = client.get(reverse("admin:incidents_investigation_changelist")).content.decode()
    detail = client.get(reverse("admin:incidents_investigation_change", args=[investigation.pk])).content.decode()

    assert "Two units shot at once with one armorer." in listing
    assert "<li>It was not shown clear.</li>" in detail
    assert "Dee Dolly" in detail
    assert client.get(reverse("admin:incidents_investigation_add")).status_code == 403


def test_a_production_admin_reads_the_investigation_in_the_admin_without_links_they_cannot_open(
    client, investigated, producer, staff_admin
):
    client.force_login(producer)
    client.post(statement_url(investigated), {"witness": "Dee Dolly", "file": upload("dolly.pdf", PDF)})
    statement = WitnessStatement.objects.get()
    client.force_login(staff_admin)

    detail = client.get(reverse("admin:incidents_investigation_change", args=[investigated.investigation.pk]))

    html = detail.content.decode()
    assert detail.status_code == 200
    assert "It was not shown clear." in html and "dolly.pdf" in html
    assert statement.get_absolute_url() not in html
    assert client.get(statement.get_absolute_url()).status_code == 403
