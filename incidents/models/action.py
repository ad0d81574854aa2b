"""Corrective actions (DESIGN.md flow 7): resolving a report means planning actions, each with an owner,
a due date and what "done" means; the owner marks it done with evidence, someone else verifies it, and
the report is resolved when every action is verified. Written only by `incidents.services.actions`
(and `incidents.services.action_escalation` when one is overdue); every change is an event on the
report's hash-chained trail."""

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .report import Report


class ActionStatus(models.TextChoices):
    PLANNED = "planned", _("To do")
    DONE = "done", _("Done, waiting to be verified")
    VERIFIED = "verified", _("Verified")


class CorrectiveActionQuerySet(models.QuerySet["CorrectiveAction"]):
    def unverified(self) -> "CorrectiveActionQuerySet":
        return self.exclude(status=ActionStatus.VERIFIED)

    def overdue(self, now: models.Expression | None = None) -> "CorrectiveActionQuerySet":
        return self.filter(status=ActionStatus.PLANNED, due_at__lt=now or timezone.now())


class CorrectiveAction(models.Model):
    report = models.ForeignKey(Report, on_delete=models.PROTECT, related_name="actions", verbose_name=_("report"))
    number = models.PositiveSmallIntegerField(_("number"))
    what = models.CharField(_("what to do"), max_length=300)
    done_means = models.TextField(_("what done means"), max_length=2000)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="corrective_actions",
        verbose_name=_("owner"),
    )
    due_on = models.DateField(_("due"))
    # The end of the due day in the production's time zone: past it, the action is overdue.
    due_at = models.DateTimeField(_("overdue after"))
    status = models.CharField(_("status"), max_length=16, choices=ActionStatus.choices, default=ActionStatus.PLANNED)

    planned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("planned by")
    )
    planned_at = models.DateTimeField(_("planned"), default=timezone.now)
    done_at = models.DateTimeField(_("marked done"), null=True, blank=True)
    done_note = models.TextField(_("evidence"), max_length=4000, blank=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("verified by"),
    )
    verified_at = models.DateTimeField(_("verified"), null=True, blank=True)
    sent_back_count = models.PositiveSmallIntegerField(_("times sent back"), default=0)

    # Overdue escalation, like a report's: step 0 nobody told yet, 1 the owner, then one step per level
    # of the ladder above the owner. The step is the compare-and-set token of a timer or a sweep.
    escalation_step = models.PositiveSmallIntegerField(_("escalation step"), default=0)
    escalation_level = models.PositiveSmallIntegerField(_("level told"), default=0)
    next_escalation_at = models.DateTimeField(_("escalates at"), null=True, blank=True)

    objects = CorrectiveActionQuerySet.as_manager()

    class Meta:
        verbose_name = _("corrective action")
        verbose_name_plural = _("corrective actions")
        ordering = ["report", "number"]
        constraints = [
            models.UniqueConstraint(fields=["report", "number"], name="action_unique_number_per_report"),
            # The owner never verifies their own action, whatever writes the row.
            models.CheckConstraint(
                condition=models.Q(verified_by__isnull=True) | ~models.Q(verified_by=models.F("owner")),
                name="action_not_verified_by_owner",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="verified") | models.Q(verified_by__isnull=False, verified_at__isnull=False),
                name="action_verified_has_verifier",
            ),
        ]
        indexes = [
            models.Index(
                fields=["next_escalation_at"],
                name="action_due",
                condition=models.Q(next_escalation_at__isnull=False),
            ),
            models.Index(fields=["owner", "status", "due_at"], name="action_owner_status"),
        ]

    def __str__(self) -> str:
        return f"#{self.report_id}.{self.number} {self.what}"

    def get_absolute_url(self) -> str:
        return reverse("action_detail", args=[self.pk])

    @property
    def is_overdue(self) -> bool:
        return self.status == ActionStatus.PLANNED and self.due_at < timezone.now()
