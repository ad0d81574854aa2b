"""Uploads are typed by their content, images are re-encoded (no hidden payload, no metadata), and files
are served as inert downloads or images with nosniff, only to people who may see the report."""

import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from incidents.categories import Category
from incidents.models import Attachment, Report
from incidents.services.attachments import attachments_save, upload_clean
from tests.factories import file_report
from tests.security.world import jpeg_bytes

pytestmark = pytest.mark.django_db

HTML = b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>"
JS = b"alert(document.cookie);//"
SVG = b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><rect/></svg>'
PE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 48 + b"PE\x00\x00" + b"\x00" * 64
POLYGLOT = jpeg_bytes((32, 32)) + b"<html><script>alert(1)</script></html>"


def _jpeg_with_gps() -> bytes:
    image = Image.new("RGB", (16, 16), "blue")
    exif = Image.Exif()
    exif[0x010F] = "SpyCam"  # Make
    exif[0x8825] = {1: "N", 2: (40.0, 26.0, 46.0), 3: "W", 4: (79.0, 58.0, 56.0)}  # GPS
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif)
    return out.getvalue()


def _form(production, *files: SimpleUploadedFile) -> dict:
    return {
        "category": Category.OTHER,
        "title": "Photo of the stand",
        "description": "See the photo.",
        "occurred_at": "2025-01-10T09:30",
        "identity": "named",
        "attachments": list(files),
    }


def _post(client, production, *files):
    return client.post(reverse("report_new") + f"?production={production.pk}", _form(production, *files))


@pytest.mark.parametrize(
    ("content", "content_type"),
    [(HTML, "image/jpeg"), (JS, "image/jpeg"), (SVG, "image/svg+xml"), (PE, "image/jpeg")],
    ids=["html", "javascript", "svg", "windows-executable"],
)
def test_a_file_named_photo_jpg_that_is_not_a_photo_is_refused_and_nothing_is_filed(
    client, production, crew, content, content_type
):
    client.force_login(crew)
    response = _post(client, production, SimpleUploadedFile("photo.jpg", content, content_type=content_type))
    assert response.status_code == 200
    assert "photo.jpg is not a photo (JPEG, PNG, WebP) or a PDF" in response.content.decode()
    assert not Report.objects.exists() and not Attachment.objects.exists()


@pytest.mark.parametrize("name", ["drawing.svg", "drawing.svgz", "photo.jpg", "photo.png"])
def test_svg_is_never_accepted_under_any_name(name):
    with pytest.raises(ValidationError) as refused:
        upload_clean(SimpleUploadedFile(name, SVG, content_type="image/svg+xml"))
    assert refused.value.code == "bad_type"


def test_a_jpeg_with_html_appended_is_re_encoded_so_no_html_is_stored(client, production, crew):
    client.force_login(crew)
    response = _post(client, production, SimpleUploadedFile("photo.jpg", POLYGLOT, content_type="image/jpeg"))
    assert response.status_code == 302
    attachment = Attachment.objects.get()
    with attachment.file.open("rb") as handle:
        stored = handle.read()
    assert stored != POLYGLOT and stored.startswith(b"\xff\xd8")
    assert b"<html" not in stored.lower() and b"<script" not in stored.lower()
    assert attachment.content_type == "image/jpeg" and attachment.file.name.endswith(".jpg")
    Image.open(io.BytesIO(stored)).verify()


def test_a_photo_loses_its_location_and_camera_metadata():
    clean = upload_clean(SimpleUploadedFile("gps.jpg", _jpeg_with_gps(), content_type="image/jpeg"))
    with Image.open(io.BytesIO(clean.content)) as image:
        assert not image.getexif()
    assert b"SpyCam" not in clean.content


def test_the_stored_file_name_is_random_whatever_the_uploaded_name(production, crew):
    report = file_report(production, crew)
    upload = upload_clean(SimpleUploadedFile("../../../etc/passwd.jpg", jpeg_bytes(), content_type="image/jpeg"))
    (attachment,) = attachments_save(report=report, uploads=[upload])
    assert attachment.original_name == "passwd.jpg"
    assert attachment.file.name.startswith(f"attachments/{production.pk}/") and "passwd" not in attachment.file.name
    assert ".." not in attachment.file.name


@pytest.fixture
def report_with_files(production, crew, ladder_cast):
    report = file_report(production, crew, Category.OTHER)
    photo = upload_clean(SimpleUploadedFile('x"\r\nSet-Cookie: a=1.jpg', jpeg_bytes(), content_type="image/jpeg"))
    pdf = upload_clean(SimpleUploadedFile("notes.pdf", b"%PDF-1.4\n<script>x</script>\n%%EOF\n"))
    attachments_save(report=report, uploads=[photo, pdf])
    return report


def test_served_attachments_are_inert_typed_and_never_cached(client, report_with_files, crew):
    client.force_login(crew)
    photo, pdf = report_with_files.attachments.order_by("pk")
    for attachment, disposition in ((photo, "inline"), (pdf, "attachment")):
        response = client.get(attachment.get_absolute_url())
        assert response.status_code == 200
        assert response["Content-Type"] in ("image/jpeg", "application/pdf")
        assert response["Content-Type"] == attachment.content_type
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Content-Disposition"].startswith(disposition + ";")
        assert "\n" not in response["Content-Disposition"] and "\r" not in response["Content-Disposition"]
        assert "no-store" in response["Cache-Control"]
        assert "a" not in response.cookies  # the name with a line break set no header


def test_attachments_are_served_only_to_people_who_may_see_the_report(
    client, report_with_files, crew, other_crew, outsider, ladder_cast
):
    url = report_with_files.attachments.first().get_absolute_url()
    assert client.get(url).status_code == 302  # to the login page
    for stranger in (other_crew, outsider):
        client.force_login(stranger)
        assert client.get(url).status_code == 404
    for allowed in (crew, ladder_cast["department_head"]):
        client.force_login(allowed)
        assert client.get(url).status_code == 200


def test_uploaded_files_are_not_reachable_under_a_media_url(client, report_with_files, settings):
    attachment = report_with_files.attachments.first()
    assert client.get("/media/" + attachment.file.name).status_code == 404
    assert client.get(f"/{attachment.file.name}").status_code == 404
