"""The chain of custody: one row per time a weapon leaves the armory, from check-out to check-in.

A row is written by `incidents.services.armory.custody` only, and each change (out, confirmed, back)
is sealed on the production's armory trail. At most one row per weapon is open (not back) at a time.
"""

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from accounts.models import Production

from .armory import AmmoKind, AmmoLot, Weapon


class Load(models.TextChoices):
    COLD = "cold", _("Cold: no rounds")
    DUMMIES = "dummies", _("Dummies")
    BLANKS = "blanks", _("Blanks")


# The kind of lot each load takes its rounds from.
LOAD_AMMO: dict[str, str] = {Load.DUMMIES: AmmoKind.DUMMY, Load.BLANKS: AmmoKind.BLANK}


class Presence(models.TextChoices):
    """How someone's presence at the check was confirmed."""

    OWN_PHONE = "own_phone", _("confirmed on their own phone")
    RECORDED = "recorded", _("recorded present by the armorer")


class CustodyRecord(models.Model):
    production = models.ForeignKey(
        Production, on_delete=models.PROTECT, related_name="custody_records", verbose_name=_("production")
    )
    weapon = models.ForeignKey(
        Weapon, on_delete=models.PROTECT, related_name="custody_records", verbose_name=_("weapon")
    )
    handed_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("handed to")
    )
    scene = models.CharField(_("scene"), max_length=100)
    load = models.CharField(_("load"), max_length=16, choices=Load.choices)
    lot = models.ForeignKey(
        AmmoLot, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("rounds from")
    )
    rounds_out = models.PositiveIntegerField(_("rounds out"), default=0)
    # The armorer's word that the weapon was shown and checked in front of the receiver and the 1st AD.
    checked = models.BooleanField(_("shown and checked"))
    first_ad = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("1st AD")
    )
    receiver_confirmed_at = models.DateTimeField(_("receiver confirmed"), null=True, blank=True)
    receiver_confirmed_how = models.CharField(_("how"), max_length=16, choices=Presence.choices, blank=True)
    first_ad_confirmed_at = models.DateTimeField(_("1st AD confirmed"), null=True, blank=True)
    first_ad_confirmed_how = models.CharField(_("how"), max_length=16, choices=Presence.choices, blank=True)
    # Why a weapon left before the day's safety meeting was recorded (the armorer's override), if it did.
    meeting_override = models.TextField(_("checked out before the safety meeting because"), blank=True)
    checked_out_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("checked out by")
    )
    checked_out_at = models.DateTimeField(_("out"))
    checked_in_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("checked in by"),
    )
    checked_in_at = models.DateTimeField(_("back"), null=True, blank=True)
    rounds_back = models.PositiveIntegerField(_("rounds back"), null=True, blank=True)
    rounds_fired = models.PositiveIntegerField(_("rounds fired"), null=True, blank=True)
    # Rounds counted back beyond what went out less what fired: not put back in the lot (nobody knows
    # where they came from), held apart until someone recounts the lot. None on records checked in
    # before this was kept apart (their rounds back all went into the lot).
    rounds_set_aside = models.PositiveIntegerField(_("rounds set aside, not in the lot"), null=True, blank=True)

    class Meta:
        verbose_name = _("custody record")
        verbose_name_plural = _("custody records")
        ordering = ["-checked_out_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["weapon"],
                condition=models.Q(checked_in_at__isnull=True),
                name="custody_one_open_per_weapon",
            ),
            models.CheckConstraint(
                condition=models.Q(load="cold", lot__isnull=True, rounds_out=0)
                | models.Q(load__in=["dummies", "blanks"], lot__isnull=False, rounds_out__gt=0),
                name="custody_load_matches_rounds",
            ),
            models.CheckConstraint(
                condition=models.Q(checked_in_at__isnull=True, rounds_back__isnull=True, rounds_fired__isnull=True)
                | models.Q(checked_in_at__isnull=False, rounds_back__isnull=False, rounds_fired__isnull=False),
                name="custody_check_in_complete",
            ),
        ]
        indexes = [
            models.Index(fields=["weapon", "checked_out_at"], name="custody_weapon_out"),
            models.Index(
                fields=["production", "checked_out_at"],
                name="custody_open",
                condition=models.Q(checked_in_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return str(_("%(weapon)s to %(person)s") % {"weapon": self.weapon, "person": self.handed_to})

    def get_absolute_url(self) -> str:
        return reverse("armory_custody", args=[self.production_id, self.pk])

    @property
    def is_out(self) -> bool:
        return self.checked_in_at is None

    @property
    def count_adds_up(self) -> bool | None:
        """None while out; then whether every round that went out came back or was fired (and nothing
        fired that cannot fire: a "dummy" that fires was a live round)."""
        if self.rounds_back is None or self.rounds_fired is None:
            return None
        if self.load == Load.DUMMIES and self.rounds_fired:
            return False
        if self.load == Load.COLD:
            return self.rounds_back == 0 and self.rounds_fired == 0
        return self.rounds_back + self.rounds_fired == self.rounds_out
