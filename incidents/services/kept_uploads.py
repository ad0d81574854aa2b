"""Files chosen for a report that was refused (a required field missing): kept on the server so the
reporter does not have to choose them again. Browsers never re-send a file input after a page reload,
and on a phone choosing a photo again costs the reporter most of a minute.

What is kept has already passed `upload_clean` (checked by content, images re-encoded). It lies in the
default storage under `pending/` with a random name; the page carries a signed, expiring token per file
that names it, its checked type and digest, and who may use it (the logged-in user, or for the
anonymous page the production). Nothing else can attach a kept file: a token that is forged, expired,
someone else's or whose file is gone is refused, with a message, and the reporter chooses it again.
Kept files older than the token's lifetime are deleted whenever new ones are kept.
"""

import base64
import io
import logging
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta

from django.core import signing
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone
from django.utils.translation import gettext as _
from PIL import Image

from .attachments import CleanUpload

logger = logging.getLogger(__name__)

KEPT_SALT = "safetrack.kept-upload"
KEPT_MAX_AGE = timedelta(hours=24)
PENDING_DIR = "pending"
THUMBNAIL_SIZE = (160, 160)


@dataclass(frozen=True)
class KeptUpload:
    """One kept file: its token (what the page sends back), and what the page shows of it."""

    token: str
    key: str
    name: str
    content_type: str
    sha256: str

    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/")

    def thumbnail_data_uri(self) -> str:
        """A small JPEG of a kept photo as a data: URI (the page's CSP allows data: images), or ""."""
        if not self.is_image:
            return ""
        try:
            with default_storage.open(_thumbnail_path(self.key), "rb") as handle:
                data = handle.read()
        except OSError:
            return ""
        return "data:image/jpeg;base64," + base64.b64encode(data).decode("ascii")


def _refused() -> ValidationError:
    return ValidationError(
        _("A file attached earlier could not be kept (it expired, or the page was from elsewhere): choose it again."),
        code="kept_expired",
    )


def _path(key: str) -> str:
    return f"{PENDING_DIR}/{key}.bin"


def _thumbnail_path(key: str) -> str:
    return f"{PENDING_DIR}/{key}.thumb.jpg"


def _thumbnail(content: bytes) -> bytes | None:
    try:
        with Image.open(io.BytesIO(content)) as image:
            image.thumbnail(THUMBNAIL_SIZE)
            out = io.BytesIO()
            image.convert("RGB").save(out, format="JPEG", quality=70)
            return out.getvalue()
    except (OSError, ValueError, Image.DecompressionBombError):
        return None


def uploads_keep(*, uploads: Iterable[CleanUpload], owner: str) -> list[KeptUpload]:
    """Store cleaned uploads under `pending/` and return their tokens (bound to `owner`)."""
    kept = []
    for upload in uploads:
        key = secrets.token_hex(16)
        default_storage.save(_path(key), ContentFile(upload.content))
        if upload.content_type.startswith("image/"):
            thumbnail = _thumbnail(upload.content)
            if thumbnail is not None:
                default_storage.save(_thumbnail_path(key), ContentFile(thumbnail))
        payload = {"k": key, "n": upload.name, "t": upload.content_type, "s": upload.sha256, "o": owner}
        token = signing.dumps(payload, salt=KEPT_SALT, compress=True)
        kept.append(KeptUpload(token, key, upload.name, upload.content_type, upload.sha256))
    if kept:
        uploads_expired_delete()
    return kept


def kept_upload_open(*, token: str, owner: str) -> KeptUpload:
    """The kept file a token names, if the token is ours, not expired, and `owner`'s."""
    refused = _refused()
    try:
        payload = signing.loads(token, salt=KEPT_SALT, max_age=KEPT_MAX_AGE)
    except (signing.BadSignature, ValueError, TypeError):  # SignatureExpired is a BadSignature
        raise refused from None
    if not isinstance(payload, dict) or payload.get("o") != owner:
        raise refused
    fields = [payload.get(name) for name in ("k", "n", "t", "s")]
    if not all(isinstance(value, str) and value for value in fields):
        raise refused
    key, name, content_type, sha256 = fields
    if not key.isalnum() or not default_storage.exists(_path(key)):
        raise refused
    return KeptUpload(token, key, name, content_type, sha256)


def kept_upload_read(kept: KeptUpload) -> CleanUpload:
    """The kept file's bytes, as cleaned when it was first sent (its digest checked again)."""
    try:
        with default_storage.open(_path(kept.key), "rb") as handle:
            content = handle.read()
    except OSError:
        content = b""
    upload = CleanUpload(name=kept.name, content_type=kept.content_type, content=content)
    if not content or upload.sha256 != kept.sha256:
        raise _refused()
    return upload


def uploads_kept_delete(kept: Iterable[KeptUpload]) -> None:
    """Once the report is filed, its kept files have been copied into its attachments."""
    for item in kept:
        for path in (_path(item.key), _thumbnail_path(item.key)):
            try:
                default_storage.delete(path)
            except OSError:
                logger.warning("could not delete the kept upload %s", path, exc_info=True)


def uploads_expired_delete() -> int:
    """Delete kept files older than a token can be; returns how many files went."""
    cutoff = timezone.now() - KEPT_MAX_AGE
    try:
        _, names = default_storage.listdir(PENDING_DIR)
    except OSError:
        return 0
    deleted = 0
    for name in names:
        path = f"{PENDING_DIR}/{name}"
        try:
            if default_storage.get_modified_time(path) < cutoff:
                default_storage.delete(path)
                deleted += 1
        except OSError:
            continue
    return deleted
