"""Attachments: checked by content (never by name or the browser's word), images re-encoded so no
metadata (EXIF, GPS) survives, PDFs kept as they are and only ever served as downloads."""

import hashlib
import io
import threading
from collections.abc import Sequence
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from incidents.models import Attachment, CorrectiveAction, Report

IMAGE_FORMATS = {
    "JPEG": "image/jpeg",
    "PNG": "image/png",
    "WEBP": "image/webp",
    "GIF": "image/png",
    "MPO": "image/jpeg",
}
# Decoding is the costly part (a 24 MP RGBA image is ~100 MB in memory): at most this many at once in
# one process, whatever the number of request threads; the others wait their turn.
_slots: dict[int, threading.BoundedSemaphore] = {}
_slots_lock = threading.Lock()


def _decode_slots() -> threading.BoundedSemaphore:
    size = max(1, settings.ATTACHMENT_DECODE_CONCURRENCY)
    with _slots_lock:
        return _slots.setdefault(size, threading.BoundedSemaphore(size))


@dataclass(frozen=True)
class CleanUpload:
    name: str
    content_type: str
    content: bytes

    @property
    def size(self) -> int:
        return len(self.content)

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.content).hexdigest()


def _safe_name(name: str) -> str:
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    cleaned = "".join(ch for ch in base if ch.isprintable() and ch not in '<>:"|?*').strip() or "attachment"
    return cleaned[:200]


class TooManyPixels(Exception):
    def __init__(self, pixels: int):
        self.pixels = pixels


def _reencode_image(data: bytes) -> tuple[bytes, str] | None:
    """The image re-encoded without its metadata, None if it is not one we take. Raises TooManyPixels,
    read from the header before anything is decoded, for an image larger than a phone camera makes."""
    try:
        with Image.open(io.BytesIO(data)) as probe:  # reads the header only
            fmt = probe.format
            if fmt not in IMAGE_FORMATS:
                return None
            pixels = probe.width * probe.height
            if pixels > settings.ATTACHMENT_MAX_PIXELS:
                raise TooManyPixels(pixels)
            probe.verify()
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
        return None
    except Image.DecompressionBombError:
        raise TooManyPixels(0) from None
    with _decode_slots():
        return _decode_and_encode(data, fmt)


def _decode_and_encode(data: bytes, fmt: str) -> tuple[bytes, str] | None:
    try:
        with Image.open(io.BytesIO(data)) as image:
            image = ImageOps.exif_transpose(image)  # keep the photo upright once the EXIF is gone
            out = io.BytesIO()
            if IMAGE_FORMATS[fmt] == "image/jpeg":
                image.convert("RGB").save(out, format="JPEG", quality=88, optimize=True)
            elif fmt == "WEBP":
                image.save(out, format="WEBP", quality=88)
            else:
                image.save(out, format="PNG", optimize=True)
            return out.getvalue(), IMAGE_FORMATS[fmt]
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError, SyntaxError):
        return None


def _looks_like_pdf(data: bytes) -> bool:
    return data.startswith(b"%PDF-") and b"%%EOF" in data[-2048:]


def upload_clean(upload: UploadedFile) -> CleanUpload:
    """Return a cleaned copy of an uploaded file, or raise a ValidationError saying what is wrong."""
    name = _safe_name(upload.name or "attachment")
    limit = settings.ATTACHMENT_MAX_BYTES
    if upload.size is not None and upload.size > limit:
        raise ValidationError(
            _("%(name)s is too large (%(size)s). Each file may be at most %(limit)s.")
            % {"name": name, "size": filesizeformat(upload.size), "limit": filesizeformat(limit)},
            code="too_large",
        )
    data = upload.read(limit + 1)
    if len(data) > limit:
        raise ValidationError(
            _("%(name)s is too large. Each file may be at most %(limit)s.")
            % {"name": name, "limit": filesizeformat(limit)},
            code="too_large",
        )
    if not data:
        raise ValidationError(_("%(name)s is empty.") % {"name": name}, code="empty")
    if _looks_like_pdf(data):
        return CleanUpload(name=name, content_type="application/pdf", content=data)
    try:
        image = _reencode_image(data)
    except TooManyPixels as exc:
        limit_mp = settings.ATTACHMENT_MAX_PIXELS // 1_000_000
        raise ValidationError(
            _("%(name)s has more pixels than a phone camera takes (%(pixels)s MP; at most %(limit)s MP).")
            % {"name": name, "pixels": round(exc.pixels / 1_000_000) or "?", "limit": limit_mp},
            code="too_many_pixels",
        ) from None
    if image is not None:
        content, content_type = image
        return CleanUpload(name=name, content_type=content_type, content=content)
    raise ValidationError(
        _("%(name)s is not a photo (JPEG, PNG, WebP) or a PDF. Only those can be attached.") % {"name": name},
        code="bad_type",
    )


def attachments_save(
    *, report: Report, uploads: Sequence[CleanUpload], action: CorrectiveAction | None = None
) -> list[Attachment]:
    """Store checked uploads on a report (`action`: as the evidence that one of its actions was done)."""
    saved = []
    for upload in uploads:
        attachment = Attachment(
            report=report,
            action=action,
            original_name=upload.name,
            content_type=upload.content_type,
            size=upload.size,
            sha256=upload.sha256,
        )
        attachment.file.save(upload.name, ContentFile(upload.content), save=False)
        attachment.save()
        saved.append(attachment)
    return saved
