"""The armory's inventory: weapons and ammunition lots of a production (DESIGN.md, flow 6).

Rows change only through `incidents.services.armory`, which seals every change on the production's
armory trail (`ArmoryEvent`). Live ammunition has no place here: a lot is dummies or blanks, and the
database refuses anything else.
"""

from django.db import models
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Production


class WeaponKind(models.TextChoices):
    BLANK_FIRING = "blank_firing", _("Real firearm firing blanks")
    REPLICA = "replica", _("Non-firing replica")
    RUBBER = "rubber", _("Rubber or plastic prop")
    AIRSOFT = "airsoft", _("Airsoft")


# Everything that looks and handles like a gun on set needs the day's safety meeting first; a rubber
# or plastic prop does not.
MEETING_REQUIRED_KINDS = frozenset({WeaponKind.BLANK_FIRING, WeaponKind.REPLICA, WeaponKind.AIRSOFT})
# What can hold rounds: only these are checked out with dummies or blanks.
LOADABLE_KINDS = frozenset({WeaponKind.BLANK_FIRING, WeaponKind.REPLICA})


class WeaponStatus(models.TextChoices):
    IN_ARMORY = "in_armory", _("In the armory")
    OUT = "out", _("Out")
    RETIRED = "retired", _("Retired")


class Weapon(models.Model):
    production = models.ForeignKey(
        Production, on_delete=models.PROTECT, related_name="weapons", verbose_name=_("production")
    )
    kind = models.CharField(_("kind"), max_length=16, choices=WeaponKind.choices)
    make = models.CharField(_("make"), max_length=100)
    model_name = models.CharField(_("model"), max_length=100)
    serial = models.CharField(_("serial or prop number"), max_length=100)
    status = models.CharField(_("status"), max_length=16, choices=WeaponStatus.choices, default=WeaponStatus.IN_ARMORY)
    created_at = models.DateTimeField(_("added"), default=timezone.now)

    class Meta:
        verbose_name = _("weapon")
        verbose_name_plural = _("weapons")
        ordering = ["make", "model_name", "serial"]
        constraints = [
            # "#7" and "#7 " or "ab-1" and "AB-1" are one weapon: the number is what people call out on set.
            models.UniqueConstraint("production", Lower("serial"), name="weapon_unique_serial_per_production"),
        ]
        indexes = [models.Index(fields=["production", "status"], name="weapon_production_status")]

    def __str__(self) -> str:
        return f"{self.make} {self.model_name} #{self.serial}"

    def get_absolute_url(self) -> str:
        return reverse("armory_weapon", args=[self.production_id, self.pk])

    @property
    def needs_meeting(self) -> bool:
        return self.kind in MEETING_REQUIRED_KINDS

    @property
    def loadable(self) -> bool:
        return self.kind in LOADABLE_KINDS


class AmmoKind(models.TextChoices):
    DUMMY = "dummy", _("Dummies")
    BLANK = "blank", _("Blanks")


class AmmoLot(models.Model):
    production = models.ForeignKey(
        Production, on_delete=models.PROTECT, related_name="ammo_lots", verbose_name=_("production")
    )
    kind = models.CharField(_("kind"), max_length=16, choices=AmmoKind.choices)
    description = models.CharField(_("type"), max_length=200)
    count = models.PositiveIntegerField(_("rounds in the armory"))
    created_at = models.DateTimeField(_("added"), default=timezone.now)
    # The stock form's submission key: a double tap stocks the lot once (ammunition_stock).
    idempotency_key = models.UUIDField(_("submission key"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("ammunition lot")
        verbose_name_plural = _("ammunition lots")
        ordering = ["kind", "description", "pk"]
        constraints = [
            # Live rounds are never stock: the service files a report instead, and the database agrees.
            models.CheckConstraint(condition=models.Q(kind__in=["dummy", "blank"]), name="ammolot_dummy_or_blank"),
            models.UniqueConstraint(
                fields=["production", "idempotency_key"],
                name="ammolot_stocked_once_per_key",
                condition=models.Q(idempotency_key__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.description}"
