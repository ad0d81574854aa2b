import secrets

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Department, Production, Role
from incidents.categories import FIREARM_CATEGORIES, Category, Severity, is_firearm


class ReportStatus(models.TextChoices):
    OPEN = "open", _("Open")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    RESOLVED = "resolved", _("Resolved")


class Identity(models.TextChoices):
    NAMED = "named", _("Named")
    CONFIDENTIAL = "confidential", _("Confidential")
    ANONYMOUS = "anonymous", _("Anonymous")
    # Filed by SafeTrack itself (a gap in the armory's records): no reporter, nobody's name.
    SYSTEM = "system", _("Filed by SafeTrack")


# Reports nobody's account filed: no reporter row, ever.
WITHOUT_REPORTER = (Identity.ANONYMOUS, Identity.SYSTEM)


class Ammunition(models.TextChoices):
    BLANK = "blank", _("Blank")
    DUMMY = "dummy", _("Dummy")
    LIVE = "live", _("Live")
    UNKNOWN = "unknown", _("Unknown")


class ReportQuerySet(models.QuerySet["Report"]):
    def active_stop_work(self) -> "ReportQuerySet":
        return self.filter(category=Category.STOP_WORK, lifted_at__isnull=True)

    def firearm(self) -> "ReportQuerySet":
        """Firearm reports: filed in a firearm category, or another report whose buried firearm concern a
        handler confirmed (see incidents.services.firearm_flags)."""
        # EXISTS, not a join: no DISTINCT over every column, and the production/created_at index serves
        # "the latest firearm report" (a join and DISTINCT sorted the whole window: 4.7 ms per filing).
        from incidents.models.scanner import FirearmFlag  # it imports this module

        flags = FirearmFlag.objects.filter(report=models.OuterRef("pk"), status=FirearmFlag.Status.CONFIRMED)
        confirmed = models.Exists(flags)
        return self.filter(models.Q(category__in=FIREARM_CATEGORIES) | confirmed)


class Report(models.Model):
    production = models.ForeignKey(
        Production, on_delete=models.PROTECT, related_name="reports", verbose_name=_("production")
    )
    category = models.CharField(_("category"), max_length=32, choices=Category.choices)
    severity = models.CharField(_("severity"), max_length=16, choices=Severity.choices)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("what happened"), max_length=10000)
    occurred_at = models.DateTimeField(_("when it happened"))
    location = models.CharField(_("where"), max_length=200, blank=True)
    department = models.CharField(_("department"), max_length=32, choices=Department.choices, blank=True)
    injuries = models.BooleanField(_("anyone hurt"), default=False)
    injury_description = models.TextField(_("injuries"), max_length=4000, blank=True)
    weapon = models.CharField(_("weapon"), max_length=200, blank=True)
    ammunition = models.CharField(_("ammunition"), max_length=16, choices=Ammunition.choices, blank=True)
    armorer_present = models.BooleanField(_("armorer present"), null=True, blank=True)
    witnesses = models.TextField(_("witnesses"), max_length=4000, blank=True)

    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reports",
        verbose_name=_("reporter"),
    )
    identity = models.CharField(_("identity"), max_length=16, choices=Identity.choices, default=Identity.NAMED)
    show_department = models.BooleanField(
        _("show my department to handlers"),
        default=False,
        help_text=_("For confidential reports: handlers see your department, never your name."),
    )
    revealed_at = models.DateTimeField(_("identity revealed"), null=True, blank=True)
    # "This concerns…": the person or the role a report is about. They are never its handlers (access.
    # is_conflicted): not told, may not act on it, never shown a confidential reporter; the level above is told.
    concerns_person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("concerns (person)"),
    )
    concerns_role = models.CharField(_("concerns (role)"), max_length=32, choices=Role.choices, blank=True)
    receipt_hash = models.CharField(max_length=128, unique=True, null=True, blank=True, editable=False)

    status = models.CharField(_("status"), max_length=16, choices=ReportStatus.choices, default=ReportStatus.OPEN)
    escalation_level = models.PositiveIntegerField(_("escalation level"), default=1)
    next_escalation_at = models.DateTimeField(_("escalates at"), null=True, blank=True)
    # At the top level the level stays put; reminders are counted here instead (bounded by the policy's
    # `top_reminders`), and after the last one the report is marked unanswered at the top.
    reminder_count = models.PositiveSmallIntegerField(_("reminders at the top"), default=0)
    unanswered_at_top_at = models.DateTimeField(_("unanswered at the top since"), null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("acknowledged by"),
    )
    acknowledged_at = models.DateTimeField(_("acknowledged"), null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("resolved by"),
    )
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    resolution = models.TextField(_("corrective action"), max_length=10000, blank=True)
    reopen_count = models.PositiveIntegerField(_("times reopened"), default=0)
    # When a handler first answered it (its first acknowledgement, or its resolution when resolved straight
    # away): set once, never cleared by a reopening. Kept for the answer-time statistics, which would
    # otherwise read every acknowledged/resolved event; derivable from the trail, so not trailed itself.
    first_answered_at = models.DateTimeField(_("first answered"), null=True, blank=True, editable=False)

    # Ignored warnings: earlier reports in the app, or a warning given outside it.
    earlier_reports = models.ManyToManyField(
        "self",
        symmetrical=False,
        blank=True,
        related_name="later_warnings",
        verbose_name=_("earlier reports that were ignored"),
    )
    warned_whom = models.CharField(_("who was warned"), max_length=200, blank=True)
    warned_on = models.DateField(_("when"), null=True, blank=True)
    warned_how = models.TextField(_("how, and what was said"), max_length=4000, blank=True)
    # Repeat firearm incidents: the earlier report this one repeats.
    repeat_of = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="repeats",
        verbose_name=_("repeat of"),
    )
    # Stop-work calls: lifted with a clearance note by a producer-level handler.
    lifted_at = models.DateTimeField(_("stop-work lifted"), null=True, blank=True)
    lifted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("lifted by"),
    )
    clearance_note = models.TextField(_("clearance note"), max_length=4000, blank=True)

    created_at = models.DateTimeField(_("filed"), default=timezone.now, db_index=True)
    # The key the filing page (or an offline draft on the phone) sent: a repeat of the same submission
    # (a double tap, a retry after a lost answer, a draft synced twice) finds this report instead of
    # filing another. Unique, so two racing requests cannot both insert.
    idempotency_key = models.UUIDField(_("submission key"), null=True, blank=True, editable=False)
    # The head of this report's hash-chained trail, so an append needs no extra read and a truncated
    # trail is detected (see incidents.trail).
    trail_seq = models.PositiveIntegerField(default=0, editable=False)
    trail_head = models.CharField(max_length=64, default="", editable=False)
    # HMAC of the head with TRAIL_SEAL_KEY (not in the database): a chain rewritten with recomputed
    # hashes cannot be given a matching seal.
    trail_seal = models.CharField(max_length=64, default="", editable=False)

    objects = ReportQuerySet.as_manager()

    class Meta:
        verbose_name = _("report")
        verbose_name_plural = _("reports")
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["status", "next_escalation_at"], name="report_status_deadline"),
            models.Index(
                fields=["next_escalation_at"],
                name="report_due",
                condition=models.Q(next_escalation_at__isnull=False),
            ),
            models.Index(fields=["production", "status", "next_escalation_at"], name="report_queue"),
            # The dashboard's "recently resolved" list and count, without scanning every resolved report.
            models.Index(fields=["production", "status", "resolved_at"], name="report_resolved_recent"),
            models.Index(fields=["production", "category", "created_at"], name="report_production_category"),
            models.Index(fields=["reporter", "created_at"], name="report_reporter_created"),
            # The banner on every page: the few active stop-work calls, without reading the production's reports.
            models.Index(
                fields=["production", "-created_at"],
                name="report_active_stop_work",
                condition=models.Q(category="stop_work", lifted_at__isnull=True),
            ),
            # The trends: reports filed per week and their answer times, one production's recent weeks.
            models.Index(fields=["production", "created_at"], name="report_production_created"),
            # The weekly digest: reports first answered in a week.
            models.Index(
                fields=["production", "first_answered_at"],
                name="report_first_answered",
                condition=models.Q(first_answered_at__isnull=False),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(identity__in=["anonymous", "system"]) | models.Q(reporter__isnull=True),
                name="report_anonymous_or_system_has_no_reporter",
            ),
            models.CheckConstraint(
                condition=models.Q(identity__in=["anonymous", "system"]) | models.Q(reporter__isnull=False),
                name="report_named_or_confidential_has_reporter",
            ),
            models.CheckConstraint(condition=models.Q(escalation_level__gte=1), name="report_level_positive"),
            models.UniqueConstraint(
                fields=["idempotency_key"],
                name="report_filed_once_per_key",
                condition=models.Q(idempotency_key__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.title}"

    def get_absolute_url(self) -> str:
        return reverse("report_detail", args=[self.pk])

    @property
    def is_firearm(self) -> bool:
        return is_firearm(self.category)

    @property
    def is_stop_work(self) -> bool:
        return self.category == Category.STOP_WORK

    @property
    def stop_work_active(self) -> bool:
        return self.is_stop_work and self.lifted_at is None


def attachment_path(instance: "Attachment", filename: str) -> str:
    # Never the uploader's file name on disk: a random name, the extension from the checked type.
    return f"attachments/{instance.report.production_id}/{secrets.token_hex(16)}{instance.extension}"


class Attachment(models.Model):
    report = models.ForeignKey(Report, on_delete=models.PROTECT, related_name="attachments")
    # Evidence that a corrective action was done (photos the owner added when marking it done).
    action = models.ForeignKey(
        "incidents.CorrectiveAction",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="evidence",
        verbose_name=_("evidence for"),
    )
    file = models.FileField(upload_to=attachment_path, max_length=300)
    original_name = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(_("type"), max_length=64)
    size = models.PositiveIntegerField(_("size (bytes)"))
    sha256 = models.CharField(max_length=64)
    uploaded_at = models.DateTimeField(_("uploaded"), auto_now_add=True)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["uploaded_at", "pk"]

    def __str__(self) -> str:
        return self.original_name

    def get_absolute_url(self) -> str:
        return reverse("attachment_download", args=[self.report_id, self.pk])

    @property
    def extension(self) -> str:
        return {"image/jpeg": ".jpg", "image/png": ".png", "image/webp": ".webp", "application/pdf": ".pdf"}.get(
            self.content_type, ".bin"
        )

    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/")

    def download_name(self, number: int) -> str:
        """The name a download gets: from the checked type, never the uploader's name or extension (an
        `evil.html` that is really a PDF downloads as `document-1.pdf`)."""
        return f"{'photo' if self.is_image else 'document'}-{number}{self.extension}"
