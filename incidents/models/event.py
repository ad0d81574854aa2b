"""The append-only trail: one row per fact about a report, hash-chained per report.

Rows are written only by `incidents.services.trail.event_append`; they are never updated or deleted
(the model, its queryset, the admin and, on PostgreSQL, a trigger all refuse it).
"""

from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .report import Report


class AppendOnlyError(Exception):
    """Raised on any attempt to change or remove an event."""


class EventKind(models.TextChoices):
    FILED = "filed", _("Filed")
    NOTIFIED = "notified", _("Notified")
    ESCALATED = "escalated", _("Escalated")
    REMINDED = "reminded", _("Reminder to the top level")
    UNANSWERED_AT_TOP = "unanswered_at_top", _("Unanswered at the top")
    VIEWED = "viewed", _("Viewed by a handler")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    COMMENTED = "commented", _("Comment")
    RESOLVED = "resolved", _("Resolved")
    REOPENED = "reopened", _("Reopened")
    STOP_WORK_CALLED = "stop_work_called", _("Stop-work called")
    STOP_WORK_LIFTED = "stop_work_lifted", _("Stop-work lifted")
    WARNING_IGNORED = "warning_ignored", _("Named in an ignored-warning report")
    REPEAT_INCIDENT = "repeat_incident", _("Repeat incident")
    IDENTITY_REVEALED = "identity_revealed", _("Identity revealed")
    ADMIN_CHANGED = "admin_changed", _("Changed in the admin")
    # Buried warnings (incidents.services.firearm_flags)
    FIREARM_FLAGGED = "firearm_flagged", _("Possible firearm concern")
    FIREARM_CONFIRMED = "firearm_confirmed", _("Firearm concern confirmed")
    FIREARM_CLEARED = "firearm_cleared", _("Firearm concern cleared")
    # Corrective actions (incidents.services.actions, incidents.services.action_escalation)
    ACTIONS_PLANNED = "actions_planned", _("Corrective actions planned")
    ACTION_DONE = "action_done", _("Corrective action done")
    ACTION_VERIFIED = "action_verified", _("Corrective action verified")
    ACTION_SENT_BACK = "action_sent_back", _("Corrective action sent back")
    ACTION_ESCALATED = "action_escalated", _("Corrective action overdue")
    # Investigations (incidents.services.investigations)
    INVESTIGATION_RECORDED = "investigation_recorded", _("Investigation recorded")


class EscalationReason(models.TextChoices):
    """Why a report went up a level (an escalated event's `reason`); the label is how every page, file
    and the admin say it."""

    NOT_ACKNOWLEDGED = "not_acknowledged", _("Nobody acknowledged it in time.")
    NOT_RESOLVED = "not_resolved", _("Acknowledged, but not resolved in time.")
    BY_ADMIN = "by_admin", _("Escalated by an admin.")


class AcknowledgedVia(models.TextChoices):
    """How a handler acknowledged (an acknowledged event's `via`); the label says it in words."""

    PAGE = "page", _("on the report page")
    LINK = "link", _("with the link in a notification")
    SMS = "sms", _("by replying to a text message")


class EventQuerySet(models.QuerySet["Event"]):
    def update(self, **kwargs: Any) -> int:
        raise AppendOnlyError("Events are append-only: they cannot be updated.")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError("Events are append-only: they cannot be deleted.")

    def bulk_update(self, *args: Any, **kwargs: Any) -> int:
        raise AppendOnlyError("Events are append-only: they cannot be updated.")


class Event(models.Model):
    report = models.ForeignKey(Report, on_delete=models.PROTECT, related_name="events", verbose_name=_("report"))
    seq = models.PositiveIntegerField(_("number"))
    kind = models.CharField(_("what"), max_length=32, choices=EventKind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("who"),
    )
    payload = models.JSONField(_("details"), default=dict, blank=True)
    # Shown to the reporter (and on the receipt page): filed, acknowledged, resolved, replies to them.
    public = models.BooleanField(_("shown to the reporter"), default=False)
    created_at = models.DateTimeField(_("when"))
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    objects = EventQuerySet.as_manager()

    class Meta:
        verbose_name = _("event")
        verbose_name_plural = _("events")
        ordering = ["report", "seq"]
        constraints = [models.UniqueConstraint(fields=["report", "seq"], name="event_unique_seq_per_report")]
        indexes = [models.Index(fields=["kind", "created_at"], name="event_kind_created")]

    def __str__(self) -> str:
        return f"#{self.report_id}.{self.seq} {self.kind}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AppendOnlyError("Events are append-only: they cannot be updated.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError("Events are append-only: they cannot be deleted.")
