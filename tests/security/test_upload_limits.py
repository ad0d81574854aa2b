"""Uploads cannot exhaust the web process, and downloads are named by their checked type (issue 15,
items 8 and 12). A 154 KB PNG of 6300x6300 pixels took 1.7 s and 310 MB to decode; five are allowed per
report. Images past what a phone camera makes (24 MP) are refused from their header, decoding is bounded
per process, and the peak memory of the worst accepted image is measured in its own process."""

import io
import os
import subprocess  # nosec B404: runs this project's own Python on a file the test wrote
import sys
import threading
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from incidents.categories import Category
from incidents.services import attachments
from incidents.services.attachments import attachments_save, upload_clean
from tests.factories import file_report
from tests.security.world import jpeg_bytes

ROOT = Path(__file__).resolve().parents[2]
MEASURE = """
import resource, sys, time
import django
django.setup()
from django.core.files.uploadedfile import SimpleUploadedFile
from incidents.services.attachments import upload_clean
data = open(sys.argv[1], "rb").read()
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
started = time.perf_counter()
try:
    outcome = upload_clean(SimpleUploadedFile("upload.png", data)).content_type
except Exception as exc:
    outcome = type(exc).__name__
elapsed = time.perf_counter() - started
print(outcome, f"{elapsed:.3f}", (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) // 1024)
"""


def png(size, mode="RGB") -> bytes:
    out = io.BytesIO()
    Image.new(mode, size, (200, 30, 30, 255)[: len(mode)]).save(out, format="PNG", optimize=True)
    return out.getvalue()


def measured(tmp_path, data: bytes) -> tuple[str, float, int]:
    """Clean one upload in a fresh process: what came out, seconds, and how far its peak memory grew (MB)."""
    path = tmp_path / "upload.png"
    path.write_bytes(data)
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "safetrack.settings.test", "PYTHONPATH": str(ROOT)}
    result = subprocess.run(  # nosec B603
        [sys.executable, "-c", MEASURE, str(path)], capture_output=True, text=True, env=env, cwd=ROOT, check=True
    )
    outcome, seconds, megabytes = result.stdout.strip().splitlines()[-1].split()
    return outcome, float(seconds), int(megabytes)


def test_a_png_of_40_megapixels_is_refused_from_its_header_before_decoding(tmp_path):
    bomb = png((6300, 6300))
    assert len(bomb) < 200_000
    outcome, seconds, megabytes = measured(tmp_path, bomb)
    assert outcome == "ValidationError"
    assert seconds < 0.5 and megabytes < 20


def test_the_refusal_says_how_large_a_photo_may_be():
    with pytest.raises(ValidationError, match=r"more pixels than a phone camera takes \(40 MP; at most 24 MP\)"):
        upload_clean(SimpleUploadedFile("huge.png", png((6300, 6300))))


def test_the_worst_accepted_image_peaks_under_256_mb(tmp_path):
    """24 MP with an alpha channel: the largest decode a report can ask for (measured: about 185 MB)."""
    assert settings.ATTACHMENT_MAX_PIXELS >= 6000 * 4000
    outcome, seconds, megabytes = measured(tmp_path, png((6000, 4000), "RGBA"))
    assert outcome == "image/png"
    assert megabytes < 256, f"peak grew by {megabytes} MB in {seconds:.1f} s"


def test_decoding_is_bounded_per_process(settings, monkeypatch):
    settings.ATTACHMENT_DECODE_CONCURRENCY = 1
    inside, most = 0, 0
    lock = threading.Lock()
    real = attachments._decode_and_encode

    def slow_decode(data, fmt):
        nonlocal inside, most
        with lock:
            inside += 1
            most = max(most, inside)
        time.sleep(0.05)
        try:
            return real(data, fmt)
        finally:
            with lock:
                inside -= 1

    monkeypatch.setattr(attachments, "_decode_and_encode", slow_decode)
    workers = [
        threading.Thread(target=upload_clean, args=(SimpleUploadedFile(f"p{n}.jpg", jpeg_bytes()),)) for n in range(4)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert most == 1


@pytest.mark.django_db
def test_downloads_are_named_after_the_checked_type_not_the_uploaders_name(client, production, crew, ladder_cast):
    report = file_report(production, crew, Category.OTHER)
    pdf = upload_clean(SimpleUploadedFile("evil.html", b"%PDF-1.4\n<html><script>x</script></html>\n%%EOF\n"))
    photo = upload_clean(SimpleUploadedFile("invoice.pdf.exe", jpeg_bytes()))
    attachments_save(report=report, uploads=[pdf, photo])
    client.force_login(crew)
    first, second = report.attachments.order_by("pk")
    assert client.get(first.get_absolute_url())["Content-Disposition"] == 'attachment; filename="document-1.pdf"'
    assert client.get(second.get_absolute_url())["Content-Disposition"] == 'inline; filename="photo-2.jpg"'
