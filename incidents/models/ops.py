from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.models import Production


class Heartbeat(models.Model):
    """When a periodic job last ran (the sweeper, the digest), for /healthz and the admin."""

    name = models.CharField(_("name"), max_length=64, unique=True)
    at = models.DateTimeField(_("last run"))
    detail = models.JSONField(_("detail"), default=dict, blank=True)

    class Meta:
        verbose_name = _("heartbeat")
        verbose_name_plural = _("heartbeats")

    def __str__(self) -> str:
        return f"{self.name} @ {self.at:%Y-%m-%d %H:%M:%S}"


class DigestRun(models.Model):
    """One row per production and week: the unique constraint is what makes the digest go out once."""

    production = models.ForeignKey(Production, on_delete=models.CASCADE, related_name="digests")
    week_start = models.DateField(_("week starting"))
    sent_at = models.DateTimeField(_("sent"), auto_now_add=True)
    recipients = models.PositiveIntegerField(_("recipients"), default=0)

    class Meta:
        verbose_name = _("weekly digest")
        verbose_name_plural = _("weekly digests")
        constraints = [
            models.UniqueConstraint(fields=["production", "week_start"], name="digest_once_per_production_week")
        ]

    def __str__(self) -> str:
        return f"{self.production} {self.week_start}"
