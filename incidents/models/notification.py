"""The notification outbox: written in the same transaction as the event that causes it."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .event import Event
from .report import Report


class Channel(models.TextChoices):
    IN_APP = "in_app", _("In-app inbox")
    EMAIL = "email", _("Email")
    WEBHOOK = "webhook", _("Webhook")
    PUSH = "push", _("Push notification")
    SMS = "sms", _("Text message (SMS)")


class Notification(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")

    report = models.ForeignKey(Report, on_delete=models.PROTECT, related_name="notifications", verbose_name=_("report"))
    event = models.ForeignKey(
        Event, on_delete=models.PROTECT, related_name="notifications", verbose_name=_("because of")
    )
    level = models.PositiveIntegerField(_("level"), null=True, blank=True)
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="notifications",
        verbose_name=_("recipient"),
    )
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    claimed_at = models.DateTimeField(_("claimed"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)
    ack_link_used_at = models.DateTimeField(_("acknowledge link used"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-pk"]
        constraints = [
            # One delivery per fact, person and channel: a replayed escalation cannot notify twice.
            models.UniqueConstraint(
                fields=["event", "recipient", "channel"],
                name="notification_once_per_event_recipient_channel",
                condition=models.Q(recipient__isnull=False),
            ),
            models.UniqueConstraint(
                fields=["event", "channel"],
                name="notification_once_per_event_channel_without_recipient",
                condition=models.Q(recipient__isnull=True),
            ),
        ]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="notification_due"),
            models.Index(fields=["recipient", "channel", "read_at"], name="notification_inbox"),
        ]

    def __str__(self) -> str:
        # Never the recipient: notified on a confidential report, the reporter would be named wherever a row
        # is printed (the admin's inline rows, its change log, log lines). Use access.person_label to name them.
        return f"#{self.report_id} {self.get_channel_display()} ({self.get_status_display()})"
