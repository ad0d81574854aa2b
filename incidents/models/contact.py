"""How a person is reached beyond the inbox and email: the phones that turned on push notifications, and
the channels they chose per severity (critical reports and stop-work calls ignore the choice)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class PushSubscription(models.Model):
    """One browser on one phone that accepted push notifications (the Push API's subscription)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="push_subscriptions", verbose_name=_("person")
    )
    endpoint = models.URLField(_("push service address"), max_length=1000, unique=True)
    p256dh = models.CharField(max_length=200)  # the browser's public key (base64url), to encrypt for it
    auth = models.CharField(max_length=100)  # the browser's authentication secret (base64url)
    device = models.CharField(_("device"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("turned on"), auto_now_add=True)

    class Meta:
        verbose_name = _("push subscription")
        verbose_name_plural = _("push subscriptions")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return self.device or str(_("A phone"))


class ChannelPreference(models.Model):
    """The channels a person chose for each severity below critical: {"high": ["email", "push"], ...}.
    Without a row, every channel the person has set up is used."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="channel_preference", verbose_name=_("person")
    )
    by_severity = models.JSONField(_("channels per severity"), default=dict, blank=True)
    updated_at = models.DateTimeField(_("changed"), auto_now=True)

    class Meta:
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")

    def __str__(self) -> str:
        return str(_("Notification preferences"))


class PhoneNumber(models.Model):
    """A person's mobile number for text messages: used once it is verified with a code sent to it. At most
    one person holds a verified number (a reply from it acknowledges as that person)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="phone", verbose_name=_("person")
    )
    number = models.CharField(_("mobile number"), max_length=16)  # E.164: + and up to 15 digits
    verified_at = models.DateTimeField(_("verified"), null=True, blank=True)
    code_hash = models.CharField(max_length=64, blank=True)  # HMAC of the code waiting to be typed
    code_sent_at = models.DateTimeField(_("code sent"), null=True, blank=True)
    code_tries = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("mobile number")
        verbose_name_plural = _("mobile numbers")
        constraints = [
            models.UniqueConstraint(
                fields=["number"], condition=models.Q(verified_at__isnull=False), name="phone_verified_once"
            ),
            models.CheckConstraint(condition=models.Q(number__regex=r"^\+[1-9][0-9]{6,14}$"), name="phone_e164"),
        ]

    def __str__(self) -> str:
        return self.masked

    @property
    def masked(self) -> str:
        """The number as pages show it: its last three digits."""
        return f"{self.number[:3]} ··· {self.number[-3:]}"


class SmsMonthCount(models.Model):
    """Text messages sent (or being sent) for a production in one calendar month of its time zone: the
    cap's counter, taken with a conditional UPDATE before each message, so two workers never pass it."""

    production = models.ForeignKey(
        "accounts.Production", on_delete=models.CASCADE, related_name="sms_months", verbose_name=_("production")
    )
    month = models.DateField(_("month"))  # its first day
    sent = models.PositiveIntegerField(_("sent"), default=0)

    class Meta:
        verbose_name = _("text messages in a month")
        verbose_name_plural = _("text messages per month")
        constraints = [models.UniqueConstraint(fields=["production", "month"], name="sms_month_once")]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m}: {self.sent}"
