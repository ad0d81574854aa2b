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
