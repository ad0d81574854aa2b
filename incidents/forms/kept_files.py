"""Files a form keeps across a refused submission: the good ones are stored on the server against signed,
expiring tokens (incidents.services.kept_uploads), the page sends the tokens back, and nobody chooses a
photo twice. Shared by the report form (attachments) and an action's "done" (evidence)."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext_lazy as _

from incidents.forms.report_fields import posted_list
from incidents.services.attachments import CleanUpload, upload_clean
from incidents.services.kept_uploads import (
    KeptUpload,
    kept_upload_open,
    kept_upload_read,
    uploads_keep,
    uploads_kept_delete,
)


class KeptFilesMixin:
    """For a form with `data`, `owner` (whose kept files these are) and a file field. Call
    `kept_files_clean(files)` from the field's clean method; `kept_field` names the tokens' hidden input."""

    kept_field: str
    owner: str
    data: object

    def kept_files_start(self) -> None:
        self.kept: list[KeptUpload] = []
        self.new_uploads: list[CleanUpload] = []

    def kept_files_clean(self, files: list[UploadedFile]) -> list[CleanUpload]:
        """The kept files and the new ones, all checked; every problem in one error, the good files kept."""
        limit = settings.ATTACHMENT_MAX_COUNT
        errors: list[str] = []
        tokens = list(dict.fromkeys(posted_list(self.data, self.kept_field)))[: limit + 1]
        for token in tokens:
            try:
                self.kept.append(kept_upload_open(token=str(token), owner=self.owner))
            except ValidationError as exc:
                errors.extend(exc.messages)
        if len(self.kept) + len(files) > limit:
            errors.append(
                _("You chose %(count)s files; at most %(limit)s can be attached.")
                % {"count": len(self.kept) + len(files), "limit": limit}
            )
            self.kept, files = self.kept[:limit], []
        for upload in files:
            try:
                self.new_uploads.append(upload_clean(upload))
            except ValidationError as exc:
                errors.extend(exc.messages)
        kept_content = []
        for item in list(self.kept):
            try:
                kept_content.append(kept_upload_read(item))
            except ValidationError as exc:
                self.kept.remove(item)
                errors.extend(exc.messages)
        if errors:
            raise ValidationError(list(dict.fromkeys(errors)), code="bad_file")
        return kept_content + self.new_uploads

    def uploads_keep(self) -> None:
        """After a refusal: keep the good new files on the server, so the page can send them back as tokens
        instead of asking for them again."""
        if self.new_uploads:
            self.kept += uploads_keep(uploads=self.new_uploads, owner=self.owner)
            self.new_uploads = []

    def kept_delete(self) -> None:
        """After saving: the report or action has its own copies of the kept files."""
        uploads_kept_delete(self.kept)
