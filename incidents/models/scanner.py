"""Buried warnings: the words an admin adds to the scanner's lists, and a report's "possible firearm
concern" flag with the sentences that raised it, until a handler confirms or clears it."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .report import Report


class WarningTerm(models.Model):
    """A word or phrase the scanner looks for, on top of its built-in English and Spanish lists."""

    class Language(models.TextChoices):
        ANY = "", _("Any language")
        ENGLISH = "en", _("English")
        SPANISH = "es", _("Spanish")

    words = models.CharField(
        _("word or phrase"),
        max_length=100,
        unique=True,
        help_text=_('Matched as whole words, ignoring case and accents, with an optional plural ("prop gun").'),
    )
    language = models.CharField(_("language"), max_length=2, choices=Language.choices, blank=True)
    alone = models.BooleanField(
        _("flags a report on its own"),
        default=True,
        help_text=_(
            'Untick for everyday words that only mean a gun next to another term or a word like "prop" or '
            '"weapon" in the same sentence.'
        ),
    )
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("added"), default=timezone.now)

    class Meta:
        verbose_name = _("warning word")
        verbose_name_plural = _("warning words")
        ordering = ["words"]

    def __str__(self) -> str:
        return self.words


class FirearmFlag(models.Model):
    """The scanner found a firearm concern in a report that is not filed as one."""

    class Status(models.TextChoices):
        FLAGGED = "flagged", _("Possible firearm concern")
        CONFIRMED = "confirmed", _("Confirmed firearm concern")
        CLEARED = "cleared", _("Cleared")

    class Source(models.TextChoices):
        REPORT = "report", _("the report")
        COMMENT = "comment", _("a comment")
        EMAIL = "email", _("an email")

    report = models.ForeignKey(Report, on_delete=models.PROTECT, related_name="firearm_flags", verbose_name=_("report"))
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.FLAGGED)
    source = models.CharField(_("found in"), max_length=16, choices=Source.choices)
    # [{"sentence": ..., "term": ...}], the first few sentences that matched, as written.
    matches = models.JSONField(_("matching sentences"), default=list)
    flagged_at = models.DateTimeField(_("flagged"), default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    reason = models.TextField(_("reason"), max_length=2000, blank=True)

    class Meta:
        verbose_name = _("firearm flag")
        verbose_name_plural = _("firearm flags")
        ordering = ["-flagged_at", "-pk"]
        constraints = [
            # One flag waits for a decision at a time; a confirmed report stays confirmed.
            models.UniqueConstraint(
                fields=["report"],
                condition=models.Q(status__in=["flagged", "confirmed"]),
                name="firearm_flag_one_live_per_report",
            ),
            models.CheckConstraint(
                condition=models.Q(status="flagged") | models.Q(decided_at__isnull=False),
                name="firearm_flag_decision_has_time",
            ),
        ]
        indexes = [models.Index(fields=["status", "report"], name="firearm_flag_status")]

    def __str__(self) -> str:
        return f"#{self.report_id} {self.get_status_display()}"
