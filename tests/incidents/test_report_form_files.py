"""Files chosen for a refused report come back kept (a signed, expiring token per file, a thumbnail on the
page), so nobody chooses a photo twice; and no token can attach anything it should not."""

import os
import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.core import signing
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from incidents.categories import Category
from incidents.models import Attachment, Report
from incidents.services import kept_uploads
from tests.incidents.test_report_form import PDF_BYTES, form_data, jpeg_bytes, new_url

pytestmark = pytest.mark.django_db

TOKEN = re.compile(r'name="kept_attachments" id="id_kept_\d+" value="([^"]+)"')


@pytest.fixture
def crew_client(client, crew):
    client.force_login(crew)
    return client


def refused_with_files(client, production, *files, **fields):
    """A misfire report without its title, with `files` chosen: refused; returns the page."""
    data = form_data(production, Category.MISFIRE, title="", **fields)
    data["attachments"] = list(files)
    response = client.post(new_url(production), data)
    assert response.status_code == 200
    assert "Give the report a short title." in response.content.decode()
    return response.content.decode()


def photo(name="IMG_0042.JPG"):
    return SimpleUploadedFile(name, jpeg_bytes((40, 30)), content_type="image/jpeg")


def pending_files(settings) -> list[Path]:
    folder = Path(settings.MEDIA_ROOT) / kept_uploads.PENDING_DIR
    return sorted(folder.iterdir()) if folder.exists() else []


def test_a_photo_chosen_for_a_refused_report_is_kept_with_a_thumbnail_and_filed_with_the_next_try(
    crew_client, production, settings
):
    page = refused_with_files(
        crew_client, production, photo(), SimpleUploadedFile("permit.pdf", PDF_BYTES, content_type="application/pdf")
    )
    tokens = TOKEN.findall(page)
    assert len(tokens) == 2
    assert "Already attached (kept from your last try)" in page
    assert page.count('class="kept-thumb" src="data:image/jpeg;base64,') == 1  # the photo; the PDF says PDF
    assert "IMG_0042.JPG" in page and "permit.pdf" in page
    assert not Report.objects.exists()

    data = form_data(production, Category.MISFIRE, title="Revolver went off")
    data["kept_attachments"] = tokens
    response = crew_client.post(new_url(production), data)
    assert response.status_code == 302
    report = Report.objects.get()
    assert [(a.original_name, a.content_type) for a in report.attachments.order_by("pk")] == [
        ("IMG_0042.JPG", "image/jpeg"),
        ("permit.pdf", "application/pdf"),
    ]
    assert report.events.get(kind="filed").payload["attachments"] == 2
    assert pending_files(settings) == []  # the report has its own copies


def test_a_kept_file_the_reporter_unticks_is_not_attached(crew_client, production):
    tokens = TOKEN.findall(refused_with_files(crew_client, production, photo("a.jpg"), photo("b.jpg")))
    data = form_data(production, Category.MISFIRE, title="Only the second photo")
    data["kept_attachments"] = tokens[1:]
    crew_client.post(new_url(production), data)
    assert [a.original_name for a in Attachment.objects.all()] == ["b.jpg"]


def test_kept_files_and_new_ones_go_together_within_the_limit(crew_client, production, settings):
    settings.ATTACHMENT_MAX_COUNT = 2
    tokens = TOKEN.findall(refused_with_files(crew_client, production, photo("a.jpg")))
    data = form_data(production, Category.MISFIRE, title="Two photos")
    data["kept_attachments"] = tokens
    data["attachments"] = [photo("b.jpg"), photo("c.jpg")]
    page = crew_client.post(new_url(production), data).content.decode()
    assert "You chose 3 files; at most 2 can be attached." in page
    assert TOKEN.findall(page) == tokens  # the kept one stays; the new ones are to be chosen again
    data["attachments"] = [photo("b.jpg")]
    assert crew_client.post(new_url(production), data).status_code == 302
    assert sorted(a.original_name for a in Attachment.objects.all()) == ["a.jpg", "b.jpg"]


def test_a_refused_report_keeps_its_photos_again_when_refused_a_second_time(crew_client, production):
    tokens = TOKEN.findall(refused_with_files(crew_client, production, photo()))
    data = form_data(production, Category.MISFIRE, title="", ammunition="")
    data["kept_attachments"] = tokens
    page = crew_client.post(new_url(production), data).content.decode()
    assert TOKEN.findall(page) == tokens
    assert 'class="kept-thumb" src="data:image/jpeg;base64,' in page


def kept_token(**changes):
    payload = {"k": "0" * 32, "n": "x.jpg", "t": "image/jpeg", "s": "0" * 64, "o": "user:1"}
    payload.update(changes)
    return signing.dumps(payload, salt=kept_uploads.KEPT_SALT, compress=True)


def test_someone_elses_kept_file_cannot_be_attached(client, production, crew, other_crew):
    client.force_login(other_crew)
    tokens = TOKEN.findall(refused_with_files(client, production, photo("theirs.jpg")))
    client.force_login(crew)
    data = form_data(production, Category.MISFIRE, title="Mine")
    data["kept_attachments"] = tokens
    page = client.post(new_url(production), data).content.decode()
    assert "A file attached earlier could not be kept" in page
    assert not Report.objects.exists() and "theirs.jpg" not in page


@pytest.mark.parametrize(
    "token",
    [
        "",
        "not-a-token",
        "x" * 5000,
        "\x00",
        "../../etc/passwd",
        kept_token(k="../../../etc/passwd"),  # signed, but a path
        kept_token(k=None),
        kept_token(o="production:1"),  # the anonymous page's
        signing.dumps({"k": "0" * 32}, salt="another-salt"),
        signing.dumps(["a", "list"], salt=kept_uploads.KEPT_SALT),
    ],
)
def test_a_forged_or_malformed_kept_token_is_refused_with_a_message_and_nothing_typed_is_lost(
    crew_client, production, token
):
    data = form_data(production, Category.MISFIRE, title="Keep this title")
    data["kept_attachments"] = [token]
    response = crew_client.post(new_url(production), data)
    page = response.content.decode()
    assert response.status_code == 200
    assert "A file attached earlier could not be kept" in page
    assert 'value="Keep this title"' in page
    assert not Report.objects.exists()


def test_an_expired_kept_token_is_refused(crew_client, production, monkeypatch):
    tokens = TOKEN.findall(refused_with_files(crew_client, production, photo()))
    monkeypatch.setattr(kept_uploads, "KEPT_MAX_AGE", timedelta(seconds=-1))
    data = form_data(production, Category.MISFIRE, title="Too late")
    data["kept_attachments"] = tokens
    assert "A file attached earlier could not be kept" in crew_client.post(new_url(production), data).content.decode()
    assert not Report.objects.exists()


def test_a_kept_file_changed_on_disk_is_refused(crew_client, production, settings):
    tokens = TOKEN.findall(refused_with_files(crew_client, production, photo()))
    kept = next(p for p in pending_files(settings) if p.suffix == ".bin")
    kept.write_bytes(b"<html>swapped</html>")
    data = form_data(production, Category.MISFIRE, title="Swapped")
    data["kept_attachments"] = tokens
    assert "A file attached earlier could not be kept" in crew_client.post(new_url(production), data).content.decode()
    assert not Report.objects.exists()


def test_the_same_kept_token_sent_twice_attaches_the_file_once(crew_client, production):
    tokens = TOKEN.findall(refused_with_files(crew_client, production, photo()))
    data = form_data(production, Category.MISFIRE, title="Once")
    data["kept_attachments"] = tokens * 3
    assert crew_client.post(new_url(production), data).status_code == 302
    assert Attachment.objects.count() == 1


def test_kept_files_older_than_a_token_are_deleted_when_new_ones_are_kept(crew_client, production, settings):
    refused_with_files(crew_client, production, photo("old.jpg"))
    old = pending_files(settings)
    assert old
    stale = (kept_uploads.timezone.now() - kept_uploads.KEPT_MAX_AGE - timedelta(minutes=1)).timestamp()
    for path in old:
        os.utime(path, (stale, stale))
    refused_with_files(crew_client, production, photo("new.jpg"))
    remaining = pending_files(settings)
    assert remaining and not set(old) & set(remaining)


def test_the_anonymous_page_keeps_photos_too_and_only_for_itself(client, production, crew, settings):
    url = reverse("anonymous_new", args=[production.join_code])
    page = client.get(url).content.decode()
    started = re.search(r'name="started" value="([^"]+)"', page).group(1)
    data = form_data(production, Category.MISFIRE, title="", identity=None, started=started)
    data["attachments"] = [photo()]
    tokens = TOKEN.findall(client.post(url, data).content.decode())
    assert len(tokens) == 1
    # A logged-in member cannot reuse the anonymous page's token on their own form.
    client.force_login(crew)
    member_data = form_data(production, Category.MISFIRE, title="Borrowed")
    member_data["kept_attachments"] = tokens
    assert "A file attached earlier could not be kept" in client.post(new_url(production), member_data).content.decode()
