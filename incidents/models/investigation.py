"""Investigations (issue 20) of critical and firearm reports: what happened, a short "why" chain down to
the root cause, the contributing factors, linked reports of the same production, and witness statements
kept as checked files. Written only through `incidents.services.investigations`; every change is an
`investigation_recorded` event on the report's trail, carrying what was written."""

import secrets

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .report import Report

MAX_WHYS = 5


class Factor(models.TextChoices):
    FATIGUE = "fatigue", _("Fatigue")
    TIME_PRESSURE = "time_pressure", _("Time pressure")
    TRAINING = "training", _("Training")
    EQUIPMENT = "equipment", _("Equipment")
    SUPERVISION = "supervision", _("Supervision")
    OTHER = "other", _("Other")


class Investigation(models.Model):
    report = models.OneToOneField(
        Report, on_delete=models.PROTECT, related_name="investigation", verbose_name=_("report")
    )
    what_happened = models.TextField(_("what happened"), max_length=10000, blank=True)
    # The "why" chain, first why first; its last answer is the root cause as far as it was followed.
    whys = models.JSONField(_("why chain"), default=list, blank=True)
    # Factor values (see Factor), in Factor's order.
    factors = models.JSONField(_("contributing factors"), default=list, blank=True)
    factors_other = models.CharField(_("other factor"), max_length=200, blank=True)
    linked_reports = models.ManyToManyField(
        Report, blank=True, related_name="linked_by_investigations", verbose_name=_("linked reports")
    )
    # Bumped by every change, so an edit made from a page loaded before someone else's is refused.
    version = models.PositiveIntegerField(_("version"), default=1)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("opened by")
    )
    opened_at = models.DateTimeField(_("opened"), default=timezone.now)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("last changed by")
    )
    updated_at = models.DateTimeField(_("last changed"), default=timezone.now)

    class Meta:
        verbose_name = _("investigation")
        verbose_name_plural = _("investigations")
        ordering = ["-updated_at", "-pk"]

    def __str__(self) -> str:
        return f"#{self.report_id} {self.report.title}" if self.report_id else "investigation"

    def get_absolute_url(self) -> str:
        return reverse("investigation", args=[self.report_id])

    @property
    def root_cause(self) -> str:
        return self.whys[-1] if self.whys else ""

    def factor_labels(self) -> list[str]:
        labels = dict(Factor.choices)
        words = [str(labels[f]) for f in self.factors if f in labels and f != Factor.OTHER]
        if Factor.OTHER in self.factors:
            other = str(Factor.OTHER.label)
            words.append(f"{other}: {self.factors_other}" if self.factors_other else other)
        return words


def statement_path(instance: "WitnessStatement", filename: str) -> str:
    # Never the uploader's file name on disk: a random name, the extension from the checked type.
    return f"statements/{instance.investigation.report.production_id}/{secrets.token_hex(16)}{instance.extension}"


class WitnessStatement(models.Model):
    """A witness's statement, as a photo or PDF that went through the attachments' checks. Kept for good:
    it is evidence (the trail names its SHA-256)."""

    investigation = models.ForeignKey(
        Investigation, on_delete=models.PROTECT, related_name="statements", verbose_name=_("investigation")
    )
    witness = models.CharField(_("witness"), max_length=200)
    file = models.FileField(upload_to=statement_path, max_length=300)
    original_name = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(_("type"), max_length=64)
    size = models.PositiveIntegerField(_("size (bytes)"))
    sha256 = models.CharField(max_length=64)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("added by")
    )
    added_at = models.DateTimeField(_("added"), default=timezone.now)

    class Meta:
        verbose_name = _("witness statement")
        verbose_name_plural = _("witness statements")
        ordering = ["added_at", "pk"]

    def __str__(self) -> str:
        return self.witness

    def get_absolute_url(self) -> str:
        return reverse("investigation_statement", args=[self.investigation.report_id, self.pk])

    @property
    def extension(self) -> str:
        return {"image/jpeg": ".jpg", "image/png": ".png", "image/webp": ".webp", "application/pdf": ".pdf"}.get(
            self.content_type, ".bin"
        )

    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/")

    def download_name(self, number: int) -> str:
        """From the checked type, never the uploader's name or extension."""
        return f"statement-{number}{self.extension}"
